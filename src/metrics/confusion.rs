//! Metrics of binary predictions read from the 2 x 2 confusion matrix: F1, Dice and the
//! error rates at a score threshold.

use super::undefined::{assert_same_length, MetricResult, Undefined};

/// Cells of the confusion matrix of binary predictions against binary truth.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct Confusion {
    true_positives: u64,
    false_positives: u64,
    false_negatives: u64,
    true_negatives: u64,
}

impl Confusion {
    fn count(truth: &[bool], prediction: &[bool]) -> Self {
        let mut confusion = Confusion::default();
        for (&actual, &predicted) in truth.iter().zip(prediction) {
            match (actual, predicted) {
                (true, true) => confusion.true_positives += 1,
                (false, true) => confusion.false_positives += 1,
                (true, false) => confusion.false_negatives += 1,
                (false, false) => confusion.true_negatives += 1,
            }
        }
        confusion
    }

    /// Returns 2 TP / (2 TP + FP + FN), which is both F1 and Dice, or `None` when the
    /// denominator is 0.
    ///
    /// The counts stay below 2^53, so numerator and denominator are exact and the result
    /// is the correctly rounded quotient.
    fn f1_ratio(&self) -> Option<f64> {
        let denominator = 2 * self.true_positives + self.false_positives + self.false_negatives;
        (denominator > 0).then(|| (2 * self.true_positives) as f64 / denominator as f64)
    }
}

/// Computes the F1 score of binary predictions, 2 TP / (2 TP + FP + FN), equal to
/// `sklearn.metrics.f1_score(y_true, y_pred)` with the default `average="binary"`
/// (scikit-learn 1.9).
///
/// Returns `Undefined` for empty input, and when neither `y_true` nor `y_pred` contains a
/// positive, where F1 is 0 / 0. NOTE: scikit-learn returns 0.0 there through its default
/// `zero_division="warn"` and warns "F-score is ill-defined", so the two differ on that
/// input. A value of 0 would read as a model that finds none of the positives, although
/// there were none to find.
///
/// # Panics
/// Panics if `y_true` and `y_pred` differ in length.
pub fn f1_score(y_true: &[bool], y_pred: &[bool]) -> MetricResult {
    assert_same_length("y_true", y_true.len(), "y_pred", y_pred.len());
    if y_true.is_empty() {
        return Err(Undefined::new("y_true is empty"));
    }
    Confusion::count(y_true, y_pred)
        .f1_ratio()
        .ok_or_else(|| {
            Undefined::new(format!(
                "no positive in y_true or y_pred ({} samples), so F1 is 0/0",
                y_true.len()
            ))
        })
}

/// Computes the Dice coefficient 2 |A ∩ B| / (|A| + |B|) of two binary masks, where A and B
/// are the sets of true elements. Equal to `1 - scipy.spatial.distance.dice(truth,
/// prediction)` on boolean arrays (SciPy 1.17), and to [`f1_score`] of the same inputs.
///
/// Returns `Undefined` for masks of no elements, and when neither mask has a true element,
/// where Dice is 0 / 0 (SciPy warns and returns NaN for the distance).
///
/// # Panics
/// Panics if `truth` and `prediction` differ in length.
pub fn dice(truth: &[bool], prediction: &[bool]) -> MetricResult {
    assert_same_length("truth", truth.len(), "prediction", prediction.len());
    if truth.is_empty() {
        return Err(Undefined::new("truth has no elements"));
    }
    Confusion::count(truth, prediction)
        .f1_ratio()
        .ok_or_else(|| {
            Undefined::new(format!(
                "neither truth nor prediction has a true element (of {}), so Dice is 0/0",
                truth.len()
            ))
        })
}

/// Error rates of the rule "positive when score >= threshold", with the class counts that
/// they are fractions of.
#[derive(Debug, Clone, PartialEq)]
pub struct ThresholdRates {
    /// True positive rate TP / positives (recall, sensitivity).
    pub sensitivity: MetricResult,
    /// True negative rate TN / negatives.
    pub specificity: MetricResult,
    /// FN / positives, which is 1 - sensitivity.
    pub false_negative_rate: MetricResult,
    /// FP / negatives, which is 1 - specificity.
    pub false_positive_rate: MetricResult,
    /// Number of true labels in `y_true`.
    pub positives: usize,
    /// Number of false labels in `y_true`.
    pub negatives: usize,
}

/// Computes sensitivity, specificity and the two error rates when samples with
/// `score >= threshold` are predicted positive.
///
/// Sensitivity equals `sklearn.metrics.recall_score(y_true, y_pred)` and specificity
/// `recall_score(y_true, y_pred, pos_label=0)` for `y_pred = scores >= threshold`
/// (scikit-learn 1.9). The error rates are computed from their own counts, FN / positives
/// and FP / negatives, not as 1 minus a rounded rate.
///
/// Sensitivity and the false negative rate are `Undefined` when `y_true` has no positive,
/// specificity and the false positive rate when it has no negative. scikit-learn warns and
/// returns 0.0 for such a recall instead. All four are `Undefined` when a score is NaN or
/// infinite or the threshold is NaN. An infinite threshold is allowed and predicts every
/// sample negative (+inf) or positive (-inf).
///
/// # Panics
/// Panics if `y_true` and `scores` differ in length.
pub fn threshold_rates(y_true: &[bool], scores: &[f64], threshold: f64) -> ThresholdRates {
    assert_same_length("y_true", y_true.len(), "scores", scores.len());
    let positives = y_true.iter().filter(|&&label| label).count();
    let negatives = y_true.len() - positives;

    let invalid_input = if threshold.is_nan() {
        Some(Undefined::new("threshold is NaN"))
    } else {
        scores
            .iter()
            .position(|score| !score.is_finite())
            .map(|index| {
                Undefined::new(format!(
                    "scores contains the non-finite value {} at index {index}",
                    scores[index]
                ))
            })
    };
    if let Some(undefined) = invalid_input {
        return ThresholdRates {
            sensitivity: Err(undefined.clone()),
            specificity: Err(undefined.clone()),
            false_negative_rate: Err(undefined.clone()),
            false_positive_rate: Err(undefined),
            positives,
            negatives,
        };
    }

    let predictions: Vec<bool> = scores.iter().map(|&score| score >= threshold).collect();
    let confusion = Confusion::count(y_true, &predictions);
    let no_positive = || {
        Undefined::new(format!(
            "no positive in y_true (0 positives of {})",
            y_true.len()
        ))
    };
    let no_negative = || {
        Undefined::new(format!(
            "no negative in y_true ({positives} positives of {})",
            y_true.len()
        ))
    };
    let of_positives = |count: u64| {
        if positives == 0 {
            Err(no_positive())
        } else {
            Ok(count as f64 / positives as f64)
        }
    };
    let of_negatives = |count: u64| {
        if negatives == 0 {
            Err(no_negative())
        } else {
            Ok(count as f64 / negatives as f64)
        }
    };
    ThresholdRates {
        sensitivity: of_positives(confusion.true_positives),
        specificity: of_negatives(confusion.true_negatives),
        false_negative_rate: of_positives(confusion.false_negatives),
        false_positive_rate: of_negatives(confusion.false_positives),
        positives,
        negatives,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bools(bits: &[u8]) -> Vec<bool> {
        bits.iter().map(|&bit| bit == 1).collect()
    }

    #[test]
    fn f1_table() {
        // Expected values from sklearn.metrics.f1_score, scikit-learn 1.9.1.
        let cases: [(&[u8], &[u8], f64); 5] = [
            (&[1, 0, 1, 1, 0, 0], &[1, 1, 0, 1, 0, 0], 2.0 / 3.0),
            (&[1, 1], &[1, 1], 1.0),
            // Positives exist but none is predicted: F1 is 0, without a warning.
            (&[1, 0, 0], &[0, 0, 0], 0.0),
            (&[0, 0, 0], &[0, 1, 0], 0.0),
            (&[1, 0, 1, 0, 1, 0, 1], &[1, 1, 1, 1, 0, 0, 0], 0.5),
        ];
        for (y_true, y_pred, expected) in cases {
            let value = f1_score(&bools(y_true), &bools(y_pred)).unwrap();
            assert_eq!(value, expected, "y_true {y_true:?}, y_pred {y_pred:?}");
        }
    }

    #[test]
    fn f1_no_positive_undefined() {
        assert_eq!(
            f1_score(&[false; 4], &[false; 4]),
            Err(Undefined::new(
                "no positive in y_true or y_pred (4 samples), so F1 is 0/0"
            ))
        );
        assert_eq!(f1_score(&[], &[]), Err(Undefined::new("y_true is empty")));
    }

    #[test]
    fn dice_table() {
        // Expected values are 1 - scipy.spatial.distance.dice(truth, prediction), SciPy 1.17.1.
        let cases: [(&[u8], &[u8], f64); 4] = [
            (&[1, 0, 1], &[1, 1, 0], 0.5),
            (&[1, 1, 0, 0], &[1, 1, 0, 0], 1.0),
            (&[1, 0], &[0, 1], 0.0),
            (&[0, 0, 0, 1], &[0, 0, 0, 0], 0.0),
        ];
        for (truth, prediction, expected) in cases {
            let value = dice(&bools(truth), &bools(prediction)).unwrap();
            assert_eq!(
                value, expected,
                "truth {truth:?}, prediction {prediction:?}"
            );
        }
    }

    #[test]
    fn dice_empty_masks_undefined() {
        assert_eq!(
            dice(&[false; 3], &[false; 3]),
            Err(Undefined::new(
                "neither truth nor prediction has a true element (of 3), so Dice is 0/0"
            ))
        );
        assert_eq!(dice(&[], &[]), Err(Undefined::new("truth has no elements")));
    }

    #[test]
    fn threshold_rates_counts() {
        // Scores >= 0.5 are positive: predictions 1, 1, 0, 1, 0, 0 against truth 1, 0, 1, 1, 0, 0.
        let y_true = bools(&[1, 0, 1, 1, 0, 0]);
        let scores = [0.9, 0.5, 0.49, 0.7, 0.1, 0.3];
        let rates = threshold_rates(&y_true, &scores, 0.5);
        assert_eq!(rates.positives, 3);
        assert_eq!(rates.negatives, 3);
        assert_eq!(rates.sensitivity, Ok(2.0 / 3.0));
        assert_eq!(rates.false_negative_rate, Ok(1.0 / 3.0));
        assert_eq!(rates.specificity, Ok(2.0 / 3.0));
        assert_eq!(rates.false_positive_rate, Ok(1.0 / 3.0));
    }

    #[test]
    fn threshold_rates_infinite_threshold() {
        let y_true = bools(&[1, 0, 1]);
        let scores = [0.2, 0.4, 0.6];
        let all_negative = threshold_rates(&y_true, &scores, f64::INFINITY);
        assert_eq!(all_negative.sensitivity, Ok(0.0));
        assert_eq!(all_negative.specificity, Ok(1.0));
        let all_positive = threshold_rates(&y_true, &scores, f64::NEG_INFINITY);
        assert_eq!(all_positive.sensitivity, Ok(1.0));
        assert_eq!(all_positive.false_positive_rate, Ok(1.0));
    }

    #[test]
    fn threshold_rates_one_class() {
        let rates = threshold_rates(&[false, false], &[0.2, 0.8], 0.5);
        let no_positive = Err(Undefined::new("no positive in y_true (0 positives of 2)"));
        assert_eq!(rates.sensitivity, no_positive);
        assert_eq!(rates.false_negative_rate, no_positive);
        assert_eq!(rates.specificity, Ok(0.5));
        assert_eq!(rates.false_positive_rate, Ok(0.5));

        let rates = threshold_rates(&[true], &[0.2], 0.5);
        let no_negative = Err(Undefined::new("no negative in y_true (1 positives of 1)"));
        assert_eq!(rates.specificity, no_negative);
        assert_eq!(rates.false_positive_rate, no_negative);
        assert_eq!(rates.sensitivity, Ok(0.0));
    }

    #[test]
    fn threshold_rates_invalid_input() {
        let rates = threshold_rates(&[true, false], &[0.2, f64::NAN], 0.5);
        let reason = Err(Undefined::new(
            "scores contains the non-finite value NaN at index 1",
        ));
        assert_eq!(rates.sensitivity, reason);
        assert_eq!(rates.specificity, reason);
        assert_eq!(rates.false_negative_rate, reason);
        assert_eq!(rates.false_positive_rate, reason);
        assert_eq!((rates.positives, rates.negatives), (1, 1));

        let rates = threshold_rates(&[true, false], &[0.2, 0.3], f64::NAN);
        assert_eq!(rates.sensitivity, Err(Undefined::new("threshold is NaN")));
        assert_eq!(
            rates.false_positive_rate,
            Err(Undefined::new("threshold is NaN"))
        );
    }

    #[test]
    fn threshold_rates_empty_input() {
        let rates = threshold_rates(&[], &[], 0.5);
        assert_eq!((rates.positives, rates.negatives), (0, 0));
        assert!(rates.sensitivity.is_err());
        assert!(rates.specificity.is_err());
    }

    #[test]
    #[should_panic(expected = "y_true has 2 elements but y_pred has 1")]
    fn f1_length_mismatch_panics() {
        let _ = f1_score(&[true, false], &[true]);
    }

    #[test]
    #[should_panic(expected = "y_true has 1 elements but scores has 2")]
    fn threshold_rates_length_mismatch_panics() {
        let _ = threshold_rates(&[true], &[0.1, 0.2], 0.5);
    }
}
