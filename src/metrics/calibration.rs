//! Expected calibration error (ECE) of predicted probabilities for a binary outcome.

use super::undefined::{assert_same_length, MetricResult, Undefined};

/// Computes the expected calibration error with `bins` equal-width bins on [0, 1]:
/// the sum over bins B of |B| / n * |mean of y_true in B - mean of probabilities in B|.
/// Empty bins add nothing.
///
/// This is the common binned L1 definition, applied to the probability of the positive
/// class. The bins are those of
/// `numpy.histogram(probabilities, bins=bins, range=(0, 1))` (NumPy 2.4): the edges are
/// `numpy.linspace(0, 1, bins + 1)`, each bin is [lower, upper), and the last bin is
/// [lower, 1], closed. The per-bin means are those that
/// `sklearn.calibration.calibration_curve(strategy="uniform")` (scikit-learn 1.9) returns,
/// but scikit-learn closes its bins on the right, (lower, upper], so a probability equal to
/// an interior edge falls one bin lower there than here.
///
/// Returns `Undefined` for empty input, `bins` of 0, and a probability that is NaN or
/// outside [0, 1], naming its index. One class only is allowed.
///
/// # Panics
/// Panics if `y_true` and `probabilities` differ in length.
pub fn expected_calibration_error(
    y_true: &[bool],
    probabilities: &[f64],
    bins: usize,
) -> MetricResult {
    assert_same_length("y_true", y_true.len(), "probabilities", probabilities.len());
    if probabilities.is_empty() {
        return Err(Undefined::new("probabilities is empty"));
    }
    if bins == 0 {
        return Err(Undefined::new(
            "the calibration error needs at least 1 bin, got 0",
        ));
    }
    if let Some(index) = probabilities
        .iter()
        .position(|probability| !(0.0..=1.0).contains(probability))
    {
        return Err(Undefined::new(format!(
            "probabilities contains {} at index {index}, outside [0, 1]",
            probabilities[index]
        )));
    }

    let interior_edges = interior_bin_edges(bins);
    let mut counts = vec![0u64; bins];
    let mut positives = vec![0u64; bins];
    let mut probability_sums = vec![0.0f64; bins];
    for (&label, &probability) in y_true.iter().zip(probabilities) {
        let bin = interior_edges.partition_point(|&edge| edge <= probability);
        counts[bin] += 1;
        positives[bin] += u64::from(label);
        probability_sums[bin] += probability;
    }

    let total = probabilities.len() as f64;
    let mut error = 0.0;
    for bin in 0..bins {
        if counts[bin] == 0 {
            continue;
        }
        let count = counts[bin] as f64;
        let observed = positives[bin] as f64 / count;
        let predicted = probability_sums[bin] / count;
        error += count / total * (observed - predicted).abs();
    }
    Ok(error)
}

/// Returns the edges between bins, `numpy.linspace(0, 1, bins + 1)[1:-1]`.
///
/// NumPy computes edge k as k * (1 / bins), so edge 3 of 10 bins is 0.30000000000000004
/// and a probability of 0.3 lies in bin 2. Computing the edges the same way keeps every
/// probability in NumPy's bin.
fn interior_bin_edges(bins: usize) -> Vec<f64> {
    let step = 1.0 / bins as f64;
    (1..bins).map(|k| k as f64 * step).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edges_match_numpy_linspace() {
        // numpy.linspace(0, 1, 11)[1:-1], NumPy 2.4.6.
        let expected = [
            0.1,
            0.2,
            0.30000000000000004,
            0.4,
            0.5,
            0.6000000000000001,
            0.7000000000000001,
            0.8,
            0.9,
        ];
        assert_eq!(interior_bin_edges(10), expected);
        assert!(interior_bin_edges(1).is_empty());
    }

    #[test]
    fn hand_computed_table() {
        let cases: [(&[bool], &[f64], usize, f64); 4] = [
            // Two bins: [0, 0.5) contains 0.1 (negative) and 0.3 (positive), mean 0.2 against a
            // positive rate of 0.5. [0.5, 1] contains 0.8 and 1.0, both positive, mean 0.9.
            // ECE = 0.5 * 0.3 + 0.5 * 0.1.
            (&[false, true, true, true], &[0.1, 0.3, 0.8, 1.0], 2, 0.2),
            // One bin: |mean(y) - mean(p)|.
            (&[true, false, false], &[0.9, 0.6, 0.0], 1, 0.5 - 1.0 / 3.0),
            // A probability of 0.5 starts the upper of two bins.
            (&[true, false], &[0.5, 0.25], 2, 0.5 * 0.5 + 0.5 * 0.25),
            // Perfect calibration in each bin.
            (&[true, false, true, true], &[1.0, 0.0, 1.0, 1.0], 10, 0.0),
        ];
        for (y_true, probabilities, bins, expected) in cases {
            let value = expected_calibration_error(y_true, probabilities, bins).unwrap();
            assert!(
                (value - expected).abs() < 1e-15,
                "probabilities {probabilities:?}, {bins} bins: {value} != {expected}"
            );
        }
    }

    #[test]
    fn value_on_edge_goes_up() {
        // With 10 bins, 0.2 is edge 2 exactly, so it lies in bin 2 with 0.25, not in bin 1 with
        // 0.15. Bin 1 alone then errs by 0.15 and bin 2 by |1 - 0.225|.
        let y_true = [false, true, true];
        let probabilities = [0.15, 0.2, 0.25];
        let value = expected_calibration_error(&y_true, &probabilities, 10).unwrap();
        let expected = (0.15 + 2.0 * (1.0 - 0.225)) / 3.0;
        assert!((value - expected).abs() < 1e-15, "{value} != {expected}");
    }

    #[test]
    fn undefined_cases() {
        let cases: [(&[bool], &[f64], usize, &str); 5] = [
            (&[], &[], 10, "probabilities is empty"),
            (
                &[true],
                &[0.5],
                0,
                "the calibration error needs at least 1 bin, got 0",
            ),
            (
                &[true, false],
                &[0.5, 1.5],
                10,
                "probabilities contains 1.5 at index 1, outside [0, 1]",
            ),
            (
                &[true, false],
                &[-0.0001, 0.5],
                10,
                "probabilities contains -0.0001 at index 0, outside [0, 1]",
            ),
            (
                &[true, false, true],
                &[0.5, 0.5, f64::NAN],
                10,
                "probabilities contains NaN at index 2, outside [0, 1]",
            ),
        ];
        for (y_true, probabilities, bins, reason) in cases {
            assert_eq!(
                expected_calibration_error(y_true, probabilities, bins),
                Err(Undefined::new(reason)),
                "probabilities {probabilities:?}"
            );
        }
    }

    #[test]
    fn one_class_defined() {
        let value = expected_calibration_error(&[false, false], &[0.2, 0.4], 5).unwrap();
        assert!((value - 0.3).abs() < 1e-15, "{value}");
    }

    #[test]
    #[should_panic(expected = "y_true has 1 elements but probabilities has 2")]
    fn length_mismatch_panics() {
        let _ = expected_calibration_error(&[true], &[0.1, 0.2], 10);
    }
}
