//! Average precision (AP), the step-wise area under the precision-recall curve.

use super::threshold_counts::ThresholdCounts;
use super::undefined::{MetricResult, Undefined};

/// Computes average precision, equal to `sklearn.metrics.average_precision_score` for binary
/// labels (scikit-learn 1.9).
///
/// AP = sum over distinct thresholds k of (R_k - R_{k-1}) * P_k, where P_k and R_k are the
/// precision and recall when samples with score >= threshold k count as positive. Tied
/// scores form one threshold, as in scikit-learn, and nothing is interpolated.
///
/// Returns `Undefined` for empty input, a non-finite score, or no positive label.
/// NOTE: for no positive label scikit-learn 1.9 warns and returns 0.0 instead, so the
/// two differ on that input.
///
/// # Panics
/// Panics if `labels` and `scores` differ in length.
pub fn average_precision(labels: &[bool], scores: &[f64]) -> MetricResult {
    let counts = ThresholdCounts::new(labels, scores)?;
    let positives = counts.positives();
    if positives == 0 {
        let total = counts.negatives();
        return Err(Undefined::new(format!(
            "no positive label (0 positives of {total})"
        )));
    }

    let mut sum = 0.0;
    let mut previous_true_positives = 0u64;
    for (&true_positives, &false_positives) in
        counts.true_positives.iter().zip(&counts.false_positives)
    {
        let recall_step = (true_positives - previous_true_positives) as f64 / positives as f64;
        let precision = true_positives as f64 / (true_positives + false_positives) as f64;
        sum += recall_step * precision;
        previous_true_positives = true_positives;
    }
    Ok(sum)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn average_precision_table() {
        // Expected values from sklearn.metrics.average_precision_score, scikit-learn 1.9.1.
        let cases: [(&[bool], &[f64], f64); 6] = [
            (
                &[false, false, true, true],
                &[0.1, 0.4, 0.35, 0.8],
                0.8333333333333333,
            ),
            (&[true, false], &[0.9, 0.1], 1.0),
            (&[true, false], &[0.1, 0.9], 0.5),
            (&[true, false, true, false], &[0.5, 0.5, 0.5, 0.5], 0.5),
            (
                &[false, true, true, false, true],
                &[0.2, 0.2, 0.7, 0.7, 0.9],
                0.7555555555555555,
            ),
            (&[true, true, true], &[0.1, 0.2, 0.3], 1.0),
        ];
        for (labels, scores, expected) in cases {
            let value = average_precision(labels, scores).unwrap();
            assert!(
                (value - expected).abs() < 1e-12,
                "labels {labels:?}: {value} != {expected}"
            );
        }
    }

    #[test]
    fn no_positive_undefined() {
        assert_eq!(
            average_precision(&[false; 4], &[0.1, 0.2, 0.3, 0.4]),
            Err(Undefined::new("no positive label (0 positives of 4)"))
        );
    }

    #[test]
    fn empty_undefined() {
        assert_eq!(
            average_precision(&[], &[]),
            Err(Undefined::new("scores is empty"))
        );
    }

    #[test]
    #[should_panic(expected = "labels has 1 elements but scores has 2")]
    fn length_mismatch_panics() {
        let _ = average_precision(&[true], &[0.5, 0.6]);
    }
}
