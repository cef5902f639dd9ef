//! Mean, standard deviation and Student's t interval of a metric over training seeds.

use std::collections::HashSet;

use statrs::distribution::{Continuous, ContinuousCDF, StudentsT};

use crate::metrics::{MetricResult, Undefined};

/// Summary of one metric over the seeds of repeated training runs.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SeedSummary {
    /// Number of seeds whose value is defined. Only these enter the mean, the standard
    /// deviation and the interval.
    pub seeds: usize,
    /// Mean of the defined values.
    pub mean: f64,
    /// Sample standard deviation of the defined values (ddof = 1), `None` for fewer than 2.
    pub std: Option<f64>,
    /// Lower bound of the t interval for the mean, `None` for fewer than 2 defined values.
    pub ci_low: Option<f64>,
    /// Upper bound of the t interval for the mean, `None` for fewer than 2 defined values.
    pub ci_high: Option<f64>,
    /// Coverage of the interval, strictly between 0 and 1.
    pub confidence: f64,
    /// Seeds whose value is undefined, with the reason, in input order.
    pub undefined: Vec<(u64, String)>,
}

/// Summarises one metric over training seeds: the mean, the sample standard deviation and
/// the Student's t confidence interval for the mean of the defined values.
///
/// `values` contains (seed, result) pairs. An `Err` result, or an `Ok` value that is NaN or
/// infinite, is listed in `undefined` and left out of every statistic. For d defined values
/// with mean m and standard deviation s:
///
/// - `std` equals `numpy.std(values, ddof=1)` (NumPy 2.4);
/// - the interval equals `scipy.stats.t.interval(confidence, d - 1, loc=m,
///   scale=s / sqrt(d))` (SciPy 1.17), that is m -+ t_(1 - (1 - confidence) / 2, d - 1) s /
///   sqrt(d);
/// - with d = 1, `std`, `ci_low` and `ci_high` are `None`, because one value has no spread;
/// - when every defined value is equal, s is 0 and both bounds equal the mean. SciPy
///   returns NaN bounds there, because it requires a positive scale.
///
/// Returns `Undefined` for no seeds, no defined value (the reason names the first undefined
/// seed), a seed that occurs twice, and a confidence outside (0, 1).
pub fn aggregate_seeds(
    values: &[(u64, MetricResult)],
    confidence: f64,
) -> Result<SeedSummary, Undefined> {
    if !(confidence > 0.0 && confidence < 1.0) {
        return Err(Undefined::new(format!(
            "confidence must be strictly between 0 and 1, got {confidence}"
        )));
    }
    if values.is_empty() {
        return Err(Undefined::new("no seeds to aggregate"));
    }
    let mut seen = HashSet::with_capacity(values.len());
    if let Some((seed, _)) = values.iter().find(|(seed, _)| !seen.insert(*seed)) {
        return Err(Undefined::new(format!("seed {seed} occurs more than once")));
    }

    let mut defined = Vec::with_capacity(values.len());
    let mut undefined = Vec::new();
    for (seed, result) in values {
        match result {
            Ok(value) if value.is_finite() => defined.push(*value),
            Ok(value) => undefined.push((*seed, format!("the metric returned {value}"))),
            Err(reason) => undefined.push((*seed, reason.reason.clone())),
        }
    }
    if defined.is_empty() {
        let (seed, reason) = &undefined[0];
        return Err(Undefined::new(format!(
            "the metric is undefined on all {} seeds (seed {seed}: {reason})",
            values.len()
        )));
    }

    let count = defined.len() as f64;
    let mean = defined.iter().sum::<f64>() / count;
    let mut summary = SeedSummary {
        seeds: defined.len(),
        mean,
        std: None,
        ci_low: None,
        ci_high: None,
        confidence,
        undefined,
    };
    if defined.len() < 2 {
        return Ok(summary);
    }

    let squared_deviations: f64 = defined.iter().map(|value| (value - mean).powi(2)).sum();
    let std = (squared_deviations / (count - 1.0)).sqrt();
    let half_width = t_critical_value(confidence, count - 1.0) * std / count.sqrt();
    summary.std = Some(std);
    summary.ci_low = Some(mean - half_width);
    summary.ci_high = Some(mean + half_width);
    Ok(summary)
}

/// Returns the 1 - (1 - confidence) / 2 quantile of Student's t with `freedom` degrees of
/// freedom.
///
/// statrs 0.18 inverts the CDF through its inverse regularized incomplete beta function.
/// Three Newton steps on the survival function refine that start, and the tests check the
/// result against SciPy to 1e-12 relative.
fn t_critical_value(confidence: f64, freedom: f64) -> f64 {
    let distribution = StudentsT::new(0.0, 1.0, freedom).expect("freedom is at least 1");
    let tail = (1.0 - confidence) / 2.0;
    // Upper-tail form, P(T > t) = tail, keeps full relative precision for small tails.
    let mut quantile = -distribution.inverse_cdf(tail);
    for _ in 0..3 {
        let residual = distribution.sf(quantile) - tail;
        let density = distribution.pdf(quantile);
        if density <= 0.0 || residual == 0.0 {
            break;
        }
        quantile += residual / density;
    }
    quantile
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(actual: f64, expected: f64, tolerance: f64) -> bool {
        (actual - expected).abs() <= tolerance * expected.abs().max(1.0)
    }

    #[test]
    fn t_quantiles_match_scipy() {
        // Expected values from scipy.stats.t.ppf(1 - (1 - confidence) / 2, df), SciPy 1.17.1.
        let cases = [
            (0.95, 1.0, 12.706204736174694),
            (0.95, 4.0, 2.7764451051977934),
            (0.9, 2.0, 2.9199855803537242),
            (0.99, 9.0, 3.249835541592126),
            (0.5, 29.0, 0.6830438608216131),
            (0.999, 3.0, 12.923978636687961),
        ];
        for (confidence, freedom, expected) in cases {
            let value = t_critical_value(confidence, freedom);
            assert!(
                close(value, expected, 1e-12),
                "confidence {confidence}, df {freedom}: {value} != {expected}"
            );
        }
    }

    #[test]
    fn five_seeds_match_numpy_and_scipy() {
        // Expected: numpy.mean, numpy.std(ddof=1) and scipy.stats.t.interval(0.95, 4,
        // loc=mean, scale=std / sqrt(5)), NumPy 2.4.6 and SciPy 1.17.1.
        let values: Vec<(u64, MetricResult)> = [0.81, 0.84, 0.79, 0.86, 0.83]
            .iter()
            .enumerate()
            .map(|(seed, &value)| (seed as u64, Ok(value)))
            .collect();
        let summary = aggregate_seeds(&values, 0.95).unwrap();
        assert_eq!(summary.seeds, 5);
        assert!(close(summary.mean, 0.826, 1e-12), "{summary:?}");
        assert!(
            close(summary.std.unwrap(), 0.02701851217221256, 1e-12),
            "{summary:?}"
        );
        assert!(
            close(summary.ci_low.unwrap(), 0.7924520861507335, 1e-12),
            "{summary:?}"
        );
        assert!(
            close(summary.ci_high.unwrap(), 0.8595479138492664, 1e-12),
            "{summary:?}"
        );
        assert!(summary.undefined.is_empty());
    }

    #[test]
    fn undefined_seeds_listed_not_averaged() {
        let values = vec![
            (10, Ok(1.0)),
            (
                11,
                Err(Undefined::new("only one class present (0 positives of 5)")),
            ),
            (12, Ok(3.0)),
            (13, Ok(f64::NAN)),
        ];
        let summary = aggregate_seeds(&values, 0.9).unwrap();
        assert_eq!(summary.seeds, 2);
        assert_eq!(summary.mean, 2.0);
        assert_eq!(summary.std, Some(std::f64::consts::SQRT_2));
        assert_eq!(
            summary.undefined,
            vec![
                (11, "only one class present (0 positives of 5)".to_string()),
                (13, "the metric returned NaN".to_string()),
            ]
        );
        assert_eq!(summary.confidence, 0.9);
    }

    #[test]
    fn one_defined_seed_has_no_spread() {
        let values = vec![(1, Ok(0.7)), (2, Err(Undefined::new("no positive")))];
        let summary = aggregate_seeds(&values, 0.95).unwrap();
        assert_eq!(summary.seeds, 1);
        assert_eq!(summary.mean, 0.7);
        assert_eq!(summary.std, None);
        assert_eq!(summary.ci_low, None);
        assert_eq!(summary.ci_high, None);
        let json = serde_json::to_value(&summary).unwrap();
        assert!(json["std"].is_null(), "{json}");
        assert!(json["ci_low"].is_null(), "{json}");
    }

    #[test]
    fn equal_values_collapse_interval() {
        let values = vec![(1, Ok(0.5)), (2, Ok(0.5)), (3, Ok(0.5))];
        let summary = aggregate_seeds(&values, 0.95).unwrap();
        assert_eq!(summary.std, Some(0.0));
        assert_eq!(summary.ci_low, Some(0.5));
        assert_eq!(summary.ci_high, Some(0.5));
    }

    #[test]
    fn undefined_summaries() {
        let cases: [(Vec<(u64, MetricResult)>, f64, &str); 6] = [
            (vec![], 0.95, "no seeds to aggregate"),
            (
                vec![
                    (4, Err(Undefined::new("x is constant"))),
                    (5, Ok(f64::INFINITY)),
                ],
                0.95,
                "the metric is undefined on all 2 seeds (seed 4: x is constant)",
            ),
            (
                vec![(1, Ok(0.1)), (2, Ok(0.2)), (1, Ok(0.3))],
                0.95,
                "seed 1 occurs more than once",
            ),
            (
                vec![(1, Ok(0.1))],
                1.0,
                "confidence must be strictly between 0 and 1, got 1",
            ),
            (
                vec![(1, Ok(0.1))],
                0.0,
                "confidence must be strictly between 0 and 1, got 0",
            ),
            (
                vec![(1, Ok(0.1))],
                f64::NAN,
                "confidence must be strictly between 0 and 1, got NaN",
            ),
        ];
        for (values, confidence, reason) in cases {
            assert_eq!(
                aggregate_seeds(&values, confidence),
                Err(Undefined::new(reason)),
                "{values:?} at {confidence}"
            );
        }
    }

    #[test]
    fn interval_is_symmetric_about_mean() {
        let values: Vec<(u64, MetricResult)> = (0..7u32)
            .map(|seed| (u64::from(seed), Ok(f64::from(seed).sqrt())))
            .collect();
        let summary = aggregate_seeds(&values, 0.8).unwrap();
        let (low, high) = (summary.ci_low.unwrap(), summary.ci_high.unwrap());
        assert!(
            close(summary.mean - low, high - summary.mean, 1e-14),
            "{summary:?}"
        );
        assert!(low < summary.mean, "{summary:?}");
    }
}
