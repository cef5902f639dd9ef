//! Metrics of one set of predictions, with patient-level bootstrap intervals.

use serde::Serialize;

use crate::metrics::{self, MetricName, MetricResult, Undefined};
use crate::stats::{cluster_bootstrap, cluster_bootstrap_auroc, cluster_bootstrap_aurocs, AurocColumn, BootstrapConfig, Interval};

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
        MetricReport::from_value(metric, compute(&all), || cluster_bootstrap(patients, config, &compute))
    }

    /// Builds the report from the metric's value on every sample. Calls `interval` only when
    /// that value is defined.
    fn from_value(metric: MetricName, value: MetricResult, interval: impl FnOnce() -> Result<Interval, Undefined>) -> MetricReport {
        let (value, interval, undefined) = value_and_interval(value, interval);
        MetricReport {
            metric,
            label: metric.label().to_string(),
            higher_is_better: metric.higher_is_better(),
            value,
            interval,
            undefined,
        }
    }
}

/// Splits a value on every sample and its interval into the value, the interval and the
/// reason that one of them is missing. Calls `interval` only when the value is defined, and
/// prefixes an interval's reason with "no interval: ".
pub(crate) fn value_and_interval(
    value: MetricResult,
    interval: impl FnOnce() -> Result<Interval, Undefined>,
) -> (Option<f64>, Option<Interval>, Option<String>) {
    match value {
        Err(reason) => (None, None, Some(reason.reason)),
        Ok(value) => match interval() {
            Ok(interval) => (Some(value), Some(interval), None),
            Err(reason) => (Some(value), None, Some(format!("no interval: {}", reason.reason))),
        },
    }
}

/// Computes `metric` on the samples `rows` of `truth` and `scores`, with its patient-level
/// bootstrap interval. `patients[i]` is the patient of sample `rows[i]`.
///
/// The report equals `MetricReport::bootstrap` with [`metric_on`] of the resampled rows.
/// AUROC takes a faster route to the same interval: [`cluster_bootstrap_auroc`] for a
/// binary task, and [`cluster_bootstrap_aurocs`] with one column per class or finding for
/// the macro AUROC of a multiclass or multilabel task.
///
/// # Panics
/// Panics if `rows` and `patients` differ in length.
pub fn metric_report(metric: MetricName, truth: &Truth, scores: &Scores, rows: &[usize], patients: &[u64], config: &BootstrapConfig) -> MetricReport {
    assert_eq!(rows.len(), patients.len(), "rows has {} elements but patients has {}", rows.len(), patients.len());
    let compute = |indices: &[usize]| {
        let resampled_rows: Vec<usize> = indices.iter().map(|&i| rows[i]).collect();
        metric_on(metric, truth, scores, &resampled_rows)
    };
    if metric != MetricName::Auroc {
        return MetricReport::bootstrap(metric, patients, config, compute);
    }

    let all: Vec<usize> = (0..rows.len()).collect();
    // A defined value rules out the inputs on which the fast routes and `metric_on` could
    // differ: a label out of range, fewer than 2 classes, no outputs, a regression task.
    MetricReport::from_value(metric, compute(&all), || match truth {
        Truth::Classes { labels, classes: 2 } => {
            let positive: Vec<bool> = rows.iter().map(|&i| labels[i] == 1).collect();
            cluster_bootstrap_auroc(&positive, &scores.column(rows, 1), patients, config)
        }
        Truth::Classes { labels, classes } => {
            let columns: Vec<AurocColumn> = (0..*classes)
                .map(|class| AurocColumn {
                    samples: all.clone(),
                    labels: rows.iter().map(|&i| labels[i] == class).collect(),
                    scores: scores.column(rows, class),
                })
                .collect();
            cluster_bootstrap_aurocs(&columns, patients, config, metrics::mean_over_classes)
        }
        Truth::Labels { labels } => {
            let columns: Vec<AurocColumn> = (0..truth.outputs()).map(|finding| finding_column(labels, scores, rows, finding)).collect();
            cluster_bootstrap_aurocs(&columns, patients, config, mean_of)
        }
        Truth::Values(_) => cluster_bootstrap(patients, config, compute),
    })
}

/// Collects the samples of `rows` where `finding` is labelled, as positions in `rows`, with
/// their labels and scores of that finding.
fn finding_column(labels: &[Vec<Option<bool>>], scores: &Scores, rows: &[usize], finding: usize) -> AurocColumn {
    let mut column = AurocColumn { samples: Vec::new(), labels: Vec::new(), scores: Vec::new() };
    for (position, &i) in rows.iter().enumerate() {
        if let Some(label) = labels[i][finding] {
            column.samples.push(position);
            column.labels.push(label);
            column.scores.push(scores.row(i)[finding]);
        }
    }
    column
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
        let auroc = MetricReport::from_value(MetricName::Auroc, metrics::auroc(&y, &s), || cluster_bootstrap_auroc(&y, &s, &sub_patients, config));
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
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

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

    #[derive(Clone, Copy, Debug)]
    enum Kind {
        Binary,
        Multiclass,
        Multilabel,
    }

    /// Generates a test split of `images` images from patients with 1 to 4 images each,
    /// under non-contiguous patient ids. Scores have two decimals, so many of them tie, and
    /// positives score 0.3 higher on average. Multiclass and multilabel truths have 3
    /// outputs, and about one multilabel label in five is missing.
    fn generated_case(kind: Kind, images: usize, seed: u64) -> (Truth, Scores, Vec<u64>) {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let outputs = match kind {
            Kind::Binary => 2,
            Kind::Multiclass | Kind::Multilabel => 3,
        };
        let mut patients = Vec::with_capacity(images);
        let mut patient = 5000u64;
        while patients.len() < images {
            for _ in 0..rng.random_range(1..=4) {
                patients.push(patient);
            }
            patient += 3;
        }
        patients.truncate(images);

        let score = |positive: bool, rng: &mut ChaCha8Rng| {
            let value = rng.random::<f64>() * 0.7 + if positive { 0.3 } else { 0.0 };
            (value * 100.0).round() / 100.0
        };
        let mut values = Vec::with_capacity(images * outputs);
        let truth = match kind {
            Kind::Binary | Kind::Multiclass => {
                let labels: Vec<usize> = (0..images).map(|_| rng.random_range(0..outputs)).collect();
                for &label in &labels {
                    for output in 0..outputs {
                        values.push(score(output == label, &mut rng));
                    }
                }
                Truth::Classes { labels, classes: outputs }
            }
            Kind::Multilabel => {
                let labels: Vec<Vec<Option<bool>>> = (0..images)
                    .map(|_| (0..outputs).map(|_| (rng.random::<f64>() >= 0.2).then(|| rng.random::<f64>() < 0.3)).collect())
                    .collect();
                for row in &labels {
                    for label in row {
                        values.push(score(*label == Some(true), &mut rng));
                    }
                }
                Truth::Labels { labels }
            }
        };
        (truth, Scores { outputs, values }, patients)
    }

    /// Computes the report with the generic bootstrap, which recomputes `metric_on` on every
    /// resample.
    fn generic_report(metric: MetricName, truth: &Truth, scores: &Scores, rows: &[usize], patients: &[u64], config: &BootstrapConfig) -> MetricReport {
        MetricReport::bootstrap(metric, patients, config, |indices| {
            let resampled_rows: Vec<usize> = indices.iter().map(|&i| rows[i]).collect();
            metric_on(metric, truth, scores, &resampled_rows)
        })
    }

    fn assert_same_report(fast: &MetricReport, generic: &MetricReport, case: &str) {
        assert_eq!(fast.metric, generic.metric, "{case}");
        assert_eq!(fast.value, generic.value, "{case}");
        // `Interval` compares its bounds with `==`, which for finite AUROCs of at least 0
        // means bit for bit.
        assert_eq!(fast.interval, generic.interval, "{case}");
        assert_eq!(fast.undefined, generic.undefined, "{case}");
    }

    #[test]
    fn auroc_interval_equals_generic_bootstrap() {
        let config = BootstrapConfig { resamples: 1000, confidence: 0.95, seed: 7 };
        for (kind, seed) in [(Kind::Binary, 1), (Kind::Multiclass, 2), (Kind::Multilabel, 3)] {
            let (truth, scores, patients) = generated_case(kind, 1500, seed);
            let all: Vec<usize> = (0..patients.len()).collect();
            // A subgroup as the fairness audit passes it: rows of the test split.
            let group: Vec<usize> = all.iter().copied().filter(|&i| patients[i] % 2 == 0).collect();
            for (rows, name) in [(all, "all rows"), (group, "subgroup")] {
                let case = format!("{kind:?}, {name}");
                let row_patients: Vec<u64> = rows.iter().map(|&i| patients[i]).collect();
                let fast = metric_report(MetricName::Auroc, &truth, &scores, &rows, &row_patients, &config);
                let generic = generic_report(MetricName::Auroc, &truth, &scores, &rows, &row_patients, &config);
                assert!(fast.interval.is_some(), "{case}: {fast:?}");
                assert_same_report(&fast, &generic, &case);
            }
        }
    }

    #[test]
    fn per_class_auroc_equals_generic_bootstrap() {
        let config = BootstrapConfig { resamples: 500, confidence: 0.9, seed: 11 };
        let names: Vec<String> = ["a", "b", "c"].map(String::from).to_vec();
        for (kind, seed) in [(Kind::Multiclass, 4), (Kind::Multilabel, 5)] {
            let (truth, scores, patients) = generated_case(kind, 800, seed);
            let reports = per_class_reports(&names, &truth, &scores, &patients, &config);
            assert_eq!(reports.len(), 3);
            for (output, report) in reports.iter().enumerate() {
                let (rows, y, s) = one_vs_rest(&truth, &scores, output).unwrap();
                let row_patients: Vec<u64> = rows.iter().map(|&i| patients[i]).collect();
                let generic = MetricReport::bootstrap(MetricName::Auroc, &row_patients, &config, |indices| {
                    let labels: Vec<bool> = indices.iter().map(|&i| y[i]).collect();
                    let picked: Vec<f64> = indices.iter().map(|&i| s[i]).collect();
                    metrics::auroc(&labels, &picked)
                });
                let case = format!("{kind:?}, output {output}");
                assert!(report.auroc.interval.is_some(), "{case}");
                assert_same_report(&report.auroc, &generic, &case);
            }
        }
    }

    #[test]
    fn auroc_undefined_reasons_unchanged() {
        let config = BootstrapConfig { resamples: 400, confidence: 0.95, seed: 3 };
        let check = |truth: &Truth, scores: &Scores, patients: &[u64], case: &str| {
            let rows: Vec<usize> = (0..patients.len()).collect();
            let fast = metric_report(MetricName::Auroc, truth, scores, &rows, patients, &config);
            let generic = generic_report(MetricName::Auroc, truth, scores, &rows, patients, &config);
            assert_same_report(&fast, &generic, case);
            fast
        };

        // One class in the whole test set: no value.
        let (truth, scores, patients) = generated_case(Kind::Binary, 300, 6);
        let one_class = Truth::Classes { labels: vec![1; truth.len()], classes: 2 };
        let report = check(&one_class, &scores, &patients, "one-class test set");
        assert_eq!(report.value, None);
        assert_eq!(report.undefined.as_deref(), Some("only one class present (300 positives of 300)"));

        // Class 2 occurs in the first patient only and class 1 in the last patient only, of
        // about 120. Only about 40% of resamples draw both, so the value has no interval,
        // and the reason names the first resample without one of the two classes.
        let (truth, scores, patients) = generated_case(Kind::Multiclass, 300, 7);
        let Truth::Classes { mut labels, classes } = truth else { unreachable!() };
        let (first, last) = (patients[0], patients[patients.len() - 1]);
        for (label, &patient) in labels.iter_mut().zip(&patients) {
            *label = if patient == first { 2 } else if patient == last { 1 } else { 0 };
        }
        let rare_classes = Truth::Classes { labels, classes };
        let report = check(&rare_classes, &scores, &patients, "rare classes");
        assert!(report.value.is_some(), "{report:?}");
        let reason = report.undefined.unwrap();
        assert!(reason.starts_with("no interval: the statistic was defined on only "), "{reason}");
        assert!(reason.contains("(first undefined resample: class "), "{reason}");
        assert!(reason.contains(": only one class present ("), "{reason}");

        // Finding 1 is labelled on the images of two patients only, so many resamples have no
        // labelled image of it.
        let (truth, scores, patients) = generated_case(Kind::Multilabel, 300, 8);
        let Truth::Labels { mut labels } = truth else { unreachable!() };
        let (first, last) = (patients[0], patients[patients.len() - 1]);
        for (row, &patient) in labels.iter_mut().zip(&patients) {
            row[1] = if patient == first { Some(true) } else if patient == last { Some(false) } else { None };
        }
        let sparse_finding = Truth::Labels { labels };
        let report = check(&sparse_finding, &scores, &patients, "sparse finding");
        assert!(report.value.is_some(), "{report:?}");
        let reason = report.undefined.unwrap();
        assert!(reason.contains("(first undefined resample: output 1: "), "{reason}");
    }
}
