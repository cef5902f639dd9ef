//! The frozen encoder a baseline describes: a ViT (random or loaded), a TorchScript
//! module, or the raw-pixel control, and the identity that keys its feature cache.

use std::path::{Path, PathBuf};

use tch::{nn, Device, Kind, Tensor};

use super::load::{load_vit, LoadError, WeightsFormat};
use super::torchscript::{TorchScriptEncoder, TorchScriptOutput};
use super::vit::{FeedForward, PosEmbedInterpolation, Vit, VitConfig};
use crate::spec::{Architecture, Baseline};

#[derive(Debug, thiserror::Error)]
pub enum EncoderError {
    #[error("baseline {}: architecture {architecture} has no ViT preset", baseline.display())]
    NoPreset { baseline: PathBuf, architecture: &'static str },
    #[error("weights file {} for baseline {} not found; put the checkpoint there or fix `weights`", weights.display(), baseline.display())]
    WeightsMissing { weights: PathBuf, baseline: PathBuf },
    #[error("baseline {}: format torchscript needs a `weights` file holding the module", baseline.display())]
    TorchScriptWithoutWeights { baseline: PathBuf },
    #[error("baseline {}: {source}", baseline.display())]
    Load { baseline: PathBuf, source: Box<LoadError> },
    #[error("failed to read {}: {source}", path.display())]
    Read { path: PathBuf, source: std::io::Error },
}

/// Baseline settings beyond architecture, resolution and weights, with the defaults that
/// reproduce what `Encoder::build` did before they existed.
#[derive(Debug, Clone, PartialEq)]
pub struct EncoderOptions {
    /// Layout of the `weights` file. Without weights only `TorchScript` matters, and it
    /// requires them.
    pub format: WeightsFormat,
    /// Register tokens of the ViT (0 to 4 in DINOv2's models).
    pub num_register_tokens: i64,
    /// DINOv2's `interpolate_offset` (0.1 by default). It applies to random
    /// initialisation and format `dinov2`, because Hugging Face and timm checkpoints get
    /// their library's rule.
    pub interpolate_offset: f64,
    /// DINOv2's `interpolate_antialias` (false by default).
    pub interpolate_antialias: bool,
    /// Changes to the architecture preset, for ViTs of other sizes than ViT-Ti..g.
    pub vit: VitOverrides,
}

impl EncoderOptions {
    /// Reads the options a baseline spec sets (format, registers, interpolation, shape).
    pub fn from_baseline(baseline: &Baseline) -> EncoderOptions {
        use crate::spec::{FeedForwardKind, TorchScriptOutputKind, WeightsLayout};
        let format = match (baseline.architecture, baseline.torchscript_output) {
            (Architecture::Torchscript, output) => WeightsFormat::TorchScript {
                output: match output {
                    Some(TorchScriptOutputKind::Tokens) => TorchScriptOutput::Tokens { num_register_tokens: baseline.num_register_tokens },
                    // The spec check requires `torchscript_output` for TorchScript baselines.
                    Some(TorchScriptOutputKind::Pooled) | None => TorchScriptOutput::Pooled,
                },
            },
            _ => match baseline.format {
                WeightsLayout::Dinov2 => WeightsFormat::Dinov2,
                WeightsLayout::HuggingFace => WeightsFormat::HuggingFace,
                WeightsLayout::Timm => WeightsFormat::Timm,
            },
        };
        let shape = &baseline.vit;
        EncoderOptions {
            format,
            num_register_tokens: baseline.num_register_tokens,
            interpolate_offset: baseline.interpolate_offset,
            interpolate_antialias: baseline.interpolate_antialias,
            vit: VitOverrides {
                embed_dim: shape.embed_dim,
                depth: shape.depth,
                num_heads: shape.num_heads,
                mlp_ratio: shape.mlp_ratio,
                feed_forward: shape.feed_forward.map(|f| match f {
                    FeedForwardKind::Mlp => FeedForward::Mlp,
                    FeedForwardKind::Swiglu => FeedForward::SwiGlu,
                }),
            },
        }
    }
}

impl Default for EncoderOptions {
    fn default() -> Self {
        EncoderOptions {
            format: WeightsFormat::Dinov2,
            num_register_tokens: 0,
            interpolate_offset: 0.1,
            interpolate_antialias: false,
            vit: VitOverrides::default(),
        }
    }
}

/// Architecture fields that replace the preset's where set.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct VitOverrides {
    pub embed_dim: Option<i64>,
    pub depth: Option<i64>,
    pub num_heads: Option<i64>,
    pub mlp_ratio: Option<f64>,
    pub feed_forward: Option<FeedForward>,
}

impl VitOverrides {
    /// Returns `config` with the fields set here replaced.
    pub fn apply(&self, config: VitConfig) -> VitConfig {
        VitConfig {
            embed_dim: self.embed_dim.unwrap_or(config.embed_dim),
            depth: self.depth.unwrap_or(config.depth),
            num_heads: self.num_heads.unwrap_or(config.num_heads),
            mlp_ratio: self.mlp_ratio.unwrap_or(config.mlp_ratio),
            feed_forward: self.feed_forward.unwrap_or(config.feed_forward),
            ..config
        }
    }

    /// Lists the set fields as `name=value`, comma-separated, for the cache identity.
    fn describe(&self) -> String {
        let fields = [
            self.embed_dim.map(|value| format!("embed_dim={value}")),
            self.depth.map(|value| format!("depth={value}")),
            self.num_heads.map(|value| format!("num_heads={value}")),
            self.mlp_ratio.map(|value| format!("mlp_ratio={value}")),
            self.feed_forward.map(|value| format!("feed_forward={value:?}")),
        ];
        fields.into_iter().flatten().collect::<Vec<_>>().join(",")
    }
}

/// Number format of the ViT's weights and activations during extraction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Precision {
    Float32,
    BFloat16,
}

impl Precision {
    /// Chooses bfloat16 on CUDA and float32 elsewhere.
    pub fn for_device(device: Device) -> Precision {
        match device {
            Device::Cuda(_) => Precision::BFloat16,
            _ => Precision::Float32,
        }
    }

    pub fn kind(self) -> Kind {
        match self {
            Precision::Float32 => Kind::Float,
            Precision::BFloat16 => Kind::BFloat16,
        }
    }
}

/// A ready-to-run encoder.
pub enum Encoder {
    Vit { model: Box<Vit>, store: nn::VarStore, device: Device, precision: Precision },
    TorchScript(TorchScriptEncoder),
    RawPixels,
}

impl Encoder {
    /// Builds the encoder a baseline describes, with the options its spec sets: random
    /// initialisation from `init_seed`, or the weights file in its declared layout
    /// (safetensors or torch.save), or a TorchScript module.
    pub fn build(baseline: &Baseline, device: Device) -> Result<Encoder, EncoderError> {
        Encoder::build_with(baseline, &EncoderOptions::from_baseline(baseline), device)
    }

    /// Builds the encoder a baseline describes. ViTs extract in `Precision::for_device`.
    pub fn build_with(baseline: &Baseline, options: &EncoderOptions, device: Device) -> Result<Encoder, EncoderError> {
        if baseline.architecture == Architecture::RawPixels {
            return Ok(Encoder::RawPixels);
        }
        if let Some(weights) = &baseline.weights {
            if !weights.is_file() {
                return Err(EncoderError::WeightsMissing { weights: weights.clone(), baseline: baseline.path.clone() });
            }
        }
        let load_error = |source| EncoderError::Load { baseline: baseline.path.clone(), source: Box::new(source) };
        if let WeightsFormat::TorchScript { output } = options.format {
            let weights = baseline.weights.as_ref().ok_or_else(|| EncoderError::TorchScriptWithoutWeights { baseline: baseline.path.clone() })?;
            return TorchScriptEncoder::load(weights, output, device).map(Encoder::TorchScript).map_err(load_error);
        }

        let preset = VitConfig::preset(baseline.architecture, baseline.patch_size, baseline.resolution).ok_or(EncoderError::NoPreset {
            baseline: baseline.path.clone(),
            architecture: baseline.architecture.as_str(),
        })?;
        let config = VitConfig {
            num_register_tokens: options.num_register_tokens,
            pos_embed_interpolation: PosEmbedInterpolation::Dinov2 { offset: options.interpolate_offset, antialias: options.interpolate_antialias },
            ..options.vit.apply(preset)
        };
        let (mut store, model) = match &baseline.weights {
            Some(weights) => {
                let (model, store) = load_vit(weights, options.format, config, device).map_err(load_error)?;
                (store, model)
            }
            None => Vit::build_store(config, device, baseline.init_seed),
        };
        store.freeze();
        let encoder = Encoder::Vit { model: Box::new(model), store, device, precision: Precision::Float32 };
        Ok(encoder.with_precision(Precision::for_device(device)))
    }

    /// Casts a ViT's weights to `precision`; other encoders are returned unchanged.
    pub fn with_precision(self, precision: Precision) -> Encoder {
        match self {
            Encoder::Vit { model, mut store, device, .. } => {
                // `set_data` replaces each variable's data in place, so the model's
                // handles to the same variables see the new kind.
                match precision {
                    Precision::Float32 => store.float(),
                    Precision::BFloat16 => store.bfloat16(),
                }
                Encoder::Vit { model, store, device, precision }
            }
            other => other,
        }
    }

    /// Features of a `[B, C, H, W]` batch, `[B, feature_dim]` float32 on the CPU.
    ///
    /// # Panics
    /// If a TorchScript module fails or returns another shape than its baseline declares;
    /// `try_features` returns that as an error.
    pub fn features(&self, batch: &Tensor) -> Tensor {
        self.try_features(batch).unwrap_or_else(|error| panic!("{error}"))
    }

    /// Features of a `[B, C, H, W]` batch, `[B, feature_dim]` float32 on the CPU.
    pub fn try_features(&self, batch: &Tensor) -> Result<Tensor, LoadError> {
        tch::no_grad(|| match self {
            Encoder::Vit { model, device, precision, .. } => {
                let input = batch.to_device(*device).to_kind(precision.kind());
                Ok(model.probe_features(&input).to_kind(Kind::Float).to_device(Device::Cpu))
            }
            Encoder::TorchScript(module) => module.features(batch),
            Encoder::RawPixels => Ok(batch.flatten(1, -1)),
        })
    }

    /// Computes the last block's attention weights of a ViT, `[B, heads, tokens, tokens]`
    /// float32 on the CPU (token order: CLS, registers, patches row by row). Other encoders
    /// return `None`.
    pub fn last_attention(&self, batch: &Tensor) -> Option<Tensor> {
        match self {
            Encoder::Vit { model, device, precision, .. } => tch::no_grad(|| {
                let input = batch.to_device(*device).to_kind(precision.kind());
                let (_, weights) = model.forward_with_last_attention(&input);
                Some(weights.to_kind(Kind::Float).to_device(Device::Cpu))
            }),
            Encoder::TorchScript(_) | Encoder::RawPixels => None,
        }
    }
}

/// Text that identifies what an encoder computes with the options its spec sets; see
/// `identity_with`.
pub fn identity(baseline: &Baseline) -> Result<String, EncoderError> {
    identity_with(baseline, &EncoderOptions::from_baseline(baseline))
}

/// Text that identifies what an encoder computes: architecture, preprocessing, the
/// weights (content hash) or initialisation seed, and the options that differ from the
/// defaults. It is part of the feature-cache key. With default options it is the text
/// `identity` returned before the options existed, so existing caches stay valid.
pub fn identity_with(baseline: &Baseline, options: &EncoderOptions) -> Result<String, EncoderError> {
    let weights = match &baseline.weights {
        Some(path) => format!("weights:{}", hash_file(path)?),
        None => format!("init_seed:{}", baseline.init_seed),
    };
    let preprocess = serde_json::to_string(&baseline.preprocess).expect("preprocess serialises");
    let defaults = EncoderOptions::default();
    let mut extra = String::new();
    if options.format != defaults.format {
        extra.push_str(&format!("format:{};", options.format.as_str()));
    }
    if let WeightsFormat::TorchScript { output } = options.format {
        let output = match output {
            TorchScriptOutput::Pooled => "pooled".to_string(),
            TorchScriptOutput::Tokens { num_register_tokens } => format!("tokens+{num_register_tokens}registers"),
        };
        extra.push_str(&format!("torchscript_output:{output};"));
    }
    if options.num_register_tokens != defaults.num_register_tokens {
        extra.push_str(&format!("registers:{};", options.num_register_tokens));
    }
    if (options.interpolate_offset, options.interpolate_antialias) != (defaults.interpolate_offset, defaults.interpolate_antialias) {
        extra.push_str(&format!("interpolate:{}:{};", options.interpolate_offset, options.interpolate_antialias));
    }
    if options.vit != defaults.vit {
        extra.push_str(&format!("vit:{};", options.vit.describe()));
    }
    Ok(format!(
        "architecture:{};patch:{};resolution:{};{weights};preprocess:{preprocess};{extra}feature:cls+mean_patch;v1",
        baseline.architecture.as_str(),
        baseline.patch_size,
        baseline.resolution
    ))
}

fn hash_file(path: &Path) -> Result<String, EncoderError> {
    let bytes = std::fs::read(path).map_err(|source| EncoderError::Read { path: path.to_path_buf(), source })?;
    Ok(blake3::hash(&bytes).to_hex().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::baseline_from_str;

    const TINY: &str = "version = 1\narchitecture = \"vit_tiny\"\npatch_size = 16\nresolution = 32\ninit_seed = 7\n[preprocess]\nmean = [0.5, 0.5, 0.5]\nstd = [0.2, 0.2, 0.2]\nchannels = 3\n";

    #[test]
    fn weights_file_reproduces_the_saved_encoder() {
        let dir = tempfile::tempdir().unwrap();
        let random = baseline_from_str(&dir.path().join("random.toml"), TINY).unwrap();
        let saved = Encoder::build(&random, Device::Cpu).unwrap();
        let Encoder::Vit { store, .. } = &saved else { panic!("expected a ViT") };
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

    #[test]
    fn precision_follows_the_device() {
        assert_eq!(Precision::for_device(Device::Cpu), Precision::Float32);
        assert_eq!(Precision::for_device(Device::Cuda(0)), Precision::BFloat16);
    }

    #[test]
    fn bfloat16_extraction_stays_close_to_float32() {
        // The CUDA path casts weights and inputs to bfloat16; run the same casts on the
        // CPU. A random-init ViT is no test here: its CLS token starts near zero, and the
        // final norm magnifies the rounding. The fixture's weights have unit scale.
        let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/encoders/dinov2_chunked.pth");
        let config = VitConfig { embed_dim: 32, depth: 2, num_heads: 2, ..VitConfig::preset(Architecture::VitTiny, 16, 64).unwrap() };
        let build = || {
            let (model, store) = load_vit(&file, WeightsFormat::Dinov2, config.clone(), Device::Cpu).unwrap();
            Encoder::Vit { model: Box::new(model), store, device: Device::Cpu, precision: Precision::Float32 }
        };
        let input = Tensor::randn([2, 3, 80, 80], (Kind::Float, Device::Cpu));
        let full = build().features(&input);
        let reduced = build().with_precision(Precision::BFloat16).features(&input);
        assert_eq!(reduced.kind(), Kind::Float);
        assert_eq!(reduced.size(), full.size());
        let error = f64::try_from((&reduced - &full).abs().max()).unwrap() / f64::try_from(full.abs().max()).unwrap();
        // bfloat16 keeps 8 significant bits (relative rounding up to 2^-8 per value).
        assert!(error < 0.05, "relative error {error}");
        assert!(error > 0.0, "bfloat16 gave exactly the float32 features");
    }

    #[test]
    fn identity_changes_only_with_non_default_options() {
        let dir = tempfile::tempdir().unwrap();
        let baseline = baseline_from_str(&dir.path().join("b.toml"), TINY).unwrap();
        let plain = identity(&baseline).unwrap();
        assert_eq!(identity_with(&baseline, &EncoderOptions::default()).unwrap(), plain);
        assert!(!plain.contains("registers"), "{plain}");
        let registers = identity_with(&baseline, &EncoderOptions { num_register_tokens: 4, ..Default::default() }).unwrap();
        assert!(registers.contains("registers:4;"), "{registers}");
        let timm = identity_with(&baseline, &EncoderOptions { format: WeightsFormat::Timm, ..Default::default() }).unwrap();
        assert!(timm.contains("format:timm;"), "{timm}");
    }

    #[test]
    fn tiny_training_checkpoint_builds() {
        // The XRay-DINO layout: patch 16, no registers, blocks in chunks, the backbone under
        // `teacher.backbone.` of a training checkpoint.
        let spec = "version = 1\narchitecture = \"vit_tiny\"\npatch_size = 16\nresolution = 80\nweights = \"dinov2_train_checkpoint.pth\"\n[preprocess]\nmean = [0.5, 0.5, 0.5]\nstd = [0.2, 0.2, 0.2]\nchannels = 3\n";
        let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/encoders");
        let baseline = baseline_from_str(&fixtures.join("tiny.toml"), spec).unwrap();
        let options = EncoderOptions { vit: VitOverrides { embed_dim: Some(32), depth: Some(2), num_heads: Some(2), ..Default::default() }, ..Default::default() };

        let encoder = Encoder::build_with(&baseline, &options, Device::Cpu).unwrap();
        let features = encoder.features(&Tensor::randn([2, 3, 80, 80], (Kind::Float, Device::Cpu)));
        assert_eq!(features.size(), [2, 64]);
        let Encoder::Vit { model, .. } = &encoder else { panic!("expected a ViT") };
        // The native size comes from the checkpoint's 4 x 4 position grid, not from `resolution`.
        assert_eq!(model.config.image_size, 64);

        let identity = identity_with(&baseline, &options).unwrap();
        assert!(identity.contains(";vit:embed_dim=32,depth=2,num_heads=2;"), "{identity}");

        // The preset alone (12 blocks) does not fit the checkpoint's 2 blocks.
        let error = Encoder::build(&baseline, Device::Cpu).err().expect("vit_tiny preset fails");
        assert!(error.to_string().contains("140 missing keys under `model.teacher.backbone.`"), "{error}");
    }

    #[test]
    fn last_attention_only_for_vits() {
        let dir = tempfile::tempdir().unwrap();
        let baseline = baseline_from_str(&dir.path().join("b.toml"), TINY).unwrap();
        let encoder = Encoder::build(&baseline, Device::Cpu).unwrap();
        let weights = encoder.last_attention(&Tensor::randn([1, 3, 32, 32], (Kind::Float, Device::Cpu))).unwrap();
        assert_eq!(weights.size(), [1, 3, 5, 5]);
        assert!(Encoder::RawPixels.last_attention(&Tensor::zeros([1, 3, 32, 32], (Kind::Float, Device::Cpu))).is_none());
    }
}
