//! Names of the metrics that benchmark specs and reports refer to.

use std::fmt;
use std::str::FromStr;

/// Metric named in a benchmark spec, written in snake_case there and in JSON.
///
/// For multiclass tasks `Auroc` and `Auprc` mean the macro average of the one-vs-rest values,
/// and for binary tasks the plain value.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize, PartialOrd, Ord,
)]
#[serde(rename_all = "snake_case")]
pub enum MetricName {
    /// Fraction of correct predictions.
    Accuracy,
    /// Balanced accuracy: the mean recall over the classes present in the true labels.
    MacroAccuracy,
    /// Area under the ROC curve.
    Auroc,
    /// Area under the precision-recall curve, computed as average precision.
    Auprc,
    /// Pearson correlation coefficient r.
    Pearson,
    /// Mean absolute error.
    Mae,
}

/// Error for a metric name that is not one of [`MetricName::ALL`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown metric {name:?}: expected one of accuracy, macro_accuracy, auroc, auprc, pearson, mae"
)]
pub struct UnknownMetricName {
    pub name: String,
}

impl MetricName {
    /// Every metric, in declaration order.
    pub const ALL: [MetricName; 6] = [
        MetricName::Accuracy,
        MetricName::MacroAccuracy,
        MetricName::Auroc,
        MetricName::Auprc,
        MetricName::Pearson,
        MetricName::Mae,
    ];

    /// Returns false only for error metrics, where lower values are better.
    pub fn higher_is_better(self) -> bool {
        !matches!(self, MetricName::Mae)
    }

    /// Returns the label for tables and plots, such as "AUROC" or "macro accuracy".
    pub fn label(self) -> &'static str {
        match self {
            MetricName::Accuracy => "accuracy",
            MetricName::MacroAccuracy => "macro accuracy",
            MetricName::Auroc => "AUROC",
            MetricName::Auprc => "AUPRC",
            MetricName::Pearson => "Pearson r",
            MetricName::Mae => "MAE",
        }
    }

    /// Returns the snake_case name used in specs, JSON and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            MetricName::Accuracy => "accuracy",
            MetricName::MacroAccuracy => "macro_accuracy",
            MetricName::Auroc => "auroc",
            MetricName::Auprc => "auprc",
            MetricName::Pearson => "pearson",
            MetricName::Mae => "mae",
        }
    }
}

impl fmt::Display for MetricName {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.as_str())
    }
}

impl FromStr for MetricName {
    type Err = UnknownMetricName;

    /// Parses the snake_case name. Case and surrounding spaces must match exactly.
    fn from_str(name: &str) -> Result<Self, Self::Err> {
        MetricName::ALL
            .into_iter()
            .find(|metric| metric.as_str() == name)
            .ok_or_else(|| UnknownMetricName {
                name: name.to_string(),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for metric in MetricName::ALL {
            let parsed: MetricName = metric.to_string().parse().unwrap();
            assert_eq!(parsed, metric);
        }
    }

    #[test]
    fn display_matches_serde() {
        for metric in MetricName::ALL {
            let json = serde_json::to_string(&metric).unwrap();
            assert_eq!(json, format!("\"{metric}\""));
            let parsed: MetricName = serde_json::from_str(&json).unwrap();
            assert_eq!(parsed, metric);
        }
    }

    #[test]
    fn snake_case_names() {
        assert_eq!(MetricName::MacroAccuracy.to_string(), "macro_accuracy");
        assert_eq!("auprc".parse::<MetricName>(), Ok(MetricName::Auprc));
    }

    #[test]
    fn unknown_name_rejected() {
        let error = "AUROC".parse::<MetricName>().unwrap_err();
        assert_eq!(error.name, "AUROC");
        assert_eq!(
            error.to_string(),
            "unknown metric \"AUROC\": expected one of accuracy, macro_accuracy, auroc, auprc, pearson, mae"
        );
    }

    #[test]
    fn only_mae_prefers_lower() {
        for metric in MetricName::ALL {
            assert_eq!(
                metric.higher_is_better(),
                metric != MetricName::Mae,
                "{metric}"
            );
        }
    }

    #[test]
    fn labels_are_distinct() {
        let mut labels: Vec<&str> = MetricName::ALL
            .iter()
            .map(|metric| metric.label())
            .collect();
        labels.sort_unstable();
        labels.dedup();
        assert_eq!(labels.len(), MetricName::ALL.len());
    }
}
