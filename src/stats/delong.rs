//! DeLong's test for two correlated AUROCs on the same cases, and the DeLong interval of
//! one AUROC.
//!
//! Both use the variance estimate of DeLong, DeLong & Clarke-Pearson (1988, Biometrics
//! 44:837-845), computed in O(n log n) time with the midrank algorithm of Sun & Xu (2014,
//! IEEE Signal Processing Letters 21:1389-1393).

use statrs::distribution::{ContinuousCDF, Normal};

use super::mann_whitney::Ranking;
use crate::metrics::Undefined;

/// Result of DeLong's test of two paired AUROCs.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct DeLong {
    /// AUROC of `scores_a`, with ties counted as one half.
    pub auc_a: f64,
    /// AUROC of `scores_b`, with ties counted as one half.
    pub auc_b: f64,
    /// DeLong variance of `auc_a`.
    pub variance_a: f64,
    /// DeLong variance of `auc_b`.
    pub variance_b: f64,
    /// DeLong covariance of `auc_a` and `auc_b`.
    pub covariance: f64,
    /// (auc_a - auc_b) / sqrt(variance_a + variance_b - 2 covariance).
    pub z: f64,
    /// Two-sided p-value, 2 P(Z >= |z|) for a standard normal Z.
    pub p_value: f64,
}

/// Structural components of one AUROC: the placement value of each positive and each
/// negative, as defined by DeLong et al. (1988).
struct Placements {
    auc: f64,
    /// Fraction of negatives scored below each positive, ties counted as one half.
    positives: Vec<f64>,
    /// Fraction of positives scored above each negative, ties counted as one half.
    negatives: Vec<f64>,
}

impl Placements {
    /// Computes the placements from midranks (Sun & Xu 2014): a positive's rank among all
    /// cases minus its rank among the positives is the number of negatives below it, plus
    /// half of those tied with it. The same holds for negatives.
    fn new(labels: &[bool], scores: &[f64]) -> Self {
        let (positive_scores, negative_scores): (Vec<f64>, Vec<f64>) = {
            let positives = scores.iter().zip(labels).filter(|(_, &label)| label);
            let negatives = scores.iter().zip(labels).filter(|(_, &label)| !label);
            (
                positives.map(|(&score, _)| score).collect(),
                negatives.map(|(&score, _)| score).collect(),
            )
        };
        let all_ranks = Ranking::new(scores).doubled_ranks;
        let positive_ranks = Ranking::new(&positive_scores).doubled_ranks;
        let negative_ranks = Ranking::new(&negative_scores).doubled_ranks;
        let positive_count = positive_scores.len() as f64;
        let negative_count = negative_scores.len() as f64;

        let mut positives = Vec::with_capacity(positive_scores.len());
        let mut negatives = Vec::with_capacity(negative_scores.len());
        let mut doubled_concordant: u128 = 0;
        let (mut next_positive, mut next_negative) = (0, 0);
        for (&label, &doubled_rank) in labels.iter().zip(&all_ranks) {
            if label {
                let doubled_below = doubled_rank - positive_ranks[next_positive];
                doubled_concordant += u128::from(doubled_below);
                positives.push(doubled_below as f64 / (2.0 * negative_count));
                next_positive += 1;
            } else {
                let doubled_below = doubled_rank - negative_ranks[next_negative];
                negatives.push(1.0 - doubled_below as f64 / (2.0 * positive_count));
                next_negative += 1;
            }
        }
        let doubled_pairs = 2.0 * positive_count * negative_count;
        Placements {
            auc: doubled_concordant as f64 / doubled_pairs,
            positives,
            negatives,
        }
    }

    /// Returns the DeLong covariance of this AUROC with that of `other`, S10 / m + S01 / n.
    /// S10 is the sample covariance (denominator m - 1) of the placements of the m
    /// positives, and S01 that of the n negatives (denominator n - 1).
    fn covariance(&self, other: &Placements) -> f64 {
        let positive_part = sample_covariance(&self.positives, &other.positives);
        let negative_part = sample_covariance(&self.negatives, &other.negatives);
        positive_part / self.positives.len() as f64 + negative_part / self.negatives.len() as f64
    }
}

/// Returns the sample covariance of two slices of equal length at least 2.
fn sample_covariance(left: &[f64], right: &[f64]) -> f64 {
    let count = left.len() as f64;
    let left_mean = left.iter().sum::<f64>() / count;
    let right_mean = right.iter().sum::<f64>() / count;
    let cross: f64 = left
        .iter()
        .zip(right)
        .map(|(l, r)| (l - left_mean) * (r - right_mean))
        .sum();
    cross / (count - 1.0)
}

/// Returns `Undefined` unless the inputs have finite scores and at least 2 positives and
/// 2 negatives, the minimum for the sample variances of the placements.
fn check_inputs(labels: &[bool], score_sets: &[(&str, &[f64])]) -> Result<(), Undefined> {
    for (name, scores) in score_sets {
        assert_eq!(
            labels.len(),
            scores.len(),
            "labels has {} elements but {name} has {}",
            labels.len(),
            scores.len()
        );
        if scores.is_empty() {
            return Err(Undefined::new(format!("{name} is empty")));
        }
        if let Some(index) = scores.iter().position(|score| !score.is_finite()) {
            return Err(Undefined::new(format!(
                "{name} contains the non-finite value {} at index {index}",
                scores[index]
            )));
        }
    }
    let positives = labels.iter().filter(|&&label| label).count();
    let negatives = labels.len() - positives;
    if positives < 2 || negatives < 2 {
        return Err(Undefined::new(format!(
            "the DeLong variance needs at least 2 positives and 2 negatives, got {positives} \
             positives and {negatives} negatives"
        )));
    }
    Ok(())
}

/// Tests whether two AUROCs computed on the same cases differ, with DeLong's paired test.
///
/// `labels[i]` is true for a positive case, and `scores_a[i]` and `scores_b[i]` are the two
/// models' scores for case `i`. Higher scores mean positive. Runs in O(n log n) time.
///
/// The variance of the difference is computed as the DeLong variance of the difference of
/// the placements, which equals variance_a + variance_b - 2 covariance but cancels less.
/// The p-value is two-sided, 2 Phi(-|z|), as in pROC's paired `roc.test(method = "delong")`.
/// Unlike pROC's default `direction = "auto"`, the direction is fixed.
///
/// Returns `Undefined` for empty input, a non-finite score, fewer than 2 positives or 2
/// negatives, or a difference with zero variance. The last happens, for example, when both
/// scores order every positive-negative pair the same way, as when one is a monotone
/// transform of the other. `delong_interval` still returns each AUROC's interval then.
///
/// # Panics
/// Panics if `labels`, `scores_a` and `scores_b` differ in length.
pub fn delong_test(
    labels: &[bool],
    scores_a: &[f64],
    scores_b: &[f64],
) -> Result<DeLong, Undefined> {
    check_inputs(labels, &[("scores_a", scores_a), ("scores_b", scores_b)])?;

    let placements_a = Placements::new(labels, scores_a);
    let placements_b = Placements::new(labels, scores_b);
    let difference = Placements {
        auc: placements_a.auc - placements_b.auc,
        positives: difference_of(&placements_a.positives, &placements_b.positives),
        negatives: difference_of(&placements_a.negatives, &placements_b.negatives),
    };
    let variance_of_difference = difference.covariance(&difference);
    if variance_of_difference <= 0.0 {
        return Err(Undefined::new(format!(
            "the DeLong variance of the AUROC difference is {variance_of_difference} (AUROCs {} \
             and {}), so the z statistic is undefined. Scores that order every \
             positive-negative pair alike, such as a monotone transform of the other, give this",
            placements_a.auc, placements_b.auc
        )));
    }

    let z = difference.auc / variance_of_difference.sqrt();
    let p_value = (2.0 * Normal::standard().sf(z.abs())).min(1.0);
    Ok(DeLong {
        auc_a: placements_a.auc,
        auc_b: placements_b.auc,
        variance_a: placements_a.covariance(&placements_a),
        variance_b: placements_b.covariance(&placements_b),
        covariance: placements_a.covariance(&placements_b),
        z,
        p_value,
    })
}

fn difference_of(left: &[f64], right: &[f64]) -> Vec<f64> {
    left.iter().zip(right).map(|(l, r)| l - r).collect()
}

/// Computes the AUROC of `scores` and its normal-approximation confidence interval with
/// the DeLong variance. Returns `(auc, lower, upper)`.
///
/// The bounds are auc -/+ z sqrt(variance), with z the 1 - (1 - confidence) / 2 quantile of
/// the standard normal distribution, clipped to [0, 1] as pROC's `ci.auc(method = "delong")`
/// does. When the variance is zero, for example under perfect separation, both bounds
/// equal the AUROC. Runs in O(n log n) time.
///
/// Returns `Undefined` for empty input, a non-finite score, fewer than 2 positives or 2
/// negatives, or a confidence outside (0, 1).
///
/// # Panics
/// Panics if `labels` and `scores` differ in length.
pub fn delong_interval(
    labels: &[bool],
    scores: &[f64],
    confidence: f64,
) -> Result<(f64, f64, f64), Undefined> {
    check_inputs(labels, &[("scores", scores)])?;
    if !(confidence > 0.0 && confidence < 1.0) {
        return Err(Undefined::new(format!(
            "confidence must be strictly between 0 and 1, got {confidence}"
        )));
    }

    let placements = Placements::new(labels, scores);
    let standard_error = placements.covariance(&placements).sqrt();
    // The lower-tail quantile keeps full precision for confidences near 1.
    let z = -Normal::standard().inverse_cdf((1.0 - confidence) / 2.0);
    let lower = (placements.auc - z * standard_error).clamp(0.0, 1.0);
    let upper = (placements.auc + z * standard_error).clamp(0.0, 1.0);
    Ok((placements.auc, lower, upper))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::auroc;

    /// Returns the DeLong variance of one AUROC by the O(m n) pairwise definition.
    fn pairwise_variance(labels: &[bool], scores: &[f64]) -> f64 {
        let positives: Vec<f64> = (0..labels.len())
            .filter(|&i| labels[i])
            .map(|i| scores[i])
            .collect();
        let negatives: Vec<f64> = (0..labels.len())
            .filter(|&i| !labels[i])
            .map(|i| scores[i])
            .collect();
        let kernel = |positive: f64, negative: f64| {
            if positive > negative {
                1.0
            } else if positive == negative {
                0.5
            } else {
                0.0
            }
        };
        let v10: Vec<f64> = positives
            .iter()
            .map(|&p| negatives.iter().map(|&n| kernel(p, n)).sum::<f64>() / negatives.len() as f64)
            .collect();
        let v01: Vec<f64> = negatives
            .iter()
            .map(|&n| positives.iter().map(|&p| kernel(p, n)).sum::<f64>() / positives.len() as f64)
            .collect();
        sample_covariance(&v10, &v10) / v10.len() as f64
            + sample_covariance(&v01, &v01) / v01.len() as f64
    }

    #[test]
    fn placements_match_pairwise_definition() {
        let labels = [true, false, true, true, false, false, true, false];
        let score_sets: [&[f64]; 3] = [
            &[0.9, 0.1, 0.4, 0.35, 0.8, 0.2, 0.7, 0.6],
            &[1.0, 1.0, 0.0, 2.0, 0.0, 2.0, 1.0, 1.0],
            &[0.5; 8],
        ];
        for scores in score_sets {
            let placements = Placements::new(&labels, scores);
            let expected_auc = auroc(&labels, scores).unwrap();
            assert!((placements.auc - expected_auc).abs() < 1e-15, "{scores:?}");
            let variance = placements.covariance(&placements);
            let expected_variance = pairwise_variance(&labels, scores);
            assert!((variance - expected_variance).abs() < 1e-15, "{scores:?}");
        }
    }

    #[test]
    fn hand_computed_example() {
        // Positives score 3 and 1, negatives 2 and 0. Positive placements are 1 and 0.5,
        // negative placements 0.5 and 1, so AUC = 0.75 and the variance is
        // 0.125 / 2 + 0.125 / 2 = 0.125.
        let labels = [true, true, false, false];
        let (auc, lower, upper) = delong_interval(&labels, &[3.0, 1.0, 2.0, 0.0], 0.95).unwrap();
        assert_eq!(auc, 0.75);
        // 1.959963984540054 is scipy.stats.norm.ppf(0.975), SciPy 1.17.1.
        let half_width = 1.959963984540054 * 0.125f64.sqrt();
        assert!((lower - (0.75 - half_width)).abs() < 1e-14, "lower {lower}");
        assert_eq!(upper, 1.0, "upper is clipped to 1");
    }

    #[test]
    fn symmetric_in_models() {
        let labels = [true, false, true, false, true, false, false, true, false];
        let scores_a = [0.8, 0.3, 0.6, 0.65, 0.9, 0.1, 0.4, 0.3, 0.2];
        let scores_b = [0.7, 0.5, 0.4, 0.2, 0.95, 0.3, 0.1, 0.6, 0.6];
        let forward = delong_test(&labels, &scores_a, &scores_b).unwrap();
        let backward = delong_test(&labels, &scores_b, &scores_a).unwrap();
        assert_eq!(forward.auc_a, backward.auc_b);
        assert_eq!(forward.variance_a, backward.variance_b);
        assert!((forward.z + backward.z).abs() < 1e-15);
        assert!((forward.p_value - backward.p_value).abs() < 1e-15);
        let variance_of_difference =
            forward.variance_a + forward.variance_b - 2.0 * forward.covariance;
        let z = (forward.auc_a - forward.auc_b) / variance_of_difference.sqrt();
        assert!((forward.z - z).abs() < 1e-12, "{} vs {z}", forward.z);
    }

    #[test]
    fn identical_orderings_undefined() {
        let labels = [true, false, true, false, false];
        let scores = [0.9, 0.2, 0.4, 0.5, 0.1];
        let doubled: Vec<f64> = scores.iter().map(|score| 2.0 * score + 1.0).collect();
        let error = delong_test(&labels, &scores, &doubled).unwrap_err();
        assert!(
            error
                .reason
                .starts_with("the DeLong variance of the AUROC difference is 0"),
            "{}",
            error.reason
        );
    }

    #[test]
    fn too_few_cases_undefined() {
        let expected = "the DeLong variance needs at least 2 positives and 2 negatives, got 1 \
                        positives and 3 negatives";
        let labels = [true, false, false, false];
        let scores = [0.1, 0.2, 0.3, 0.4];
        assert_eq!(
            delong_test(&labels, &scores, &scores),
            Err(Undefined::new(expected))
        );
        assert_eq!(
            delong_interval(&labels, &scores, 0.95),
            Err(Undefined::new(expected))
        );
    }

    #[test]
    fn invalid_input_undefined() {
        let labels = [true, true, false, false];
        let finite = [0.1, 0.2, 0.3, 0.4];
        let with_nan = [0.1, f64::NAN, 0.3, 0.4];
        assert_eq!(
            delong_test(&labels, &finite, &with_nan),
            Err(Undefined::new(
                "scores_b contains the non-finite value NaN at index 1"
            ))
        );
        assert_eq!(
            delong_test(&[], &[], &[]),
            Err(Undefined::new("scores_a is empty"))
        );
        for confidence in [0.0, 1.0, f64::NAN] {
            assert_eq!(
                delong_interval(&labels, &finite, confidence),
                Err(Undefined::new(format!(
                    "confidence must be strictly between 0 and 1, got {confidence}"
                )))
            );
        }
    }

    #[test]
    #[should_panic(expected = "labels has 3 elements but scores_b has 2")]
    fn length_mismatch_panics() {
        let _ = delong_test(&[true, false, true], &[0.1, 0.2, 0.3], &[0.1, 0.2]);
    }

    #[test]
    fn perfect_separation_zero_width() {
        let labels = [true, true, false, false];
        let interval = delong_interval(&labels, &[0.9, 0.8, 0.2, 0.1], 0.95).unwrap();
        assert_eq!(interval, (1.0, 1.0, 1.0));
    }
}
