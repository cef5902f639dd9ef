//! Feature-extraction throughput of a random-init DINOv2-architecture ViT on real images
//! (ViT-S/16 at 224 px unless BENCH_ARCH and BENCH_RESOLUTION say otherwise).
//!
//! Measures two figures: end to end (read, decode, resize, forward; the cache empty) and
//! the forward pass alone on a prepared batch, each in images/s, with the forward's
//! GFLOP/s. `scripts/bench.sh` runs this and the same architecture in timm back to back.
//!
//! Environment: RAYDINO_DATA (data root), BENCH_IMAGES (default 96), BENCH_THREADS
//! (torch intra-op threads, default 2), BENCH_BATCH (default 16), BENCH_ARCH (a baseline
//! architecture such as vit_base, default vit_small), BENCH_RESOLUTION (default 224),
//! BENCH_END_TO_END (0 skips the end-to-end figure).

use std::path::PathBuf;
use std::time::Instant;

use raydino_bench::encoder::{Encoder, VitConfig};
use raydino_bench::features::{extract, FeatureCache};
use raydino_bench::spec::baseline_from_str;
use tch::{Device, Kind, Tensor};

fn env_number(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn main() {
    let root = std::env::var_os("RAYDINO_DATA").map(PathBuf::from).unwrap_or_else(|| PathBuf::from("../shared/data"));
    let count = env_number("BENCH_IMAGES", 96);
    let threads = env_number("BENCH_THREADS", 2);
    let batch = env_number("BENCH_BATCH", 16);
    tch::set_num_threads(threads as i32);
    rayon::ThreadPoolBuilder::new().num_threads(threads).build_global().expect("rayon pool");

    let mut images: Vec<PathBuf> = std::fs::read_dir(root.join("ieee8023-covid/images"))
        .unwrap_or_else(|e| panic!("no images under {}: {e}; set RAYDINO_DATA", root.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    images.sort();
    images.truncate(count);

    let arch = std::env::var("BENCH_ARCH").unwrap_or_else(|_| "vit_small".to_string());
    let resolution = env_number("BENCH_RESOLUTION", 224);
    let spec = format!(
        "version = 1\narchitecture = \"{arch}\"\npatch_size = 16\nresolution = {resolution}\n[preprocess]\nmean = [0.485, 0.456, 0.406]\nstd = [0.229, 0.224, 0.225]\nchannels = 3\n"
    );
    let baseline = baseline_from_str(std::path::Path::new("bench.toml"), &spec).expect("valid baseline");
    let flops = VitConfig::preset(baseline.architecture, 16, resolution as i64).expect("preset").flops(resolution as i64);
    let side = resolution as i64;

    // Forward pass alone, after one warm-up batch.
    let encoder = Encoder::build(&baseline, Device::Cpu).expect("encoder");
    let input = Tensor::randn([batch as i64, 3, side, side], (Kind::Float, Device::Cpu));
    let _ = encoder.features(&input);
    let rounds = (count / batch).max(2);
    let start = Instant::now();
    for _ in 0..rounds {
        let _ = encoder.features(&input);
    }
    let forward_rate = (rounds * batch) as f64 / start.elapsed().as_secs_f64();

    println!("raydino-bench {arch}/16 {resolution}px fp32 CPU, {threads} threads, batch {batch}");
    println!("  forward only: {forward_rate:.2} images/s, {:.1} GFLOP/s ({:.1} GFLOP per image)", forward_rate * flops / 1e9, flops / 1e9);
    if env_number("BENCH_END_TO_END", 1) == 0 {
        return;
    }

    // End to end with an empty cache: read, hash, decode, resize, forward, cache write.
    let cache_dir = tempfile::tempdir().expect("temp dir");
    let cache = FeatureCache::new(cache_dir.path()).encoder("bench").expect("cache");
    let start = Instant::now();
    let extraction = extract(&images, &baseline.preprocess, &cache, batch, || Encoder::build(&baseline, Device::Cpu), &indicatif::ProgressBar::hidden())
        .expect("extraction");
    let seconds = start.elapsed().as_secs_f64();
    assert_eq!(extraction.stats.extracted + extraction.stats.failed.len(), images.len());
    let end_to_end = extraction.stats.extracted as f64 / seconds;

    println!("  end to end ({} real images, decoding included): {end_to_end:.1} images/s", extraction.stats.extracted);
}
