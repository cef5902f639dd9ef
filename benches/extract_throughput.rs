//! Feature-extraction throughput of a random-init ViT-S/16 at 224 px on real images.
//!
//! Measures two figures: end to end (read, decode, resize, forward; the cache empty) and
//! the forward pass alone on a prepared batch, each in images/s, with the forward's
//! GFLOP/s. `scripts/bench.sh` runs this and the same architecture in timm back to back.
//!
//! Environment: RAYDINO_DATA (data root), BENCH_IMAGES (default 96), BENCH_THREADS
//! (torch intra-op threads, default 2), BENCH_BATCH (default 16).

use std::path::PathBuf;
use std::time::Instant;

use raydino_bench::encoder::{Encoder, VitConfig};
use raydino_bench::features::{extract, FeatureCache};
use raydino_bench::spec::{baseline_from_str, Architecture};
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

    let spec = "version = 1\narchitecture = \"vit_small\"\npatch_size = 16\nresolution = 224\n[preprocess]\nmean = [0.485, 0.456, 0.406]\nstd = [0.229, 0.224, 0.225]\nchannels = 3\n";
    let baseline = baseline_from_str(std::path::Path::new("bench_vit_s16.toml"), spec).expect("valid baseline");
    let flops = VitConfig::preset(Architecture::VitSmall, 16, 224).expect("preset").flops(224);

    // Forward pass alone, after one warm-up batch.
    let encoder = Encoder::build(&baseline, Device::Cpu).expect("encoder");
    let input = Tensor::randn([batch as i64, 3, 224, 224], (Kind::Float, Device::Cpu));
    let _ = encoder.features(&input);
    let rounds = (count / batch).max(2);
    let start = Instant::now();
    for _ in 0..rounds {
        let _ = encoder.features(&input);
    }
    let forward_rate = (rounds * batch) as f64 / start.elapsed().as_secs_f64();

    // End to end with an empty cache: read, hash, decode, resize, forward, cache write.
    let cache_dir = tempfile::tempdir().expect("temp dir");
    let cache = FeatureCache::new(cache_dir.path()).encoder("bench").expect("cache");
    let start = Instant::now();
    let extraction = extract(&images, &baseline.preprocess, &cache, batch, || Encoder::build(&baseline, Device::Cpu), &indicatif::ProgressBar::hidden())
        .expect("extraction");
    let seconds = start.elapsed().as_secs_f64();
    assert_eq!(extraction.stats.extracted + extraction.stats.failed.len(), images.len());
    let end_to_end = extraction.stats.extracted as f64 / seconds;

    println!("raydino-bench ViT-S/16 224px fp32 CPU, {threads} threads, batch {batch}");
    println!("  forward only: {forward_rate:.1} images/s, {:.1} GFLOP/s", forward_rate * flops / 1e9);
    println!("  end to end ({} real images, decoding included): {end_to_end:.1} images/s", extraction.stats.extracted);
}
