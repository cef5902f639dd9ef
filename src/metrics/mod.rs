//! Evaluation metrics on plain slices, checked against scikit-learn and SciPy.
//!
//! A metric that has no value for its data returns [`Undefined`] with the reason, never NaN.
//! Inputs of different lengths are a caller bug and panic.

mod average_precision;
mod classification;
mod multiclass;
mod name;
mod regression;
mod roc;
mod threshold_counts;
mod undefined;

#[cfg(test)]
mod reference_tests;

pub use average_precision::average_precision;
pub use classification::{accuracy, balanced_accuracy};
pub use multiclass::{
    macro_auroc_ovr, macro_average_precision_ovr, per_class_auroc, per_class_average_precision,
};
pub use name::{MetricName, UnknownMetricName};
pub use regression::{mean_absolute_error, pearson};
pub use roc::{auroc, roc_curve, RocCurve};
pub use undefined::{MetricResult, Undefined};
