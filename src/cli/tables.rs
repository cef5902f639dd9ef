//! `raydino-bench tables`: summarise the label tables of CheXpert, NIH ChestX-ray14 and
//! PadChest under the data root, and write the report to `<out>/label_tables/`.

use std::path::PathBuf;

use anyhow::{bail, Result};

use crate::cli::args::GlobalArgs;
use crate::cli::{EXIT_AUDIT_FAILED, EXIT_ERROR, EXIT_OK};
use crate::report::write_index;
use crate::tables::{any_table_present, write_report, DatasetOutcome, LabelTablesReport, Settings, REPORT_FOLDER};

/// Seed of the harness patient split checked by `tables` and by `run all`.
pub const DEFAULT_SPLIT_SEED: u64 = 0;

/// The report and the lines to print for it.
pub struct TablesOutcome {
    pub report: LabelTablesReport,
    /// Path of the report's `index.md`.
    pub index: PathBuf,
    /// One line per dataset.
    pub lines: Vec<String>,
}

impl TablesOutcome {
    /// Exit code: an error if a present table failed, else the audit code if a split check
    /// found a patient in two parts, else success.
    pub fn exit_code(&self) -> u8 {
        if !self.report.failures().is_empty() {
            EXIT_ERROR
        } else if !self.report.leaks().is_empty() {
            EXIT_AUDIT_FAILED
        } else {
            EXIT_OK
        }
    }
}

/// Summarises the label tables, writes the report and refreshes `<out>/index.md`.
pub fn tables(global: &GlobalArgs, split_seed: u64) -> Result<TablesOutcome> {
    let settings = Settings { data_root: global.data_root.clone(), split_seed };
    tracing::info!(data_root = %settings.data_root.display(), out = %global.out.display(), split_seed, "label-table summary started");
    let report = LabelTablesReport::build(&settings);
    let dir = global.out.join(REPORT_FOLDER);
    let written = write_report(&dir, &report)?;
    tracing::info!(files = written.len(), folder = %dir.display(), "label-table report written");
    write_index(&global.out)?;
    let lines = summary_lines(&report);
    Ok(TablesOutcome { report, index: dir.join("index.md"), lines })
}

/// Writes the label-table report during `run all` when at least one table is present under
/// the data root. Failed tables and leaking splits become one error, returned after the
/// report is written.
pub fn tables_for_run_all(global: &GlobalArgs, split_seed: u64) -> Result<()> {
    if !any_table_present(&global.data_root) {
        tracing::info!(data_root = %global.data_root.display(), "no label table under the data root; label-table report not written");
        return Ok(());
    }
    let outcome = tables(global, split_seed)?;
    let failures: Vec<String> = outcome.report.failures().iter().map(|(name, error)| format!("{name}: {error}")).collect();
    let leaks = outcome.report.leaks();
    if !failures.is_empty() || !leaks.is_empty() {
        bail!("label tables: {}", failures.into_iter().chain(leaks).collect::<Vec<_>>().join("; "));
    }
    Ok(())
}

fn summary_lines(report: &LabelTablesReport) -> Vec<String> {
    report
        .datasets
        .iter()
        .map(|outcome| match outcome {
            DatasetOutcome::Summarised(s) => {
                let leaks = s.splits.iter().filter(|check| !check.is_leak_free()).count();
                let splits = if leaks == 0 { "no patient in two parts".to_string() } else { format!("{leaks} split(s) with a patient in two parts") };
                format!(
                    "{}: {} images, {} patients, {} findings; {} split check(s), {splits}; {:.2} s",
                    s.dataset.name(),
                    s.images,
                    s.patients,
                    s.findings.findings.len(),
                    s.splits.len(),
                    s.seconds
                )
            }
            DatasetOutcome::Skipped { dataset, table, reason } => format!("{}: skipped, {reason}: {}", dataset.name(), table.display()),
            DatasetOutcome::Failed { dataset, .. } => format!("{}: failed (see the error below)", dataset.name()),
        })
        .collect()
}
