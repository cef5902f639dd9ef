//! Run time of the bootstrap interval of AUROC and of the Mann-Whitney U test at
//! n = 100,000, the Rust side of `scripts/bench_statistics.sh`.
//!
//! The data come from integer rules that `scripts/bench_statistics.py` evaluates to the
//! same floats, so both programs time the same input: about 30% positives, scores with few
//! ties, and patients of 3 images each for the patient-level bootstrap.
//!
//! Environment: BENCH_THREADS (rayon threads, default 2), BENCH_RESAMPLES (default 1000),
//! BENCH_REPEATS (runs of each fast figure, the median is printed, default 5),
//! BENCH_GENERIC (0 skips the generic bootstrap, which takes seconds).

use std::time::Instant;

use raydino_bench::metrics::{auroc, MetricResult};
use raydino_bench::stats::{
    cluster_bootstrap, cluster_bootstrap_auroc, mann_whitney_u, Alternative, BootstrapConfig,
    Method,
};

const SAMPLES: i64 = 100_000;
const IMAGES_PER_PATIENT: i64 = 3;

fn env_number(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(default)
}

/// Returns labels and scores: label i is ((i * 7919) mod 10007) < 3002, and score i is
/// ((i * 104729) mod 1000003) / 1000003 + 0.25 for positives.
fn benchmark_data() -> (Vec<bool>, Vec<f64>) {
    let labels: Vec<bool> = (0..SAMPLES).map(|i| (i * 7919) % 10007 < 3002).collect();
    let scores = (0..SAMPLES)
        .zip(&labels)
        .map(|(i, &label)| {
            let base = ((i * 104729) % 1000003) as f64 / 1000003.0;
            if label {
                base + 0.25
            } else {
                base
            }
        })
        .collect();
    (labels, scores)
}

/// Runs `work` `repeats` times and returns the median wall time in seconds.
fn median_seconds(repeats: usize, mut work: impl FnMut()) -> f64 {
    let mut times: Vec<f64> = (0..repeats.max(1))
        .map(|_| {
            let start = Instant::now();
            work();
            start.elapsed().as_secs_f64()
        })
        .collect();
    times.sort_unstable_by(f64::total_cmp);
    times[times.len() / 2]
}

fn main() {
    let threads = env_number("BENCH_THREADS", 2);
    let resamples = env_number("BENCH_RESAMPLES", 1000);
    let repeats = env_number("BENCH_REPEATS", 5);
    let run_generic = env_number("BENCH_GENERIC", 1) != 0;
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build_global()
        .expect("rayon pool");
    let single_thread = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .expect("rayon pool");

    let (labels, scores) = benchmark_data();
    let positives = labels.iter().filter(|&&label| label).count();
    let plain: Vec<u64> = (0..SAMPLES as u64).collect();
    let by_patient: Vec<u64> = (0..SAMPLES)
        .map(|i| (i / IMAGES_PER_PATIENT) as u64)
        .collect();
    let config = BootstrapConfig {
        resamples,
        confidence: 0.95,
        seed: 2025,
    };
    println!(
        "raydino-bench statistics, n = {SAMPLES} ({positives} positives), {resamples} resamples, {threads} rayon threads"
    );
    println!(
        "  AUROC on all samples: {:.12}",
        auroc(&labels, &scores).unwrap()
    );

    for (name, clusters) in [("plain", &plain), ("patient-level", &by_patient)] {
        let mut interval = None;
        let seconds = median_seconds(repeats, || {
            interval = Some(cluster_bootstrap_auroc(&labels, &scores, clusters, &config).unwrap());
        });
        let interval = interval.unwrap();
        println!(
            "  {name} bootstrap, cluster_bootstrap_auroc: {seconds:.4} s ({:.4} ms per resample), interval [{:.6}, {:.6}]",
            seconds * 1e3 / resamples as f64,
            interval.lower,
            interval.upper
        );
        let seconds = single_thread.install(|| {
            median_seconds(repeats, || {
                cluster_bootstrap_auroc(&labels, &scores, clusters, &config).unwrap();
            })
        });
        println!("  {name} bootstrap, cluster_bootstrap_auroc on 1 thread: {seconds:.4} s");

        if run_generic {
            let statistic = |indices: &[usize]| -> MetricResult {
                let labels: Vec<bool> = indices.iter().map(|&index| labels[index]).collect();
                let scores: Vec<f64> = indices.iter().map(|&index| scores[index]).collect();
                auroc(&labels, &scores)
            };
            let mut generic = None;
            let seconds = median_seconds(1, || {
                generic = Some(cluster_bootstrap(clusters, &config, statistic).unwrap());
            });
            assert_eq!(
                generic.as_ref(),
                Some(&interval),
                "the generic bootstrap gave another interval"
            );
            println!(
                "  {name} bootstrap, cluster_bootstrap with metrics::auroc (sorts each resample): {seconds:.3} s"
            );
        }
    }

    let (x, y): (Vec<f64>, Vec<f64>) = {
        let x = (0..labels.len()).filter(|&i| labels[i]).map(|i| scores[i]);
        let y = (0..labels.len()).filter(|&i| !labels[i]).map(|i| scores[i]);
        (x.collect(), y.collect())
    };
    let mut result = None;
    let seconds = median_seconds(repeats.max(10) * 2, || {
        result = Some(mann_whitney_u(&x, &y, Alternative::TwoSided, Method::Auto).unwrap());
    });
    let result = result.unwrap();
    println!(
        "  Mann-Whitney U, n1 = {}, n2 = {}: {:.3} ms (U = {}, p = {:e}, {:?})",
        x.len(),
        y.len(),
        seconds * 1e3,
        result.statistic,
        result.p_value,
        result.method
    );
}
