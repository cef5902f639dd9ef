//! Adapters trained on frozen features: linear probes and ridge regression.

pub mod linear;
pub mod ridge;

pub use linear::{train_grid, Features, GridPoint, HeadKind, Targets, TrainConfig, TrainedGrid};
pub use ridge::{fit_ridge, RidgeGrid};
