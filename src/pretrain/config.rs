//! Pretraining presets: one TOML file describes the model, head, crops, augmentation,
//! masking, losses, optimisation, data and checkpointing of a run.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::augment::{AugmentConfig, CropConfig};
use super::head::HeadConfig;
use crate::encoder::vit::VitConfig;
use crate::spec::Architecture;

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PretrainConfig {
    pub version: u32,
    pub description: String,
    pub model: ModelConfig,
    pub head: HeadConfig,
    pub crops: CropConfig,
    #[serde(default)]
    pub augment: AugmentConfig,
    #[serde(default)]
    pub masking: MaskingConfig,
    #[serde(default)]
    pub loss: LossConfig,
    pub optim: OptimConfig,
    pub data: DataConfig,
    #[serde(default)]
    pub run: RunConfig,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ModelConfig {
    pub architecture: Architecture,
    pub patch_size: i64,
    /// Overrides of the architecture's width, depth and heads (for small CPU models).
    pub embed_dim: Option<i64>,
    pub depth: Option<i64>,
    pub num_heads: Option<i64>,
    #[serde(default)]
    pub num_register_tokens: i64,
    /// LayerScale initial value (DINOv2 trains with 1e-5).
    #[serde(default = "default_layerscale")]
    pub layerscale_init: f64,
}

fn default_layerscale() -> f64 {
    1e-5
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct MaskingConfig {
    /// Share of global crops that are masked.
    pub probability: f64,
    /// Range of the masked share of patches; the masked crops of a batch spread over it.
    pub ratio: [f64; 2],
    pub min_patches: f64,
    pub min_aspect: f64,
}

impl Default for MaskingConfig {
    fn default() -> Self {
        MaskingConfig { probability: 0.5, ratio: [0.1, 0.5], min_patches: 4.0, min_aspect: 0.3 }
    }
}

/// Rule that turns teacher logits into targets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Centering {
    /// Softmax after subtracting a running mean of the logits (DINO).
    Softmax,
    /// Three Sinkhorn-Knopp iterations (DINOv2's default).
    SinkhornKnopp,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct LossConfig {
    pub centering: Centering,
    pub dino_weight: f64,
    pub ibot_weight: f64,
    pub koleo_weight: f64,
    pub student_temperature: f64,
    pub teacher_temperature: f64,
    /// Teacher temperature at step 0, raised linearly to `teacher_temperature`.
    pub teacher_warmup_temperature: f64,
    pub teacher_warmup_epochs: f64,
    pub center_momentum: f64,
}

impl Default for LossConfig {
    fn default() -> Self {
        LossConfig {
            centering: Centering::SinkhornKnopp,
            dino_weight: 1.0,
            ibot_weight: 1.0,
            koleo_weight: 0.1,
            student_temperature: 0.1,
            teacher_temperature: 0.07,
            teacher_warmup_temperature: 0.04,
            teacher_warmup_epochs: 30.0,
            center_momentum: 0.9,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct OptimConfig {
    pub batch_size: usize,
    pub epochs: usize,
    pub steps_per_epoch: usize,
    /// Peak learning rate, reached after the warm-up.
    pub lr: f64,
    pub min_lr: f64,
    pub warmup_epochs: f64,
    /// Weight decay at the start and at the end (cosine).
    pub weight_decay: [f64; 2],
    /// Teacher EMA momentum at the start and at the end (cosine).
    pub teacher_momentum: [f64; 2],
    #[serde(default = "default_layer_decay")]
    pub layer_decay: f64,
    #[serde(default = "default_patch_embed_lr")]
    pub patch_embed_lr_multiplier: f64,
    #[serde(default = "default_clip")]
    pub clip_grad: f64,
    #[serde(default = "default_freeze")]
    pub freeze_last_layer_epochs: f64,
    #[serde(default = "default_betas")]
    pub betas: [f64; 2],
}

fn default_layer_decay() -> f64 {
    0.9
}
fn default_patch_embed_lr() -> f64 {
    0.2
}
fn default_clip() -> f64 {
    3.0
}
fn default_freeze() -> f64 {
    1.0
}
fn default_betas() -> [f64; 2] {
    [0.9, 0.999]
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct DataConfig {
    /// Image folders relative to the data root; every JPEG and PNG in them is used.
    pub folders: Vec<PathBuf>,
    /// Shorter side, in pixels, that images are resized to when decoded; crops are cut
    /// from this copy, which stays in memory.
    pub decode_size: u32,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct RunConfig {
    pub seed: u64,
    /// Steps between checkpoints (the last step always writes one).
    pub checkpoint_every: usize,
}

impl Default for RunConfig {
    fn default() -> Self {
        RunConfig { seed: 0, checkpoint_every: 100 }
    }
}

/// A preset that cannot be used, naming the file and the key.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("failed to read preset {}: {source}", path.display())]
    Read { path: PathBuf, source: std::io::Error },
    #[error("preset {}: {message}", path.display())]
    Parse { path: PathBuf, message: String },
    #[error("preset {}: {}", path.display(), problems.join("; "))]
    Invalid { path: PathBuf, problems: Vec<String> },
}

impl PretrainConfig {
    /// Reads and checks a preset file.
    pub fn load(path: &Path) -> Result<PretrainConfig, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read { path: path.to_path_buf(), source })?;
        Self::from_toml(path, &text)
    }

    /// Parses and checks preset text; `path` only names it in errors.
    pub fn from_toml(path: &Path, text: &str) -> Result<PretrainConfig, ConfigError> {
        let config: PretrainConfig = toml::from_str(text).map_err(|error| ConfigError::Parse { path: path.to_path_buf(), message: error.to_string().trim_end().to_string() })?;
        let problems = config.problems();
        if problems.is_empty() {
            Ok(config)
        } else {
            Err(ConfigError::Invalid { path: path.to_path_buf(), problems })
        }
    }

    /// Returns the configuration of the ViT this preset trains, or `None` when the
    /// architecture is not a ViT.
    pub fn vit(&self) -> Option<VitConfig> {
        let model = &self.model;
        let preset = VitConfig::preset(model.architecture, model.patch_size, self.crops.global_size as i64)?;
        Some(VitConfig {
            embed_dim: model.embed_dim.unwrap_or(preset.embed_dim),
            depth: model.depth.unwrap_or(preset.depth),
            num_heads: model.num_heads.unwrap_or(preset.num_heads),
            num_register_tokens: model.num_register_tokens,
            layerscale_init: Some(model.layerscale_init),
            in_chans: self.augment.mean.len() as i64,
            ..preset
        })
    }

    pub fn total_steps(&self) -> usize {
        self.optim.epochs * self.optim.steps_per_epoch
    }

    /// Lists every invalid value, each message naming its key.
    fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        let mut check = |ok: bool, message: String| {
            if !ok {
                problems.push(message);
            }
        };
        match self.vit() {
            None => check(false, format!("model.architecture = {:?} is not a ViT; use vit_tiny, vit_small, vit_base, vit_large or vit_giant", self.model.architecture.as_str())),
            Some(vit) => {
                check(vit.embed_dim % vit.num_heads == 0, format!("model.embed_dim = {} is not a multiple of model.num_heads = {}", vit.embed_dim, vit.num_heads));
                for (key, size) in [("crops.global_size", self.crops.global_size), ("crops.local_size", self.crops.local_size)] {
                    check(size as i64 % vit.patch_size == 0 && size > 0, format!("{key} = {size} is not a positive multiple of model.patch_size = {}", vit.patch_size));
                }
            }
        }
        for (key, range) in [("crops.global_scale", self.crops.global_scale), ("crops.local_scale", self.crops.local_scale), ("masking.ratio", self.masking.ratio)] {
            check(0.0 < range[0] && range[0] <= range[1] && range[1] <= 1.0, format!("{key} = {range:?} must satisfy 0 < low <= high <= 1"));
        }
        let augment = &self.augment;
        let probabilities = [
            ("augment.flip_probability", augment.flip_probability),
            ("augment.jitter_probability", augment.jitter_probability),
            ("augment.gamma_probability", augment.gamma_probability),
            ("augment.blur_probability[0]", augment.blur_probability[0]),
            ("augment.blur_probability[1]", augment.blur_probability[1]),
            ("augment.blur_probability[2]", augment.blur_probability[2]),
            ("augment.solarize_probability", augment.solarize_probability),
            ("masking.probability", self.masking.probability),
        ];
        for (key, value) in probabilities {
            check((0.0..=1.0).contains(&value), format!("{key} = {value} is not a probability in [0, 1]"));
        }
        check(augment.mean.len() == augment.std.len() && !augment.mean.is_empty(), format!("augment.mean has {} values and augment.std {}; give one per channel", augment.mean.len(), augment.std.len()));
        check(augment.std.iter().all(|&s| s > 0.0), "augment.std must be positive".to_string());
        check(augment.gamma[0] > 0.0 && augment.gamma[0] <= augment.gamma[1], format!("augment.gamma = {:?} must be an increasing positive range", augment.gamma));
        check(augment.blur_sigma[0] > 0.0 && augment.blur_sigma[0] <= augment.blur_sigma[1], format!("augment.blur_sigma = {:?} must be an increasing positive range", augment.blur_sigma));
        check(self.optim.batch_size >= 2, format!("optim.batch_size = {} must be at least 2 (KoLeo needs a neighbour)", self.optim.batch_size));
        check(self.total_steps() > 0, "optim.epochs * optim.steps_per_epoch must be positive".to_string());
        check(self.optim.lr > 0.0 && self.optim.min_lr >= 0.0, "optim.lr must be positive and optim.min_lr not negative".to_string());
        check(self.optim.clip_grad > 0.0, format!("optim.clip_grad = {} must be positive", self.optim.clip_grad));
        check(self.loss.student_temperature > 0.0 && self.loss.teacher_temperature > 0.0 && self.loss.teacher_warmup_temperature > 0.0, "loss temperatures must be positive".to_string());
        check(self.head.prototypes > 0 && self.head.hidden_dim > 0 && self.head.bottleneck_dim > 0, "head sizes must be positive".to_string());
        check(!self.data.folders.is_empty(), "data.folders is empty; name at least one image folder under the data root".to_string());
        check(self.data.decode_size >= self.crops.global_size, format!("data.decode_size = {} is smaller than crops.global_size = {}", self.data.decode_size, self.crops.global_size));
        check(self.run.checkpoint_every > 0, "run.checkpoint_every must be positive".to_string());
        problems
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_presets_are_valid() {
        let folder = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/pretrain"));
        let mut checked = 0;
        for entry in std::fs::read_dir(folder).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "toml") {
                let config = PretrainConfig::load(&path).unwrap_or_else(|error| panic!("{error}"));
                assert!(config.vit().is_some());
                checked += 1;
            }
        }
        assert!(checked >= 3, "expected the CPU and the two GPU presets, found {checked}");
    }

    #[test]
    fn unknown_keys_and_bad_values_are_named() {
        let path = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/pretrain/cpu_vit_tiny.toml"));
        let text = std::fs::read_to_string(path).unwrap();
        let typo = text.replace("local_count = 4", "local_cont = 4");
        let error = PretrainConfig::from_toml(Path::new("typo.toml"), &typo).unwrap_err().to_string();
        assert!(error.contains("typo.toml"), "{error}");
        assert!(error.contains("local_cont"), "{error}");
        let bad = text.replace("probability", "x").replace("[model]", "[masking]\nratio = [0.6, 0.2]\n\n[model]").replace("local_size = 48", "local_size = 50");
        let error = PretrainConfig::from_toml(Path::new("bad.toml"), &bad).unwrap_err().to_string();
        assert!(error.contains("masking.ratio = [0.6, 0.2]"), "{error}");
        assert!(error.contains("crops.local_size = 50"), "{error}");
    }
}
