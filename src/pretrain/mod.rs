//! Self-supervised pretraining of a ViT with the DINOv2 objectives (DINO, iBOT, KoLeo) on
//! chest X-rays, on a GPU when there is one and on the CPU at small scale.
//!
//! A run reads a preset (`config.rs`), builds multi-crop batches (`augment.rs`) with iBOT
//! block masks (`masking.rs`), trains student and EMA teacher (`train.rs`) with the losses
//! of `losses.rs`, and writes checkpoints, loss curves and the teacher backbone
//! (`run.rs`), which baselines load as an encoder.

pub mod augment;
mod curves;
pub mod config;
pub mod head;
pub mod losses;
pub mod masking;
pub mod optim;
pub mod run;
pub mod schedule;
pub mod train;

#[cfg(test)]
mod reference_tests;


pub use config::{ConfigError, PretrainConfig};
pub use run::{pretrain, PretrainOptions, PretrainSummary};
pub use train::{Pretrainer, StepRecord};
