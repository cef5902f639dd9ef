//! The `pretrain` command's work: load the images, train, and keep the run folder current.
//!
//! A run folder contains `preset.toml` (the preset's text), `checkpoint.safetensors` (the whole state,
//! written atomically every `run.checkpoint_every` steps), `loss.jsonl` (one line per
//! step), `loss_curves.png`/`.svg`, `collapse_diagnostics.png`/`.svg`, `teacher_backbone.safetensors`
//! (the export) and `summary.json`.

use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use image::imageops::{self, FilterType};
use indicatif::{MultiProgress, ProgressBar, ProgressStyle};
use rayon::prelude::*;
use tch::Device;

use super::config::PretrainConfig;
use super::train::{Pretrainer, StepRecord};
use crate::data::image::{decode_grey, GreyImage};
use crate::report::atomic::write_atomic;

pub const CHECKPOINT_FILE: &str = "checkpoint.safetensors";
pub const EXPORT_FILE: &str = "teacher_backbone.safetensors";
pub const LOSS_FILE: &str = "loss.jsonl";
pub const PRESET_FILE: &str = "preset.toml";
pub const SUMMARY_FILE: &str = "summary.json";
pub const CURVES_STEM: &str = "loss_curves";
pub const DIAGNOSTICS_STEM: &str = "collapse_diagnostics";

#[derive(Debug, Clone)]
pub struct PretrainOptions {
    pub preset: PathBuf,
    pub run_dir: PathBuf,
    pub data_root: PathBuf,
    pub device: Device,
    /// Continue from the run folder's checkpoint.
    pub resume: bool,
    /// Stop once this many steps are complete (the preset's total otherwise); the run can be
    /// resumed later.
    pub stop_after: Option<usize>,
}

/// Summary of a run, also written to `summary.json`.
#[derive(Debug, Clone, serde::Serialize)]
pub struct PretrainSummary {
    pub preset: PathBuf,
    pub device: String,
    pub images: usize,
    /// Files that could not be decoded, with the reason; they are left out of training.
    pub skipped_images: Vec<(PathBuf, String)>,
    pub resumed_from_step: Option<usize>,
    pub steps_completed: usize,
    pub total_steps: usize,
    pub final_loss: Option<f64>,
    /// Mean over the steps of this invocation, the first one left out (warm-up).
    pub steps_per_second: Option<f64>,
    pub images_per_second: Option<f64>,
    /// Model FLOPs of one step (see `Pretrainer::step_flops`) and the rate achieved.
    pub step_gflop: f64,
    pub achieved_gflop_per_second: Option<f64>,
    pub export: PathBuf,
}

/// Image files (JPEG or PNG) directly inside `folder`, sorted by name.
pub fn image_files(folder: &Path) -> Result<Vec<PathBuf>> {
    let entries = std::fs::read_dir(folder).with_context(|| format!("failed to list image folder {} (data.folders in the preset is relative to the data root)", folder.display()))?;
    let mut files = Vec::new();
    for entry in entries {
        let path = entry.with_context(|| format!("failed to list {}", folder.display()))?.path();
        let extension = path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase);
        if matches!(extension.as_deref(), Some("jpg" | "jpeg" | "png")) {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

/// Decodes every image and resizes its shorter side to `size` (smaller images are kept as
/// they are). Returns the images and the files that failed, with the reason.
pub fn load_images(files: &[PathBuf], size: u32) -> (Vec<GreyImage>, Vec<(PathBuf, String)>) {
    let decoded: Vec<Result<GreyImage, String>> = files
        .par_iter()
        .map(|path| {
            let bytes = std::fs::read(path).map_err(|error| error.to_string())?;
            let image = decode_grey(path, &bytes).map_err(|error| error.to_string())?;
            let shorter = image.width().min(image.height());
            if shorter <= size {
                return Ok(image);
            }
            let scale = size as f64 / shorter as f64;
            let (w, h) = (((image.width() as f64 * scale).round() as u32).max(size), ((image.height() as f64 * scale).round() as u32).max(size));
            Ok(imageops::resize(&image, w, h, FilterType::Triangle))
        })
        .collect();
    let mut images = Vec::new();
    let mut skipped = Vec::new();
    for (path, result) in files.iter().zip(decoded) {
        match result {
            Ok(image) => images.push(image),
            Err(reason) => skipped.push((path.clone(), reason)),
        }
    }
    (images, skipped)
}

/// Keeps the lines of `loss.jsonl` up to `step` (a resumed run rewrites the later ones);
/// a partly written last line is dropped.
fn truncate_loss_log(path: &Path, step: usize) -> Result<Vec<StepRecord>> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(error) => return Err(error).with_context(|| format!("failed to read {}", path.display())),
    };
    let records: Vec<StepRecord> = text.lines().filter_map(|line| serde_json::from_str::<StepRecord>(line).ok()).filter(|record| record.step <= step).collect();
    let mut kept = String::new();
    for record in &records {
        kept.push_str(&serde_json::to_string(record)?);
        kept.push('\n');
    }
    write_atomic(path, kept.as_bytes())?;
    Ok(records)
}

/// Runs (or resumes) a pretraining run.
pub fn pretrain(options: &PretrainOptions, bars: &MultiProgress) -> Result<PretrainSummary> {
    let preset_text = std::fs::read_to_string(&options.preset).with_context(|| format!("failed to read preset {}", options.preset.display()))?;
    let config = PretrainConfig::from_toml(&options.preset, &preset_text)?;
    let run_dir = &options.run_dir;
    std::fs::create_dir_all(run_dir).with_context(|| format!("failed to create run folder {}", run_dir.display()))?;
    let checkpoint = run_dir.join(CHECKPOINT_FILE);
    let loss_path = run_dir.join(LOSS_FILE);
    if checkpoint.exists() && !options.resume {
        bail!("run folder {} already contains {CHECKPOINT_FILE}; pass --resume to continue it, or choose another --run-dir", run_dir.display());
    }
    if options.resume && !checkpoint.exists() {
        bail!("nothing to resume: {} does not exist", checkpoint.display());
    }

    let mut files = Vec::new();
    for folder in &config.data.folders {
        files.extend(image_files(&options.data_root.join(folder))?);
    }
    let (images, skipped) = load_images(&files, config.data.decode_size);
    for (path, reason) in &skipped {
        tracing::warn!("left out of pretraining: {}: {reason}", path.display());
    }
    if images.len() < config.optim.batch_size {
        bail!("{} readable images under {} (data.folders), fewer than optim.batch_size = {}", images.len(), options.data_root.display(), config.optim.batch_size);
    }
    tracing::info!("pretraining on {} images ({} left out)", images.len(), skipped.len());

    let mut trainer = Pretrainer::new(config.clone(), preset_text.clone(), options.device);
    let mut resumed_from_step = None;
    let mut history = Vec::new();
    if options.resume {
        trainer.load_checkpoint(&checkpoint)?;
        resumed_from_step = Some(trainer.step);
        history = truncate_loss_log(&loss_path, trainer.step)?;
        tracing::info!("resumed {} at step {}", checkpoint.display(), trainer.step);
    } else {
        write_atomic(&run_dir.join(PRESET_FILE), preset_text.as_bytes())?;
        write_atomic(&loss_path, b"")?;
    }

    let total = config.total_steps();
    let stop = options.stop_after.map_or(total, |stop| stop.min(total));
    let bar = bars.add(ProgressBar::new(total as u64));
    bar.set_style(ProgressStyle::with_template("pretrain {bar:30} {pos}/{len} steps  {msg}  eta {eta}").expect("valid template"));
    bar.set_position(trainer.step as u64);
    let mut log = OpenOptions::new().append(true).create(true).open(&loss_path).with_context(|| format!("failed to open {}", loss_path.display()))?;
    let mut timed = Vec::new();
    while trainer.step < stop {
        let indices = trainer.batch_indices(trainer.step, images.len());
        let batch: Vec<&GreyImage> = indices.iter().map(|&i| &images[i]).collect();
        let record = trainer.train_step(&batch);
        if !record.loss.is_finite() {
            bail!(
                "the loss became {} at step {}; the last checkpoint ({}) is intact. Lower optim.lr or raise loss.teacher_warmup_temperature in {}",
                record.loss,
                record.step,
                checkpoint.display(),
                options.preset.display()
            );
        }
        writeln!(log, "{}", serde_json::to_string(&record)?).with_context(|| format!("failed to append to {}", loss_path.display()))?;
        bar.set_position(trainer.step as u64);
        bar.set_message(format!("loss {:.3}  {:.1} img/s", record.loss, config.optim.batch_size as f64 / record.seconds));
        timed.push(record.seconds);
        history.push(record);
        if trainer.step % config.run.checkpoint_every == 0 || trainer.step == stop {
            log.flush()?;
            trainer.save_checkpoint(&checkpoint)?;
            trainer.export_teacher(&run_dir.join(EXPORT_FILE))?;
            super::curves::write_loss_curves(&run_dir.join(CURVES_STEM), &history)?;
            super::curves::write_collapse_diagnostics(&run_dir.join(DIAGNOSTICS_STEM), &history, config.head.prototypes)?;
            tracing::info!("step {}: checkpoint written to {}", trainer.step, checkpoint.display());
        }
    }
    bar.finish_and_clear();

    let measured = if timed.len() > 1 { &timed[1..] } else { &timed[..] };
    let seconds_per_step = (!measured.is_empty()).then(|| measured.iter().sum::<f64>() / measured.len() as f64);
    let step_flops = trainer.step_flops();
    let summary = PretrainSummary {
        preset: options.preset.clone(),
        device: crate::encoder::device_name(options.device),
        images: images.len(),
        skipped_images: skipped,
        resumed_from_step,
        steps_completed: trainer.step,
        total_steps: total,
        final_loss: history.last().map(|record| record.loss),
        steps_per_second: seconds_per_step.map(|s| 1.0 / s),
        images_per_second: seconds_per_step.map(|s| config.optim.batch_size as f64 / s),
        step_gflop: step_flops / 1e9,
        achieved_gflop_per_second: seconds_per_step.map(|s| step_flops / s / 1e9),
        export: run_dir.join(EXPORT_FILE),
    };
    write_atomic(&run_dir.join(SUMMARY_FILE), serde_json::to_string_pretty(&summary)?.as_bytes())?;
    Ok(summary)
}
