//! Pretraining throughput: steps/s, images/s and model FLOP utilisation of a preset's
//! training step on real images, beside the fp32 matmul peak measured in the same process.
//!
//! Runs the crops, both forward passes, the backward pass, clipping, AdamW and the EMA
//! update, exactly as `raydino-bench pretrain` does. MFU counts `Pretrainer::step_flops`
//! (backbone FLOPs: the student's forward and backward, the teacher's forward) per second
//! against the peak of a 2048 x 2048 fp32 matmul on the same device and threads.
//!
//! Environment: RAYDINO_DATA (data root), BENCH_PRESET (default pretrain/cpu_vit_tiny.toml),
//! BENCH_STEPS (timed steps, default 10), BENCH_THREADS (default: all cores),
//! BENCH_DEVICE (cpu or cuda, default cpu), BENCH_BATCH (overrides optim.batch_size).

use std::path::{Path, PathBuf};
use std::time::Instant;

use raydino_bench::data::image::GreyImage;
use raydino_bench::pretrain::run::{image_files, load_images};
use raydino_bench::pretrain::{PretrainConfig, Pretrainer};
use tch::{Device, Kind, Tensor};

fn env_number(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// fp32 (or bf16 on CUDA) matmul rate in GFLOP/s: the practical peak of the device.
fn matmul_peak(device: Device, kind: Kind) -> f64 {
    let n = 2048;
    let a = Tensor::randn([n, n], (kind, device));
    let b = Tensor::randn([n, n], (kind, device));
    let _ = a.matmul(&b);
    if let Device::Cuda(_) = device {
        tch::Cuda::synchronize(0);
    }
    let rounds = if device == Device::Cpu { 10 } else { 200 };
    let start = Instant::now();
    for _ in 0..rounds {
        let _ = a.matmul(&b);
    }
    if let Device::Cuda(_) = device {
        tch::Cuda::synchronize(0);
    }
    2.0 * (n * n * n) as f64 * rounds as f64 / start.elapsed().as_secs_f64() / 1e9
}

fn main() {
    let root = std::env::var_os("RAYDINO_DATA").map(PathBuf::from).unwrap_or_else(|| PathBuf::from("../shared/data"));
    let preset = std::env::var("BENCH_PRESET").unwrap_or_else(|_| "pretrain/cpu_vit_tiny.toml".to_string());
    let steps = env_number("BENCH_STEPS", 10);
    let threads = env_number("BENCH_THREADS", std::thread::available_parallelism().map_or(2, |n| n.get()));
    let device = match std::env::var("BENCH_DEVICE").as_deref() {
        Ok("cuda") => Device::Cuda(0),
        _ => Device::Cpu,
    };
    tch::set_num_threads(threads as i32);

    let text = std::fs::read_to_string(&preset).unwrap_or_else(|e| panic!("{preset}: {e}"));
    let mut config = PretrainConfig::from_toml(Path::new(&preset), &text).unwrap_or_else(|e| panic!("{e}"));
    if let Ok(batch) = std::env::var("BENCH_BATCH") {
        config.optim.batch_size = batch.parse().expect("BENCH_BATCH is a number");
    }
    let batch = config.optim.batch_size;
    let mut files: Vec<PathBuf> = Vec::new();
    for folder in &config.data.folders {
        files.extend(image_files(&root.join(folder)).unwrap_or_else(|e| panic!("{e:#}; set RAYDINO_DATA")));
    }
    files.truncate((batch * 4).max(64));
    let (images, _) = load_images(&files, config.data.decode_size);

    let mut trainer = Pretrainer::new(config.clone(), text, device);
    let kind = trainer.compute;
    let run_step = |trainer: &mut Pretrainer| {
        let indices = trainer.batch_indices(trainer.step, images.len());
        let batch: Vec<&GreyImage> = indices.iter().map(|&i| &images[i]).collect();
        trainer.train_step(&batch)
    };
    // Two warm-up steps: the first allocates, and at step 0 the learning rate is 0.
    run_step(&mut trainer);
    run_step(&mut trainer);
    if let Device::Cuda(_) = device {
        tch::Cuda::synchronize(0);
    }
    let start = Instant::now();
    for _ in 0..steps {
        run_step(&mut trainer);
    }
    if let Device::Cuda(_) = device {
        tch::Cuda::synchronize(0);
    }
    let seconds = start.elapsed().as_secs_f64() / steps as f64;
    let gflop = trainer.step_flops() / 1e9;
    let peak = matmul_peak(device, kind);
    println!("preset {preset}, {:?}, {threads} threads, batch {batch}, compute {kind:?}", device);
    println!("steps/s {:.3}  images/s {:.2}  step {:.2} s", 1.0 / seconds, batch as f64 / seconds, seconds);
    println!("model GFLOP per step {gflop:.1}  achieved GFLOP/s {:.1}", gflop / seconds);
    println!("matmul peak GFLOP/s {peak:.1}  MFU {:.1}%", 100.0 * gflop / seconds / peak);
}
