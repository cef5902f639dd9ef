//! One pretraining run: student and EMA teacher, the combined DINO + iBOT + KoLeo objective,
//! schedules, checkpoints and the export of the teacher backbone.
//!
//! Randomness after initialisation comes only from generators seeded by (seed, step), never
//! from libtorch's global generator, so a run resumed from a checkpoint takes the same steps
//! as one that never stopped.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use tch::nn;
use tch::{Device, Kind, Tensor};

use super::augment::{batch_crops, step_rng, BatchCrops};
use super::config::{Centering, PretrainConfig};
use super::head::DinoHead;
use super::losses::{dino_pair_sum, ibot_loss, masked_patch_weights, koleo_loss, sinkhorn_knopp_targets, softmax_center_targets, Center};
use super::masking::{batch_masks, MaskGenerator, RngDraws};
use super::optim::{clip_gradients, decays, ema_update, layer_decay_multiplier, AdamW, Param, Part};
use super::schedule::CosineSchedule;
use crate::data::image::GreyImage;
use crate::encoder::vit::{seeded, Vit, VitConfig};
use crate::report::atomic::{write_atomic_with, AtomicWriteError};

/// Sinkhorn-Knopp iterations per step, as in DINOv2.
const SINKHORN_ITERATIONS: usize = 3;

/// Backbone, mask token and head, under `backbone.` and `dino_head.` in a variable store.
#[derive(Debug)]
pub struct Network {
    pub backbone: Vit,
    pub mask_token: Tensor,
    pub head: DinoHead,
}

impl Network {
    fn new(root: &nn::Path, vit: VitConfig, config: &PretrainConfig) -> Network {
        let backbone_path = root / "backbone";
        let dim = vit.embed_dim;
        let backbone = Vit::new(&backbone_path, vit);
        let mask_token = backbone_path.var("mask_token", &[1, dim], nn::Init::Const(0.0));
        let head = DinoHead::new(&(root / "dino_head"), dim, &config.head);
        Network { backbone, mask_token, head }
    }
}

/// The values a step logged.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct StepRecord {
    /// Steps completed, this one included.
    pub step: usize,
    pub epoch: f64,
    pub loss: f64,
    pub dino_global: f64,
    pub dino_local: f64,
    pub ibot: f64,
    pub koleo: f64,
    pub lr: f64,
    pub weight_decay: f64,
    pub teacher_momentum: f64,
    pub teacher_temperature: f64,
    pub grad_norm_backbone: f64,
    pub grad_norm_head: f64,
    pub masked_patches: i64,
    /// Mean entropy of the teacher's CLS targets, in nats: ln K means uniform targets, the
    /// sign of a collapse; near 0 means one-hot targets.
    #[serde(default)]
    pub teacher_entropy: f64,
    /// Prototypes that are the most likely one for at least one teacher CLS target.
    #[serde(default)]
    pub prototypes_used: i64,
    /// Mean cosine of the teacher's CLS tokens for the two global crops of one image.
    #[serde(default)]
    pub teacher_view_cosine: f64,
    /// The same between crops of different images. The DINO term has a target the student
    /// can predict only when the view cosine is clearly above this one.
    #[serde(default)]
    pub teacher_other_cosine: f64,
    pub seconds: f64,
}

/// Per-step values of every schedule.
#[derive(Debug, Clone)]
struct Schedules {
    lr: CosineSchedule,
    weight_decay: CosineSchedule,
    momentum: CosineSchedule,
    teacher_temperature: CosineSchedule,
    freeze_last_layer: usize,
}

impl Schedules {
    fn new(config: &PretrainConfig) -> Schedules {
        let per_epoch = config.optim.steps_per_epoch as f64;
        let total = config.total_steps();
        let steps = |epochs: f64| ((epochs * per_epoch).round() as usize).min(total);
        let optim = &config.optim;
        Schedules {
            lr: CosineSchedule::cosine(optim.lr, optim.min_lr, total).with_warmup(steps(optim.warmup_epochs), 0.0),
            weight_decay: CosineSchedule::cosine(optim.weight_decay[0], optim.weight_decay[1], total),
            momentum: CosineSchedule::cosine(optim.teacher_momentum[0], optim.teacher_momentum[1], total),
            teacher_temperature: CosineSchedule::constant(config.loss.teacher_temperature, total)
                .with_warmup(steps(config.loss.teacher_warmup_epochs), config.loss.teacher_warmup_temperature),
            freeze_last_layer: steps(optim.freeze_last_layer_epochs),
        }
    }
}

/// Error reading or writing a checkpoint or export; each names its file.
#[derive(Debug, thiserror::Error)]
pub enum CheckpointError {
    #[error(transparent)]
    Write(#[from] AtomicWriteError),
    #[error("failed to read checkpoint {}: {message}", path.display())]
    Read { path: PathBuf, message: String },
    #[error("checkpoint {}: {message}", path.display())]
    Mismatch { path: PathBuf, message: String },
}

/// Student, teacher, optimiser and targets' state of one run.
pub struct Pretrainer {
    pub config: PretrainConfig,
    /// The preset's text, stored in checkpoints so a resume can check it is unchanged.
    pub preset_text: String,
    pub device: Device,
    /// Dtype of the forward passes: bfloat16 on CUDA, float32 on the CPU. Weights, optimiser
    /// state and losses stay in float32.
    pub compute: Kind,
    student_store: nn::VarStore,
    student: Network,
    teacher_store: nn::VarStore,
    teacher: Network,
    optimizer: AdamW,
    /// Names of the trainable tensors, sorted; student and teacher share them.
    names: Vec<String>,
    dino_center: Center,
    ibot_center: Center,
    schedules: Schedules,
    masks: MaskGenerator,
    /// Steps completed.
    pub step: usize,
}

impl Pretrainer {
    /// Builds student and teacher (a copy of the student) from the preset's seed.
    pub fn new(config: PretrainConfig, preset_text: String, device: Device) -> Pretrainer {
        let vit = config.vit().expect("a checked preset names a ViT");
        // The teacher's own random initialisation is overwritten by the copy, but it draws
        // from libtorch's global generator too, so it is built under the same lock: built
        // outside, it could interleave with another thread's seeded construction.
        let (student_store, student, mut teacher_store, teacher) = seeded(config.run.seed, || {
            let student_store = nn::VarStore::new(device);
            let student = Network::new(&student_store.root(), vit.clone(), &config);
            let teacher_store = nn::VarStore::new(device);
            let teacher = Network::new(&teacher_store.root(), vit.clone(), &config);
            (student_store, student, teacher_store, teacher)
        });
        teacher_store.copy(&student_store).expect("teacher and student have the same variables");
        teacher_store.freeze();

        let variables = student_store.variables();
        // Trainable tensors only: the prototypes' fixed lengths stay out of AdamW and the EMA.
        let names: Vec<String> = variables.iter().filter(|(_, tensor)| tensor.requires_grad()).map(|(name, _)| name.clone()).collect::<std::collections::BTreeSet<_>>().into_iter().collect();
        let params = names
            .iter()
            .map(|name| {
                let (part, inner) = match name.strip_prefix("backbone.") {
                    Some(inner) => (Part::Backbone, inner),
                    None => (Part::Head, name.as_str()),
                };
                let mut lr_multiplier = match part {
                    Part::Backbone => layer_decay_multiplier(inner, vit.depth, config.optim.layer_decay),
                    Part::Head => 1.0,
                };
                if inner.starts_with("patch_embed") {
                    lr_multiplier *= config.optim.patch_embed_lr_multiplier;
                }
                Param {
                    name: name.clone(),
                    tensor: variables[name].shallow_clone(),
                    part,
                    lr_multiplier,
                    wd_multiplier: if decays(name) { 1.0 } else { 0.0 },
                    last_layer: name.contains("last_layer"),
                }
            })
            .collect();
        let optimizer = AdamW::new(params, config.optim.betas[0], config.optim.betas[1]);
        let grid = (config.crops.global_size as i64 / vit.patch_size) as usize;
        let masks = MaskGenerator::new(grid, grid, config.masking.min_patches, config.masking.min_aspect);
        let compute = match device {
            Device::Cuda(_) => Kind::BFloat16,
            _ => Kind::Float,
        };
        Pretrainer {
            dino_center: Center::new(config.head.prototypes, config.loss.center_momentum, device),
            ibot_center: Center::new(config.head.prototypes, config.loss.center_momentum, device),
            schedules: Schedules::new(&config),
            config,
            preset_text,
            device,
            compute,
            student_store,
            student,
            teacher_store,
            teacher,
            optimizer,
            names,
            masks,
            step: 0,
        }
    }

    /// Sets the dtype of the forward passes (bfloat16 mixed precision, or float32).
    pub fn with_compute(mut self, kind: Kind) -> Pretrainer {
        self.compute = kind;
        self
    }

    /// Indices of the images of batch `step` among `count` images: the images are visited in
    /// a fresh seeded order on every pass through the data.
    pub fn batch_indices(&self, step: usize, count: usize) -> Vec<usize> {
        let batch = self.config.optim.batch_size;
        let mut order_pass = usize::MAX;
        let mut order = Vec::new();
        (step * batch..(step + 1) * batch)
            .map(|sample| {
                let pass = sample / count;
                if pass != order_pass {
                    let mut rng = ChaCha8Rng::seed_from_u64(self.config.run.seed ^ (pass as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
                    order = (0..count).collect();
                    order.shuffle(&mut rng);
                    order_pass = pass;
                }
                order[sample % count]
            })
            .collect()
    }

    /// Runs one optimisation step on `images` (the batch of step `self.step`).
    pub fn train_step(&mut self, images: &[&GreyImage]) -> StepRecord {
        let started = std::time::Instant::now();
        let step = self.step;
        let crops = batch_crops(images, &self.config.crops, &self.config.augment, self.config.run.seed, step as u64);
        let mask_rows = self.batch_mask_rows(step, images.len());
        let teacher_temperature = self.schedules.teacher_temperature.at(step);

        self.optimizer.zero_grad();
        let losses = self.losses(&crops, &mask_rows, teacher_temperature, true);
        losses.total.backward();

        let backbone: Vec<&Tensor> = self.optimizer.params.iter().filter(|p| p.part == Part::Backbone).map(|p| &p.tensor).collect();
        let head: Vec<&Tensor> = self.optimizer.params.iter().filter(|p| p.part == Part::Head).map(|p| &p.tensor).collect();
        let grad_norm_backbone = clip_gradients(&backbone, self.config.optim.clip_grad);
        let grad_norm_head = clip_gradients(&head, self.config.optim.clip_grad);

        let lr = self.schedules.lr.at(step);
        let last_layer_lr = if step < self.schedules.freeze_last_layer { 0.0 } else { lr };
        let weight_decay = self.schedules.weight_decay.at(step);
        self.optimizer.step(lr, last_layer_lr, weight_decay);

        let momentum = self.schedules.momentum.at(step);
        let student = self.student_store.variables();
        let teacher = self.teacher_store.variables();
        let student: Vec<Tensor> = self.names.iter().map(|name| student[name].shallow_clone()).collect();
        let teacher: Vec<Tensor> = self.names.iter().map(|name| teacher[name].shallow_clone()).collect();
        ema_update(&teacher, &student, momentum);

        self.step += 1;
        let value = |t: &Tensor| t.double_value(&[]);
        StepRecord {
            step: self.step,
            epoch: self.step as f64 / self.config.optim.steps_per_epoch as f64,
            loss: value(&losses.total),
            dino_global: value(&losses.dino_global),
            dino_local: value(&losses.dino_local),
            ibot: value(&losses.ibot),
            koleo: value(&losses.koleo),
            lr,
            weight_decay,
            teacher_momentum: momentum,
            teacher_temperature,
            grad_norm_backbone,
            grad_norm_head,
            masked_patches: losses.masked_patches,
            teacher_entropy: losses.teacher_entropy,
            prototypes_used: losses.prototypes_used,
            teacher_view_cosine: losses.view_cosines.0,
            teacher_other_cosine: losses.view_cosines.1,
            seconds: started.elapsed().as_secs_f64(),
        }
    }

    /// Masks of the global crops of batch `step`, one row of patches per crop.
    fn batch_mask_rows(&self, step: usize, batch: usize) -> Vec<Vec<bool>> {
        let mut draws = RngDraws(step_rng(self.config.run.seed, step as u64, 0, b"ibotmask"));
        let masking = &self.config.masking;
        batch_masks(&self.masks, 2 * batch, masking.probability, (masking.ratio[0], masking.ratio[1]), &mut draws)
    }

    /// Computes the objective of one batch. With `update_centers`, the softmax centres move
    /// towards this batch's teacher logits after the targets are computed.
    pub fn losses(&mut self, crops: &BatchCrops, mask_rows: &[Vec<bool>], teacher_temperature: f64, update_centers: bool) -> Losses {
        let b = crops.batch as i64;
        let channels = self.config.augment.mean.len() as i64;
        let (g, l) = (self.config.crops.global_size as i64, self.config.crops.local_size as i64);
        let local_count = self.config.crops.local_count as i64;
        let global = Tensor::from_slice(&crops.global).reshape([2 * b, channels, g, g]).to_device(self.device).to_kind(self.compute);
        let local = Tensor::from_slice(&crops.local).reshape([local_count * b, channels, l, l]).to_device(self.device).to_kind(self.compute);
        let patches = mask_rows.first().map_or(0, |row| row.len()) as i64;
        let flat: Vec<bool> = mask_rows.iter().flatten().copied().collect();
        let masks = Tensor::from_slice(&flat).reshape([2 * b, patches]).to_device(self.device);
        let masked_index = Tensor::from_slice(&flat.iter().enumerate().filter(|(_, &m)| m).map(|(i, _)| i as i64).collect::<Vec<_>>()).to_device(self.device);
        let masked = masked_index.size()[0];
        let weights = Tensor::from_slice(&masked_patch_weights(mask_rows)).to_device(self.device);
        let dim = self.student.backbone.config.embed_dim;

        // Teacher: targets for the global crops' CLS tokens and the masked patches.
        let ((cls_targets, patch_targets), view_cosines) = tch::no_grad(|| {
            let out = self.teacher.backbone.forward(&global);
            let view_cosines = view_cosines(&out.cls.to_kind(Kind::Float), b);
            let masked_patches = out.patches.reshape([2 * b * patches, dim]).index_select(0, &masked_index);
            let logits = self.teacher.head.forward(&Tensor::cat(&[out.cls, masked_patches], 0)).to_kind(Kind::Float);
            let cls_logits = logits.narrow(0, 0, 2 * b);
            let patch_logits = logits.narrow(0, 2 * b, masked);
            let targets = match self.config.loss.centering {
                Centering::Softmax => {
                    let cls = softmax_center_targets(&cls_logits, &self.dino_center.value, teacher_temperature);
                    let patch = softmax_center_targets(&patch_logits, &self.ibot_center.value, teacher_temperature);
                    if update_centers {
                        self.dino_center.update(&cls_logits);
                        if masked > 0 {
                            self.ibot_center.update(&patch_logits);
                        }
                    }
                    (cls, patch)
                }
                Centering::SinkhornKnopp => {
                    let cls = sinkhorn_knopp_targets(&cls_logits, teacher_temperature, SINKHORN_ITERATIONS);
                    let patch = if masked > 0 { sinkhorn_knopp_targets(&patch_logits, teacher_temperature, SINKHORN_ITERATIONS) } else { patch_logits.zeros_like() };
                    (cls, patch)
                }
            };
            (targets, view_cosines)
        });

        // Student: masked global crops and unmasked local crops through one head call.
        let out_global = self.student.backbone.forward_masked(&global, Some((&masks, &self.student.mask_token)));
        let mut tokens = vec![out_global.cls.shallow_clone()];
        if local_count > 0 {
            tokens.push(self.student.backbone.forward(&local).cls);
        }
        tokens.push(out_global.patches.reshape([2 * b * patches, dim]).index_select(0, &masked_index));
        let logits = self.student.head.forward(&Tensor::cat(&tokens, 0)).to_kind(Kind::Float);
        let student_global = logits.narrow(0, 0, 2 * b).chunk(2, 0);
        let student_local = if local_count > 0 { logits.narrow(0, 2 * b, local_count * b).chunk(local_count, 0) } else { Vec::new() };
        let student_patches = logits.narrow(0, (2 + local_count) * b, masked);
        let teacher_global = cls_targets.chunk(2, 0);

        let temperature = self.config.loss.student_temperature;
        let (global_sum, global_pairs) = dino_pair_sum(&student_global, &teacher_global, temperature, true);
        let (local_sum, local_pairs) = dino_pair_sum(&student_local, &teacher_global, temperature, false);
        let pairs = (global_pairs + local_pairs) as f64;
        let dino_global = global_sum / pairs;
        let dino_local = local_sum / pairs;
        let ibot = if masked > 0 {
            ibot_loss(&student_patches, &patch_targets, &weights, 2 * b, temperature)
        } else {
            Tensor::zeros([], (Kind::Float, self.device))
        };
        let student_cls = out_global.cls.to_kind(Kind::Float).chunk(2, 0);
        let koleo = koleo_loss(&student_cls[0]) + koleo_loss(&student_cls[1]);
        let loss = &self.config.loss;
        let total = (&dino_global + &dino_local) * loss.dino_weight + &ibot * loss.ibot_weight + &koleo * loss.koleo_weight;
        let (teacher_entropy, prototypes_used) = tch::no_grad(|| {
            let entropy = -(&cls_targets * cls_targets.clamp_min(1e-30).log()).sum_dim_intlist(-1, false, Kind::Float).mean(Kind::Float);
            let used = cls_targets.argmax(-1, false).unique_dim(0, false, false, false).0.size()[0];
            (entropy.double_value(&[]), used)
        });
        Losses { total, dino_global, dino_local, ibot, koleo, masked_patches: masked, teacher_entropy, prototypes_used, view_cosines }
    }

    /// Trainable tensors by name: `student.*`, `teacher.*` and the optimiser's moments.
    fn state_tensors(&self) -> Vec<(String, Tensor)> {
        let student = self.student_store.variables();
        let teacher = self.teacher_store.variables();
        let mut named = Vec::new();
        for (i, name) in self.names.iter().enumerate() {
            named.push((format!("student.{name}"), student[name].shallow_clone()));
            named.push((format!("teacher.{name}"), teacher[name].shallow_clone()));
            named.push((format!("optimizer.exp_avg.{name}"), self.optimizer.exp_avg[i].shallow_clone()));
            named.push((format!("optimizer.exp_avg_sq.{name}"), self.optimizer.exp_avg_sq[i].shallow_clone()));
        }
        named.push(("state.step".into(), Tensor::from_slice(&[self.step as i64])));
        named.push(("state.optimizer_steps".into(), Tensor::from_slice(&[self.optimizer.steps])));
        named.push(("state.dino_center".into(), self.dino_center.value.shallow_clone()));
        named.push(("state.ibot_center".into(), self.ibot_center.value.shallow_clone()));
        named.push(("state.preset".into(), Tensor::from_slice(self.preset_text.as_bytes())));
        named
    }

    /// Writes the whole training state to `path` atomically, as safetensors.
    pub fn save_checkpoint(&self, path: &Path) -> Result<(), CheckpointError> {
        let named = self.state_tensors();
        let refs: Vec<(&str, &Tensor)> = named.iter().map(|(name, tensor)| (name.as_str(), tensor)).collect();
        write_atomic_with(path, |temp: &Path| Tensor::write_safetensors(&refs, temp))?;
        Ok(())
    }

    /// Restores the state a checkpoint contains into this freshly built run; the checkpoint
    /// must have been written with the same preset text.
    pub fn load_checkpoint(&mut self, path: &Path) -> Result<(), CheckpointError> {
        let read_error = |message: String| CheckpointError::Read { path: path.to_path_buf(), message };
        let tensors: BTreeMap<String, Tensor> =
            Tensor::read_safetensors(path).map_err(|error| read_error(error.to_string()))?.into_iter().map(|(name, tensor)| (name, tensor.to_device(self.device))).collect();
        let get = |name: &str| tensors.get(name).ok_or_else(|| read_error(format!("`{name}` is missing; the file is not a raydino-bench pretraining checkpoint")));
        let stored_preset = Vec::<u8>::try_from(get("state.preset")?).map_err(|error| read_error(error.to_string()))?;
        if stored_preset != self.preset_text.as_bytes() {
            return Err(CheckpointError::Mismatch {
                path: path.to_path_buf(),
                message: "it was written with another preset; resume with the preset.toml saved in the run folder, or start a new run folder".into(),
            });
        }
        let student = self.student_store.variables();
        let teacher = self.teacher_store.variables();
        tch::no_grad(|| -> Result<(), CheckpointError> {
            for (i, name) in self.names.iter().enumerate() {
                for (target, key) in [
                    (&student[name], format!("student.{name}")),
                    (&teacher[name], format!("teacher.{name}")),
                    (&self.optimizer.exp_avg[i], format!("optimizer.exp_avg.{name}")),
                    (&self.optimizer.exp_avg_sq[i], format!("optimizer.exp_avg_sq.{name}")),
                ] {
                    let source = get(&key)?;
                    if source.size() != target.size() {
                        return Err(read_error(format!("`{key}` is {:?}, the model needs {:?}", source.size(), target.size())));
                    }
                    target.shallow_clone().copy_(source);
                }
            }
            Ok(())
        })?;
        self.step = get("state.step")?.int64_value(&[0]) as usize;
        self.optimizer.steps = get("state.optimizer_steps")?.int64_value(&[0]);
        self.dino_center.value = get("state.dino_center")?.to_device(self.device);
        self.ibot_center.value = get("state.ibot_center")?.to_device(self.device);
        Ok(())
    }

    /// Writes the teacher backbone (DINOv2 key names, `mask_token` included) to `path`
    /// atomically as safetensors; baselines read it with `format = "dinov2"`.
    pub fn export_teacher(&self, path: &Path) -> Result<(), CheckpointError> {
        let teacher = self.teacher_store.variables();
        let named: Vec<(String, Tensor)> =
            self.names.iter().filter_map(|name| name.strip_prefix("backbone.").map(|inner| (inner.to_string(), teacher[name].to_kind(Kind::Float).to_device(Device::Cpu)))).collect();
        let refs: Vec<(&str, &Tensor)> = named.iter().map(|(name, tensor)| (name.as_str(), tensor)).collect();
        write_atomic_with(path, |temp: &Path| Tensor::write_safetensors(&refs, temp))?;
        Ok(())
    }

    /// Model FLOPs of one training step: the student's forward and backward passes (three
    /// forward passes' worth) on every crop plus the teacher's forward pass on the global
    /// crops. The heads are left out (small next to the backbone except at tiny widths).
    pub fn step_flops(&self) -> f64 {
        let vit = &self.student.backbone.config;
        let b = self.config.optim.batch_size as f64;
        let crops = &self.config.crops;
        let global = vit.flops(crops.global_size as i64);
        let local = vit.flops(crops.local_size as i64);
        let student = 2.0 * b * global + crops.local_count as f64 * b * local;
        3.0 * student + 2.0 * b * global
    }
}

/// The objective of one batch and its parts (float32 scalars).
pub struct Losses {
    pub total: Tensor,
    pub dino_global: Tensor,
    pub dino_local: Tensor,
    pub ibot: Tensor,
    pub koleo: Tensor,
    pub masked_patches: i64,
    pub teacher_entropy: f64,
    pub prototypes_used: i64,
    /// Mean cosine of the teacher's CLS tokens between the two global crops of the same
    /// image, and between crops of different images.
    pub view_cosines: (f64, f64),
}

/// Mean cosine similarity of `cls` rows (`[2B, D]`, first crops then second crops) between
/// the two crops of one image, and between crops of two different images. A first value
/// well above the second means the features agree across views of an image, which is
/// what the DINO term needs in order to have a target the student can predict.
fn view_cosines(cls: &Tensor, batch: i64) -> (f64, f64) {
    let unit = cls / cls.norm_scalaropt_dim(2, [-1], true).clamp_min(1e-12);
    let views = unit.chunk(2, 0);
    let cosines = views[0].matmul(&views[1].transpose(0, 1));
    let same = cosines.diagonal(0, 0, 1).sum(Kind::Double).double_value(&[]);
    let all = cosines.sum(Kind::Double).double_value(&[]);
    let pairs = (batch * batch - batch).max(1) as f64;
    (same / batch as f64, (all - same) / pairs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::encoder::{load_vit, WeightsFormat};

    fn tiny() -> PretrainConfig {
        let path = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/pretrain_tiny.toml"));
        PretrainConfig::load(path).expect("test preset is valid")
    }

    fn images() -> Vec<GreyImage> {
        (0..8u32).map(|k| GreyImage::from_fn(60 + k, 50, |x, y| image::Luma([((x * (k + 1) + 3 * y) % 50) as f32 / 50.0]))).collect()
    }

    #[test]
    fn exported_teacher_loads_as_the_same_encoder() {
        let mut trainer = Pretrainer::new(tiny(), String::new(), Device::Cpu);
        let images = images();
        let batch: Vec<&GreyImage> = images.iter().collect();
        // The learning rate warms up from 0, so the student first moves at the second step.
        trainer.train_step(&batch);
        trainer.train_step(&batch);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("teacher.safetensors");
        trainer.export_teacher(&path).unwrap();
        let (loaded, _store) = load_vit(&path, WeightsFormat::Dinov2, trainer.teacher.backbone.config.clone(), Device::Cpu).unwrap();
        let input = Tensor::from_slice(&(0..2 * 3 * 32 * 32).map(|i| ((i * 7919) % 101) as f32 / 50.0 - 1.0).collect::<Vec<_>>()).reshape([2, 3, 32, 32]);
        let (expected, got) = tch::no_grad(|| (trainer.teacher.backbone.probe_features(&input), loaded.probe_features(&input)));
        assert!(got.allclose(&expected, 1e-6, 1e-6, false));
        // The teacher moved off the student after one EMA step with a changed student.
        let student = tch::no_grad(|| trainer.student.backbone.probe_features(&input));
        assert!(!student.allclose(&expected, 1e-7, 1e-7, false));
    }

    #[test]
    fn bfloat16_compute_keeps_float32_weights_and_close_losses() {
        let images = images();
        let batch: Vec<&GreyImage> = images.iter().collect();
        let mut full = Pretrainer::new(tiny(), String::new(), Device::Cpu);
        let mut mixed = Pretrainer::new(tiny(), String::new(), Device::Cpu).with_compute(Kind::BFloat16);
        let a = full.train_step(&batch);
        let b = mixed.train_step(&batch);
        // KoLeo is left out: at initialisation the CLS tokens differ by less than bfloat16's
        // resolution, so their nearest-neighbour distances are rounding noise.
        let (dino_a, dino_b) = (a.dino_global + a.dino_local, b.dino_global + b.dino_local);
        assert!((dino_a - dino_b).abs() < 0.02 * dino_a, "DINO: float32 {dino_a} against bfloat16 {dino_b}");
        assert!((a.ibot - b.ibot).abs() < 0.05 * a.ibot.max(0.1), "iBOT: float32 {} against bfloat16 {}", a.ibot, b.ibot);
        for tensor in mixed.student_store.trainable_variables() {
            assert_eq!(tensor.kind(), Kind::Float);
        }
        assert!(b.grad_norm_backbone.is_finite(), "{}", b.grad_norm_backbone);
        assert!(b.grad_norm_backbone > 0.0, "no gradient reached the backbone");
    }

    #[test]
    fn view_cosines_split_same_and_other_images() {
        // First crops (1, 0) and (0, 1); second crops (0, 2) and (1, 1).
        let cls = Tensor::from_slice(&[1.0f32, 0.0, 0.0, 1.0, 0.0, 2.0, 1.0, 1.0]).reshape([4, 2]);
        let (same, other) = view_cosines(&cls, 2);
        let half = 0.5f64.sqrt();
        assert!((same - half / 2.0).abs() < 1e-6, "{same}");
        assert!((other - (1.0 + half) / 2.0).abs() < 1e-6, "{other}");
    }

    #[test]
    fn batches_visit_every_image_once_per_pass() {
        let trainer = Pretrainer::new(tiny(), String::new(), Device::Cpu);
        // Batch 8 over 20 images: steps 0 and 1 and half of step 2 make the first pass.
        let mut first_pass: Vec<usize> = (0..3).flat_map(|step| trainer.batch_indices(step, 20)).take(20).collect();
        first_pass.sort();
        assert_eq!(first_pass, (0..20).collect::<Vec<_>>());
        assert_eq!(trainer.batch_indices(4, 20), trainer.batch_indices(4, 20));
    }
}
