//! raydino-bench: benchmark and audit chest X-ray foundation encoders.
//!
//! A benchmark spec (`benchmarks/*.toml`) names a dataset, a task, a patient-level split and
//! the encoders to compare. Each encoder (`baselines/*.toml`) is run frozen over the images,
//! its features are cached, a small adapter is trained on them, and the adapter's test
//! metrics are reported with patient-level bootstrap confidence intervals.

pub mod adapters;
pub mod cli;
pub mod data;
pub mod encoder;
pub mod fairness;
pub mod features;
pub mod metrics;
pub mod pipeline;
pub mod pretrain;
pub mod report;
pub mod spec;
pub mod stats;
pub mod tables;
