//! Frozen encoders: DINOv2-architecture ViTs and the raw-pixel control.

pub mod vit;

use std::path::{Path, PathBuf};

use tch::{nn, Device, Tensor};

use crate::spec::{Architecture, Baseline};
pub use vit::{FeedForward, Vit, VitConfig};

#[derive(Debug, thiserror::Error)]
pub enum EncoderError {
    #[error("baseline {}: architecture {architecture} has no ViT preset", baseline.display())]
    NoPreset { baseline: PathBuf, architecture: &'static str },
    #[error("weights file {} for baseline {} not found; put the checkpoint there or fix `weights`", weights.display(), baseline.display())]
    WeightsMissing { weights: PathBuf, baseline: PathBuf },
    #[error("failed to load weights {} for baseline {}: {source}", weights.display(), baseline.display())]
    Load { weights: PathBuf, baseline: PathBuf, source: tch::TchError },
    #[error("failed to read {}: {source}", path.display())]
    Read { path: PathBuf, source: std::io::Error },
}

/// A ready-to-run encoder.
pub enum Encoder {
    Vit { model: Vit, _store: nn::VarStore, device: Device },
    RawPixels,
}

impl Encoder {
    /// Builds the encoder a baseline describes: random initialisation from `init_seed`,
    /// or the weights file (safetensors with DINOv2 key names).
    pub fn build(baseline: &Baseline, device: Device) -> Result<Encoder, EncoderError> {
        if baseline.architecture == Architecture::RawPixels {
            return Ok(Encoder::RawPixels);
        }
        let config = VitConfig::preset(baseline.architecture, baseline.patch_size, baseline.resolution).ok_or(EncoderError::NoPreset {
            baseline: baseline.path.clone(),
            architecture: baseline.architecture.as_str(),
        })?;
        tch::manual_seed(baseline.init_seed as i64);
        let mut store = nn::VarStore::new(device);
        let model = Vit::new(&store.root(), config);
        if let Some(weights) = &baseline.weights {
            if !weights.is_file() {
                return Err(EncoderError::WeightsMissing { weights: weights.clone(), baseline: baseline.path.clone() });
            }
            store
                .load(weights)
                .map_err(|source| EncoderError::Load { weights: weights.clone(), baseline: baseline.path.clone(), source })?;
        }
        store.freeze();
        Ok(Encoder::Vit { model, _store: store, device })
    }

    /// Features of a `[B, C, H, W]` batch, `[B, feature_dim]` on the CPU.
    pub fn features(&self, batch: &Tensor) -> Tensor {
        tch::no_grad(|| match self {
            Encoder::Vit { model, device, .. } => model.probe_features(&batch.to_device(*device)).to_device(Device::Cpu),
            Encoder::RawPixels => batch.flatten(1, -1),
        })
    }
}

/// Text that identifies what an encoder computes: architecture, preprocessing, and the
/// weights (content hash) or initialisation seed. Part of the feature-cache key.
pub fn identity(baseline: &Baseline) -> Result<String, EncoderError> {
    let weights = match &baseline.weights {
        Some(path) => format!("weights:{}", hash_file(path)?),
        None => format!("init_seed:{}", baseline.init_seed),
    };
    let preprocess = serde_json::to_string(&baseline.preprocess).expect("preprocess serialises");
    Ok(format!(
        "architecture:{};patch:{};resolution:{};{weights};preprocess:{preprocess};feature:cls+mean_patch;v1",
        baseline.architecture.as_str(),
        baseline.patch_size,
        baseline.resolution
    ))
}

fn hash_file(path: &Path) -> Result<String, EncoderError> {
    let bytes = std::fs::read(path).map_err(|source| EncoderError::Read { path: path.to_path_buf(), source })?;
    Ok(blake3::hash(&bytes).to_hex().to_string())
}

/// Chooses the device for `--device auto|cpu|cuda`.
pub fn select_device(requested: DeviceChoice) -> Result<Device, String> {
    match requested {
        DeviceChoice::Cpu => Ok(Device::Cpu),
        DeviceChoice::Auto => Ok(Device::cuda_if_available()),
        DeviceChoice::Cuda if tch::Cuda::is_available() => Ok(Device::Cuda(0)),
        DeviceChoice::Cuda => Err("--device cuda was requested but libtorch sees no CUDA device; use --device cpu or auto".to_string()),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DeviceChoice {
    Auto,
    Cpu,
    Cuda,
}
