//! `raydino-bench list`: one line per benchmark and per encoder.

use anyhow::Result;

use crate::cli::args::GlobalArgs;
use crate::cli::catalog::{spec_files, stem, unavailable_reason};
use crate::spec::{load_baseline, load_benchmark};

pub fn list(global: &GlobalArgs) -> Result<Vec<String>> {
    let mut lines = vec!["benchmarks:".to_string()];
    for path in spec_files(&global.benchmarks_dir)? {
        let line = match load_benchmark(&path) {
            Ok(b) => format!(
                "  {:<28} {:<10} {} [encoders: {}] {}",
                b.name,
                b.task.kind().as_str(),
                b.dataset.name.as_str(),
                b.encoders.join(", "),
                b.description.lines().next().unwrap_or("")
            ),
            Err(error) => format!("  {:<28} invalid spec ({} problem(s)); run `raydino-bench validate {}`", stem(&path), error.problems().len().max(1), path.display()),
        };
        lines.push(line);
    }
    lines.push("encoders:".to_string());
    for path in spec_files(&global.baselines_dir)? {
        let line = match load_baseline(&path) {
            Ok(b) => {
                let status = unavailable_reason(&b).map_or("ready".to_string(), |reason| format!("unavailable: {reason}"));
                let patch = if b.architecture.is_vit() { format!("/{}", b.patch_size) } else { String::new() };
                format!("  {:<28} {}{} @ {} px, {} {}", b.name, b.architecture.as_str(), patch, b.resolution, status, b.description.lines().next().map_or(String::new(), |d| format!("- {d}")))
            }
            Err(error) => format!("  {:<28} invalid spec ({} problem(s)); run `raydino-bench validate {}`", stem(&path), error.problems().len().max(1), path.display()),
        };
        lines.push(line);
    }
    Ok(lines)
}
