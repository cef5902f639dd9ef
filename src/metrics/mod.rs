//! Evaluation metrics on plain slices, checked against scikit-learn and SciPy.
//!
//! A metric that has no value for its data returns [`Undefined`] with the reason, never NaN.
//! Inputs of different lengths are a caller bug and panic.

mod average_precision;
mod calibration;
mod classification;
mod confusion;
mod multiclass;
mod name;
mod rank_correlation;
mod regression;
mod roc;
mod threshold_counts;
mod undefined;

#[cfg(test)]
mod reference_tests;

pub use average_precision::average_precision;
pub use calibration::expected_calibration_error;
pub use classification::{accuracy, balanced_accuracy};
pub use confusion::{dice, f1_score, threshold_rates, ThresholdRates};
pub use multiclass::{
    macro_auroc_ovr, macro_average_precision_ovr, per_class_auroc, per_class_average_precision,
};
pub(crate) use multiclass::mean_over_classes;
pub use name::{MetricName, UnknownMetricName};
pub use rank_correlation::spearman;
pub use regression::{mean_absolute_error, pearson};
pub use roc::{auroc, roc_curve, RocCurve};
pub use undefined::{MetricResult, Undefined};
