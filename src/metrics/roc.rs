//! ROC curve and the area under it (AUROC) for binary labels.

use super::threshold_counts::ThresholdCounts;
use super::undefined::{MetricResult, Undefined};

/// Points of a receiver operating characteristic curve, one per threshold.
///
/// Matches `sklearn.metrics.roc_curve(..., drop_intermediate=False)` of scikit-learn 1.9.
/// The first point is (0, 0) at the threshold `f64::INFINITY`, and each later point
/// belongs to one distinct score, taken in decreasing order.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RocCurve {
    /// False positive rate at each threshold.
    pub fpr: Vec<f64>,
    /// True positive rate at each threshold.
    pub tpr: Vec<f64>,
    /// Score threshold. A sample counts as positive when its score is >= the threshold.
    pub thresholds: Vec<f64>,
}

/// Computes the ROC curve of `scores` against `labels` (true = positive class).
///
/// Returns `Undefined` for empty input, a non-finite score, or labels of one class only.
/// scikit-learn fills the undefined rate with NaN in that last case.
///
/// # Panics
/// Panics if `labels` and `scores` differ in length.
pub fn roc_curve(labels: &[bool], scores: &[f64]) -> Result<RocCurve, Undefined> {
    let counts = ThresholdCounts::new(labels, scores)?;
    counts.require_both_classes()?;

    let positives = counts.positives() as f64;
    let negatives = counts.negatives() as f64;
    let points = counts.thresholds.len() + 1;
    let mut curve = RocCurve {
        fpr: Vec::with_capacity(points),
        tpr: Vec::with_capacity(points),
        thresholds: Vec::with_capacity(points),
    };
    curve.fpr.push(0.0);
    curve.tpr.push(0.0);
    curve.thresholds.push(f64::INFINITY);
    for (index, &threshold) in counts.thresholds.iter().enumerate() {
        curve
            .fpr
            .push(counts.false_positives[index] as f64 / negatives);
        curve
            .tpr
            .push(counts.true_positives[index] as f64 / positives);
        curve.thresholds.push(threshold);
    }
    Ok(curve)
}

/// Computes the area under the ROC curve, equal to `sklearn.metrics.roc_auc_score` for
/// binary labels (scikit-learn 1.9).
///
/// The area is the Mann-Whitney probability that a random positive scores above a random
/// negative, with ties counted as one half. That is the trapezoid area under the curve
/// that scikit-learn integrates. The sum is taken over exact integer counts, so the result
/// can differ from scikit-learn only by the rounding of its floating-point trapezoids.
/// Runs in O(n log n).
///
/// Returns `Undefined` for empty input, a non-finite score, or labels of one class only.
///
/// # Panics
/// Panics if `labels` and `scores` differ in length.
pub fn auroc(labels: &[bool], scores: &[f64]) -> MetricResult {
    let counts = ThresholdCounts::new(labels, scores)?;
    counts.require_both_classes()?;

    // Each group of tied scores adds its positives times (the negatives ranked above the
    // group + half the negatives inside the group). Doubling keeps the half in integers.
    let mut doubled_concordant: u128 = 0;
    let mut previous_true_positives = 0u64;
    let mut previous_false_positives = 0u64;
    for (&true_positives, &false_positives) in
        counts.true_positives.iter().zip(&counts.false_positives)
    {
        let group_positives = u128::from(true_positives - previous_true_positives);
        let group_negatives = u128::from(false_positives - previous_false_positives);
        let negatives_below = u128::from(counts.negatives() - false_positives);
        doubled_concordant += group_positives * (2 * negatives_below + group_negatives);
        previous_true_positives = true_positives;
        previous_false_positives = false_positives;
    }
    let doubled_pairs = 2 * u128::from(counts.positives()) * u128::from(counts.negatives());
    Ok(doubled_concordant as f64 / doubled_pairs as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auroc_table() {
        // Expected values from sklearn.metrics.roc_auc_score, scikit-learn 1.9.1.
        let cases: [(&[bool], &[f64], f64); 6] = [
            (&[false, false, true, true], &[0.1, 0.4, 0.35, 0.8], 0.75),
            (&[true, false], &[0.9, 0.1], 1.0),
            (&[true, false], &[0.1, 0.9], 0.0),
            (&[true, false, true, false], &[0.5, 0.5, 0.5, 0.5], 0.5),
            (
                &[false, true, true, false, true],
                &[0.2, 0.2, 0.7, 0.7, 0.9],
                2.0 / 3.0,
            ),
            (
                &[true, true, false, false, false],
                &[-3.0, 2.0, -3.0, 1.0, 0.0],
                7.0 / 12.0,
            ),
        ];
        for (labels, scores, expected) in cases {
            let value = auroc(labels, scores).unwrap();
            assert!(
                (value - expected).abs() < 1e-12,
                "labels {labels:?}: {value} != {expected}"
            );
        }
    }

    #[test]
    fn auroc_one_class_undefined() {
        let labels = [false; 12];
        let scores: Vec<f64> = (0..12).map(f64::from).collect();
        assert_eq!(
            auroc(&labels, &scores),
            Err(Undefined::new("only one class present (0 positives of 12)"))
        );
        assert_eq!(
            auroc(&[true], &[0.3]),
            Err(Undefined::new("only one class present (1 positives of 1)"))
        );
    }

    #[test]
    fn auroc_empty_undefined() {
        assert_eq!(auroc(&[], &[]), Err(Undefined::new("scores is empty")));
    }

    #[test]
    fn auroc_infinite_score_undefined() {
        let result = auroc(&[true, false], &[f64::INFINITY, 0.0]);
        assert_eq!(
            result,
            Err(Undefined::new(
                "scores contains the non-finite value inf at index 0"
            ))
        );
    }

    #[test]
    #[should_panic(expected = "labels has 2 elements but scores has 1")]
    fn auroc_length_mismatch_panics() {
        let _ = auroc(&[true, false], &[0.5]);
    }

    #[test]
    fn roc_curve_with_ties() {
        // Expected arrays from sklearn.metrics.roc_curve(drop_intermediate=False),
        // scikit-learn 1.9.1, for y_true=[0, 1, 1, 0, 1], y_score=[0.2, 0.2, 0.7, 0.7, 0.9].
        let curve = roc_curve(
            &[false, true, true, false, true],
            &[0.2, 0.2, 0.7, 0.7, 0.9],
        )
        .unwrap();
        let third = 1.0 / 3.0;
        assert_eq!(curve.thresholds, vec![f64::INFINITY, 0.9, 0.7, 0.2]);
        assert_eq!(curve.fpr, vec![0.0, 0.0, 0.5, 1.0]);
        assert_eq!(curve.tpr, vec![0.0, third, 2.0 * third, 1.0]);
    }

    #[test]
    fn roc_curve_one_class_undefined() {
        assert_eq!(
            roc_curve(&[true, true], &[0.1, 0.2]),
            Err(Undefined::new("only one class present (2 positives of 2)"))
        );
    }

    #[test]
    fn auroc_equals_trapezoid_of_curve() {
        let labels = [
            true, false, true, true, false, false, true, false, false, true,
        ];
        let scores = [0.9, 0.8, 0.8, 0.4, 0.4, 0.4, 0.3, 0.2, 0.1, 0.1];
        let curve = roc_curve(&labels, &scores).unwrap();
        let trapezoid: f64 = (1..curve.fpr.len())
            .map(|i| (curve.fpr[i] - curve.fpr[i - 1]) * (curve.tpr[i] + curve.tpr[i - 1]) / 2.0)
            .sum();
        let value = auroc(&labels, &scores).unwrap();
        assert!((value - trapezoid).abs() < 1e-12, "{value} != {trapezoid}");
    }
}
