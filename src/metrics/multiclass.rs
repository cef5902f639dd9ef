//! One-vs-rest AUROC and average precision for multiclass labels.

use super::average_precision::average_precision;
use super::roc::auroc;
use super::undefined::{MetricResult, Undefined};

/// Computes the one-vs-rest AUROC of each class, in class order.
///
/// `scores` is row-major with `n_classes` columns, so the score of sample `i` for class `c`
/// is `scores[i * n_classes + c]`. Entry `c` equals `sklearn.metrics.roc_auc_score(y_true == c,
/// scores[:, c])` (scikit-learn 1.9), and is `Undefined` when every sample or no sample is
/// of class `c`. Every entry is `Undefined` when a label is not below `n_classes`.
///
/// # Panics
/// Panics if `scores.len() != y_true.len() * n_classes`.
pub fn per_class_auroc(y_true: &[usize], scores: &[f64], n_classes: usize) -> Vec<MetricResult> {
    per_class_metric(y_true, scores, n_classes, auroc)
}

/// Computes the unweighted mean of [`per_class_auroc`], equal to
/// `sklearn.metrics.roc_auc_score(y_true, scores, multi_class="ovr", average="macro",
/// labels=range(n_classes))` (scikit-learn 1.9).
///
/// Returns `Undefined` for fewer than 2 classes or when any class AUROC is undefined, and
/// the reason names the first such class.
/// NOTE: scikit-learn also rejects rows that do not sum to 1. This function accepts any
/// finite scores, because one-vs-rest AUROC needs only their order within each column.
///
/// # Panics
/// Panics if `scores.len() != y_true.len() * n_classes`.
pub fn macro_auroc_ovr(y_true: &[usize], scores: &[f64], n_classes: usize) -> MetricResult {
    require_two_classes(n_classes)?;
    mean_over_classes(per_class_auroc(y_true, scores, n_classes))
}

/// Computes the one-vs-rest average precision of each class, in class order.
///
/// The layout of `scores` is the same as for [`per_class_auroc`]. Entry `c` equals
/// `sklearn.metrics.average_precision_score(y_true == c, scores[:, c])` (scikit-learn 1.9),
/// except that a class with no sample is `Undefined` where scikit-learn returns 0.0.
///
/// # Panics
/// Panics if `scores.len() != y_true.len() * n_classes`.
pub fn per_class_average_precision(
    y_true: &[usize],
    scores: &[f64],
    n_classes: usize,
) -> Vec<MetricResult> {
    per_class_metric(y_true, scores, n_classes, average_precision)
}

/// Computes the unweighted mean of [`per_class_average_precision`], equal to
/// `sklearn.metrics.average_precision_score(y_true, scores, average="macro")`
/// (scikit-learn 1.9) when every class occurs in `y_true`.
///
/// Returns `Undefined` for fewer than 2 classes or when any class has no sample, and the
/// reason names the first such class. scikit-learn raises a shape error in that case.
///
/// # Panics
/// Panics if `scores.len() != y_true.len() * n_classes`.
pub fn macro_average_precision_ovr(
    y_true: &[usize],
    scores: &[f64],
    n_classes: usize,
) -> MetricResult {
    require_two_classes(n_classes)?;
    mean_over_classes(per_class_average_precision(y_true, scores, n_classes))
}

/// Applies a binary metric to each class against the rest.
fn per_class_metric(
    y_true: &[usize],
    scores: &[f64],
    n_classes: usize,
    binary_metric: fn(&[bool], &[f64]) -> MetricResult,
) -> Vec<MetricResult> {
    let expected_len = y_true
        .len()
        .checked_mul(n_classes)
        .expect("y_true.len() * n_classes overflows usize");
    assert_eq!(
        scores.len(),
        expected_len,
        "scores has {} elements but y_true has {} samples of {n_classes} classes",
        scores.len(),
        y_true.len()
    );

    if let Some(index) = y_true.iter().position(|&label| label >= n_classes) {
        let reason = format!(
            "label {} at index {index} is out of range for {n_classes} classes",
            y_true[index]
        );
        return vec![Err(Undefined::new(reason)); n_classes];
    }

    (0..n_classes)
        .map(|class| {
            let labels: Vec<bool> = y_true.iter().map(|&label| label == class).collect();
            let column: Vec<f64> = scores
                .iter()
                .skip(class)
                .step_by(n_classes)
                .copied()
                .collect();
            binary_metric(&labels, &column)
        })
        .collect()
}

fn require_two_classes(n_classes: usize) -> Result<(), Undefined> {
    if n_classes < 2 {
        return Err(Undefined::new(format!(
            "one-vs-rest averaging needs at least 2 classes, got {n_classes}"
        )));
    }
    Ok(())
}

/// Averages per-class values, or returns the first class's reason if any is undefined.
pub(crate) fn mean_over_classes(per_class: Vec<MetricResult>) -> MetricResult {
    let class_count = per_class.len();
    let mut sum = 0.0;
    for (class, result) in per_class.into_iter().enumerate() {
        match result {
            Ok(value) => sum += value,
            Err(undefined) => {
                return Err(Undefined::new(format!(
                    "class {class}: {}",
                    undefined.reason
                )));
            }
        }
    }
    Ok(sum / class_count as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    // Six samples of three classes. Rows are samples, columns are classes.
    const Y_TRUE: [usize; 6] = [0, 0, 1, 1, 2, 2];
    const SCORES: [f64; 18] = [
        0.7, 0.2, 0.1, //
        0.4, 0.3, 0.3, //
        0.1, 0.8, 0.1, //
        0.2, 0.3, 0.5, //
        0.4, 0.4, 0.2, //
        0.1, 0.2, 0.7, //
    ];

    #[test]
    fn per_class_auroc_values() {
        // Expected values from sklearn.metrics.roc_auc_score(y_true == c, scores[:, c]),
        // scikit-learn 1.9.1.
        let expected = [0.9375, 0.8125, 0.75];
        let values = per_class_auroc(&Y_TRUE, &SCORES, 3);
        for (class, (value, expected)) in values.iter().zip(expected).enumerate() {
            let value = value.clone().unwrap();
            assert!(
                (value - expected).abs() < 1e-12,
                "class {class}: {value} != {expected}"
            );
        }
    }

    #[test]
    fn macro_auroc_matches_sklearn() {
        // Expected value from sklearn.metrics.roc_auc_score(multi_class="ovr",
        // average="macro"), scikit-learn 1.9.1.
        let value = macro_auroc_ovr(&Y_TRUE, &SCORES, 3).unwrap();
        assert!((value - 0.8333333333333334).abs() < 1e-12, "{value}");
    }

    #[test]
    fn macro_average_precision_matches_sklearn() {
        // Expected value from sklearn.metrics.average_precision_score(average="macro"),
        // scikit-learn 1.9.1.
        let value = macro_average_precision_ovr(&Y_TRUE, &SCORES, 3).unwrap();
        assert!((value - 0.7777777777777777).abs() < 1e-12, "{value}");
    }

    #[test]
    fn missing_class_undefined() {
        let y_true = [0, 0, 1, 1, 0, 1];
        assert_eq!(
            macro_auroc_ovr(&y_true, &SCORES, 3),
            Err(Undefined::new(
                "class 2: only one class present (0 positives of 6)"
            ))
        );
        assert_eq!(
            macro_average_precision_ovr(&y_true, &SCORES, 3),
            Err(Undefined::new(
                "class 2: no positive label (0 positives of 6)"
            ))
        );
        let per_class = per_class_auroc(&y_true, &SCORES, 3);
        assert!(per_class[0].is_ok());
        assert!(per_class[1].is_ok());
        assert!(per_class[2].is_err());
    }

    #[test]
    fn label_out_of_range_undefined() {
        let y_true = [0, 0, 1, 1, 3, 2];
        let expected = Err(Undefined::new(
            "label 3 at index 4 is out of range for 3 classes",
        ));
        assert_eq!(
            per_class_auroc(&y_true, &SCORES, 3),
            vec![expected.clone(); 3]
        );
        assert_eq!(
            macro_auroc_ovr(&y_true, &SCORES, 3),
            Err(Undefined::new(
                "class 0: label 3 at index 4 is out of range for 3 classes"
            ))
        );
    }

    #[test]
    fn fewer_than_two_classes_undefined() {
        assert_eq!(
            macro_auroc_ovr(&[0, 0], &[1.0, 1.0], 1),
            Err(Undefined::new(
                "one-vs-rest averaging needs at least 2 classes, got 1"
            ))
        );
    }

    #[test]
    #[should_panic(expected = "scores has 17 elements but y_true has 6 samples of 3 classes")]
    fn scores_length_mismatch_panics() {
        let _ = macro_auroc_ovr(&Y_TRUE, &SCORES[..17], 3);
    }
}
