//! Patient-level bootstrap intervals of AUROC that sort the scores once.

use rayon::prelude::*;

use super::bootstrap::{
    check_bootstrap_inputs, draw_patients, finite_or_undefined, index_patients, percentile_interval,
};
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
    assert_eq!(
        labels.len(),
        scores.len(),
        "labels has {} elements but scores has {}",
        labels.len(),
        scores.len()
    );
    let column = AurocColumn {
        samples: (0..labels.len()).collect(),
        labels: labels.to_vec(),
        scores: scores.to_vec(),
    };
    cluster_bootstrap_aurocs(
        std::slice::from_ref(&column),
        clusters,
        config,
        |mut aurocs| aurocs.pop().expect("one AUROC per column"),
    )
}

/// Binary labels and scores of some of the samples, one input of
/// [`cluster_bootstrap_aurocs`]: one class against the rest, or one finding on the images
/// where it is labelled.
#[derive(Debug, Clone, PartialEq)]
pub struct AurocColumn {
    /// Sample index of each entry, an index into the `clusters` argument.
    pub samples: Vec<usize>,
    /// Label of each entry, `true` for positive.
    pub labels: Vec<bool>,
    /// Score of each entry. A higher score ranks the entry as more likely positive.
    pub scores: Vec<f64>,
}

/// Computes `combine` of the AUROCs of several columns and its percentile interval under
/// a bootstrap that resamples patients.
///
/// A column's AUROC on all samples counts each entry once, and on a resample it counts each
/// entry as often as the resample drew the patient of its sample. `combine` receives the
/// AUROCs of all columns in column order. For a resample in which a column has no entry,
/// the column's AUROC is `Undefined` with the reason "scores is empty", the reason
/// [`auroc`] gives for empty input.
///
/// Returns exactly what [`cluster_bootstrap`](super::cluster_bootstrap) returns with the
/// same config for a statistic that builds each column from the resampled sample indices,
/// applies [`auroc`] to each and passes the results to `combine`. The resamples, the
/// resampled values and the bounds are the same bit for bit. Like
/// [`cluster_bootstrap_auroc`], it sorts each column once and computes each resample's
/// AUROCs in one pass per column.
///
/// Returns `Undefined` for an invalid config or no samples, with `combine`'s reason when
/// it is undefined on all samples, and when fewer than half of the resamples are defined.
/// It also returns `Undefined` when a column contains a non-finite score that `combine`
/// ignored on all samples, because such a column cannot be sorted once.
///
/// # Panics
/// Panics if a column's `samples`, `labels` and `scores` differ in length, or if a sample
/// index is not below `clusters.len()`.
pub fn cluster_bootstrap_aurocs<F>(
    columns: &[AurocColumn],
    clusters: &[u64],
    config: &BootstrapConfig,
    combine: F,
) -> Result<Interval, Undefined>
where
    F: Fn(Vec<MetricResult>) -> MetricResult + Sync,
{
    for (position, column) in columns.iter().enumerate() {
        check_column(position, column, clusters.len());
    }
    check_bootstrap_inputs(clusters, config)?;

    let on_all_samples = columns
        .iter()
        .map(|column| auroc(&column.labels, &column.scores))
        .collect();
    let estimate = finite_or_undefined(combine(on_all_samples))?;
    let non_finite = columns
        .iter()
        .position(|column| column.scores.iter().any(|score| !score.is_finite()));
    if let Some(position) = non_finite {
        return Err(Undefined::new(format!(
            "column {position} contains a non-finite score, so its AUROC cannot be bootstrapped"
        )));
    }

    let (patient_of_sample, patients) = patient_positions(clusters);
    let ranked: Vec<RankedSamples> = columns
        .iter()
        .map(|column| {
            let patient_of_entry: Vec<u32> = column
                .samples
                .iter()
                .map(|&sample| patient_of_sample[sample])
                .collect();
            RankedSamples::new(&column.labels, &column.scores, &patient_of_entry, patients)
        })
        .collect();
    let results = resample_in_parallel(patients, config, u8::MAX, |draws| {
        let aurocs = ranked
            .iter()
            .map(|column| column.resample_auroc(draws))
            .collect();
        finite_or_undefined(combine(aurocs))
    });
    percentile_interval(estimate, &results, config)
}

/// Panics unless the column's vectors have one length and its sample indices are in range.
fn check_column(position: usize, column: &AurocColumn, sample_count: usize) {
    let entries = column.samples.len();
    assert_eq!(
        entries,
        column.labels.len(),
        "column {position}: samples has {entries} elements but labels has {}",
        column.labels.len()
    );
    assert_eq!(
        entries,
        column.scores.len(),
        "column {position}: samples has {entries} elements but scores has {}",
        column.scores.len()
    );
    if let Some(&sample) = column
        .samples
        .iter()
        .find(|&&sample| sample >= sample_count)
    {
        panic!(
            "column {position}: sample index {sample} is out of range for {sample_count} samples"
        );
    }
}

/// Returns the position of each sample's patient, numbered in order of first appearance as
/// [`draw_patients`] numbers them, and the number of patients.
///
/// # Panics
/// Panics for 2^30 or more patients, which the packed entries of [`RankedSamples`] cannot
/// number.
fn patient_positions(clusters: &[u64]) -> (Vec<u32>, usize) {
    let (patient_ids, patient_of_sample) = index_patients(clusters);
    assert!(
        patient_ids.len() <= PATIENT_MASK as usize,
        "the AUROC bootstrap supports at most {PATIENT_MASK} patients, got {}",
        patient_ids.len()
    );
    let patient_of_sample = patient_of_sample
        .into_iter()
        .map(|position| position as u32)
        .collect();
    (patient_of_sample, patient_ids.len())
}

/// Draws every resample of `config` in parallel and applies `statistic` to its draw counts.
///
/// Counts the draws in bytes and recounts them in `u32` when a patient reaches
/// `byte_limit` draws. The public functions pass 255, and the tests pass less to cover the
/// recount.
fn resample_in_parallel<S>(
    patients: usize,
    config: &BootstrapConfig,
    byte_limit: u8,
    statistic: S,
) -> Vec<MetricResult>
where
    S: Fn(Draws) -> MetricResult + Sync,
{
    (0..config.resamples)
        .into_par_iter()
        .map_init(DrawCounts::default, |counts, resample| {
            statistic(counts.draw(patients, config.seed, resample as u64, byte_limit))
        })
        .collect()
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

/// Number of draws of each patient in one resample, indexed by patient position.
#[derive(Clone, Copy)]
enum Draws<'a> {
    Bytes(&'a [u8]),
    Wide(&'a [u32]),
}

impl DrawCounts {
    /// Draws resample `stream` and counts the draws of each patient, in bytes unless some
    /// patient reaches `byte_limit` draws.
    fn draw(&mut self, patients: usize, seed: u64, stream: u64, byte_limit: u8) -> Draws<'_> {
        self.small.clear();
        self.small.resize(patients, 0);
        let mut saturated = false;
        draw_patients(patients, seed, stream, |patient| {
            let count = &mut self.small[patient];
            if *count >= byte_limit {
                saturated = true;
            } else {
                *count += 1;
            }
        });
        if !saturated {
            return Draws::Bytes(&self.small);
        }

        self.wide.clear();
        self.wide.resize(patients, 0);
        draw_patients(patients, seed, stream, |patient| {
            self.wide[patient] += 1;
        });
        Draws::Wide(&self.wide)
    }
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
    /// Largest number of entries of one patient.
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
    /// Sorts the entries by score. `scores` must be finite, and every patient position
    /// must be below `patients`.
    fn new(labels: &[bool], scores: &[f64], patient_of_entry: &[u32], patients: usize) -> Self {
        let mut entries_per_patient = vec![0usize; patients];
        for &patient in patient_of_entry {
            entries_per_patient[patient as usize] += 1;
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
                let mut entry = patient_of_entry[sample];
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
            largest_patient: entries_per_patient.into_iter().max().unwrap_or(0),
        }
    }

    /// Computes the AUROC of the resample with the given draw counts.
    fn resample_auroc(&self, draws: Draws) -> MetricResult {
        match draws {
            Draws::Bytes(counts) => self.weighted_auroc(counts),
            Draws::Wide(counts) => self.weighted_auroc(counts),
        }
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
        let max_samples = (draws.len() as u128) * (self.largest_patient as u128);
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

        if positives == 0 && negatives == 0 {
            return Err(Undefined::new("scores is empty"));
        }
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
    use crate::metrics::mean_over_classes;
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
        let (patient_of_sample, patients) = patient_positions(&clusters);
        let ranked = RankedSamples::new(&labels, &scores, &patient_of_sample, patients);
        let results =
            resample_in_parallel(patients, &config, 2, |draws| ranked.resample_auroc(draws));
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

    /// Runs the generic bootstrap with `combine` of the AUROCs of the columns built from the
    /// resampled samples.
    fn generic_columns(
        columns: &[AurocColumn],
        clusters: &[u64],
        config: &BootstrapConfig,
        combine: impl Fn(Vec<MetricResult>) -> MetricResult + Sync,
    ) -> Result<Interval, Undefined> {
        let entries_of_sample: Vec<Vec<Vec<usize>>> = columns
            .iter()
            .map(|column| {
                let mut entries = vec![Vec::new(); clusters.len()];
                for (entry, &sample) in column.samples.iter().enumerate() {
                    entries[sample].push(entry);
                }
                entries
            })
            .collect();
        cluster_bootstrap(clusters, config, |indices: &[usize]| {
            let aurocs = columns
                .iter()
                .zip(&entries_of_sample)
                .map(|(column, entries)| {
                    let (labels, scores): (Vec<bool>, Vec<f64>) = indices
                        .iter()
                        .flat_map(|&sample| &entries[sample])
                        .map(|&entry| (column.labels[entry], column.scores[entry]))
                        .unzip();
                    auroc(&labels, &scores)
                })
                .collect();
            combine(aurocs)
        })
    }

    /// Returns the patient ids of `sample_data` and three columns over its samples: all
    /// samples, every other sample with the score negated, and every third sample listed
    /// twice with the label flipped.
    fn sample_columns(size: usize, seed: u64) -> (Vec<AurocColumn>, Vec<u64>) {
        let (labels, scores, clusters) = sample_data(size, 2, seed);
        let all = AurocColumn {
            samples: (0..size).collect(),
            labels: labels.clone(),
            scores: scores.clone(),
        };
        let every_other: Vec<usize> = (0..size).step_by(2).collect();
        let negated = AurocColumn {
            labels: every_other.iter().map(|&sample| labels[sample]).collect(),
            scores: every_other.iter().map(|&sample| -scores[sample]).collect(),
            samples: every_other,
        };
        let every_third: Vec<usize> = (0..size)
            .step_by(3)
            .flat_map(|sample| [sample, sample])
            .collect();
        let repeated = AurocColumn {
            labels: every_third.iter().map(|&sample| !labels[sample]).collect(),
            scores: every_third
                .iter()
                .map(|&sample| scores[sample] * 0.5)
                .collect(),
            samples: every_third,
        };
        (vec![all, negated, repeated], clusters)
    }

    #[test]
    fn columns_equal_generic_bootstrap() {
        for (size, seed) in [(400, 21), (90, 22)] {
            let (columns, clusters) = sample_columns(size, seed);
            let config = config(300, seed);
            let fast = cluster_bootstrap_aurocs(&columns, &clusters, &config, mean_over_classes);
            let expected = generic_columns(&columns, &clusters, &config, mean_over_classes);
            assert!(fast.is_ok(), "size {size}: {fast:?}");
            assert_eq!(fast, expected, "size {size}");
        }
    }

    #[test]
    fn empty_column_resamples_like_generic() {
        // The third column covers the first and the last sample, of two of about 40
        // patients. About 37% of resamples draw neither patient, so the column has no entry,
        // and half draw only one, so it has one class. `combine` maps the first case to -1
        // and keeps the reason of the second, so equal intervals show that both cases match
        // the generic bootstrap resample by resample.
        let (mut columns, clusters) = sample_columns(100, 23);
        columns[2] = AurocColumn {
            samples: vec![0, 99],
            labels: vec![true, false],
            scores: vec![0.2, 0.7],
        };
        let empty_as_minus_one = |aurocs: Vec<MetricResult>| match &aurocs[2] {
            Err(undefined) if undefined.reason == "scores is empty" => Ok(-1.0),
            _ => mean_over_classes(aurocs),
        };
        let config = config(400, 23);
        let fast = cluster_bootstrap_aurocs(&columns, &clusters, &config, empty_as_minus_one);
        let expected = generic_columns(&columns, &clusters, &config, empty_as_minus_one);
        assert_eq!(fast, expected);
        let interval = fast.unwrap();
        assert_eq!(interval.lower, -1.0, "{interval:?}");
        assert!(interval.valid_resamples < 400, "{interval:?}");

        // Without the mapping, fewer than half of the resamples are defined.
        let fast = cluster_bootstrap_aurocs(&columns, &clusters, &config, mean_over_classes);
        let expected = generic_columns(&columns, &clusters, &config, mean_over_classes);
        let error = fast.clone().unwrap_err();
        assert!(
            error
                .reason
                .contains("(first undefined resample: class 2: "),
            "{}",
            error.reason
        );
        assert_eq!(fast, expected);
    }

    #[test]
    fn ignored_non_finite_column_undefined() {
        let columns = [
            AurocColumn {
                samples: vec![0, 1, 2],
                labels: vec![true, false, true],
                scores: vec![0.9, 0.1, 0.4],
            },
            AurocColumn {
                samples: vec![0, 1],
                labels: vec![true, false],
                scores: vec![f64::NAN, 0.2],
            },
        ];
        let first_only = |aurocs: Vec<MetricResult>| aurocs[0].clone();
        let result = cluster_bootstrap_aurocs(&columns, &[1, 2, 3], &config(10, 0), first_only);
        assert_eq!(
            result,
            Err(Undefined::new(
                "column 1 contains a non-finite score, so its AUROC cannot be bootstrapped"
            ))
        );
    }

    #[test]
    #[should_panic(expected = "column 0: sample index 3 is out of range for 3 samples")]
    fn column_sample_out_of_range_panics() {
        let column = AurocColumn {
            samples: vec![0, 3],
            labels: vec![true, false],
            scores: vec![0.1, 0.2],
        };
        let _ = cluster_bootstrap_aurocs(&[column], &[1, 2, 3], &config(10, 0), mean_over_classes);
    }
}
