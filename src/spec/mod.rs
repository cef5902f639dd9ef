//! Benchmark and baseline specs: serde types, key-path location, checking.

pub mod check;
pub mod fairness;
pub mod load;
pub mod locate;
pub mod raw;
pub mod types;

pub use check::{
    baseline_from_str, benchmark_from_str, check_columns, load_baseline, load_benchmark, resolve_relative,
    SUPPORTED_VERSION,
};
pub use load::{Problem, ProblemList, SpecError};
pub use types::*;
