//! Accuracy and balanced accuracy for predicted class indices.

use std::collections::BTreeMap;

use super::undefined::{assert_same_length, MetricResult, Undefined};

/// Computes the fraction of samples whose predicted class equals the true class, equal to
/// `sklearn.metrics.accuracy_score` (scikit-learn 1.9).
///
/// Returns `Undefined` for empty input.
///
/// # Panics
/// Panics if `y_true` and `y_pred` differ in length.
pub fn accuracy(y_true: &[usize], y_pred: &[usize]) -> MetricResult {
    assert_same_length("y_true", y_true.len(), "y_pred", y_pred.len());
    if y_true.is_empty() {
        return Err(Undefined::new("y_true is empty"));
    }
    let correct = y_true
        .iter()
        .zip(y_pred)
        .filter(|(truth, prediction)| truth == prediction)
        .count();
    Ok(correct as f64 / y_true.len() as f64)
}

/// Computes the mean recall over the classes that occur in `y_true`, equal to
/// `sklearn.metrics.balanced_accuracy_score` with `adjusted=False` (scikit-learn 1.9).
///
/// A class that occurs only in `y_pred` has no recall and is left out of the mean, as
/// scikit-learn does (it warns "y_pred contains classes not in y_true"). Predictions of
/// such a class still count as errors for the true class of those samples.
///
/// Returns `Undefined` for empty input.
///
/// # Panics
/// Panics if `y_true` and `y_pred` differ in length.
pub fn balanced_accuracy(y_true: &[usize], y_pred: &[usize]) -> MetricResult {
    assert_same_length("y_true", y_true.len(), "y_pred", y_pred.len());
    if y_true.is_empty() {
        return Err(Undefined::new("y_true is empty"));
    }

    // Per true class: (samples of the class, samples of the class predicted correctly).
    let mut per_class: BTreeMap<usize, (u64, u64)> = BTreeMap::new();
    for (&truth, &prediction) in y_true.iter().zip(y_pred) {
        let entry = per_class.entry(truth).or_insert((0, 0));
        entry.0 += 1;
        if truth == prediction {
            entry.1 += 1;
        }
    }
    let recall_sum: f64 = per_class
        .values()
        .map(|&(support, correct)| correct as f64 / support as f64)
        .sum();
    Ok(recall_sum / per_class.len() as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accuracy_table() {
        // Expected values from sklearn.metrics.accuracy_score, scikit-learn 1.9.1.
        let cases: [(&[usize], &[usize], f64); 4] = [
            (&[0, 1, 2, 3], &[0, 2, 1, 3], 0.5),
            (&[1], &[1], 1.0),
            (&[1], &[0], 0.0),
            (&[0, 0, 0, 1, 1, 2], &[0, 0, 1, 1, 1, 0], 4.0 / 6.0),
        ];
        for (y_true, y_pred, expected) in cases {
            let value = accuracy(y_true, y_pred).unwrap();
            assert!(
                (value - expected).abs() < 1e-12,
                "y_true {y_true:?}: {value} != {expected}"
            );
        }
    }

    #[test]
    fn balanced_accuracy_table() {
        // Expected values from sklearn.metrics.balanced_accuracy_score, scikit-learn 1.9.1.
        let cases: [(&[usize], &[usize], f64); 5] = [
            // Recalls 2/3, 1 and 0 for classes 0, 1 and 2.
            (&[0, 0, 0, 1, 1, 2], &[0, 0, 1, 1, 1, 0], 5.0 / 9.0),
            (&[0, 1, 0, 0, 1, 0], &[0, 1, 0, 0, 0, 1], 0.625),
            // Class 7 occurs only in y_pred, so the mean is over classes 0 and 1.
            (&[0, 0, 1, 1], &[0, 7, 1, 7], 0.5),
            (&[2, 2, 2], &[2, 2, 0], 2.0 / 3.0),
            (&[4], &[4], 1.0),
        ];
        for (y_true, y_pred, expected) in cases {
            let value = balanced_accuracy(y_true, y_pred).unwrap();
            assert!(
                (value - expected).abs() < 1e-12,
                "y_true {y_true:?}: {value} != {expected}"
            );
        }
    }

    #[test]
    fn empty_input_undefined() {
        let reason = Err(Undefined::new("y_true is empty"));
        assert_eq!(accuracy(&[], &[]), reason);
        assert_eq!(balanced_accuracy(&[], &[]), reason);
    }

    #[test]
    #[should_panic(expected = "y_true has 2 elements but y_pred has 3")]
    fn balanced_accuracy_length_mismatch_panics() {
        let _ = balanced_accuracy(&[0, 1], &[0, 1, 1]);
    }
}
