//! Resampling statistics: patient-level bootstrap intervals and sample quantiles.

mod bootstrap;
mod quantile;

pub use bootstrap::{cluster_bootstrap, BootstrapConfig, BootstrapConfigError, Interval};
pub use quantile::quantile_linear;
