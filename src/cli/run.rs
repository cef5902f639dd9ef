//! `raydino-bench run`: run benchmarks, write reports, print comparison tables.

use anyhow::{Context, Result};

use crate::cli::args::GlobalArgs;
use crate::cli::catalog::{baselines_for, benchmark_files};
use crate::encoder::select_device;
use crate::features::FeatureCache;
use crate::pipeline::{run_benchmark, RunSettings};
use crate::report::{terminal_table, write_benchmark_report, write_index};
use crate::spec::load_benchmark;

/// Outcome of a run: tables to print, and the benchmarks that failed with their errors.
pub struct RunOutcome {
    pub tables: Vec<String>,
    pub failures: Vec<(String, anyhow::Error)>,
}

pub fn run(global: &GlobalArgs, names: &[String], bars: indicatif::MultiProgress) -> Result<RunOutcome> {
    let files = benchmark_files(&global.benchmarks_dir, names)?;
    // Every spec is checked before any work starts, so a typo in the last benchmark does
    // not surface after an hour of extraction.
    let mut plans = Vec::new();
    for path in &files {
        let benchmark = load_benchmark(path)?;
        let baselines = baselines_for(&global.baselines_dir, &benchmark.encoders).with_context(|| format!("benchmark {}", path.display()))?;
        plans.push((benchmark, baselines));
    }

    let device = select_device(global.device).map_err(anyhow::Error::msg)?;
    let settings = RunSettings {
        data_root: global.data_root.clone(),
        cache: FeatureCache::new(&global.cache_dir),
        device,
        seed: global.seed,
        batch_size: global.batch_size as usize,
        progress: bars,
        git_sha: env!("RAYDINO_GIT_SHA").to_string(),
    };
    tracing::info!(benchmarks = plans.len(), device = ?device, data_root = %global.data_root.display(), out = %global.out.display(), "run started");

    let mut outcome = RunOutcome { tables: Vec::new(), failures: Vec::new() };
    for (benchmark, baselines) in &plans {
        let result = run_benchmark(&settings, benchmark, baselines)
            .map_err(anyhow::Error::from)
            .and_then(|result| {
                let written = write_benchmark_report(&global.out, &result)?;
                tracing::info!(benchmark = %benchmark.name, files = written.len(), folder = %global.out.join(&benchmark.name).display(), "reports written");
                Ok(result)
            });
        match result {
            Ok(result) => outcome.tables.push(format!("{} ({})\n{}", result.benchmark, result.task_kind, terminal_table(&result))),
            Err(error) => {
                tracing::error!(benchmark = %benchmark.name, error = %crate::cli::error_chain(&error), "benchmark failed");
                outcome.failures.push((benchmark.name.clone(), error));
            }
        }
    }
    if names.iter().any(|name| name == "all") {
        if let Err(error) = crate::cli::tables::tables_for_run_all(global, crate::cli::tables::DEFAULT_SPLIT_SEED) {
            tracing::error!(error = %crate::cli::error_chain(&error), "label-table report failed");
            outcome.failures.push(("label_tables".to_string(), error));
        }
    }
    write_index(&global.out)?;
    Ok(outcome)
}
