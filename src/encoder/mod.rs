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

static INIT_LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());

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
        // libtorch's generator is global: hold the lock from seeding to the last draw so
        // that encoders built on other threads cannot interleave their draws.
        let (mut store, model) = {
            let _guard = INIT_LOCK.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            tch::manual_seed(baseline.init_seed as i64);
            let store = nn::VarStore::new(device);
            let model = Vit::new(&store.root(), config);
            (store, model)
        };
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

/// The device as users write it: `cpu`, `cuda:0`.
pub fn device_name(device: Device) -> String {
    match device {
        Device::Cpu => "cpu".to_string(),
        Device::Cuda(index) => format!("cuda:{index}"),
        other => format!("{other:?}").to_lowercase(),
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::baseline_from_str;
    use tch::Kind;

    const TINY: &str = "version = 1\narchitecture = \"vit_tiny\"\npatch_size = 16\nresolution = 32\ninit_seed = 7\n[preprocess]\nmean = [0.5, 0.5, 0.5]\nstd = [0.2, 0.2, 0.2]\nchannels = 3\n";

    #[test]
    fn weights_file_reproduces_the_saved_encoder() {
        let dir = tempfile::tempdir().unwrap();
        let random = baseline_from_str(&dir.path().join("random.toml"), TINY).unwrap();
        let saved = Encoder::build(&random, Device::Cpu).unwrap();
        let Encoder::Vit { _store: store, .. } = &saved else { panic!("expected a ViT") };
        store.save(dir.path().join("tiny.safetensors")).unwrap();

        // Another seed gives other weights unless the file is loaded over them.
        let with_weights = TINY.replace("init_seed = 7", "init_seed = 8\nweights = \"tiny.safetensors\"");
        let loaded = baseline_from_str(&dir.path().join("loaded.toml"), &with_weights).unwrap();
        let other = baseline_from_str(&dir.path().join("other.toml"), &TINY.replace("init_seed = 7", "init_seed = 8")).unwrap();
        let input = Tensor::randn([2, 3, 32, 32], (Kind::Float, Device::Cpu));
        let original = saved.features(&input);
        let reloaded = Encoder::build(&loaded, Device::Cpu).unwrap().features(&input);
        let reseeded = Encoder::build(&other, Device::Cpu).unwrap().features(&input);
        assert!(original.allclose(&reloaded, 1e-6, 1e-6, false));
        assert!(!original.allclose(&reseeded, 1e-3, 1e-3, false));
    }

    #[test]
    fn missing_weights_file_is_named_in_the_error() {
        let dir = tempfile::tempdir().unwrap();
        let spec = TINY.replace("init_seed = 7", "weights = \"absent.safetensors\"");
        let baseline = baseline_from_str(&dir.path().join("b.toml"), &spec).unwrap();
        let error = Encoder::build(&baseline, Device::Cpu).err().expect("absent weights fail");
        assert!(error.to_string().contains("absent.safetensors"), "{error}");
    }
}
