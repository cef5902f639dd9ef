//! Runs the fairness protocols and the long-tail analysis of one encoder inside a
//! benchmark run: the group audit of the benchmark's own head, and adapters trained on
//! one group's rows and tested on every group.

use std::collections::BTreeSet;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

use crate::adapters::Features;
use crate::fairness::{
    adjust, audit_attribute, choose_threshold, compare, decision, long_tail, AttributeAudit, AuditData, Grouping, LongTail,
    SkippedTraining, ThresholdChoice, TransferAttribute, TransferCell, TransferRun,
};
use crate::metrics::MetricName;
use crate::pipeline::evaluate::{metric_on, Scores, Truth};
use crate::pipeline::probe::{fit_and_select, ProbeData};
use crate::spec::{AdapterSpec, Benchmark, FairnessSpec, SplitPart};
use crate::stats::BootstrapConfig;

/// The fairness results of one encoder.
#[derive(Debug, Clone, Serialize)]
pub struct EncoderFairness {
    /// The finding-present threshold, chosen on the validation split (class tasks).
    pub threshold: Option<ThresholdChoice>,
    pub threshold_undefined: Option<String>,
    pub audits: Vec<AttributeAudit>,
    pub train_on_group: Vec<TransferAttribute>,
}

/// Everything about the benchmark's data that the protocols need, shared by encoders.
pub struct FairnessData<'a> {
    pub spec: &'a FairnessSpec,
    pub metrics: &'a [MetricName],
    pub adapter: &'a AdapterSpec,
    pub groupings: &'a [Grouping],
    /// Cohort indices of the three parts.
    pub train_idx: &'a [usize],
    pub val_idx: &'a [usize],
    pub test_idx: &'a [usize],
    /// Patient id per cohort sample.
    pub patients: &'a [u64],
    /// Ground truth of any set of cohort indices.
    pub truth_of: &'a dyn Fn(&[usize]) -> Truth,
    pub bootstrap: BootstrapConfig,
}

/// The chosen head's predictions and the encoder's features.
pub struct EncoderPredictions<'a> {
    pub val_truth: &'a Truth,
    pub val_scores: &'a Scores,
    pub test_truth: &'a Truth,
    pub test_scores: &'a Scores,
    /// Feature row per cohort sample.
    pub rows: &'a [&'a [f32]],
}

/// Runs the protocols the spec turns on for one encoder.
pub fn encoder_fairness(data: &FairnessData, predictions: &EncoderPredictions) -> EncoderFairness {
    let spec = data.spec;
    let test_patients: Vec<u64> = data.test_idx.iter().map(|&i| data.patients[i]).collect();
    let test_decision = decision(predictions.test_truth, predictions.test_scores, &spec.healthy_classes);
    // The threshold is chosen from validation predictions only, so test rows never enter it.
    let threshold = spec.threshold.and_then(|rule| {
        let validation = decision(predictions.val_truth, predictions.val_scores, &spec.healthy_classes)?;
        Some(choose_threshold(rule, &validation))
    });

    let mut audits = Vec::new();
    if spec.group_audit {
        for grouping in data.groupings {
            let groups: Vec<Option<usize>> = data.test_idx.iter().map(|&i| grouping.of_sample[i]).collect();
            let audit_data = AuditData {
                truth: predictions.test_truth,
                scores: predictions.test_scores,
                patients: &test_patients,
                groups: &groups,
                decision: test_decision.as_ref(),
            };
            audits.push(audit_attribute(grouping, &audit_data, data.metrics, threshold.as_ref(), &data.bootstrap));
        }
    }

    let mut train_on_group = Vec::new();
    if spec.train_on_group {
        for grouping in data.groupings {
            train_on_group.push(transfer_attribute(data, predictions, grouping));
        }
        adjust(&mut train_on_group, spec.correction);
    }

    let (threshold, threshold_undefined) = match threshold {
        Some(Ok(choice)) => (Some(choice), None),
        Some(Err(reason)) => (None, Some(reason.reason)),
        None => (None, None),
    };
    EncoderFairness { threshold, threshold_undefined, audits, train_on_group }
}

/// Returns why a training or validation set cannot train or select a head, if it cannot.
fn untrainable(truth: &Truth) -> Option<String> {
    match truth {
        Truth::Classes { labels, .. } => {
            let classes: BTreeSet<usize> = labels.iter().copied().collect();
            (classes.len() < 2).then(|| format!("{} image(s) of {} class(es); two classes are needed", labels.len(), classes.len()))
        }
        Truth::Labels { labels } => {
            let outputs = truth.outputs();
            let both = (0..outputs).any(|k| {
                let known: BTreeSet<bool> = labels.iter().filter_map(|row| row[k]).collect();
                known.len() == 2
            });
            (!both).then(|| format!("{} image(s) and no finding with both a positive and a negative label", labels.len()))
        }
        Truth::Values(values) => {
            let constant = values.windows(2).all(|pair| pair[0] == pair[1]);
            (values.len() < 3 || constant).then(|| format!("{} image(s); at least 3 with differing targets are needed", values.len()))
        }
    }
}

/// Draws a patient-level bootstrap resample of `rows` (cohort indices), seeded by `seed`:
/// as many patients as there are, with replacement, each with all their images.
fn resample_patients(rows: &[usize], patients: &[u64], seed: u64) -> Vec<usize> {
    let distinct: Vec<u64> = rows.iter().map(|&i| patients[i]).collect::<BTreeSet<_>>().into_iter().collect();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut drawn = Vec::new();
    for _ in 0..distinct.len() {
        let patient = distinct[rng.random_range(0..distinct.len())];
        drawn.extend(rows.iter().copied().filter(|&i| patients[i] == patient));
    }
    drawn
}

/// Trains one adapter per (training group, seed) and tests it on every group.
///
/// The linear and ridge adapters train deterministically (zero initialisation, full
/// batch), so a seed selects a patient-level bootstrap resample of the group's training
/// rows. Hyperparameters are chosen on the group's validation rows. The blank-value group
/// is tested but not trained on, and takes no part in the comparison.
fn transfer_attribute(data: &FairnessData, predictions: &EncoderPredictions, grouping: &Grouping) -> TransferAttribute {
    let features = |idx: &[usize]| Features::from_rows(&idx.iter().map(|&i| predictions.rows[i]).collect::<Vec<_>>());
    let test_features = features(data.test_idx);
    let test_groups: Vec<Option<usize>> = data.test_idx.iter().map(|&i| grouping.of_sample[i]).collect();
    let mut runs = Vec::new();
    let mut skipped = Vec::new();

    for (group, name) in grouping.groups.iter().enumerate() {
        if grouping.is_missing_group(group) {
            skipped.push(SkippedTraining { train_group: name.clone(), seed: None, reason: "images without the attribute are not a training group".to_string() });
            continue;
        }
        let train_rows = grouping.members(group, data.train_idx);
        let val_rows = grouping.members(group, data.val_idx);
        let val_truth = (data.truth_of)(&val_rows);
        let reason = untrainable(&(data.truth_of)(&train_rows))
            .map(|r| format!("training split: {r}"))
            .or_else(|| untrainable(&val_truth).map(|r| format!("validation split: {r}")));
        if let Some(reason) = reason {
            tracing::info!(attribute = %grouping.attribute, group = %name, %reason, "group skipped for train_on_group");
            skipped.push(SkippedTraining { train_group: name.clone(), seed: None, reason });
            continue;
        }
        let val_features = features(&val_rows);
        for &seed in &data.spec.seeds {
            let drawn = resample_patients(&train_rows, data.patients, seed);
            let train_truth = (data.truth_of)(&drawn);
            if let Some(reason) = untrainable(&train_truth) {
                skipped.push(SkippedTraining { train_group: name.clone(), seed: Some(seed), reason: format!("bootstrap resample: {reason}") });
                continue;
            }
            let train_features = features(&drawn);
            let probe = ProbeData { train: &train_features, train_truth: &train_truth, val: &val_features, val_truth: &val_truth, test: &test_features };
            let outcome = fit_and_select(&probe, data.adapter, &indicatif::ProgressBar::hidden());
            let cells = grouping
                .groups
                .iter()
                .enumerate()
                .map(|(test_group, test_name)| {
                    let rows: Vec<usize> = (0..test_groups.len()).filter(|&i| test_groups[i] == Some(test_group)).collect();
                    let result = if rows.is_empty() {
                        Err(crate::metrics::Undefined::new("no test images in this group"))
                    } else {
                        metric_on(data.spec.transfer_metric, predictions.test_truth, &outcome.test_scores, &rows)
                    };
                    TransferCell { test_group: test_name.clone(), test_images: rows.len(), value: result.as_ref().ok().copied(), undefined: result.err().map(|u| u.reason) }
                })
                .collect();
            runs.push(TransferRun { train_group: name.clone(), seed, train_images: drawn.len(), validation_images: val_rows.len(), cells });
        }
    }
    let missing = grouping.has_missing_group.then(|| crate::fairness::MISSING_GROUP);
    let comparison = compare(&runs, missing);
    TransferAttribute { attribute: grouping.attribute.clone(), runs, skipped, comparison }
}

/// Runs the long-tail analysis when the spec has a `[long_tail]` table.
pub fn encoder_long_tail(benchmark: &Benchmark, train_truth: &Truth, predictions: &EncoderPredictions, test_patients: &[u64], bootstrap: &BootstrapConfig) -> Option<LongTail> {
    let spec = benchmark.long_tail.as_ref()?;
    let names = benchmark.task.output_names();
    Some(long_tail(&names, train_truth, predictions.test_truth, predictions.test_scores, test_patients, spec, bootstrap))
}

/// Samples and patients of each group in each split part, and the samples left out of the
/// attribute per part, so that group sizes add up to each part's size.
#[derive(Debug, Clone, Serialize)]
pub struct GroupSizes {
    pub attribute: String,
    pub column: String,
    pub groups: Vec<GroupSize>,
    /// Reason -> samples per part left out of this attribute.
    pub excluded: Vec<ExcludedSize>,
}

#[derive(Debug, Clone, Serialize)]
pub struct GroupSize {
    pub group: String,
    pub train: usize,
    pub val: usize,
    pub test: usize,
    pub test_patients: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct ExcludedSize {
    pub reason: String,
    pub train: usize,
    pub val: usize,
    pub test: usize,
}

/// Counts each group's samples per part, and the samples left out per reason and part.
pub fn group_sizes(grouping: &Grouping, parts: &[SplitPart], patients: &[u64]) -> GroupSizes {
    let reasons = &grouping.reason_of_sample;
    let count = |select: &dyn Fn(usize) -> bool, part: SplitPart| (0..parts.len()).filter(|&i| parts[i] == part && select(i)).count();
    let groups = grouping
        .groups
        .iter()
        .enumerate()
        .map(|(g, name)| {
            let in_group = |i: usize| grouping.of_sample[i] == Some(g);
            let test_patients: BTreeSet<u64> = (0..parts.len()).filter(|&i| parts[i] == SplitPart::Test && in_group(i)).map(|i| patients[i]).collect();
            GroupSize {
                group: name.clone(),
                train: count(&in_group, SplitPart::Train),
                val: count(&in_group, SplitPart::Val),
                test: count(&in_group, SplitPart::Test),
                test_patients: test_patients.len(),
            }
        })
        .collect();
    let distinct: BTreeSet<&String> = reasons.iter().flatten().collect();
    let excluded = distinct
        .into_iter()
        .map(|reason| {
            let has = |i: usize| reasons[i].as_ref() == Some(reason);
            ExcludedSize { reason: reason.clone(), train: count(&has, SplitPart::Train), val: count(&has, SplitPart::Val), test: count(&has, SplitPart::Test) }
        })
        .collect();
    GroupSizes { attribute: grouping.attribute.clone(), column: grouping.column.clone(), groups, excluded }
}
