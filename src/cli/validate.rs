//! `raydino-bench validate`: check spec files, report every problem, run nothing.

use std::path::{Path, PathBuf};

use anyhow::Result;

use crate::cli::args::GlobalArgs;
use crate::cli::catalog::{baseline_path, spec_files};
use crate::pipeline::{check_dataset, PipelineError};
use crate::spec::locate::KeyPath;
use crate::spec::{load::line_in_text, load_baseline, load_benchmark, Problem, ProblemList, SpecError};

/// Outcome of validating a set of files.
pub struct ValidationReport {
    /// One block of problem lines per invalid file.
    pub errors: Vec<String>,
    /// Checks that could not be made (for example, dataset absent), one line each.
    pub notes: Vec<String>,
    pub files: usize,
}

fn is_baseline(path: &Path, global: &GlobalArgs) -> bool {
    let in_baselines = path.parent().and_then(|p| p.canonicalize().ok()) == global.baselines_dir.canonicalize().ok();
    let declares_architecture = std::fs::read_to_string(path)
        .map(|text| text.lines().any(|l| l.trim_start().starts_with("architecture")))
        .unwrap_or(false);
    in_baselines || declares_architecture
}

pub fn validate(global: &GlobalArgs, files: &[PathBuf]) -> Result<ValidationReport> {
    let files: Vec<PathBuf> = if files.is_empty() {
        let mut all = spec_files(&global.benchmarks_dir)?;
        all.extend(spec_files(&global.baselines_dir)?);
        all
    } else {
        files.to_vec()
    };
    let mut report = ValidationReport { errors: Vec::new(), notes: Vec::new(), files: files.len() };
    for path in &files {
        if is_baseline(path, global) {
            if let Err(error) = load_baseline(path) {
                report.errors.push(error.to_string());
            }
            continue;
        }
        let benchmark = match load_benchmark(path) {
            Ok(b) => b,
            Err(error) => {
                report.errors.push(error.to_string());
                continue;
            }
        };
        let mut problems = Vec::new();
        for (i, encoder) in benchmark.encoders.iter().enumerate() {
            let spec = baseline_path(&global.baselines_dir, encoder);
            let key = KeyPath::key("encoders").at(i);
            if !spec.is_file() {
                problems.push(Problem {
                    key: key.to_string(),
                    line: line_in_text(&benchmark.source, &key),
                    message: format!("encoder \"{encoder}\" has no spec at {}; add it or remove the encoder", spec.display()),
                });
            } else if let Err(error) = load_baseline(&spec) {
                problems.push(Problem {
                    key: key.to_string(),
                    line: line_in_text(&benchmark.source, &key),
                    message: format!("encoder spec {} is invalid; run `raydino-bench validate {}`", spec.display(), spec.display()),
                });
                tracing::debug!(%error, "invalid baseline named by a benchmark");
            }
        }
        match check_dataset(&benchmark, &global.data_root) {
            Ok(_) => {}
            Err(PipelineError::DataMissing { folder, .. }) => {
                report.notes.push(format!("{}: columns not checked: dataset folder {} not found (set --data-root or RAYDINO_DATA)", path.display(), folder.display()));
            }
            Err(PipelineError::Spec(SpecError::Invalid { problems: column_problems, .. })) => problems.extend(column_problems),
            Err(other) => problems.push(Problem { key: "dataset".to_string(), line: None, message: other.to_string() }),
        }
        if !problems.is_empty() {
            report.errors.push(ProblemList { path, problems: &problems }.to_string());
        }
    }
    Ok(report)
}
