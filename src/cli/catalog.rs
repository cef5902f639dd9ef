//! Finding spec files: benchmarks by name, the baselines a benchmark names.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

use crate::spec::{load_baseline, Baseline};

/// Lists every `*.toml` in `dir`, sorted by name.
pub fn spec_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let entries = std::fs::read_dir(dir).with_context(|| format!("failed to list spec folder {}", dir.display()))?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    Ok(files)
}

pub fn stem(path: &Path) -> String {
    path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default()
}

/// Benchmark files for `run all` or `run NAME...`.
pub fn benchmark_files(dir: &Path, names: &[String]) -> Result<Vec<PathBuf>> {
    let available = spec_files(dir)?;
    if names.iter().any(|n| n == "all") {
        if names.len() > 1 {
            bail!("`all` runs every benchmark; give either `all` or benchmark names, not both");
        }
        if available.is_empty() {
            bail!("no benchmark specs (*.toml) in {}", dir.display());
        }
        return Ok(available);
    }
    let mut unique: Vec<&String> = Vec::new();
    for name in names {
        if !unique.contains(&name) {
            unique.push(name);
        }
    }
    unique
        .into_iter()
        .map(|name| {
            available.iter().find(|p| &stem(p) == name).cloned().with_context(|| {
                let known: Vec<String> = available.iter().map(|p| stem(p)).collect();
                format!("no benchmark named \"{name}\" in {}; available: {}", dir.display(), known.join(", "))
            })
        })
        .collect()
}

pub fn baseline_path(dir: &Path, name: &str) -> PathBuf {
    dir.join(format!("{name}.toml"))
}

/// Returns why a valid baseline cannot run now (its weights file is absent), if so.
pub fn unavailable_reason(baseline: &Baseline) -> Option<String> {
    let weights = baseline.weights.as_ref()?;
    (!weights.is_file()).then(|| format!("weights file {} not found", weights.display()))
}

/// Loads the baselines a benchmark names. Unavailable ones come back as `Err(reason)`.
pub fn baselines_for(dir: &Path, encoders: &[String]) -> Result<Vec<(String, std::result::Result<Baseline, String>)>> {
    let mut out = Vec::new();
    for name in encoders {
        let path = baseline_path(dir, name);
        if !path.is_file() {
            bail!("encoder \"{name}\" has no spec: {} not found; add it or remove the encoder from the benchmark", path.display());
        }
        let baseline = load_baseline(&path)?;
        match unavailable_reason(&baseline) {
            Some(reason) => out.push((name.clone(), Err(reason))),
            None => out.push((name.clone(), Ok(baseline))),
        }
    }
    Ok(out)
}
