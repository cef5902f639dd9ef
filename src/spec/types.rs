//! Checked specs: what the rest of the harness takes once `check` has accepted a file.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Serialize;

use crate::metrics::MetricName;
pub use crate::spec::raw::{
    AdapterKind, Architecture, ClassWeight, Correction, DatasetName, FairnessProtocol, MissingAttribute, ThresholdRule, FeedForwardKind, MissingImages, RawVitShape as VitShape,
    ResizePolicy, SplitMethod, TaskKind, TorchScriptOutputKind, WeightsLayout,
};

/// A benchmark spec (`benchmarks/NAME.toml`); its name is the file stem.
#[derive(Debug, Clone, Serialize)]
pub struct Benchmark {
    pub name: String,
    pub path: PathBuf,
    pub version: u32,
    pub description: String,
    pub encoders: Vec<String>,
    pub metrics: Vec<MetricName>,
    pub dataset: DatasetSpec,
    pub filters: Vec<Filter>,
    pub task: Task,
    pub split: Split,
    pub adapter: AdapterSpec,
    pub bootstrap: BootstrapSpec,
    pub fairness: Option<FairnessSpec>,
    pub long_tail: Option<LongTailSpec>,
    /// The file as written, kept so results can record exactly what ran.
    #[serde(skip)]
    pub source: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct DatasetSpec {
    pub name: DatasetName,
    pub missing_images: MissingImages,
    pub join: Option<Join>,
}

/// An extra table (path relative to the dataset folder) inner-joined on one column.
#[derive(Debug, Clone, Serialize)]
pub struct Join {
    pub file: String,
    pub on: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Filter {
    pub column: String,
    pub keep: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Task {
    /// Binary or multiclass: each row takes one class from the values of `column`.
    /// For binary tasks the second class is the positive one.
    Classes { binary: bool, column: String, classes: Vec<ClassDef>, exclude: Vec<String> },
    /// Several independent findings, one column each; blank cells stay missing.
    Multilabel { labels: Vec<LabelColumn> },
    /// A numeric target; blank cells and `exclude` values leave the row out.
    Regression { column: String, exclude: Vec<String> },
}

#[derive(Debug, Clone, Serialize)]
pub struct ClassDef {
    pub name: String,
    pub values: Vec<String>,
    /// Takes every value that no other class lists and that is not excluded.
    pub rest: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct LabelColumn {
    pub name: String,
    pub column: String,
    pub positives: Vec<String>,
}

impl Task {
    pub fn kind(&self) -> TaskKind {
        match self {
            Task::Classes { binary: true, .. } => TaskKind::Binary,
            Task::Classes { binary: false, .. } => TaskKind::Multiclass,
            Task::Multilabel { .. } => TaskKind::Multilabel,
            Task::Regression { .. } => TaskKind::Regression,
        }
    }

    /// Output names: class names, finding names, or the regression column.
    pub fn output_names(&self) -> Vec<String> {
        match self {
            Task::Classes { classes, .. } => classes.iter().map(|c| c.name.clone()).collect(),
            Task::Multilabel { labels } => labels.iter().map(|l| l.name.clone()).collect(),
            Task::Regression { column, .. } => vec![column.clone()],
        }
    }
}

#[derive(Debug, Clone, Serialize)]
#[serde(tag = "method", rename_all = "snake_case")]
pub enum Split {
    /// Patients drawn at random (seeded) into the three parts, stratified by class.
    PatientRandom { train: f64, val: f64, test: f64, seed: u64, stratify: bool },
    /// The value of `column` names the part; `values` maps column values to parts.
    Column { column: String, values: BTreeMap<String, SplitPart> },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SplitPart {
    Train,
    Val,
    Test,
}

impl SplitPart {
    pub const ALL: [SplitPart; 3] = [SplitPart::Train, SplitPart::Val, SplitPart::Test];

    pub fn as_str(self) -> &'static str {
        match self {
            SplitPart::Train => "train",
            SplitPart::Val => "val",
            SplitPart::Test => "test",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct AdapterSpec {
    pub kind: AdapterKind,
    pub learning_rates: Vec<f64>,
    pub weight_decays: Vec<f64>,
    pub epochs: usize,
    pub class_weight: ClassWeight,
    pub alphas: Vec<f64>,
    pub select_by: MetricName,
}

/// Checked `[fairness]` table.
#[derive(Debug, Clone, Serialize)]
pub struct FairnessSpec {
    pub group_audit: bool,
    pub train_on_group: bool,
    /// `None` for regression tasks, which have no decision threshold.
    pub threshold: Option<ThresholdRule>,
    /// Indices of the "no finding" classes (class tasks); empty for multilabel and
    /// regression tasks.
    pub healthy_classes: Vec<usize>,
    pub seeds: Vec<u64>,
    pub transfer_metric: MetricName,
    pub correction: Correction,
    pub attributes: Vec<Attribute>,
}

/// A subgroup attribute.
#[derive(Debug, Clone, Serialize)]
pub struct Attribute {
    pub name: String,
    pub column: String,
    /// Bin edges of a numeric column; empty for a categorical one.
    pub bins: Vec<f64>,
    /// Values that form groups; empty means every value present.
    pub values: Vec<String>,
    pub missing: MissingAttribute,
}

/// Checked `[long_tail]` table: a finding is common when its training frequency is above
/// `common_above`, rare below `rare_below`, uncommon otherwise (both ends included).
#[derive(Debug, Clone, Copy, Serialize)]
pub struct LongTailSpec {
    pub common_above: f64,
    pub rare_below: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct BootstrapSpec {
    pub resamples: usize,
    pub confidence: f64,
}

/// An encoder definition (`baselines/NAME.toml`); its name is the file stem.
#[derive(Debug, Clone, Serialize)]
pub struct Baseline {
    pub name: String,
    pub path: PathBuf,
    pub version: u32,
    pub description: String,
    pub architecture: Architecture,
    pub patch_size: i64,
    pub resolution: i64,
    pub init_seed: u64,
    /// Absolute or relative to the working directory (resolved from the baseline file).
    pub weights: Option<PathBuf>,
    pub format: WeightsLayout,
    pub num_register_tokens: i64,
    pub torchscript_output: Option<TorchScriptOutputKind>,
    pub interpolate_offset: f64,
    pub interpolate_antialias: bool,
    pub vit: VitShape,
    pub preprocess: Preprocess,
}

/// Preprocessing contract: what the data pipeline does to an image before this encoder
/// receives it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Preprocess {
    pub resize: ResizePolicy,
    pub resolution: u32,
    pub mean: Vec<f32>,
    pub std: Vec<f32>,
    pub channels: usize,
}
