//! The benchmark pipeline: cohort, split, frozen features, adapter, metrics.

pub mod benchmark;
pub mod evaluate;
pub mod fairness;
pub mod probe;
pub mod results;

pub use benchmark::{check_dataset, run_benchmark, PipelineError, RunSettings};
pub use results::{BenchmarkResult, EncoderResult};
