//! Benchmark results: the record written to `results.json` and rendered into the
//! reports.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::data::Accounting;
use crate::features::ExtractionStats;
use crate::metrics::RocCurve;
use crate::fairness::LongTail;
use crate::pipeline::evaluate::{ClassReport, MetricReport};
use crate::pipeline::fairness::{EncoderFairness, GroupSizes};
use crate::pipeline::probe::HeadCandidate;
use crate::spec::{Benchmark, SplitPart};

/// Samples and patients in one part of the split, with class counts for class tasks.
#[derive(Debug, Clone, Serialize)]
pub struct PartCounts {
    pub part: SplitPart,
    pub samples: usize,
    pub patients: usize,
    /// Class name -> samples (class tasks only).
    pub classes: BTreeMap<String, usize>,
}

/// Provenance of the numbers (version, commit, time, device, seed), so they can be
/// cited and reproduced.
#[derive(Debug, Clone, Serialize)]
pub struct Provenance {
    pub crate_version: String,
    pub git_sha: String,
    pub started_at: String,
    pub seconds: f64,
    pub device: String,
    /// Seed of adapter training and bootstrap resampling (`--seed`).
    pub seed: u64,
    pub data_root: String,
    pub torch_threads: i32,
}

/// One encoder's result on one benchmark.
#[derive(Debug, Clone, Serialize)]
pub struct EncoderResult {
    pub encoder: String,
    pub description: String,
    pub baseline_file: String,
    pub identity: String,
    pub feature_dim: usize,
    pub extraction: ExtractionStats,
    pub selected_by: String,
    pub chosen_head: HeadCandidate,
    pub candidates: Vec<HeadCandidate>,
    pub metrics: Vec<MetricReport>,
    pub per_class: Vec<ClassReport>,
    /// Subgroup audits, when the spec has a `[fairness]` table.
    pub fairness: Option<EncoderFairness>,
    /// Findings bucketed by training frequency, when the spec has a `[long_tail]` table.
    pub long_tail: Option<LongTail>,
    /// ROC curves per class on the test split; kept out of the JSON (they are plotted).
    #[serde(skip)]
    pub roc: Vec<(String, RocCurve)>,
    /// Test predictions, for the predictions table and scatter plots.
    #[serde(skip)]
    pub test_predictions: Vec<Vec<f64>>,
}

/// An encoder named by the benchmark that could not run, with the reason.
#[derive(Debug, Clone, Serialize)]
pub struct SkippedEncoder {
    pub encoder: String,
    pub reason: String,
}

/// Per-sample identity of the test split, in the order of every encoder's predictions.
#[derive(Debug, Clone, Serialize)]
pub struct TestSample {
    pub image: String,
    pub patient: String,
    pub target: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct BenchmarkResult {
    pub benchmark: String,
    pub version: u32,
    pub description: String,
    pub spec: Benchmark,
    /// The spec file exactly as it was read.
    pub spec_source: String,
    pub task_kind: String,
    pub outputs: Vec<String>,
    pub data: Accounting,
    pub split: Vec<PartCounts>,
    /// Hash of every (patient, part) pair: equal fingerprints mean the same split, so
    /// results are comparable. The split changes when patients are added or removed.
    pub split_fingerprint: String,
    /// Subgroup sizes per split part, one entry per fairness attribute.
    pub groups: Vec<GroupSizes>,
    pub encoders: Vec<EncoderResult>,
    pub skipped: Vec<SkippedEncoder>,
    pub provenance: Provenance,
    #[serde(skip)]
    pub test_samples: Vec<TestSample>,
}

impl BenchmarkResult {
    /// Headline metric of an encoder, if defined.
    pub fn metric<'a>(&self, encoder: &'a EncoderResult, name: crate::metrics::MetricName) -> Option<&'a MetricReport> {
        encoder.metrics.iter().find(|m| m.metric == name)
    }
}
