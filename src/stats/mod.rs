//! Resampling statistics: patient-level bootstrap intervals and sample quantiles.
//! Also tests of ranks and AUROCs (Mann-Whitney U, DeLong), BCa bootstrap intervals and
//! multiple-testing adjustment of p-values, and the summary of a metric over training seeds.

mod bca;
mod bootstrap;
mod bootstrap_auroc;
mod correction;
mod delong;
mod mann_whitney;
mod quantile;
mod seeds;

#[cfg(test)]
mod coverage_tests;
#[cfg(test)]
mod reference_tests;

pub use bca::{cluster_bootstrap_bca, jackknife_acceleration};
pub use bootstrap::{cluster_bootstrap, BootstrapConfig, BootstrapConfigError, Interval};
pub use bootstrap_auroc::{cluster_bootstrap_auroc, cluster_bootstrap_aurocs, AurocColumn};
pub use correction::{benjamini_hochberg, holm};
pub use delong::{delong_interval, delong_test, DeLong};
pub use mann_whitney::{mann_whitney_u, Alternative, MannWhitney, Method};
pub use quantile::quantile_linear;
pub use seeds::{aggregate_seeds, SeedSummary};
