//! Cumulative true and false positive counts at each distinct score, the shared basis of
//! the ROC curve, AUROC and average precision.

use super::undefined::{assert_same_length, check_finite, Undefined};

/// Confusion counts for the rule "predict positive when score >= threshold", at every
/// distinct score from the highest down.
///
/// This is the same table as the private `_binary_clf_curve` of scikit-learn 1.9: samples
/// with equal scores share one threshold, so ties are never split.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ThresholdCounts {
    /// Distinct scores in decreasing order.
    pub thresholds: Vec<f64>,
    /// Number of positive samples with a score >= the threshold at the same index.
    pub true_positives: Vec<u64>,
    /// Number of negative samples with a score >= the threshold at the same index.
    pub false_positives: Vec<u64>,
}

impl ThresholdCounts {
    /// Counts the samples for every distinct score.
    ///
    /// Returns `Undefined` for empty input or a score that is NaN or infinite.
    ///
    /// # Panics
    /// Panics if `labels` and `scores` differ in length.
    pub fn new(labels: &[bool], scores: &[f64]) -> Result<Self, Undefined> {
        assert_same_length("labels", labels.len(), "scores", scores.len());
        check_finite("scores", scores)?;

        let mut samples: Vec<(f64, bool)> =
            scores.iter().copied().zip(labels.iter().copied()).collect();
        // All scores are finite, so `total_cmp` only differs from `==` in ordering -0.0 before
        // 0.0. Both stay adjacent and the grouping below compares with `==`, which merges them.
        samples.sort_unstable_by(|left, right| right.0.total_cmp(&left.0));

        let mut counts = Self {
            thresholds: Vec::new(),
            true_positives: Vec::new(),
            false_positives: Vec::new(),
        };
        let mut true_positives = 0u64;
        let mut false_positives = 0u64;
        for (index, &(score, label)) in samples.iter().enumerate() {
            if label {
                true_positives += 1;
            } else {
                false_positives += 1;
            }
            let group_ends = samples.get(index + 1).is_none_or(|next| next.0 != score);
            if group_ends {
                counts.thresholds.push(score);
                counts.true_positives.push(true_positives);
                counts.false_positives.push(false_positives);
            }
        }
        Ok(counts)
    }

    /// Total number of positive samples.
    pub fn positives(&self) -> u64 {
        self.true_positives.last().copied().unwrap_or(0)
    }

    /// Total number of negative samples.
    pub fn negatives(&self) -> u64 {
        self.false_positives.last().copied().unwrap_or(0)
    }

    /// Returns `Undefined` unless both classes occur, naming the number of positives.
    pub fn require_both_classes(&self) -> Result<(), Undefined> {
        let positives = self.positives();
        let total = positives + self.negatives();
        if positives == 0 || positives == total {
            return Err(Undefined::new(format!(
                "only one class present ({positives} positives of {total})"
            )));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ties_share_threshold() {
        // Expected counts worked out by hand: scores 0.8 (pos), 0.5 (neg, pos, pos), 0.1 (neg).
        let labels = [false, true, true, true, false];
        let scores = [0.5, 0.8, 0.5, 0.5, 0.1];
        let counts = ThresholdCounts::new(&labels, &scores).unwrap();
        assert_eq!(counts.thresholds, vec![0.8, 0.5, 0.1]);
        assert_eq!(counts.true_positives, vec![1, 3, 3]);
        assert_eq!(counts.false_positives, vec![0, 1, 2]);
        assert_eq!(counts.positives(), 3);
        assert_eq!(counts.negatives(), 2);
    }

    #[test]
    fn signed_zeros_are_one_threshold() {
        let labels = [true, false, true];
        let scores = [0.0, -0.0, 0.0];
        let counts = ThresholdCounts::new(&labels, &scores).unwrap();
        assert_eq!(counts.thresholds.len(), 1);
        assert_eq!(counts.true_positives, vec![2]);
        assert_eq!(counts.false_positives, vec![1]);
    }

    #[test]
    fn one_class_reason() {
        let counts = ThresholdCounts::new(&[false; 12], &[0.3; 12]).unwrap();
        assert_eq!(
            counts.require_both_classes(),
            Err(Undefined::new("only one class present (0 positives of 12)"))
        );
        let counts = ThresholdCounts::new(&[true; 3], &[0.1, 0.2, 0.3]).unwrap();
        assert_eq!(
            counts.require_both_classes(),
            Err(Undefined::new("only one class present (3 positives of 3)"))
        );
    }

    #[test]
    fn empty_and_nan_are_undefined() {
        assert_eq!(
            ThresholdCounts::new(&[], &[]),
            Err(Undefined::new("scores is empty"))
        );
        assert_eq!(
            ThresholdCounts::new(&[true, false], &[0.2, f64::NAN]),
            Err(Undefined::new(
                "scores contains the non-finite value NaN at index 1"
            ))
        );
    }
}
