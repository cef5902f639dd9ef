//! The "finding present" decision: which images are diseased, the score of that decision,
//! and its threshold, chosen on the validation split.

use serde::Serialize;

use crate::metrics::{threshold_rates, Undefined};
use crate::pipeline::evaluate::{Scores, Truth};
use crate::spec::ThresholdRule;

/// Per image: whether it shows a finding (`None` where the labels cannot tell), and the
/// classifier's score for "finding present".
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    pub diseased: Vec<Option<bool>>,
    pub score: Vec<f64>,
}

/// Derives the finding-present decision from a task's outputs.
///
/// Class tasks: an image is diseased when its class is not among `healthy`, and its score
/// is the summed probability of the other classes. Multilabel tasks: diseased when any
/// finding is labelled present, healthy when every finding is labelled absent, unknown
/// otherwise; the score is the highest finding probability. Regression has no decision.
pub fn decision(truth: &Truth, scores: &Scores, healthy: &[usize]) -> Option<Decision> {
    let rows = scores.values.chunks(scores.outputs.max(1));
    match truth {
        Truth::Classes { labels, .. } => Some(Decision {
            diseased: labels.iter().map(|k| Some(!healthy.contains(k))).collect(),
            score: rows.map(|row| row.iter().enumerate().filter(|(k, _)| !healthy.contains(k)).map(|(_, p)| p).sum()).collect(),
        }),
        Truth::Labels { labels } => Some(Decision {
            diseased: labels
                .iter()
                .map(|row| {
                    if row.contains(&Some(true)) {
                        Some(true)
                    } else if row.iter().all(|l| *l == Some(false)) {
                        Some(false)
                    } else {
                        None
                    }
                })
                .collect(),
            score: rows.map(|row| row.iter().copied().fold(f64::NEG_INFINITY, f64::max)).collect(),
        }),
        Truth::Values(_) => None,
    }
}

/// A threshold chosen on the validation split, with its validation rates.
#[derive(Debug, Clone, Serialize)]
pub struct ThresholdChoice {
    pub rule: ThresholdRule,
    /// Images with a score at or above it are called "finding present".
    pub value: f64,
    pub validation_sensitivity: f64,
    pub validation_specificity: f64,
    pub validation_images: usize,
}

/// Chooses the threshold on validation data only (images whose label is unknown are left
/// out).
///
/// - `Youden`: the validation score t that maximises sensitivity + specificity - 1 for
///   the rule score >= t; ties go to the highest such t.
/// - `Prevalence`: the P-th highest validation score for P diseased images, so that the
///   rule flags as many images as are diseased (more when scores tie at the threshold).
///
/// Returns `Undefined` when validation lacks a diseased or a healthy image.
pub fn choose_threshold(rule: ThresholdRule, validation: &Decision) -> Result<ThresholdChoice, Undefined> {
    let (labels, scores): (Vec<bool>, Vec<f64>) =
        validation.diseased.iter().zip(&validation.score).filter_map(|(d, s)| d.map(|d| (d, *s))).unzip();
    let positives = labels.iter().filter(|&&d| d).count();
    let negatives = labels.len() - positives;
    if positives == 0 || negatives == 0 {
        return Err(Undefined::new(format!(
            "the validation split needs diseased and healthy images to place a threshold ({positives} diseased, {negatives} healthy)"
        )));
    }
    if let Some(bad) = scores.iter().find(|s| !s.is_finite()) {
        return Err(Undefined::new(format!("a validation score is {bad}")));
    }

    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]));
    let value = match rule {
        ThresholdRule::Prevalence => scores[order[positives - 1]],
        ThresholdRule::Youden => {
            // Walk the scores from the highest down; after each block of tied scores the
            // counts are those of the rule score >= that score.
            // J = TP / P - FP / N is compared as the integer TP N - FP P, so that equal
            // J values tie exactly instead of by rounding.
            let (mut true_positives, mut false_positives) = (0i64, 0i64);
            let mut best = (i64::MIN, f64::NAN);
            for (position, &i) in order.iter().enumerate() {
                if labels[i] {
                    true_positives += 1;
                } else {
                    false_positives += 1;
                }
                let block_ends = order.get(position + 1).is_none_or(|&next| scores[next] != scores[i]);
                if block_ends {
                    let j = true_positives * negatives as i64 - false_positives * positives as i64;
                    if j > best.0 {
                        best = (j, scores[i]);
                    }
                }
            }
            best.1
        }
    };
    let rates = threshold_rates(&labels, &scores, value);
    Ok(ThresholdChoice {
        rule,
        value,
        validation_sensitivity: rates.sensitivity?,
        validation_specificity: rates.specificity?,
        validation_images: labels.len(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn known(diseased: &[bool], score: &[f64]) -> Decision {
        Decision { diseased: diseased.iter().map(|&d| Some(d)).collect(), score: score.to_vec() }
    }

    #[test]
    fn youden_picks_the_best_cut() {
        // Scores 0.9 0.8 0.7 0.6 0.4 0.3 with labels 1 1 0 1 0 0. J at t = 0.8 is
        // 2/3 - 0 = 0.667, at t = 0.6 it is 1 - 1/3 = 0.667 (tie, the higher t wins),
        // at t = 0.9 it is 1/3.
        let validation = known(&[true, true, false, true, false, false], &[0.9, 0.8, 0.7, 0.6, 0.4, 0.3]);
        let choice = choose_threshold(ThresholdRule::Youden, &validation).unwrap();
        assert_eq!(choice.value, 0.8);
        assert!((choice.validation_sensitivity - 2.0 / 3.0).abs() < 1e-12);
        assert_eq!(choice.validation_specificity, 1.0);
    }

    #[test]
    fn youden_treats_tied_scores_as_one_cut() {
        // Both 0.5 scores are flagged together, so t = 0.5 gives TPR 1, FPR 1/2, J 0.5,
        // and t = 0.9 gives TPR 1/2, FPR 0, J 0.5: the higher wins.
        let validation = known(&[true, true, false, false], &[0.9, 0.5, 0.5, 0.1]);
        assert_eq!(choose_threshold(ThresholdRule::Youden, &validation).unwrap().value, 0.9);
    }

    #[test]
    fn prevalence_flags_as_many_as_are_diseased() {
        let validation = known(&[false, true, false, true, false], &[0.2, 0.9, 0.7, 0.4, 0.1]);
        let choice = choose_threshold(ThresholdRule::Prevalence, &validation).unwrap();
        // Two diseased images: the second-highest score.
        assert_eq!(choice.value, 0.7);
    }

    #[test]
    fn one_class_in_validation_is_undefined() {
        let validation = known(&[true, true], &[0.2, 0.9]);
        let error = choose_threshold(ThresholdRule::Youden, &validation).unwrap_err();
        assert!(error.reason.contains("0 healthy"), "{}", error.reason);
    }

    #[test]
    fn decision_sums_the_finding_classes() {
        let truth = Truth::Classes { labels: vec![0, 2, 1], classes: 3 };
        let scores = Scores { outputs: 3, values: vec![0.5, 0.2, 0.3, 0.1, 0.1, 0.8, 0.3, 0.6, 0.1] };
        let decision = decision(&truth, &scores, &[2]).unwrap();
        assert_eq!(decision.diseased, [Some(true), Some(false), Some(true)]);
        let expected = [0.7, 0.2, 0.9];
        for (got, want) in decision.score.iter().zip(expected) {
            assert!((got - want).abs() < 1e-12, "{got} vs {want}");
        }
    }

    #[test]
    fn multilabel_decision_keeps_unknown_rows_unknown() {
        let truth = Truth::Labels { labels: vec![vec![Some(false), Some(true)], vec![Some(false), Some(false)], vec![Some(false), None]] };
        let scores = Scores { outputs: 2, values: vec![0.1, 0.7, 0.2, 0.3, 0.4, 0.1] };
        let decision = decision(&truth, &scores, &[]).unwrap();
        assert_eq!(decision.diseased, [Some(true), Some(false), None]);
        assert_eq!(decision.score, [0.7, 0.3, 0.4]);
    }
}
