//! The long-tail analysis: findings bucketed by their frequency in the training split,
//! with the test AUPRC of each finding and the mean AUPRC of each bucket.

use serde::Serialize;

use crate::fairness::audit::RateReport;
use crate::metrics::{average_precision, MetricResult, Undefined};
use crate::pipeline::evaluate::{Scores, Truth};
use crate::spec::LongTailSpec;
use crate::stats::BootstrapConfig;

/// Frequency buckets, from the most to the least frequent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Bucket {
    Common,
    Uncommon,
    Rare,
}

impl Bucket {
    pub const ALL: [Bucket; 3] = [Bucket::Common, Bucket::Uncommon, Bucket::Rare];

    pub fn as_str(self) -> &'static str {
        match self {
            Bucket::Common => "common",
            Bucket::Uncommon => "uncommon",
            Bucket::Rare => "rare",
        }
    }

    /// Returns the bucket of a training frequency: common above `common_above`, rare below
    /// `rare_below`, uncommon in between with both boundaries included.
    pub fn of(frequency: f64, spec: &LongTailSpec) -> Bucket {
        if frequency > spec.common_above {
            Bucket::Common
        } else if frequency < spec.rare_below {
            Bucket::Rare
        } else {
            Bucket::Uncommon
        }
    }

    /// Returns the frequency rule of the bucket, for reports.
    pub fn rule(self, spec: &LongTailSpec) -> String {
        match self {
            Bucket::Common => format!("frequency > {}", spec.common_above),
            Bucket::Uncommon => format!("{} <= frequency <= {}", spec.rare_below, spec.common_above),
            Bucket::Rare => format!("frequency < {}", spec.rare_below),
        }
    }
}

/// One finding (a class one-vs-rest, or a multilabel finding).
#[derive(Debug, Clone, Serialize)]
pub struct FindingFrequency {
    pub finding: String,
    pub train_positives: usize,
    /// Training images with a label for this finding.
    pub train_labelled: usize,
    pub frequency: f64,
    pub bucket: Bucket,
    pub test_positives: usize,
    pub auprc: Option<f64>,
    pub undefined: Option<String>,
}

/// One bucket: its findings and their mean test AUPRC.
#[derive(Debug, Clone, Serialize)]
pub struct BucketReport {
    pub bucket: Bucket,
    pub rule: String,
    /// Empty when no finding falls in the bucket; the bucket is still reported.
    pub findings: Vec<String>,
    /// Unweighted mean AUPRC of the findings, with a patient-level bootstrap interval.
    pub mean_auprc: RateReport,
}

#[derive(Debug, Clone, Serialize)]
pub struct LongTail {
    pub findings: Vec<FindingFrequency>,
    pub buckets: Vec<BucketReport>,
}

/// Label of `finding` for row `i`: the class one-vs-rest, or the multilabel entry.
fn label(truth: &Truth, i: usize, finding: usize) -> Option<bool> {
    match truth {
        Truth::Classes { labels, .. } => Some(labels[i] == finding),
        Truth::Labels { labels } => labels[i][finding],
        Truth::Values(_) => None,
    }
}

/// Average precision of `finding` over the rows at `rows` whose label is known.
fn finding_auprc(truth: &Truth, scores: &Scores, rows: &[usize], finding: usize) -> MetricResult {
    let (y, s): (Vec<bool>, Vec<f64>) =
        rows.iter().filter_map(|&i| label(truth, i, finding).map(|l| (l, scores.values[i * scores.outputs + finding]))).unzip();
    average_precision(&y, &s)
}

/// Buckets the findings by training frequency and reports test AUPRC per finding and per
/// bucket. `names` are the task's outputs (classes or findings); a regression truth
/// gives no findings.
pub fn long_tail(
    names: &[String],
    train: &Truth,
    test: &Truth,
    test_scores: &Scores,
    test_patients: &[u64],
    spec: &LongTailSpec,
    bootstrap: &BootstrapConfig,
) -> LongTail {
    let all_test: Vec<usize> = (0..test.len()).collect();
    let findings: Vec<FindingFrequency> = names
        .iter()
        .enumerate()
        .map(|(k, name)| {
            let train_labels: Vec<bool> = (0..train.len()).filter_map(|i| label(train, i, k)).collect();
            let train_positives = train_labels.iter().filter(|&&l| l).count();
            let frequency = if train_labels.is_empty() { 0.0 } else { train_positives as f64 / train_labels.len() as f64 };
            let auprc = finding_auprc(test, test_scores, &all_test, k);
            FindingFrequency {
                finding: name.clone(),
                train_positives,
                train_labelled: train_labels.len(),
                frequency,
                bucket: Bucket::of(frequency, spec),
                test_positives: all_test.iter().filter(|&&i| label(test, i, k) == Some(true)).count(),
                auprc: auprc.as_ref().ok().copied(),
                undefined: auprc.err().map(|u| u.reason),
            }
        })
        .collect();

    let buckets = Bucket::ALL
        .iter()
        .map(|&bucket| {
            let members: Vec<usize> = (0..findings.len()).filter(|&k| findings[k].bucket == bucket).collect();
            let mean_auprc = if members.is_empty() {
                RateReport { value: None, interval: None, undefined: Some("empty bucket: no finding has this training frequency".to_string()) }
            } else {
                RateReport::bootstrap(test_patients, bootstrap, |idx| {
                    let mut sum = 0.0;
                    for &k in &members {
                        sum += finding_auprc(test, test_scores, idx, k).map_err(|u| Undefined::new(format!("{}: {}", names[k], u.reason)))?;
                    }
                    Ok(sum / members.len() as f64)
                })
            };
            BucketReport { bucket, rule: bucket.rule(spec), findings: members.iter().map(|&k| names[k].clone()).collect(), mean_auprc }
        })
        .collect();
    LongTail { findings, buckets }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPEC: LongTailSpec = LongTailSpec { common_above: 0.10, rare_below: 0.01 };

    #[test]
    fn bucket_boundaries_belong_to_uncommon() {
        let cases = [(0.5, Bucket::Common), (0.1000001, Bucket::Common), (0.10, Bucket::Uncommon), (0.01, Bucket::Uncommon), (0.0099, Bucket::Rare), (0.0, Bucket::Rare)];
        for (frequency, expected) in cases {
            assert_eq!(Bucket::of(frequency, &SPEC), expected, "frequency {frequency}");
        }
    }

    #[test]
    fn multiclass_long_tail_reports_empty_bucket() {
        // Training: 17 of class 0, 2 of class 1, 1 of class 2 -> 0.85, 0.10, 0.05.
        let mut train_labels = vec![0; 17];
        train_labels.extend([1, 1, 2]);
        let train = Truth::Classes { labels: train_labels, classes: 3 };
        let test = Truth::Classes { labels: vec![0, 0, 1, 2, 0, 1], classes: 3 };
        let rows: [[f64; 3]; 6] = [[0.8, 0.1, 0.1], [0.6, 0.3, 0.1], [0.2, 0.7, 0.1], [0.3, 0.2, 0.5], [0.5, 0.4, 0.1], [0.1, 0.6, 0.3]];
        let scores = Scores { outputs: 3, values: rows.iter().flatten().copied().collect() };
        let names = ["a", "b", "c"].map(String::from);
        let config = BootstrapConfig { resamples: 200, confidence: 0.95, seed: 1 };
        let result = long_tail(&names, &train, &test, &scores, &[0, 1, 2, 3, 4, 5], &SPEC, &config);
        let buckets: Vec<Bucket> = result.findings.iter().map(|f| f.bucket).collect();
        assert_eq!(buckets, [Bucket::Common, Bucket::Uncommon, Bucket::Uncommon]);
        assert!((result.findings[1].frequency - 0.10).abs() < 1e-12);
        // Class c: one positive with the top score 0.5 among c-scores: AP = 1.
        assert_eq!(result.findings[2].auprc, Some(1.0));
        let rare = &result.buckets[2];
        assert_eq!(rare.bucket, Bucket::Rare);
        assert!(rare.findings.is_empty());
        assert!(rare.mean_auprc.value.is_none());
        assert!(rare.mean_auprc.undefined.as_ref().unwrap().starts_with("empty bucket"));
        // Class b scores 0.1 0.3 0.7 0.2 0.4 0.6 with positives at 0.7 and 0.6: AP = 1.
        assert_eq!(result.buckets[1].mean_auprc.value, Some(1.0));
    }
}
