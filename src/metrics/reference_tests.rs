//! Checks every metric against `tests/fixtures/metrics.json`, the scikit-learn and SciPy
//! results written by `tests/reference/make_metric_fixtures.py`.
//!
//! An expected value of null means that the metric must return `Undefined`.

use serde::Deserialize;
use serde_json::Value;

use super::*;

/// Maximum difference allowed, absolute below 1 and relative above.
const TOLERANCE: f64 = 1e-9;

#[derive(Deserialize)]
struct Fixtures {
    versions: Versions,
    binary: Vec<BinaryCase>,
    multiclass: Vec<MulticlassCase>,
    labels: Vec<LabelCase>,
    regression: Vec<RegressionCase>,
    predictions: Section<PredictionCase, GeneratedPredictionCase>,
    calibration: Section<CalibrationCase, GeneratedCalibrationCase>,
    spearman: Section<SpearmanCase, GeneratedSpearmanCase>,
}

/// Cases with stored inputs, and large cases whose inputs are built from rules.
#[derive(Deserialize)]
struct Section<Stored, Generated> {
    stored: Vec<Stored>,
    generated: Vec<Generated>,
}

#[derive(Deserialize)]
struct Versions {
    numpy: String,
    scipy: String,
    #[serde(rename = "scikit-learn")]
    scikit_learn: String,
}

#[derive(Deserialize)]
struct BinaryCase {
    name: String,
    labels: Vec<u8>,
    scores: Vec<f64>,
    auroc: Option<f64>,
    average_precision: Option<f64>,
    /// Absent for cases too large to store the curve.
    roc_curve: Option<RocCurveFixture>,
}

#[derive(Deserialize)]
struct RocCurveFixture {
    defined: bool,
    #[serde(default)]
    fpr: Vec<f64>,
    #[serde(default)]
    tpr: Vec<f64>,
    /// The thresholds without the leading +inf, which JSON cannot store.
    #[serde(default)]
    thresholds_after_inf: Vec<f64>,
}

#[derive(Deserialize)]
struct MulticlassCase {
    name: String,
    n_classes: usize,
    y_true: Vec<usize>,
    scores: Vec<f64>,
    per_class_auroc: Vec<Option<f64>>,
    per_class_average_precision: Vec<Option<f64>>,
    macro_auroc_ovr: Option<f64>,
    macro_average_precision_ovr: Option<f64>,
}

#[derive(Deserialize)]
struct LabelCase {
    name: String,
    y_true: Vec<usize>,
    y_pred: Vec<usize>,
    accuracy: Option<f64>,
    balanced_accuracy: Option<f64>,
}

#[derive(Deserialize)]
struct RegressionCase {
    name: String,
    x: Vec<f64>,
    y: Vec<f64>,
    pearson: Option<f64>,
    mae: Option<f64>,
}

/// Expected F1, Dice and threshold rates for predictions `scores >= threshold`.
#[derive(Deserialize)]
struct PredictionExpected {
    f1: Option<f64>,
    dice: Option<f64>,
    sensitivity: Option<f64>,
    specificity: Option<f64>,
    false_negative_rate: Option<f64>,
    false_positive_rate: Option<f64>,
    positives: usize,
    negatives: usize,
}

#[derive(Deserialize)]
struct PredictionCase {
    name: String,
    labels: Vec<u8>,
    scores: Vec<f64>,
    threshold: f64,
    #[serde(flatten)]
    expected: PredictionExpected,
}

/// Labels `label_rule < prevalence` and scores `score_rule + shift * label`.
#[derive(Deserialize)]
struct GeneratedPredictionCase {
    name: String,
    label_rule: SampleRule,
    prevalence: f64,
    score_rule: SampleRule,
    shift: f64,
    threshold: f64,
    #[serde(flatten)]
    expected: PredictionExpected,
}

#[derive(Deserialize)]
struct CalibrationCase {
    name: String,
    labels: Vec<u8>,
    probabilities: Vec<f64>,
    bins: usize,
    ece: Option<f64>,
}

/// Probabilities `probability_rule` and labels `outcome_rule < probability^2`.
#[derive(Deserialize)]
struct GeneratedCalibrationCase {
    name: String,
    probability_rule: SampleRule,
    outcome_rule: SampleRule,
    bins: usize,
    ece: Option<f64>,
}

#[derive(Deserialize)]
struct SpearmanCase {
    name: String,
    /// Numbers, or the strings "inf", "-inf" and "nan".
    x: Vec<Value>,
    y: Vec<Value>,
    spearman: Option<f64>,
}

/// x from `x_rule` and y = x + `noise_rule`.
#[derive(Deserialize)]
struct GeneratedSpearmanCase {
    name: String,
    x_rule: SampleRule,
    noise_rule: SampleRule,
    spearman: Option<f64>,
}

/// The values ((i * multiplier) mod modulus + offset) / divisor for i in 0..size, which
/// NumPy and Rust compute to the same floats.
#[derive(Deserialize)]
struct SampleRule {
    size: i64,
    multiplier: i64,
    modulus: i64,
    offset: i64,
    divisor: i64,
}

impl SampleRule {
    fn generate(&self) -> Vec<f64> {
        (0..self.size)
            .map(|i| {
                ((i * self.multiplier) % self.modulus + self.offset) as f64 / self.divisor as f64
            })
            .collect()
    }
}

/// Decodes a fixture value: a JSON number or one of "inf", "-inf" and "nan".
fn decode_value(value: &Value) -> f64 {
    match value {
        Value::Number(number) => number.as_f64().expect("fixture number is not an f64"),
        Value::String(text) if text == "inf" => f64::INFINITY,
        Value::String(text) if text == "-inf" => f64::NEG_INFINITY,
        Value::String(text) if text == "nan" => f64::NAN,
        other => panic!("unexpected fixture value {other}"),
    }
}

fn load_fixtures() -> Fixtures {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/metrics.json");
    let text = std::fs::read_to_string(path).unwrap_or_else(|error| {
        panic!("cannot read {path}: {error}. Regenerate it with tests/reference/make_metric_fixtures.py")
    });
    serde_json::from_str(&text).unwrap_or_else(|error| panic!("cannot parse {path}: {error}"))
}

fn close(actual: f64, expected: f64) -> bool {
    (actual - expected).abs() <= TOLERANCE * expected.abs().max(1.0)
}

/// Collects a mismatch between a metric result and the fixture value into `failures`.
fn check_result(
    failures: &mut Vec<String>,
    context: &str,
    actual: &MetricResult,
    expected: Option<f64>,
) {
    match (actual, expected) {
        (Ok(value), Some(expected)) if close(*value, expected) => {}
        (Err(undefined), None) if !undefined.reason.is_empty() => {}
        (actual, expected) => {
            failures.push(format!("{context}: got {actual:?}, expected {expected:?}"))
        }
    }
}

fn check_slice(failures: &mut Vec<String>, context: &str, actual: &[f64], expected: &[f64]) {
    if actual.len() != expected.len() {
        failures.push(format!(
            "{context}: {} points, expected {}",
            actual.len(),
            expected.len()
        ));
        return;
    }
    if let Some(index) = (0..actual.len()).find(|&i| !close(actual[i], expected[i])) {
        failures.push(format!(
            "{context}[{index}]: got {}, expected {}",
            actual[index], expected[index]
        ));
    }
}

fn assert_no_failures(failures: Vec<String>, fixtures: &Fixtures) {
    let versions = &fixtures.versions;
    assert!(
        failures.is_empty(),
        "{} mismatches against scikit-learn {}, SciPy {}, NumPy {}:\n{}",
        failures.len(),
        versions.scikit_learn,
        versions.scipy,
        versions.numpy,
        failures.join("\n")
    );
}

#[test]
fn binary_ranking_metrics() {
    let fixtures = load_fixtures();
    assert!(!fixtures.binary.is_empty());
    let mut failures = Vec::new();
    for case in &fixtures.binary {
        let labels: Vec<bool> = case.labels.iter().map(|&label| label == 1).collect();
        let context = format!("{} auroc", case.name);
        check_result(
            &mut failures,
            &context,
            &auroc(&labels, &case.scores),
            case.auroc,
        );
        let context = format!("{} average_precision", case.name);
        let value = average_precision(&labels, &case.scores);
        check_result(&mut failures, &context, &value, case.average_precision);
    }
    assert_no_failures(failures, &fixtures);
}

#[test]
fn binary_roc_curves() {
    let fixtures = load_fixtures();
    let mut failures = Vec::new();
    let mut checked = 0;
    for case in &fixtures.binary {
        let Some(expected) = &case.roc_curve else {
            continue;
        };
        checked += 1;
        let labels: Vec<bool> = case.labels.iter().map(|&label| label == 1).collect();
        let context = format!("{} roc_curve", case.name);
        match (roc_curve(&labels, &case.scores), expected.defined) {
            (Ok(curve), true) => {
                check_slice(
                    &mut failures,
                    &format!("{context}.fpr"),
                    &curve.fpr,
                    &expected.fpr,
                );
                check_slice(
                    &mut failures,
                    &format!("{context}.tpr"),
                    &curve.tpr,
                    &expected.tpr,
                );
                if curve.thresholds.first() != Some(&f64::INFINITY) {
                    failures.push(format!("{context}: first threshold is not +inf"));
                }
                let after_inf = curve.thresholds.get(1..).unwrap_or_default();
                check_slice(
                    &mut failures,
                    &format!("{context}.thresholds"),
                    after_inf,
                    &expected.thresholds_after_inf,
                );
            }
            (Err(_), false) => {}
            (actual, _) => failures.push(format!(
                "{context}: got {actual:?}, expected defined = {}",
                expected.defined
            )),
        }
    }
    assert!(checked > 0, "no fixture case stores a ROC curve");
    assert_no_failures(failures, &fixtures);
}

#[test]
fn multiclass_one_vs_rest() {
    let fixtures = load_fixtures();
    assert!(!fixtures.multiclass.is_empty());
    let mut failures = Vec::new();
    for case in &fixtures.multiclass {
        let (y_true, scores, n_classes) = (&case.y_true, &case.scores, case.n_classes);
        let per_class = [
            (
                "per_class_auroc",
                per_class_auroc(y_true, scores, n_classes),
                &case.per_class_auroc,
            ),
            (
                "per_class_average_precision",
                per_class_average_precision(y_true, scores, n_classes),
                &case.per_class_average_precision,
            ),
        ];
        for (metric, actual, expected) in per_class {
            assert_eq!(
                actual.len(),
                expected.len(),
                "{} {metric}: class count",
                case.name
            );
            for (class, (actual, expected)) in actual.iter().zip(expected).enumerate() {
                let context = format!("{} {metric}[{class}]", case.name);
                check_result(&mut failures, &context, actual, *expected);
            }
        }

        let context = format!("{} macro_auroc_ovr", case.name);
        let value = macro_auroc_ovr(y_true, scores, n_classes);
        check_result(&mut failures, &context, &value, case.macro_auroc_ovr);
        let context = format!("{} macro_average_precision_ovr", case.name);
        let value = macro_average_precision_ovr(y_true, scores, n_classes);
        check_result(
            &mut failures,
            &context,
            &value,
            case.macro_average_precision_ovr,
        );
    }
    assert_no_failures(failures, &fixtures);
}

#[test]
fn label_metrics() {
    let fixtures = load_fixtures();
    assert!(!fixtures.labels.is_empty());
    let mut failures = Vec::new();
    for case in &fixtures.labels {
        let context = format!("{} accuracy", case.name);
        check_result(
            &mut failures,
            &context,
            &accuracy(&case.y_true, &case.y_pred),
            case.accuracy,
        );
        let context = format!("{} balanced_accuracy", case.name);
        let value = balanced_accuracy(&case.y_true, &case.y_pred);
        check_result(&mut failures, &context, &value, case.balanced_accuracy);
    }
    assert_no_failures(failures, &fixtures);
}

#[test]
fn regression_metrics() {
    let fixtures = load_fixtures();
    assert!(!fixtures.regression.is_empty());
    let mut failures = Vec::new();
    for case in &fixtures.regression {
        let context = format!("{} pearson", case.name);
        check_result(
            &mut failures,
            &context,
            &pearson(&case.x, &case.y),
            case.pearson,
        );
        let context = format!("{} mae", case.name);
        check_result(
            &mut failures,
            &context,
            &mean_absolute_error(&case.x, &case.y),
            case.mae,
        );
    }
    assert_no_failures(failures, &fixtures);
}

/// Checks F1, Dice and the threshold rates of one case.
fn check_predictions(
    failures: &mut Vec<String>,
    name: &str,
    labels: &[bool],
    scores: &[f64],
    threshold: f64,
    expected: &PredictionExpected,
) {
    let predictions: Vec<bool> = scores.iter().map(|&score| score >= threshold).collect();
    let context = format!("{name} f1_score");
    check_result(
        failures,
        &context,
        &f1_score(labels, &predictions),
        expected.f1,
    );
    let context = format!("{name} dice");
    check_result(
        failures,
        &context,
        &dice(labels, &predictions),
        expected.dice,
    );

    let rates = threshold_rates(labels, scores, threshold);
    let checks = [
        ("sensitivity", &rates.sensitivity, expected.sensitivity),
        ("specificity", &rates.specificity, expected.specificity),
        (
            "false_negative_rate",
            &rates.false_negative_rate,
            expected.false_negative_rate,
        ),
        (
            "false_positive_rate",
            &rates.false_positive_rate,
            expected.false_positive_rate,
        ),
    ];
    for (rate, actual, expected) in checks {
        check_result(failures, &format!("{name} {rate}"), actual, expected);
    }
    if (rates.positives, rates.negatives) != (expected.positives, expected.negatives) {
        failures.push(format!(
            "{name}: {} positives and {} negatives, expected {} and {}",
            rates.positives, rates.negatives, expected.positives, expected.negatives
        ));
    }
}

#[test]
fn prediction_metrics() {
    let fixtures = load_fixtures();
    let section = &fixtures.predictions;
    assert!(section.stored.len() > 20, "too few stored prediction cases");
    let mut failures = Vec::new();
    for case in &section.stored {
        let labels: Vec<bool> = case.labels.iter().map(|&label| label == 1).collect();
        check_predictions(
            &mut failures,
            &case.name,
            &labels,
            &case.scores,
            case.threshold,
            &case.expected,
        );
    }
    assert_no_failures(failures, &fixtures);
}

#[test]
fn prediction_metrics_generated() {
    let fixtures = load_fixtures();
    let section = &fixtures.predictions;
    assert!(!section.generated.is_empty());
    let mut failures = Vec::new();
    for case in &section.generated {
        let labels: Vec<bool> = case
            .label_rule
            .generate()
            .iter()
            .map(|&value| value < case.prevalence)
            .collect();
        let scores: Vec<f64> = case
            .score_rule
            .generate()
            .iter()
            .zip(&labels)
            .map(|(&value, &label)| value + case.shift * f64::from(u8::from(label)))
            .collect();
        check_predictions(
            &mut failures,
            &case.name,
            &labels,
            &scores,
            case.threshold,
            &case.expected,
        );
    }
    assert_no_failures(failures, &fixtures);
}

#[test]
fn calibration_error() {
    let fixtures = load_fixtures();
    let section = &fixtures.calibration;
    assert!(
        section.stored.len() > 20,
        "too few stored calibration cases"
    );
    assert!(!section.generated.is_empty());
    let mut failures = Vec::new();
    for case in &section.stored {
        let labels: Vec<bool> = case.labels.iter().map(|&label| label == 1).collect();
        let value = expected_calibration_error(&labels, &case.probabilities, case.bins);
        check_result(&mut failures, &case.name, &value, case.ece);
    }
    for case in &section.generated {
        let probabilities = case.probability_rule.generate();
        let labels: Vec<bool> = case
            .outcome_rule
            .generate()
            .iter()
            .zip(&probabilities)
            .map(|(&uniform, &probability)| uniform < probability * probability)
            .collect();
        let value = expected_calibration_error(&labels, &probabilities, case.bins);
        check_result(&mut failures, &case.name, &value, case.ece);
    }
    assert_no_failures(failures, &fixtures);
}

#[test]
fn spearman_correlation() {
    let fixtures = load_fixtures();
    let section = &fixtures.spearman;
    assert!(section.stored.len() > 20, "too few stored Spearman cases");
    assert!(!section.generated.is_empty());
    let mut failures = Vec::new();
    for case in &section.stored {
        let x: Vec<f64> = case.x.iter().map(decode_value).collect();
        let y: Vec<f64> = case.y.iter().map(decode_value).collect();
        check_result(&mut failures, &case.name, &spearman(&x, &y), case.spearman);
    }
    for case in &section.generated {
        let x = case.x_rule.generate();
        let y: Vec<f64> = x
            .iter()
            .zip(case.noise_rule.generate())
            .map(|(value, noise)| value + noise)
            .collect();
        check_result(&mut failures, &case.name, &spearman(&x, &y), case.spearman);
    }
    assert_no_failures(failures, &fixtures);
}
