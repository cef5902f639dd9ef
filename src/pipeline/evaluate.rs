//! Metrics of one set of predictions, with patient-level bootstrap intervals.

use serde::Serialize;

use crate::metrics::{self, MetricName, MetricResult, Undefined};
use crate::stats::{cluster_bootstrap, BootstrapConfig, Interval};

/// Ground truth of the samples being scored.
#[derive(Debug, Clone)]
pub enum Truth {
    /// Class index per sample; `classes` outputs per prediction row.
    Classes { labels: Vec<usize>, classes: usize },
    /// Per sample and finding; `None` where the label is missing.
    Labels { labels: Vec<Vec<Option<bool>>> },
    Values(Vec<f64>),
}

impl Truth {
    pub fn len(&self) -> usize {
        match self {
            Truth::Classes { labels, .. } => labels.len(),
            Truth::Labels { labels } => labels.len(),
            Truth::Values(values) => values.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Outputs per prediction row.
    pub fn outputs(&self) -> usize {
        match self {
            Truth::Classes { classes, .. } => *classes,
            Truth::Labels { labels } => labels.first().map_or(0, Vec::len),
            Truth::Values(_) => 1,
        }
    }
}

/// Predictions, row-major `samples x outputs` (probabilities or values).
#[derive(Debug, Clone)]
pub struct Scores {
    pub outputs: usize,
    pub values: Vec<f64>,
}

impl Scores {
    fn row(&self, i: usize) -> &[f64] {
        &self.values[i * self.outputs..(i + 1) * self.outputs]
    }

    fn column(&self, indices: &[usize], output: usize) -> Vec<f64> {
        indices.iter().map(|&i| self.values[i * self.outputs + output]).collect()
    }
}

fn argmax(row: &[f64]) -> usize {
    let mut best = 0;
    for (i, v) in row.iter().enumerate() {
        if *v > row[best] {
            best = i;
        }
    }
    best
}

/// Computes a metric on the samples at `indices` (repeats allowed, as in a bootstrap
/// resample).
pub fn metric_on(metric: MetricName, truth: &Truth, scores: &Scores, indices: &[usize]) -> MetricResult {
    match truth {
        Truth::Classes { labels, classes } => {
            let y: Vec<usize> = indices.iter().map(|&i| labels[i]).collect();
            match metric {
                MetricName::Accuracy | MetricName::MacroAccuracy => {
                    let predicted: Vec<usize> = indices.iter().map(|&i| argmax(scores.row(i))).collect();
                    if metric == MetricName::Accuracy {
                        metrics::accuracy(&y, &predicted)
                    } else {
                        metrics::balanced_accuracy(&y, &predicted)
                    }
                }
                MetricName::Auroc | MetricName::Auprc if *classes == 2 => {
                    let positive: Vec<bool> = y.iter().map(|&k| k == 1).collect();
                    let p1 = scores.column(indices, 1);
                    if metric == MetricName::Auroc {
                        metrics::auroc(&positive, &p1)
                    } else {
                        metrics::average_precision(&positive, &p1)
                    }
                }
                MetricName::Auroc | MetricName::Auprc => {
                    let flat: Vec<f64> = indices.iter().flat_map(|&i| scores.row(i).iter().copied()).collect();
                    if metric == MetricName::Auroc {
                        metrics::macro_auroc_ovr(&y, &flat, *classes)
                    } else {
                        metrics::macro_average_precision_ovr(&y, &flat, *classes)
                    }
                }
                MetricName::Pearson | MetricName::Mae => Err(Undefined::new(format!("{metric} applies to regression tasks only"))),
            }
        }
        Truth::Labels { labels } => {
            let per_finding: Vec<MetricResult> =
                (0..truth.outputs()).map(|k| finding_metric(metric, labels, scores, indices, k)).collect();
            mean_of(per_finding)
        }
        Truth::Values(values) => {
            let y: Vec<f64> = indices.iter().map(|&i| values[i]).collect();
            let predicted = scores.column(indices, 0);
            match metric {
                MetricName::Pearson => metrics::pearson(&y, &predicted),
                MetricName::Mae => metrics::mean_absolute_error(&y, &predicted),
                other => Err(Undefined::new(format!("{other} does not apply to regression"))),
            }
        }
    }
}

/// Computes a binary metric of one finding of a multilabel task on the samples where
/// that finding is labelled.
fn finding_metric(metric: MetricName, labels: &[Vec<Option<bool>>], scores: &Scores, indices: &[usize], finding: usize) -> MetricResult {
    let (mut y, mut s) = (Vec::new(), Vec::new());
    for &i in indices {
        if let Some(label) = labels[i][finding] {
            y.push(label);
            s.push(scores.row(i)[finding]);
        }
    }
    match metric {
        MetricName::Auroc => metrics::auroc(&y, &s),
        MetricName::Auprc => metrics::average_precision(&y, &s),
        other => Err(Undefined::new(format!("{other} does not apply to multilabel tasks"))),
    }
}

fn mean_of(values: Vec<MetricResult>) -> MetricResult {
    let count = values.len();
    let mut sum = 0.0;
    for (i, value) in values.into_iter().enumerate() {
        sum += value.map_err(|u| Undefined::new(format!("output {i}: {}", u.reason)))?;
    }
    if count == 0 {
        return Err(Undefined::new("no outputs"));
    }
    Ok(sum / count as f64)
}

/// A metric with its interval, or the reason it has none.
#[derive(Debug, Clone, Serialize)]
pub struct MetricReport {
    pub metric: MetricName,
    pub label: String,
    pub higher_is_better: bool,
    pub value: Option<f64>,
    pub interval: Option<Interval>,
    /// Reason the value, or only its interval, is missing.
    pub undefined: Option<String>,
}

impl MetricReport {
    /// Computes `compute` on every sample and its patient-level bootstrap interval.
    pub fn bootstrap(
        metric: MetricName,
        patients: &[u64],
        config: &BootstrapConfig,
        compute: impl Fn(&[usize]) -> MetricResult + Sync,
    ) -> MetricReport {
        let all: Vec<usize> = (0..patients.len()).collect();
        let base = MetricReport {
            metric,
            label: metric.label().to_string(),
            higher_is_better: metric.higher_is_better(),
            value: None,
            interval: None,
            undefined: None,
        };
        match compute(&all) {
            Err(reason) => MetricReport { undefined: Some(reason.reason), ..base },
            Ok(value) => match cluster_bootstrap(patients, config, &compute) {
                Ok(interval) => MetricReport { value: Some(value), interval: Some(interval), ..base },
                Err(reason) => MetricReport { value: Some(value), undefined: Some(format!("no interval: {}", reason.reason)), ..base },
            },
        }
    }
}

/// Per-class (or per-finding) AUROC and AUPRC on the test split.
#[derive(Debug, Clone, Serialize)]
pub struct ClassReport {
    pub name: String,
    pub positives: usize,
    pub negatives: usize,
    pub auroc: MetricReport,
    pub auprc: MetricReport,
}

/// One-vs-rest labels and scores of an output, for per-class metrics and ROC curves.
pub fn one_vs_rest(truth: &Truth, scores: &Scores, output: usize) -> Option<(Vec<usize>, Vec<bool>, Vec<f64>)> {
    let n = truth.len();
    match truth {
        Truth::Classes { labels, .. } => {
            let indices: Vec<usize> = (0..n).collect();
            Some((indices.clone(), labels.iter().map(|&k| k == output).collect(), scores.column(&indices, output)))
        }
        Truth::Labels { labels } => {
            let indices: Vec<usize> = (0..n).filter(|&i| labels[i][output].is_some()).collect();
            let y = indices.iter().map(|&i| labels[i][output].expect("filtered to labelled")).collect();
            Some((indices.clone(), y, scores.column(&indices, output)))
        }
        Truth::Values(_) => None,
    }
}

/// AUROC and AUPRC of each output against the rest, with intervals.
pub fn per_class_reports(names: &[String], truth: &Truth, scores: &Scores, patients: &[u64], config: &BootstrapConfig) -> Vec<ClassReport> {
    let mut reports = Vec::new();
    for (output, name) in names.iter().enumerate() {
        let Some((indices, y, s)) = one_vs_rest(truth, scores, output) else { continue };
        let sub_patients: Vec<u64> = indices.iter().map(|&i| patients[i]).collect();
        let positives = y.iter().filter(|&&v| v).count();
        let pick = |idx: &[usize]| -> (Vec<bool>, Vec<f64>) { (idx.iter().map(|&i| y[i]).collect(), idx.iter().map(|&i| s[i]).collect()) };
        let auroc = MetricReport::bootstrap(MetricName::Auroc, &sub_patients, config, |idx| {
            let (yy, ss) = pick(idx);
            metrics::auroc(&yy, &ss)
        });
        let auprc = MetricReport::bootstrap(MetricName::Auprc, &sub_patients, config, |idx| {
            let (yy, ss) = pick(idx);
            metrics::average_precision(&yy, &ss)
        });
        reports.push(ClassReport { name: name.clone(), positives, negatives: y.len() - positives, auroc, auprc });
    }
    reports
}

/// Mean loss of predictions (cross-entropy, binary cross-entropy or squared error), used
/// to break ties between heads whose validation metric is equal.
pub fn prediction_loss(truth: &Truth, scores: &Scores) -> f64 {
    const FLOOR: f64 = 1e-12;
    let n = truth.len().max(1) as f64;
    match truth {
        Truth::Classes { labels, .. } => labels.iter().enumerate().map(|(i, &k)| -scores.row(i)[k].max(FLOOR).ln()).sum::<f64>() / n,
        Truth::Labels { labels } => {
            let mut total = 0.0;
            let mut count = 0usize;
            for (i, row) in labels.iter().enumerate() {
                for (k, label) in row.iter().enumerate() {
                    if let Some(label) = label {
                        let p = scores.row(i)[k].clamp(FLOOR, 1.0 - FLOOR);
                        total -= if *label { p.ln() } else { (1.0 - p).ln() };
                        count += 1;
                    }
                }
            }
            total / count.max(1) as f64
        }
        Truth::Values(values) => values.iter().enumerate().map(|(i, v)| (scores.row(i)[0] - v).powi(2)).sum::<f64>() / n,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metric_on_binary_uses_the_positive_column() {
        let truth = Truth::Classes { labels: vec![0, 0, 1, 1], classes: 2 };
        // Positive-class probabilities 0.1, 0.4, 0.35, 0.8: sklearn roc_auc_score = 0.75.
        let scores = Scores { outputs: 2, values: vec![0.9, 0.1, 0.6, 0.4, 0.65, 0.35, 0.2, 0.8] };
        let auroc = metric_on(MetricName::Auroc, &truth, &scores, &[0, 1, 2, 3]).unwrap();
        assert!((auroc - 0.75).abs() < 1e-12);
        // argmax predicts 0, 0, 0, 1: recall 1.0 and 0.5, balanced accuracy 0.75.
        let balanced = metric_on(MetricName::MacroAccuracy, &truth, &scores, &[0, 1, 2, 3]).unwrap();
        assert!((balanced - 0.75).abs() < 1e-12);
    }

    #[test]
    fn multilabel_metric_skips_missing_labels() {
        let truth = Truth::Labels { labels: vec![vec![Some(true)], vec![None], vec![Some(false)]] };
        let scores = Scores { outputs: 1, values: vec![0.9, 0.0, 0.1] };
        assert_eq!(metric_on(MetricName::Auroc, &truth, &scores, &[0, 1, 2]).unwrap(), 1.0);
    }

    #[test]
    fn report_marks_single_class_as_undefined() {
        let truth = Truth::Classes { labels: vec![1, 1, 1], classes: 2 };
        let scores = Scores { outputs: 2, values: vec![0.5, 0.5, 0.2, 0.8, 0.3, 0.7] };
        let config = BootstrapConfig { resamples: 100, confidence: 0.95, seed: 0 };
        let report = MetricReport::bootstrap(MetricName::Auroc, &[0, 1, 2], &config, |idx| metric_on(MetricName::Auroc, &truth, &scores, idx));
        assert!(report.value.is_none());
        assert!(report.undefined.is_some());
    }
}
