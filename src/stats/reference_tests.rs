//! Checks the statistical tests, corrections and BCa intervals against
//! `tests/fixtures/stats.json`, the SciPy and NumPy results written by
//! `tests/reference/make_stats_fixtures.py`.
//!
//! An expected value of null means that the Rust function must return `Undefined`.

use serde::Deserialize;
use serde_json::Value;

use super::bca::bca_bounds;
use super::*;
use crate::metrics::{auroc, MetricResult};

/// Maximum difference of a statistic, absolute below 1 and relative above.
const STATISTIC_TOLERANCE: f64 = 1e-9;
/// Maximum relative difference of a p-value.
const P_VALUE_TOLERANCE: f64 = 1e-7;

#[derive(Deserialize)]
struct Fixtures {
    versions: Versions,
    mann_whitney: Vec<MannWhitneyCase>,
    mann_whitney_generated: Vec<GeneratedMannWhitneyCase>,
    delong: Vec<DeLongCase>,
    correction: Vec<CorrectionCase>,
    bca_acceleration: Vec<AccelerationCase>,
    bca_scipy: Vec<ScipyBcaCase>,
    seeds: Vec<SeedCase>,
}

#[derive(Deserialize)]
struct Versions {
    numpy: String,
    scipy: String,
}

#[derive(Deserialize)]
struct MannWhitneyCase {
    name: String,
    /// Numbers, or the strings "inf", "-inf" and "nan".
    x: Vec<Value>,
    y: Vec<Value>,
    /// "exact" or "asymptotic", or null when the test is undefined.
    auto_method: Option<String>,
    results: Vec<MannWhitneyResult>,
}

#[derive(Deserialize)]
struct MannWhitneyResult {
    alternative: String,
    method: String,
    expected: Option<StatisticAndPValue>,
}

#[derive(Deserialize)]
struct StatisticAndPValue {
    statistic: f64,
    p_value: f64,
}

#[derive(Deserialize)]
struct GeneratedMannWhitneyCase {
    name: String,
    x_rule: SampleRule,
    y_rule: SampleRule,
    x_sum: f64,
    y_sum: f64,
    results: Vec<MannWhitneyResult>,
}

/// The sample ((i * multiplier) mod modulus + offset) / divisor for i in 0..size.
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

#[derive(Deserialize)]
struct DeLongCase {
    name: String,
    labels: Vec<u8>,
    scores_a: Vec<f64>,
    scores_b: Vec<f64>,
    test: Option<DeLongExpected>,
    interval_a: Option<Vec<IntervalExpected>>,
}

#[derive(Deserialize)]
struct DeLongExpected {
    auc_a: f64,
    auc_b: f64,
    variance_a: f64,
    variance_b: f64,
    covariance: f64,
    z: f64,
    p_value: f64,
}

#[derive(Deserialize)]
struct IntervalExpected {
    confidence: f64,
    auc: f64,
    lower: f64,
    upper: f64,
}

#[derive(Deserialize)]
struct CorrectionCase {
    name: String,
    p_values: Vec<Value>,
    holm: Option<Vec<f64>>,
    fdr_bh: Option<Vec<f64>>,
}

#[derive(Deserialize)]
struct AccelerationCase {
    name: String,
    /// "mean" of `values` or "auroc" of `labels` and `scores`.
    statistic: String,
    clusters: Vec<u64>,
    #[serde(default)]
    values: Vec<f64>,
    #[serde(default)]
    labels: Vec<u8>,
    #[serde(default)]
    scores: Vec<f64>,
    acceleration: f64,
}

#[derive(Deserialize)]
struct ScipyBcaCase {
    name: String,
    data: Vec<f64>,
    estimate: f64,
    replicates: Vec<f64>,
    intervals: Vec<ScipyInterval>,
}

#[derive(Deserialize)]
struct ScipyInterval {
    confidence: f64,
    low: f64,
    high: f64,
}

#[derive(Deserialize)]
struct SeedCase {
    name: String,
    seed_ids: Vec<u64>,
    /// A null value is a seed whose metric is undefined.
    values: Vec<Option<f64>>,
    confidence: f64,
    expected: Option<SeedExpected>,
}

#[derive(Deserialize)]
struct SeedExpected {
    seeds: usize,
    mean: f64,
    std: Option<f64>,
    ci_low: Option<f64>,
    ci_high: Option<f64>,
}

fn load_fixtures() -> Fixtures {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/stats.json");
    let text = std::fs::read_to_string(path).unwrap_or_else(|error| {
        panic!("cannot read {path}: {error}. Regenerate it with tests/reference/make_stats_fixtures.py")
    });
    serde_json::from_str(&text).unwrap_or_else(|error| panic!("cannot parse {path}: {error}"))
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

fn decode_values(values: &[Value]) -> Vec<f64> {
    values.iter().map(decode_value).collect()
}

fn labels_of(labels: &[u8]) -> Vec<bool> {
    labels.iter().map(|&label| label == 1).collect()
}

fn close_statistic(actual: f64, expected: f64) -> bool {
    (actual - expected).abs() <= STATISTIC_TOLERANCE * expected.abs().max(1.0)
}

/// Compares p-values relatively. Values below the smallest normal f64 count as equal,
/// because SciPy and statrs underflow at slightly different points.
fn close_p_value(actual: f64, expected: f64) -> bool {
    (actual - expected).abs() <= P_VALUE_TOLERANCE * expected.abs() + f64::MIN_POSITIVE
}

fn check(
    failures: &mut Vec<String>,
    context: &str,
    actual: f64,
    expected: f64,
    close: fn(f64, f64) -> bool,
) {
    if !close(actual, expected) {
        failures.push(format!("{context}: got {actual:e}, expected {expected:e}"));
    }
}

fn assert_no_failures(failures: Vec<String>, fixtures: &Fixtures) {
    let versions = &fixtures.versions;
    assert!(
        failures.is_empty(),
        "{} mismatches against SciPy {}, NumPy {}:\n{}",
        failures.len(),
        versions.scipy,
        versions.numpy,
        failures.join("\n")
    );
}

fn parse_alternative(name: &str) -> Alternative {
    match name {
        "two-sided" => Alternative::TwoSided,
        "less" => Alternative::Less,
        "greater" => Alternative::Greater,
        other => panic!("unknown alternative {other:?} in fixture"),
    }
}

fn parse_method(name: &str) -> Method {
    match name {
        "auto" => Method::Auto,
        "exact" => Method::Exact,
        "asymptotic" => Method::Asymptotic,
        other => panic!("unknown method {other:?} in fixture"),
    }
}

/// Checks every alternative and method stored for one pair of samples.
fn check_mann_whitney(
    failures: &mut Vec<String>,
    name: &str,
    x: &[f64],
    y: &[f64],
    auto_method: Option<&str>,
    results: &[MannWhitneyResult],
) {
    for result in results {
        let alternative = parse_alternative(&result.alternative);
        let method = parse_method(&result.method);
        let context = format!("{name} ({}, {})", result.alternative, result.method);
        let actual = mann_whitney_u(x, y, alternative, method);
        match (actual, &result.expected) {
            (Ok(actual), Some(expected)) => {
                check(
                    failures,
                    &format!("{context} statistic"),
                    actual.statistic,
                    expected.statistic,
                    close_statistic,
                );
                check(
                    failures,
                    &format!("{context} p-value"),
                    actual.p_value,
                    expected.p_value,
                    close_p_value,
                );
                let expected_method = match (method, auto_method) {
                    (Method::Auto, Some(chosen)) => parse_method(chosen),
                    (Method::Auto, None) => Method::Auto,
                    (explicit, _) => explicit,
                };
                if actual.method != expected_method {
                    failures.push(format!(
                        "{context}: used {:?}, expected {expected_method:?}",
                        actual.method
                    ));
                }
            }
            (Err(undefined), None) if !undefined.reason.is_empty() => {}
            (actual, expected) => failures.push(format!(
                "{context}: got {actual:?}, expected {}",
                if expected.is_some() {
                    "a value"
                } else {
                    "Undefined"
                }
            )),
        }
    }
}

#[test]
fn mann_whitney_matches_scipy() {
    let fixtures = load_fixtures();
    assert!(!fixtures.mann_whitney.is_empty());
    let mut failures = Vec::new();
    let mut checked = 0;
    for case in &fixtures.mann_whitney {
        let x = decode_values(&case.x);
        let y = decode_values(&case.y);
        check_mann_whitney(
            &mut failures,
            &case.name,
            &x,
            &y,
            case.auto_method.as_deref(),
            &case.results,
        );
        checked += case.results.len();
    }
    assert!(
        checked > 200,
        "only {checked} Mann-Whitney results in the fixture"
    );
    assert_no_failures(failures, &fixtures);
}

#[test]
fn mann_whitney_generated_samples() {
    let fixtures = load_fixtures();
    assert!(!fixtures.mann_whitney_generated.is_empty());
    let mut failures = Vec::new();
    for case in &fixtures.mann_whitney_generated {
        let x = case.x_rule.generate();
        let y = case.y_rule.generate();
        // The sums differ from NumPy's pairwise sums only by rounding.
        let x_sum: f64 = x.iter().sum();
        let y_sum: f64 = y.iter().sum();
        check(
            &mut failures,
            &format!("{} x sum", case.name),
            x_sum,
            case.x_sum,
            close_statistic,
        );
        check(
            &mut failures,
            &format!("{} y sum", case.name),
            y_sum,
            case.y_sum,
            close_statistic,
        );
        check_mann_whitney(
            &mut failures,
            &case.name,
            &x,
            &y,
            Some("asymptotic"),
            &case.results,
        );
    }
    assert_no_failures(failures, &fixtures);
}

/// Compares a variance or covariance relative to the larger of the two variances.
fn check_variance(
    failures: &mut Vec<String>,
    context: &str,
    actual: f64,
    expected: f64,
    scale: f64,
) {
    if (actual - expected).abs() > STATISTIC_TOLERANCE * scale.max(f64::MIN_POSITIVE) {
        failures.push(format!("{context}: got {actual:e}, expected {expected:e}"));
    }
}

#[test]
fn delong_matches_structural_components() {
    let fixtures = load_fixtures();
    assert!(!fixtures.delong.is_empty());
    let mut failures = Vec::new();
    for case in &fixtures.delong {
        let labels = labels_of(&case.labels);
        let name = &case.name;
        match (
            delong_test(&labels, &case.scores_a, &case.scores_b),
            &case.test,
        ) {
            (Ok(actual), Some(expected)) => {
                check(
                    &mut failures,
                    &format!("{name} auc_a"),
                    actual.auc_a,
                    expected.auc_a,
                    close_statistic,
                );
                check(
                    &mut failures,
                    &format!("{name} auc_b"),
                    actual.auc_b,
                    expected.auc_b,
                    close_statistic,
                );
                let scale = expected.variance_a.max(expected.variance_b);
                check_variance(
                    &mut failures,
                    &format!("{name} variance_a"),
                    actual.variance_a,
                    expected.variance_a,
                    scale,
                );
                check_variance(
                    &mut failures,
                    &format!("{name} variance_b"),
                    actual.variance_b,
                    expected.variance_b,
                    scale,
                );
                check_variance(
                    &mut failures,
                    &format!("{name} covariance"),
                    actual.covariance,
                    expected.covariance,
                    scale,
                );
                check(
                    &mut failures,
                    &format!("{name} z"),
                    actual.z,
                    expected.z,
                    close_statistic,
                );
                check(
                    &mut failures,
                    &format!("{name} p-value"),
                    actual.p_value,
                    expected.p_value,
                    close_p_value,
                );
            }
            (Err(undefined), None) if !undefined.reason.is_empty() => {}
            (actual, expected) => failures.push(format!(
                "{name} delong_test: got {actual:?}, expected {}",
                if expected.is_some() {
                    "a value"
                } else {
                    "Undefined"
                }
            )),
        }

        let Some(intervals) = &case.interval_a else {
            let actual = delong_interval(&labels, &case.scores_a, 0.95);
            if actual.is_ok() {
                failures.push(format!(
                    "{name} delong_interval: got {actual:?}, expected Undefined"
                ));
            }
            continue;
        };
        for expected in intervals {
            let context = format!("{name} delong_interval({})", expected.confidence);
            match delong_interval(&labels, &case.scores_a, expected.confidence) {
                Ok((auc, lower, upper)) => {
                    check(
                        &mut failures,
                        &format!("{context} auc"),
                        auc,
                        expected.auc,
                        close_statistic,
                    );
                    check(
                        &mut failures,
                        &format!("{context} lower"),
                        lower,
                        expected.lower,
                        close_statistic,
                    );
                    check(
                        &mut failures,
                        &format!("{context} upper"),
                        upper,
                        expected.upper,
                        close_statistic,
                    );
                }
                Err(undefined) => failures.push(format!("{context}: got {undefined:?}")),
            }
        }
    }
    assert_no_failures(failures, &fixtures);
}

/// Signature of `holm` and `benjamini_hochberg`.
type Adjustment = fn(&[f64]) -> Result<Vec<f64>, crate::metrics::Undefined>;

#[test]
fn corrections_match_reference() {
    let fixtures = load_fixtures();
    assert!(!fixtures.correction.is_empty());
    let mut failures = Vec::new();
    for case in &fixtures.correction {
        let p_values = decode_values(&case.p_values);
        let methods: [(&str, Adjustment, &Option<Vec<f64>>); 2] = [
            ("holm", holm, &case.holm),
            ("fdr_bh", benjamini_hochberg, &case.fdr_bh),
        ];
        for (method, adjust, expected) in methods {
            let context = format!("{} {method}", case.name);
            match (adjust(&p_values), expected) {
                (Ok(actual), Some(expected)) => {
                    if actual.len() != expected.len() {
                        failures.push(format!(
                            "{context}: {} values, expected {}",
                            actual.len(),
                            expected.len()
                        ));
                        continue;
                    }
                    for (index, (&value, &expected)) in actual.iter().zip(expected).enumerate() {
                        check(
                            &mut failures,
                            &format!("{context}[{index}]"),
                            value,
                            expected,
                            close_p_value,
                        );
                    }
                }
                (Err(undefined), None) if !undefined.reason.is_empty() => {}
                (actual, _) => failures.push(format!("{context}: got {actual:?}")),
            }
        }
    }
    assert_no_failures(failures, &fixtures);
}

#[test]
fn jackknife_acceleration_matches_numpy() {
    let fixtures = load_fixtures();
    assert!(!fixtures.bca_acceleration.is_empty());
    let mut failures = Vec::new();
    for case in &fixtures.bca_acceleration {
        let labels = labels_of(&case.labels);
        let mean = |indices: &[usize]| -> MetricResult {
            let sum: f64 = indices.iter().map(|&index| case.values[index]).sum();
            Ok(sum / indices.len() as f64)
        };
        let area = |indices: &[usize]| -> MetricResult {
            let labels: Vec<bool> = indices.iter().map(|&index| labels[index]).collect();
            let scores: Vec<f64> = indices.iter().map(|&index| case.scores[index]).collect();
            auroc(&labels, &scores)
        };
        let actual = match case.statistic.as_str() {
            "mean" => jackknife_acceleration(&case.clusters, mean),
            "auroc" => jackknife_acceleration(&case.clusters, area),
            other => panic!("unknown statistic {other:?} in fixture"),
        };
        match actual {
            Ok(value) => check(
                &mut failures,
                &case.name,
                value,
                case.acceleration,
                close_statistic,
            ),
            Err(undefined) => failures.push(format!("{}: got {undefined:?}", case.name)),
        }
    }
    assert_no_failures(failures, &fixtures);
}

#[test]
fn bca_bounds_match_scipy() {
    let fixtures = load_fixtures();
    assert!(!fixtures.bca_scipy.is_empty());
    let mut failures = Vec::new();
    for case in &fixtures.bca_scipy {
        let clusters: Vec<u64> = (0..case.data.len() as u64).collect();
        let mean = |indices: &[usize]| -> MetricResult {
            let sum: f64 = indices.iter().map(|&index| case.data[index]).sum();
            Ok(sum / indices.len() as f64)
        };
        let acceleration = jackknife_acceleration(&clusters, mean).unwrap();
        let mut sorted = case.replicates.clone();
        sorted.sort_unstable_by(f64::total_cmp);
        for expected in &case.intervals {
            let context = format!("{} at {}", case.name, expected.confidence);
            match bca_bounds(&sorted, case.estimate, acceleration, expected.confidence) {
                Ok((lower, upper)) => {
                    check(
                        &mut failures,
                        &format!("{context} lower"),
                        lower,
                        expected.low,
                        close_statistic,
                    );
                    check(
                        &mut failures,
                        &format!("{context} upper"),
                        upper,
                        expected.high,
                        close_statistic,
                    );
                }
                Err(undefined) => failures.push(format!("{context}: got {undefined:?}")),
            }
        }
    }
    assert_no_failures(failures, &fixtures);
}

/// Compares an optional statistic, where `None` must match `None`.
fn check_option(
    failures: &mut Vec<String>,
    context: &str,
    actual: Option<f64>,
    expected: Option<f64>,
) {
    match (actual, expected) {
        (Some(actual), Some(expected)) => {
            check(failures, context, actual, expected, close_statistic)
        }
        (None, None) => {}
        (actual, expected) => {
            failures.push(format!("{context}: got {actual:?}, expected {expected:?}"))
        }
    }
}

#[test]
fn seed_summary_matches_numpy_and_scipy() {
    let fixtures = load_fixtures();
    assert!(fixtures.seeds.len() > 30, "too few seed cases");
    let mut failures = Vec::new();
    for case in &fixtures.seeds {
        let values: Vec<(u64, MetricResult)> = case
            .seed_ids
            .iter()
            .zip(&case.values)
            .map(|(&seed, value)| {
                let result =
                    value.ok_or_else(|| crate::metrics::Undefined::new("undefined in the fixture"));
                (seed, result)
            })
            .collect();
        let name = &case.name;
        match (aggregate_seeds(&values, case.confidence), &case.expected) {
            (Ok(actual), Some(expected)) => {
                if actual.seeds != expected.seeds {
                    failures.push(format!(
                        "{name}: {} seeds, expected {}",
                        actual.seeds, expected.seeds
                    ));
                }
                let undefined_seeds: Vec<u64> =
                    actual.undefined.iter().map(|(seed, _)| *seed).collect();
                let expected_undefined: Vec<u64> = case
                    .seed_ids
                    .iter()
                    .zip(&case.values)
                    .filter(|(_, value)| value.is_none())
                    .map(|(&seed, _)| seed)
                    .collect();
                if undefined_seeds != expected_undefined {
                    failures.push(format!("{name}: undefined seeds {undefined_seeds:?}, expected {expected_undefined:?}"));
                }
                check(
                    &mut failures,
                    &format!("{name} mean"),
                    actual.mean,
                    expected.mean,
                    close_statistic,
                );
                check_option(
                    &mut failures,
                    &format!("{name} std"),
                    actual.std,
                    expected.std,
                );
                check_option(
                    &mut failures,
                    &format!("{name} ci_low"),
                    actual.ci_low,
                    expected.ci_low,
                );
                check_option(
                    &mut failures,
                    &format!("{name} ci_high"),
                    actual.ci_high,
                    expected.ci_high,
                );
            }
            (Err(undefined), None) if !undefined.reason.is_empty() => {}
            (actual, expected) => failures.push(format!(
                "{name}: got {actual:?}, expected {}",
                if expected.is_some() {
                    "a summary"
                } else {
                    "Undefined"
                }
            )),
        }
    }
    assert_no_failures(failures, &fixtures);
}
