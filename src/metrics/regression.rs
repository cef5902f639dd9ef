//! Pearson correlation and mean absolute error for continuous targets.

use super::undefined::{assert_same_length, check_finite, MetricResult, Undefined};

/// Computes the Pearson correlation coefficient r, equal to the statistic of
/// `scipy.stats.pearsonr` (SciPy 1.17).
///
/// Like SciPy, this centers both inputs, divides each by its norm, takes the dot product
/// and clips it to [-1, 1].
///
/// Returns `Undefined` for fewer than 2 samples (SciPy raises), a non-finite value, or an
/// input whose values are all equal (SciPy warns and returns NaN). Inputs near the largest
/// f64 get a value here, where SciPy's mean overflows and it returns NaN.
///
/// # Panics
/// Panics if `x` and `y` differ in length.
pub fn pearson(x: &[f64], y: &[f64]) -> MetricResult {
    assert_same_length("x", x.len(), "y", y.len());
    if x.len() < 2 {
        return Err(Undefined::new(format!(
            "Pearson r needs at least 2 samples, got {}",
            x.len()
        )));
    }
    check_finite("x", x)?;
    check_finite("y", y)?;
    if x.iter().all(|&value| value == x[0]) {
        return Err(Undefined::new(format!(
            "x is constant (every value is {})",
            x[0]
        )));
    }
    if y.iter().all(|&value| value == y[0]) {
        return Err(Undefined::new(format!(
            "y is constant (every value is {})",
            y[0]
        )));
    }

    let x_unit = unit_deviations(x);
    let y_unit = unit_deviations(y);
    let r: f64 = x_unit.iter().zip(&y_unit).map(|(a, b)| a * b).sum();
    Ok(r.clamp(-1.0, 1.0))
}

/// Returns the deviations from the mean divided by their Euclidean norm.
///
/// The values are first divided by their largest absolute value, which leaves r unchanged
/// and keeps the sum, the deviations and their squares from overflowing or underflowing.
/// The input must not be constant, so the norm is positive.
fn unit_deviations(values: &[f64]) -> Vec<f64> {
    let max_abs = values
        .iter()
        .fold(0.0_f64, |max, value| max.max(value.abs()));
    let scaled: Vec<f64> = values.iter().map(|value| value / max_abs).collect();
    let mean = scaled.iter().sum::<f64>() / scaled.len() as f64;
    let deviations: Vec<f64> = scaled.iter().map(|value| value - mean).collect();
    let norm = deviations
        .iter()
        .map(|value| value * value)
        .sum::<f64>()
        .sqrt();
    deviations.iter().map(|value| value / norm).collect()
}

/// Computes the mean of |y_true - y_pred|, equal to `sklearn.metrics.mean_absolute_error`
/// (scikit-learn 1.9).
///
/// Returns `Undefined` for empty input or a non-finite value (scikit-learn raises for both).
///
/// # Panics
/// Panics if `y_true` and `y_pred` differ in length.
pub fn mean_absolute_error(y_true: &[f64], y_pred: &[f64]) -> MetricResult {
    assert_same_length("y_true", y_true.len(), "y_pred", y_pred.len());
    check_finite("y_true", y_true)?;
    check_finite("y_pred", y_pred)?;
    let total: f64 = y_true
        .iter()
        .zip(y_pred)
        .map(|(truth, prediction)| (truth - prediction).abs())
        .sum();
    Ok(total / y_true.len() as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pearson_table() {
        // Expected values from scipy.stats.pearsonr(x, y).statistic, SciPy 1.17.1.
        let cases: [(&[f64], &[f64], f64); 6] = [
            (
                &[1.0, 2.0, 3.0, 4.0, 5.0],
                &[10.0, 9.0, 2.5, 6.0, 4.0],
                -0.7426106572325056,
            ),
            (&[1.0, 2.0], &[5.0, 3.0], -1.0),
            (&[0.0, 1.0, 2.0], &[1.0, 3.0, 5.0], 0.9999999999999998),
            (&[1.0, 2.0, 3.0, 4.0], &[1.0, 3.0, 2.0, 4.0], 0.8),
            (&[1e300, -1e300, 5e299], &[1.0, 0.0, 2.0], 0.720576692122892),
            (
                &[1e-300, 3e-300, 2e-300],
                &[2.0, 1.0, 4.0],
                -0.3273268353539886,
            ),
        ];
        for (x, y, expected) in cases {
            let value = pearson(x, y).unwrap();
            assert!(
                (value - expected).abs() < 1e-12,
                "x {x:?}: {value} != {expected}"
            );
        }
    }

    #[test]
    fn pearson_near_max_float() {
        // SciPy 1.17.1 returns NaN here because its mean overflows. The expected value is
        // scipy.stats.pearsonr([1.7, 1.7, 1.0], [1, 2, 3]).statistic, since r ignores the scale.
        let value = pearson(&[1.7e308, 1.7e308, 1e308], &[1.0, 2.0, 3.0]).unwrap();
        assert!((value - -0.8660254037844385).abs() < 1e-12, "{value}");
    }

    #[test]
    fn pearson_undefined_cases() {
        let cases: [(&[f64], &[f64], &str); 4] = [
            (&[1.0], &[2.0], "Pearson r needs at least 2 samples, got 1"),
            (
                &[3.0, 3.0, 3.0],
                &[1.0, 2.0, 3.0],
                "x is constant (every value is 3)",
            ),
            (
                &[1.0, 2.0, 3.0],
                &[0.5, 0.5, 0.5],
                "y is constant (every value is 0.5)",
            ),
            (
                &[1.0, f64::NAN],
                &[1.0, 2.0],
                "x contains the non-finite value NaN at index 1",
            ),
        ];
        for (x, y, reason) in cases {
            assert_eq!(
                pearson(x, y),
                Err(Undefined::new(reason)),
                "x {x:?}, y {y:?}"
            );
        }
    }

    #[test]
    fn mean_absolute_error_table() {
        // Expected values from sklearn.metrics.mean_absolute_error, scikit-learn 1.9.1.
        let cases: [(&[f64], &[f64], f64); 3] = [
            (&[3.0, -0.5, 2.0, 7.0], &[2.5, 0.0, 2.0, 8.0], 0.5),
            (&[1.0], &[1.0], 0.0),
            (&[0.0, 0.0], &[-1.0, 3.0], 2.0),
        ];
        for (y_true, y_pred, expected) in cases {
            let value = mean_absolute_error(y_true, y_pred).unwrap();
            assert!(
                (value - expected).abs() < 1e-12,
                "y_true {y_true:?}: {value} != {expected}"
            );
        }
    }

    #[test]
    fn mean_absolute_error_undefined_cases() {
        assert_eq!(
            mean_absolute_error(&[], &[]),
            Err(Undefined::new("y_true is empty"))
        );
        assert_eq!(
            mean_absolute_error(&[1.0], &[f64::INFINITY]),
            Err(Undefined::new(
                "y_pred contains the non-finite value inf at index 0"
            ))
        );
    }

    #[test]
    #[should_panic(expected = "x has 2 elements but y has 3")]
    fn pearson_length_mismatch_panics() {
        let _ = pearson(&[1.0, 2.0], &[1.0, 2.0, 3.0]);
    }
}
