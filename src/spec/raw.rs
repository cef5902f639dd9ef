//! Serde types that mirror the TOML of benchmark and baseline specs key for key.
//!
//! Every table rejects unknown keys. Keys that a spec must have are still `Option` here:
//! `check` reports each missing one with its key path, which serde's first-error-only
//! deserialisation could not do. `check` also tests values for meaning (fractions that
//! add up, classes that do not overlap) and turns these into the types the rest of the
//! harness takes.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::metrics::MetricName;

/// A benchmark: one dataset, one task, one split, the encoders to compare.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawBenchmark {
    pub version: Option<u32>,
    #[serde(default)]
    pub description: String,
    pub encoders: Option<Vec<String>>,
    pub metrics: Option<Vec<MetricName>>,
    pub dataset: Option<RawDataset>,
    #[serde(default)]
    pub filters: Vec<RawFilter>,
    pub task: Option<RawTask>,
    pub split: Option<RawSplit>,
    #[serde(default)]
    pub adapter: RawAdapter,
    #[serde(default)]
    pub bootstrap: RawBootstrap,
    /// Subgroup audits; absent means none.
    pub fairness: Option<RawFairness>,
    /// Per-finding AUPRC bucketed by training-set frequency; absent means none.
    pub long_tail: Option<RawLongTail>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawDataset {
    pub name: Option<DatasetName>,
    #[serde(default)]
    pub missing_images: MissingImages,
    pub join: Option<RawJoin>,
}

/// Datasets the harness has an adapter for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DatasetName {
    /// The ieee8023 COVID-19 chest X-ray collection.
    Ieee8023Covid,
}

impl DatasetName {
    pub fn as_str(self) -> &'static str {
        match self {
            DatasetName::Ieee8023Covid => "ieee8023_covid",
        }
    }
}

/// What to do when a row's image file is absent or cannot be decoded.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MissingImages {
    /// Stop before any work and list every missing or unreadable image.
    #[default]
    Error,
    /// Drop those rows, list them in the log and count them in the results.
    Skip,
}

/// An extra table joined onto the dataset's main table (for example severity scores).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawJoin {
    /// Path relative to the dataset folder.
    pub file: Option<String>,
    /// Column present in both tables.
    pub on: Option<String>,
}

/// Keep only rows whose `column` takes one of `keep`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawFilter {
    pub column: Option<String>,
    pub keep: Option<Vec<String>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskKind {
    Binary,
    Multiclass,
    Multilabel,
    Regression,
}

impl TaskKind {
    pub fn as_str(self) -> &'static str {
        match self {
            TaskKind::Binary => "binary",
            TaskKind::Multiclass => "multiclass",
            TaskKind::Multilabel => "multilabel",
            TaskKind::Regression => "regression",
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTask {
    pub kind: Option<TaskKind>,
    /// Label column for binary, multiclass and regression tasks.
    pub column: Option<String>,
    #[serde(default)]
    pub classes: Vec<RawClass>,
    /// Values of `column` whose rows are left out of the benchmark.
    #[serde(default)]
    pub exclude: Vec<String>,
}

/// One class: the values of the label column that form it.
///
/// For a multilabel task each class names its own column, and `values` are the positive
/// values of that column; other non-blank values are negatives and blanks stay missing.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawClass {
    pub name: Option<String>,
    #[serde(default)]
    pub values: Vec<String>,
    /// Takes every value that no other class lists and that is not excluded.
    #[serde(default)]
    pub rest: bool,
    pub column: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SplitMethod {
    /// Patients drawn at random into train, validation and test.
    PatientRandom,
    /// A column of the table names each row's split.
    Column,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSplit {
    pub method: Option<SplitMethod>,
    pub train: Option<f64>,
    pub val: Option<f64>,
    pub test: Option<f64>,
    pub seed: Option<u64>,
    #[serde(default = "default_true")]
    pub stratify: bool,
    /// For `method = "column"`: the column, and which of its values mean which split.
    pub column: Option<String>,
    #[serde(default)]
    pub values: BTreeMap<String, String>,
}

fn default_true() -> bool {
    true
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AdapterKind {
    /// A linear head trained by gradient descent (softmax, sigmoid or squared error).
    Linear,
    /// Closed-form ridge regression (regression tasks only).
    Ridge,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ClassWeight {
    /// Every sample weighs the same.
    None,
    /// Samples weigh the inverse of their class frequency in the training split.
    #[default]
    Balanced,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawAdapter {
    #[serde(default = "default_adapter_kind")]
    pub kind: AdapterKind,
    #[serde(default = "default_learning_rates")]
    pub learning_rates: Vec<f64>,
    #[serde(default = "default_weight_decays")]
    pub weight_decays: Vec<f64>,
    #[serde(default = "default_epochs")]
    pub epochs: usize,
    #[serde(default)]
    pub class_weight: ClassWeight,
    /// Ridge penalties, for `kind = "ridge"`.
    #[serde(default = "default_alphas")]
    pub alphas: Vec<f64>,
    /// Metric that picks the head on the validation split; defaults to the first of
    /// the benchmark's `metrics`.
    pub select_by: Option<MetricName>,
}

impl Default for RawAdapter {
    fn default() -> Self {
        RawAdapter {
            kind: default_adapter_kind(),
            learning_rates: default_learning_rates(),
            weight_decays: default_weight_decays(),
            epochs: default_epochs(),
            class_weight: ClassWeight::default(),
            alphas: default_alphas(),
            select_by: None,
        }
    }
}

fn default_adapter_kind() -> AdapterKind {
    AdapterKind::Linear
}
fn default_learning_rates() -> Vec<f64> {
    vec![1e-3, 3e-3, 1e-2, 3e-2]
}
fn default_weight_decays() -> Vec<f64> {
    vec![0.0, 1e-4, 1e-3, 1e-2]
}
fn default_epochs() -> usize {
    300
}
fn default_alphas() -> Vec<f64> {
    vec![0.1, 1.0, 10.0, 100.0, 1000.0, 10000.0]
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawBootstrap {
    #[serde(default = "default_resamples")]
    pub resamples: usize,
    #[serde(default = "default_confidence")]
    pub confidence: f64,
}

impl Default for RawBootstrap {
    fn default() -> Self {
        RawBootstrap { resamples: default_resamples(), confidence: default_confidence() }
    }
}

fn default_resamples() -> usize {
    1000
}
fn default_confidence() -> f64 {
    0.95
}

/// Subgroup audits of the benchmark's classifier (`[fairness]`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawFairness {
    pub protocols: Option<Vec<FairnessProtocol>>,
    /// Rule that picks the "finding present" threshold on the validation split.
    pub threshold: Option<ThresholdRule>,
    /// Classes that mean "no finding"; every other class is a finding.
    pub healthy_classes: Option<Vec<String>>,
    /// Seeds of the train-on-group protocol, one adapter per seed and group.
    pub seeds: Option<Vec<u64>>,
    /// Test metric that the train-on-group protocol compares.
    pub transfer_metric: Option<MetricName>,
    #[serde(default)]
    pub correction: Correction,
    #[serde(default)]
    pub attributes: Vec<RawAttribute>,
}

/// The two subgroup protocols.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FairnessProtocol {
    /// Per-group metrics of the benchmark's own classifier.
    GroupAudit,
    /// An adapter trained on one group's rows, tested on every group.
    TrainOnGroup,
}

/// How the decision threshold is chosen on the validation split.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ThresholdRule {
    /// Maximises Youden's J = sensitivity + specificity - 1.
    #[default]
    Youden,
    /// Flags as many validation images as the validation prevalence.
    Prevalence,
}

/// Multiple-testing adjustment across attributes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Correction {
    /// Holm's step-down method (family-wise error rate).
    #[default]
    Holm,
    /// Benjamini-Hochberg (false discovery rate).
    BenjaminiHochberg,
}

/// What happens to rows whose attribute is blank.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MissingAttribute {
    /// The rows form a group named "missing".
    #[default]
    Group,
    /// The rows are left out of this attribute's audit and counted.
    Exclude,
}

/// One subgroup attribute: a column, optionally binned or restricted to some values.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawAttribute {
    pub name: Option<String>,
    pub column: Option<String>,
    /// Edges of numeric bins, strictly increasing.
    pub bins: Option<Vec<f64>>,
    /// Values that form groups, in this order; other values are left out and counted.
    pub values: Option<Vec<String>>,
    #[serde(default)]
    pub missing: MissingAttribute,
}

/// Frequency boundaries of the long-tail buckets (`[long_tail]`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawLongTail {
    #[serde(default = "default_common_above")]
    pub common_above: f64,
    #[serde(default = "default_rare_below")]
    pub rare_below: f64,
}

fn default_common_above() -> f64 {
    0.10
}
fn default_rare_below() -> f64 {
    0.01
}

/// An encoder definition (`baselines/*.toml`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawBaseline {
    pub version: Option<u32>,
    #[serde(default)]
    pub description: String,
    pub architecture: Option<Architecture>,
    pub patch_size: Option<i64>,
    pub resolution: Option<i64>,
    /// Seed of the random initialisation, used when no weights file is given.
    #[serde(default)]
    pub init_seed: u64,
    /// Checkpoint path, relative to the baseline file unless absolute.
    pub weights: Option<String>,
    /// Key layout of `weights` for ViTs; defaults to DINOv2's own.
    pub format: Option<WeightsLayout>,
    #[serde(default)]
    pub num_register_tokens: i64,
    /// What a TorchScript module returns (`architecture = "torchscript"` only).
    pub torchscript_output: Option<TorchScriptOutputKind>,
    /// DINOv2's position-embedding interpolation settings (random init and `dinov2` only).
    pub interpolate_offset: Option<f64>,
    pub interpolate_antialias: Option<bool>,
    /// Changes to the architecture preset, for ViTs of other shapes.
    pub vit: Option<RawVitShape>,
    pub preprocess: Option<RawPreprocess>,
}

/// Key layout of a ViT checkpoint.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum WeightsLayout {
    /// The official DINOv2 / XRay-DINO state dicts and training checkpoints.
    #[default]
    Dinov2,
    /// Hugging Face `Dinov2Model` safetensors (RAD-DINO, facebook/dinov2-*).
    HuggingFace,
    /// timm vision-transformer weights.
    Timm,
}

/// What a TorchScript encoder returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TorchScriptOutputKind {
    /// The feature vector, `[B, F]`.
    Pooled,
    /// All tokens after the final norm, CLS first, then registers, then patches.
    Tokens,
}

#[derive(Debug, Clone, Default, Deserialize, serde::Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RawVitShape {
    pub embed_dim: Option<i64>,
    pub depth: Option<i64>,
    pub num_heads: Option<i64>,
    pub mlp_ratio: Option<f64>,
    pub feed_forward: Option<FeedForwardKind>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FeedForwardKind {
    Mlp,
    Swiglu,
}

/// Encoder architectures: DINOv2-style vision transformers and the raw-pixel control.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Architecture {
    VitTiny,
    VitSmall,
    VitBase,
    VitLarge,
    VitGiant,
    /// The downsampled image itself as the feature vector.
    RawPixels,
    /// Any TorchScript module given as `weights`.
    Torchscript,
}

impl Architecture {
    pub fn as_str(self) -> &'static str {
        match self {
            Architecture::VitTiny => "vit_tiny",
            Architecture::VitSmall => "vit_small",
            Architecture::VitBase => "vit_base",
            Architecture::VitLarge => "vit_large",
            Architecture::VitGiant => "vit_giant",
            Architecture::RawPixels => "raw_pixels",
            Architecture::Torchscript => "torchscript",
        }
    }

    /// Returns whether this is one of the built-in vision transformers.
    pub fn is_vit(self) -> bool {
        !matches!(self, Architecture::RawPixels | Architecture::Torchscript)
    }
}

/// How an image is brought to the encoder's square input.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ResizePolicy {
    /// Resize both sides to the resolution, ignoring the aspect ratio.
    #[default]
    Squash,
    /// Resize the shorter side to the resolution, then crop the centre square.
    CenterCrop,
    /// Resize the longer side to the resolution and pad the rest with black.
    Letterbox,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPreprocess {
    #[serde(default)]
    pub resize: ResizePolicy,
    pub mean: Option<Vec<f64>>,
    pub std: Option<Vec<f64>>,
    /// Number of input channels; the grey image is replicated into each.
    pub channels: Option<i64>,
}
