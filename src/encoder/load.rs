//! Loading ViT weights from the checkpoint layouts of DINOv2, Hugging Face and timm.
//!
//! `load_vit` opens the file (`checkpoint.rs`), finds the backbone inside it, checks the
//! patch size, takes the native resolution from the position embedding, and fills every
//! variable of a fresh `Vit` from the keys that `key_maps.rs` names, checking each shape.
//! Every problem is reported with the file's path.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::{Path, PathBuf};

use tch::{nn, Device, Tensor};

use super::checkpoint::Checkpoint;
use super::key_maps::{unchunk, Layout, Source};
use super::torchscript::TorchScriptOutput;
use super::vit::{PosEmbedInterpolation, Vit, VitConfig};

/// The layout of a weights file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum WeightsFormat {
    /// DINOv2's own key names, as in the official and XRay-DINO checkpoints and in what
    /// `VarStore::save` writes for a `Vit`. Reads state dicts and training checkpoints
    /// (the backbone under `teacher.backbone.` is preferred to the student's).
    #[default]
    Dinov2,
    /// transformers `Dinov2Model` or `Dinov2WithRegistersModel` (RAD-DINO,
    /// facebook/dinov2-*), Hub or transformers 5 key names.
    HuggingFace,
    /// timm `VisionTransformer` (`vit_*_patch14_dinov2`, `vit_*_reg4_dinov2`).
    Timm,
    /// A whole TorchScript module, run as it is; see `TorchScriptEncoder`.
    TorchScript { output: TorchScriptOutput },
}

impl WeightsFormat {
    /// Returns the name a baseline spec uses for this format.
    pub fn as_str(self) -> &'static str {
        match self {
            WeightsFormat::Dinov2 => "dinov2",
            WeightsFormat::HuggingFace => "hugging_face",
            WeightsFormat::Timm => "timm",
            WeightsFormat::TorchScript { .. } => "torchscript",
        }
    }
}

/// One tensor whose shape differs from the model's.
#[derive(Debug, Clone, PartialEq)]
pub struct ShapeMismatch {
    /// Key in the checkpoint, relative to the backbone prefix.
    pub key: String,
    pub expected: Vec<i64>,
    pub found: Vec<i64>,
}

impl fmt::Display for ShapeMismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: expected {:?}, got {:?}", self.key, self.expected, self.found)
    }
}

/// Error loading weights or a TorchScript module. Every message names the file.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("failed to read {}: {source}", path.display())]
    Read { path: PathBuf, source: std::io::Error },
    #[error("checkpoint {}: {reason}", path.display())]
    NotACheckpoint { path: PathBuf, reason: String },
    #[error("checkpoint {}: {reason}", path.display())]
    Unsupported { path: PathBuf, reason: String },
    #[error("checkpoint {}: no backbone for format {format}: no key is `{anchor}` or ends in `.{anchor}`{hint}", path.display())]
    NoBackbone { path: PathBuf, format: &'static str, anchor: &'static str, hint: String },
    #[error("checkpoint {}: several backbones, under {}; keep one in the file", path.display(), quoted(prefixes))]
    AmbiguousBackbone { path: PathBuf, prefixes: Vec<String> },
    #[error("checkpoint {}: patch size: expected {expected}, got {found} (`{key}` is {shape:?}); set patch_size = {found}", path.display())]
    PatchSize { path: PathBuf, key: String, shape: Vec<i64>, expected: i64, found: i64 },
    #[error(
        "checkpoint {}: position embedding `{key}`: expected [1, {} + n*n, dim] for a square grid of patches, got {found:?}",
        path.display(), prefix_tokens
    )]
    PosEmbedGrid { path: PathBuf, key: String, prefix_tokens: String, found: Vec<i64> },
    #[error(
        "checkpoint {} (format {format}): {} missing {}{}: {}{hint}; check `format`, `architecture` and `num_register_tokens`",
        path.display(), keys.len(), plural(keys.len(), "key", "keys"), under(prefix), list(keys)
    )]
    MissingKeys { path: PathBuf, format: &'static str, prefix: String, keys: Vec<String>, hint: String },
    #[error(
        "checkpoint {} (format {format}): {} unexpected {}{}: {}; check `format`, `architecture` and `num_register_tokens`",
        path.display(), keys.len(), plural(keys.len(), "key", "keys"), under(prefix), list(keys)
    )]
    UnexpectedKeys { path: PathBuf, format: &'static str, prefix: String, keys: Vec<String> },
    #[error("checkpoint {}: shape mismatch{}: {}", path.display(), under(prefix), list(mismatches))]
    ShapeMismatch { path: PathBuf, prefix: String, mismatches: Vec<ShapeMismatch> },
    #[error("checkpoint {}: tensor `{key}`: {source}", path.display())]
    Tensor { path: PathBuf, key: String, source: tch::TchError },
    #[error("{} is a TorchScript module (format torchscript), not ViT weights; load it with TorchScriptEncoder", path.display())]
    NotAStateDict { path: PathBuf },
    #[error("TorchScript module {}: {source}", path.display())]
    TorchScript { path: PathBuf, source: tch::TchError },
    #[error("TorchScript module {}: output: expected {expected}, got {found}", path.display())]
    TorchScriptOutput { path: PathBuf, expected: String, found: String },
}

/// Lists at most this many keys in a message, then counts the rest.
const MAX_LISTED: usize = 12;

fn list<T: fmt::Display>(items: &[T]) -> String {
    let mut text = items.iter().take(MAX_LISTED).map(ToString::to_string).collect::<Vec<_>>().join(", ");
    if items.len() > MAX_LISTED {
        text.push_str(&format!(" and {} more", items.len() - MAX_LISTED));
    }
    text
}

fn quoted(prefixes: &[String]) -> String {
    prefixes.iter().map(|prefix| format!("`{prefix}`")).collect::<Vec<_>>().join(", ")
}

fn under(prefix: &str) -> String {
    if prefix.is_empty() {
        String::new()
    } else {
        format!(" under `{prefix}`")
    }
}

fn plural(count: usize, one: &'static str, many: &'static str) -> &'static str {
    if count == 1 {
        one
    } else {
        many
    }
}

/// Loads a ViT from `path` in the layout `format`, on `device`.
///
/// `config` gives the architecture, but three fields are taken from the checkpoint:
/// - `image_size` from the position embedding's grid,
/// - `layerscale_init` becomes `None` when the blocks have no LayerScale,
/// - `pos_embed_interpolation` becomes the rule of the library that wrote a Hugging Face
///   or timm checkpoint. DINOv2 checkpoints keep the caller's rule, because DINOv2's own
///   models differ in it.
pub fn load_vit(path: &Path, format: WeightsFormat, config: VitConfig, device: Device) -> Result<(Vit, nn::VarStore), LoadError> {
    let checkpoint = Checkpoint::open(path)?;
    let backbone = Backbone::find(&checkpoint, format)?;
    let plan = Plan::new(&backbone, config)?;
    let (store, vit) = Vit::build_store(plan.config.clone(), device, 0);
    let values = assemble(&backbone, &plan, &store)?;
    tch::no_grad(|| {
        for (name, mut variable, value) in values {
            variable.f_copy_(&value).map_err(|source| LoadError::Tensor { path: path.to_path_buf(), key: name, source })?;
        }
        Ok::<(), LoadError>(())
    })?;
    Ok((vit, store))
}

/// The backbone's keys inside a checkpoint.
struct Backbone<'a> {
    checkpoint: &'a Checkpoint,
    layout: Layout,
    format: &'static str,
    prefix: String,
    /// Key relative to the prefix (without DINOv2's block chunk) to key in the file.
    keys: BTreeMap<String, String>,
}

impl<'a> Backbone<'a> {
    fn find(checkpoint: &'a Checkpoint, format: WeightsFormat) -> Result<Backbone<'a>, LoadError> {
        let path = checkpoint.path().to_path_buf();
        let layout = match format {
            WeightsFormat::Dinov2 => Layout::Dinov2,
            WeightsFormat::Timm => Layout::Timm,
            WeightsFormat::HuggingFace => {
                let module_names = checkpoint.keys().any(|key| key.contains(".attention.q_proj."));
                Layout::HuggingFace { module_names }
            }
            WeightsFormat::TorchScript { .. } => return Err(LoadError::NotAStateDict { path }),
        };
        let anchor = layout.anchor();
        let suffix = format!(".{anchor}");
        let mut prefixes: Vec<String> = checkpoint
            .keys()
            .filter(|key| *key == anchor || key.ends_with(&suffix))
            .map(|key| key[..key.len() - anchor.len()].to_string())
            .collect();
        if prefixes.len() > 1 {
            // Training checkpoints hold a teacher and a student; DINOv2 evaluates the teacher.
            let teachers: Vec<String> = prefixes.iter().filter(|prefix| prefix.split('.').any(|part| part == "teacher")).cloned().collect();
            if !teachers.is_empty() {
                prefixes = teachers;
            }
        }
        let prefix = match prefixes.as_slice() {
            [prefix] => prefix.clone(),
            [] => return Err(LoadError::NoBackbone { path, format: format.as_str(), anchor, hint: guess_format(checkpoint, format) }),
            _ => return Err(LoadError::AmbiguousBackbone { path, prefixes }),
        };

        let mut keys = BTreeMap::new();
        for key in checkpoint.keys().filter(|key| key.starts_with(&prefix)) {
            let relative = &key[prefix.len()..];
            let relative = if layout == Layout::Dinov2 { unchunk(relative) } else { relative.to_string() };
            if let Some(previous) = keys.insert(relative.clone(), key.to_string()) {
                return Err(LoadError::Unsupported { path, reason: format!("keys `{previous}` and `{key}` both name `{relative}`") });
            }
        }
        Ok(Backbone { checkpoint, layout, format: format.as_str(), prefix, keys })
    }

    fn path(&self) -> PathBuf {
        self.checkpoint.path().to_path_buf()
    }

    fn shape(&self, key: &str) -> Option<&[i64]> {
        self.keys.get(key).and_then(|full| self.checkpoint.shape(full))
    }

    fn tensor(&self, key: &str) -> Result<Tensor, LoadError> {
        self.checkpoint.tensor(&self.keys[key])
    }
}

/// Suggests the format whose key names the checkpoint uses, when it is not `format`.
fn guess_format(checkpoint: &Checkpoint, format: WeightsFormat) -> String {
    let hugging_face = checkpoint.keys().any(|key| key.contains("encoder.layer.") || key.contains("embeddings.patch_embeddings"));
    let guess = match (hugging_face, format) {
        (true, WeightsFormat::HuggingFace) | (false, WeightsFormat::Dinov2 | WeightsFormat::Timm) => return String::new(),
        (true, _) => WeightsFormat::HuggingFace,
        (false, _) => WeightsFormat::Dinov2,
    };
    format!("; the keys look like format = \"{}\"", guess.as_str())
}

/// The model configuration fitted to the checkpoint, and how timm's position embedding
/// is laid out.
struct Plan {
    config: VitConfig,
    /// Positions before the patch grid in timm's `pos_embed`: 1 (class), 0 (timm's
    /// `no_embed_class`) or 1 + registers.
    timm_prefix_positions: i64,
}

impl Plan {
    fn new(backbone: &Backbone, mut config: VitConfig) -> Result<Plan, LoadError> {
        let layout = backbone.layout;
        let patch_key = layout.patch_weight();
        if let Some(shape) = backbone.shape(patch_key) {
            if let [_, _, rows, _] = *shape {
                if rows != config.patch_size {
                    return Err(LoadError::PatchSize {
                        path: backbone.path(),
                        key: patch_key.to_string(),
                        shape: shape.to_vec(),
                        expected: config.patch_size,
                        found: rows,
                    });
                }
            }
        }

        let mut timm_prefix_positions = 1;
        let pos_key = layout.pos_embed();
        if let Some(shape) = backbone.shape(pos_key) {
            let candidates = match layout {
                Layout::Timm => vec![1, 0, 1 + config.num_register_tokens],
                _ => vec![1],
            };
            let grid = match *shape {
                [1, positions, _] => candidates.iter().find_map(|&prefix| square_side(positions - prefix).map(|side| (prefix, side))),
                _ => None,
            };
            let Some((prefix, side)) = grid else {
                let prefix_tokens = candidates.iter().map(ToString::to_string).collect::<Vec<_>>().join(" or ");
                return Err(LoadError::PosEmbedGrid { path: backbone.path(), key: pos_key.to_string(), prefix_tokens, found: shape.to_vec() });
            };
            timm_prefix_positions = prefix;
            config.image_size = side * config.patch_size;
        }

        if backbone.shape(layout.first_layer_scale()).is_none() && backbone.shape(patch_key).is_some() {
            config.layerscale_init = None;
        }
        match layout {
            Layout::HuggingFace { .. } => {
                // transformers 5.25: Dinov2Model resizes without antialiasing,
                // Dinov2WithRegistersModel (the only one with register tokens) with it.
                let antialias = backbone.shape(layout.register_tokens()).is_some();
                config.pos_embed_interpolation = PosEmbedInterpolation::Resize { antialias };
            }
            Layout::Timm => config.pos_embed_interpolation = PosEmbedInterpolation::Resize { antialias: true },
            Layout::Dinov2 => {}
        }
        Ok(Plan { config, timm_prefix_positions })
    }
}

fn square_side(count: i64) -> Option<i64> {
    let side = (count.max(0) as f64).sqrt().round() as i64;
    (side > 0 && side * side == count).then_some(side)
}

/// Collects the value of every model variable, or every problem found on the way.
struct Assembly<'a, 'b> {
    backbone: &'b Backbone<'a>,
    used: BTreeSet<String>,
    missing: Vec<String>,
    mismatches: Vec<ShapeMismatch>,
}

impl Assembly<'_, '_> {
    /// Reads `key` if it exists with the shape `expected`; records the problem otherwise.
    fn take(&mut self, key: &str, expected: &[i64]) -> Result<Option<Tensor>, LoadError> {
        self.used.insert(key.to_string());
        match self.backbone.shape(key) {
            None => {
                self.missing.push(key.to_string());
                Ok(None)
            }
            Some(found) if found != expected => {
                self.mismatches.push(ShapeMismatch { key: key.to_string(), expected: expected.to_vec(), found: found.to_vec() });
                Ok(None)
            }
            Some(_) => self.backbone.tensor(key).map(Some),
        }
    }

    fn value(&mut self, source: Source, shape: &[i64], plan: &Plan) -> Result<Option<Tensor>, LoadError> {
        match source {
            Source::Key(key) => self.take(&key, shape),
            Source::Rows(keys) => {
                let mut share = shape.to_vec();
                share[0] /= keys.len() as i64;
                let mut parts = Vec::new();
                for key in &keys {
                    parts.push(self.take(key, &share)?);
                }
                Ok(parts.into_iter().collect::<Option<Vec<Tensor>>>().map(|parts| Tensor::cat(&parts, 0)))
            }
            Source::TimmPosEmbed => {
                // `shape` is [1, 1 + grid, dim]; timm stores `prefix` positions before the grid.
                let (grid, dim) = (shape[1] - 1, shape[2]);
                let prefix = plan.timm_prefix_positions;
                let Some(stored) = self.take("pos_embed", &[1, prefix + grid, dim])? else {
                    return Ok(None);
                };
                let class_position = match prefix {
                    // No class position: the CLS token is added to nothing, as adding zeros.
                    0 => Tensor::zeros([1, 1, dim], (stored.kind(), stored.device())),
                    _ => stored.narrow(1, 0, 1),
                };
                Ok(Some(Tensor::cat(&[class_position, stored.narrow(1, prefix, grid)], 1)))
            }
            Source::TimmRegisters => {
                let Some(tokens) = self.take("reg_token", shape)? else {
                    return Ok(None);
                };
                let registers = shape[1];
                if plan.timm_prefix_positions != 1 + registers || self.backbone.shape("pos_embed").is_none() {
                    return Ok(Some(tokens));
                }
                // Register positions never change with the input size, so they fold into
                // the register tokens, which `Vit` adds no position to.
                let positions = self.backbone.tensor("pos_embed")?.narrow(1, 1, registers);
                Ok(Some(tokens + positions))
            }
        }
    }
}

/// Pairs each model variable (name, variable) with its checkpoint value, after checking
/// all of them.
fn assemble(backbone: &Backbone, plan: &Plan, store: &nn::VarStore) -> Result<Vec<(String, Tensor, Tensor)>, LoadError> {
    let mut assembly = Assembly { backbone, used: BTreeSet::new(), missing: Vec::new(), mismatches: Vec::new() };
    let variables: BTreeMap<String, Tensor> = store.variables().into_iter().collect();
    let mut values = Vec::new();
    for (name, variable) in variables {
        let source = backbone.layout.source(&name);
        if let Some(value) = assembly.value(source, &variable.size(), plan)? {
            values.push((name, variable, value));
        }
    }

    let path = backbone.path();
    let prefix = backbone.prefix.clone();
    if !assembly.missing.is_empty() {
        let hint = guess_format(backbone.checkpoint, format_of(backbone.layout));
        return Err(LoadError::MissingKeys { path, format: backbone.format, prefix, keys: assembly.missing, hint });
    }
    let unused = backbone.layout.unused_keys();
    let unexpected: Vec<String> = backbone
        .keys
        .keys()
        .filter(|key| !assembly.used.contains(*key) && !unused.contains(&key.as_str()))
        .cloned()
        .collect();
    if !unexpected.is_empty() {
        return Err(LoadError::UnexpectedKeys { path, format: backbone.format, prefix, keys: unexpected });
    }
    if !assembly.mismatches.is_empty() {
        return Err(LoadError::ShapeMismatch { path, prefix, mismatches: assembly.mismatches });
    }
    Ok(values)
}

fn format_of(layout: Layout) -> WeightsFormat {
    match layout {
        Layout::Dinov2 => WeightsFormat::Dinov2,
        Layout::HuggingFace { .. } => WeightsFormat::HuggingFace,
        Layout::Timm => WeightsFormat::Timm,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn square_sides() {
        assert_eq!(square_side(16), Some(4));
        assert_eq!(square_side(1369), Some(37));
        assert_eq!(square_side(17), None);
        assert_eq!(square_side(0), None);
        assert_eq!(square_side(-3), None);
    }

    #[test]
    fn long_key_lists_are_cut() {
        let keys: Vec<String> = (0..15).map(|i| format!("k{i}")).collect();
        assert_eq!(list(&keys), "k0, k1, k2, k3, k4, k5, k6, k7, k8, k9, k10, k11 and 3 more");
    }
}
