//! Patient-level bootstrap interval of AUROC that sorts the scores once.

use rayon::prelude::*;

use super::bootstrap::{draw_patients, percentile_interval, samples_by_patient};
use super::{BootstrapConfig, Interval};
use crate::metrics::{auroc, MetricResult, Undefined};

/// Computes AUROC and its percentile interval under a bootstrap that resamples patients.
///
/// Returns exactly what [`cluster_bootstrap`](super::cluster_bootstrap) returns for the
/// statistic `auroc(labels[indices], scores[indices])` with the same config: the same
/// resamples, the same resampled values bit for bit, the same bounds. It is faster because
/// it sorts the scores once. A resample is then a count of draws per patient, and its AUROC
/// is one pass over the sorted samples weighted by those counts, O(n) instead of
/// O(n log n) with a fresh allocation per resample.
///
/// `clusters[i]` is the patient id of sample `i`. Pass distinct ids for a plain bootstrap
/// over samples.
///
/// Returns `Undefined` where `cluster_bootstrap` does: an invalid config, no samples,
/// AUROC undefined on all samples (a non-finite score, one class only), and fewer than half
/// of the resamples with both classes.
///
/// # Panics
/// Panics if `labels`, `scores` and `clusters` differ in length.
pub fn cluster_bootstrap_auroc(
    labels: &[bool],
    scores: &[f64],
    clusters: &[u64],
    config: &BootstrapConfig,
) -> Result<Interval, Undefined> {
    assert_eq!(
        labels.len(),
        clusters.len(),
        "labels has {} elements but clusters has {}",
        labels.len(),
        clusters.len()
    );
    config
        .validate()
        .map_err(|error| Undefined::new(format!("invalid bootstrap configuration: {error}")))?;
    if clusters.is_empty() {
        return Err(Undefined::new("no samples to bootstrap"));
    }
    // Also checks that `scores` has the length of `labels` and is finite.
    let estimate = auroc(labels, scores)?;

    let ranked = RankedSamples::new(labels, scores, clusters);
    let results: Vec<MetricResult> = (0..config.resamples)
        .into_par_iter()
        .map_init(DrawCounts::default, |counts, resample| {
            ranked.resample_auroc(counts, config.seed, resample as u64, u8::MAX)
        })
        .collect();
    percentile_interval(estimate, &results, config)
}

/// Buffers of the number of draws of each patient, reused across resamples.
#[derive(Default)]
struct DrawCounts {
    /// Counts in one byte each, a quarter of the memory of `u32` counts (100 KB for 100,000
    /// patients), for fewer cache misses on the random increments.
    small: Vec<u8>,
    /// Counts of a resample that drew some patient more often than `small` can count.
    wide: Vec<u32>,
}

/// Bit of a packed entry that contains the sample's label.
const POSITIVE_BIT: u32 = 1 << 31;
/// Bit of a packed entry that marks the last sample of a group of equal scores.
const GROUP_END_BIT: u32 = 1 << 30;
/// Bits of a packed entry that contain the patient position.
const PATIENT_MASK: u32 = GROUP_END_BIT - 1;

/// Samples in increasing order of score, each packed with its label, its patient and
/// whether it ends a group of equal scores.
struct RankedSamples {
    /// One entry per sample in score order: the patient position (order of first
    /// appearance) in the low 30 bits, `GROUP_END_BIT` and `POSITIVE_BIT`.
    entries: Vec<u32>,
    /// Number of distinct patients.
    patients: usize,
    /// Largest number of samples of one patient.
    largest_patient: usize,
}

/// Sums of one sweep over the weighted samples.
struct Sweep<A> {
    /// Twice the number of (positive, negative) pairs ordered correctly, ties counting one
    /// half.
    doubled_concordant: A,
    positives: u64,
    negatives: u64,
}

impl RankedSamples {
    /// Sorts the samples by score. `scores` must be finite.
    ///
    /// # Panics
    /// Panics for 2^30 or more patients, which the packed entries cannot number.
    fn new(labels: &[bool], scores: &[f64], clusters: &[u64]) -> Self {
        let by_patient = samples_by_patient(clusters);
        assert!(
            by_patient.len() <= PATIENT_MASK as usize,
            "the AUROC bootstrap supports at most {PATIENT_MASK} patients, got {}",
            by_patient.len()
        );
        let mut patient_of_sample = vec![0u32; clusters.len()];
        for (position, samples) in by_patient.iter().enumerate() {
            for &sample in samples {
                patient_of_sample[sample] = position as u32;
            }
        }

        let mut order: Vec<usize> = (0..scores.len()).collect();
        order.sort_unstable_by(|&left, &right| scores[left].total_cmp(&scores[right]));
        let entries = order
            .iter()
            .enumerate()
            .map(|(rank, &sample)| {
                // `total_cmp` puts -0.0 right before 0.0, and `!=` keeps them in one group.
                let ends_group = order
                    .get(rank + 1)
                    .is_none_or(|&next| scores[next] != scores[sample]);
                let mut entry = patient_of_sample[sample];
                if ends_group {
                    entry |= GROUP_END_BIT;
                }
                if labels[sample] {
                    entry |= POSITIVE_BIT;
                }
                entry
            })
            .collect();

        RankedSamples {
            entries,
            patients: by_patient.len(),
            largest_patient: by_patient.iter().map(Vec::len).max().unwrap_or(0),
        }
    }

    /// Draws resample `stream` and computes its AUROC.
    ///
    /// Counts the draws in bytes and recounts them in `u32` when a patient reaches
    /// `byte_limit` draws. Production code passes 255, and the tests pass less to cover the
    /// recount.
    fn resample_auroc(
        &self,
        counts: &mut DrawCounts,
        seed: u64,
        stream: u64,
        byte_limit: u8,
    ) -> MetricResult {
        counts.small.clear();
        counts.small.resize(self.patients, 0);
        let mut saturated = false;
        draw_patients(self.patients, seed, stream, |patient| {
            let count = &mut counts.small[patient];
            if *count >= byte_limit {
                saturated = true;
            } else {
                *count += 1;
            }
        });
        if !saturated {
            return self.weighted_auroc(&counts.small);
        }

        counts.wide.clear();
        counts.wide.resize(self.patients, 0);
        draw_patients(self.patients, seed, stream, |patient| {
            counts.wide[patient] += 1;
        });
        self.weighted_auroc(&counts.wide)
    }

    /// Computes AUROC when each sample counts as often as its patient was drawn.
    ///
    /// Works in exact integers like [`auroc`]: each group of equal scores adds its
    /// positives times (twice the negatives below it + the negatives inside it), and the
    /// sum is divided by twice the product of positives and negatives. Equal counts give
    /// the same two integers as `auroc` on the expanded resample, hence the same `f64`.
    fn weighted_auroc<C: Copy + Into<u64>>(&self, draws: &[C]) -> MetricResult {
        // A resample contains at most patients x largest_patient samples. Below 2^32 samples,
        // every product and sum of the sweep stays below 2^63, so u64 is exact and faster.
        let max_samples = (self.patients as u128) * (self.largest_patient as u128);
        let (doubled_concordant, positives, negatives) = if max_samples < 1 << 32 {
            let sweep = self.sweep::<u64, C>(draws);
            (
                u128::from(sweep.doubled_concordant),
                sweep.positives,
                sweep.negatives,
            )
        } else {
            let sweep = self.sweep::<u128, C>(draws);
            (sweep.doubled_concordant, sweep.positives, sweep.negatives)
        };

        if positives == 0 || negatives == 0 {
            return Err(Undefined::new(format!(
                "only one class present ({positives} positives of {})",
                positives + negatives
            )));
        }
        let doubled_pairs = 2 * u128::from(positives) * u128::from(negatives);
        Ok(doubled_concordant as f64 / doubled_pairs as f64)
    }

    /// Sums the concordant pairs in one pass in score order, in the integer type `A`.
    ///
    /// A positive of weight w adds w times the negatives of lower groups, and each group
    /// adds its positives times its negatives once for its ties, so that twice the first
    /// sum plus the second is the doubled concordant count.
    fn sweep<A, C: Copy + Into<u64>>(&self, draws: &[C]) -> Sweep<A>
    where
        A: Copy
            + From<u64>
            + std::ops::Add<Output = A>
            + std::ops::Mul<Output = A>
            + std::ops::AddAssign,
    {
        let zero = A::from(0);
        let mut below_pairs = zero;
        let mut tie_pairs = zero;
        let mut negatives_below: u64 = 0;
        let mut positives: u64 = 0;
        let mut group_positives: u64 = 0;
        let mut group_weight: u64 = 0;
        for &entry in &self.entries {
            let weight: u64 = draws[(entry & PATIENT_MASK) as usize].into();
            // Multiplying by the label instead of branching on it avoids a mispredicted
            // branch per sample, because labels in score order look random.
            let positive_weight = weight * u64::from(entry >> 31);
            below_pairs += A::from(positive_weight) * A::from(negatives_below);
            group_positives += positive_weight;
            group_weight += weight;
            if entry & GROUP_END_BIT != 0 {
                let group_negatives = group_weight - group_positives;
                tie_pairs += A::from(group_positives) * A::from(group_negatives);
                negatives_below += group_negatives;
                positives += group_positives;
                group_positives = 0;
                group_weight = 0;
            }
        }
        Sweep {
            doubled_concordant: below_pairs + below_pairs + tie_pairs,
            positives,
            negatives: negatives_below,
        }
    }
}

#[cfg(test)]
mod tests {
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    use super::*;
    use crate::stats::cluster_bootstrap;

    fn config(resamples: usize, seed: u64) -> BootstrapConfig {
        BootstrapConfig {
            resamples,
            confidence: 0.95,
            seed,
        }
    }

    /// Runs the generic bootstrap with the AUROC of the resampled samples.
    fn generic(
        labels: &[bool],
        scores: &[f64],
        clusters: &[u64],
        config: &BootstrapConfig,
    ) -> Result<Interval, Undefined> {
        cluster_bootstrap(clusters, config, |indices: &[usize]| {
            let labels: Vec<bool> = indices.iter().map(|&index| labels[index]).collect();
            let scores: Vec<f64> = indices.iter().map(|&index| scores[index]).collect();
            auroc(&labels, &scores)
        })
    }

    /// Returns labels, scores rounded to `decimals` and patient ids of 1 to 4 samples each.
    fn sample_data(size: usize, decimals: i32, seed: u64) -> (Vec<bool>, Vec<f64>, Vec<u64>) {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let labels: Vec<bool> = (0..size).map(|_| rng.random::<f64>() < 0.3).collect();
        let scale = 10f64.powi(decimals);
        let scores: Vec<f64> = labels
            .iter()
            .map(|&label| {
                let score = rng.random::<f64>() + if label { 0.3 } else { 0.0 };
                (score * scale).round() / scale
            })
            .collect();
        let mut clusters = Vec::with_capacity(size);
        let mut patient = 1000u64;
        while clusters.len() < size {
            let images = rng.random_range(1..=4);
            for _ in 0..images {
                clusters.push(patient);
            }
            patient += 7;
        }
        clusters.truncate(size);
        (labels, scores, clusters)
    }

    #[test]
    fn equals_generic_bootstrap() {
        let cases = [(300, 6, 1), (300, 1, 2), (57, 2, 3), (1000, 3, 4)];
        for (size, decimals, seed) in cases {
            let (labels, scores, clusters) = sample_data(size, decimals, seed);
            let plain: Vec<u64> = (0..size as u64).collect();
            for clusters in [&clusters, &plain] {
                let config = config(200, seed);
                let fast = cluster_bootstrap_auroc(&labels, &scores, clusters, &config);
                let expected = generic(&labels, &scores, clusters, &config);
                assert_eq!(fast, expected, "size {size}, {decimals} decimals");
            }
        }
    }

    #[test]
    fn recount_after_byte_limit() {
        // A limit of 2 draws sends most resamples of 40 patients to the u32 recount.
        let (labels, scores, clusters) = sample_data(120, 2, 8);
        let config = config(150, 8);
        let ranked = RankedSamples::new(&labels, &scores, &clusters);
        let mut counts = DrawCounts::default();
        let results: Vec<MetricResult> = (0..config.resamples as u64)
            .map(|resample| ranked.resample_auroc(&mut counts, config.seed, resample, 2))
            .collect();
        let estimate = auroc(&labels, &scores).unwrap();
        let fast = percentile_interval(estimate, &results, &config);
        assert_eq!(fast, generic(&labels, &scores, &clusters, &config));
    }

    #[test]
    fn undefined_resamples_counted_like_generic() {
        // Two positives of 12 patients: about 30% of resamples draw neither.
        let labels: Vec<bool> = (0..12).map(|index| index < 2).collect();
        let scores: Vec<f64> = (0..12).map(|index| f64::from(index) * 0.1).collect();
        let clusters: Vec<u64> = (0..12).collect();
        let config = config(300, 9);
        let fast = cluster_bootstrap_auroc(&labels, &scores, &clusters, &config).unwrap();
        assert!(fast.valid_resamples < 300, "{fast:?}");
        assert_eq!(Ok(fast), generic(&labels, &scores, &clusters, &config));
    }

    #[test]
    fn signed_zero_scores_tie() {
        let labels = [true, false, true, false];
        let scores = [0.0, -0.0, 0.5, -0.0];
        let clusters = [1, 2, 3, 4];
        let config = config(100, 5);
        let fast = cluster_bootstrap_auroc(&labels, &scores, &clusters, &config);
        assert_eq!(fast, generic(&labels, &scores, &clusters, &config));
    }

    #[test]
    fn undefined_inputs() {
        let config = config(10, 0);
        let cases: [(&[bool], &[f64], &[u64], &str); 3] = [
            (&[], &[], &[], "no samples to bootstrap"),
            (
                &[true, true],
                &[0.1, 0.2],
                &[1, 2],
                "only one class present (2 positives of 2)",
            ),
            (
                &[true, false],
                &[0.1, f64::NAN],
                &[1, 2],
                "scores contains the non-finite value NaN at index 1",
            ),
        ];
        for (labels, scores, clusters, reason) in cases {
            assert_eq!(
                cluster_bootstrap_auroc(labels, scores, clusters, &config),
                Err(Undefined::new(reason)),
                "labels {labels:?}"
            );
        }
        let no_resamples = BootstrapConfig {
            resamples: 0,
            ..config
        };
        let error = cluster_bootstrap_auroc(&[true, false], &[0.1, 0.2], &[1, 2], &no_resamples)
            .unwrap_err();
        assert!(
            error.reason.starts_with("invalid bootstrap configuration"),
            "{error:?}"
        );
    }

    #[test]
    #[should_panic(expected = "labels has 2 elements but clusters has 3")]
    fn length_mismatch_panics() {
        let _ = cluster_bootstrap_auroc(&[true, false], &[0.1, 0.2], &[1, 2, 3], &config(10, 0));
    }
}
