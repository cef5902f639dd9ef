//! The command-line interface: flags, subcommands, exit codes.

pub mod args;
pub mod catalog;
pub mod list;
pub mod logging;
pub mod run;
pub mod tables;
pub mod validate;

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;

pub use args::{Cli, Command, GlobalArgs};

/// Exit code for success.
pub const EXIT_OK: u8 = 0;
/// Exit code for any error: invalid input, failed benchmark, unreadable data.
pub const EXIT_ERROR: u8 = 2;
/// Exit code when an audit check fails, such as a patient found in two parts of a split.
pub const EXIT_AUDIT_FAILED: u8 = 3;

/// Formats an error with its causes, leaving out a cause whose text the message before it
/// already contains (many messages embed their source's text).
pub fn error_chain(error: &anyhow::Error) -> String {
    let mut text = error.to_string();
    for cause in error.chain().skip(1) {
        let cause = cause.to_string();
        if !text.contains(&cause) {
            text.push_str(": ");
            text.push_str(&cause);
        }
    }
    text
}

/// Runs a parsed command line; errors are printed once, with their chain, by the caller.
pub fn execute(cli: Cli) -> Result<ExitCode> {
    let bars = logging::progress();
    match cli.command {
        Command::Run { names } => {
            logging::init_with_file(cli.global.verbose, &bars, &cli.global.out.join("run.log"))?;
            let outcome = run::run(&cli.global, &names, bars)?;
            for table in &outcome.tables {
                println!("{table}\n");
            }
            if !outcome.tables.is_empty() {
                println!("reports: {}", cli.global.out.join("index.md").display());
            }
            if outcome.failures.is_empty() {
                return Ok(ExitCode::from(EXIT_OK));
            }
            for (name, error) in &outcome.failures {
                eprintln!("error: benchmark {name} failed: {}", error_chain(error));
            }
            Ok(ExitCode::from(EXIT_ERROR))
        }
        Command::List => {
            logging::init_stderr(cli.global.verbose, &bars);
            for line in list::list(&cli.global)? {
                println!("{line}");
            }
            Ok(ExitCode::from(EXIT_OK))
        }
        Command::Tables { split_seed } => {
            logging::init_stderr(cli.global.verbose, &bars);
            let outcome = tables::tables(&cli.global, split_seed)?;
            for line in &outcome.lines {
                println!("{line}");
            }
            println!("report: {}", outcome.index.display());
            for (name, error) in outcome.report.failures() {
                eprintln!("error: {name}: {error}");
            }
            for leak in outcome.report.leaks() {
                eprintln!("error: patient in two split parts: {leak}");
            }
            Ok(ExitCode::from(outcome.exit_code()))
        }
        Command::Pretrain { preset, run_dir, resume, stop_after } => {
            let run_dir = run_dir.unwrap_or_else(|| PathBuf::from("runs").join(preset.file_stem().unwrap_or_default()));
            // A preset with mistakes is reported before anything is written.
            crate::pretrain::PretrainConfig::load(&preset)?;
            logging::init_with_file(cli.global.verbose.max(1), &bars, &run_dir.join("pretrain.log"))?;
            let device = crate::encoder::select_device(cli.global.device).map_err(anyhow::Error::msg)?;
            let options = crate::pretrain::PretrainOptions { preset, run_dir: run_dir.clone(), data_root: cli.global.data_root.clone(), device, resume, stop_after };
            let summary = crate::pretrain::pretrain(&options, &bars)?;
            println!(
                "pretrain: {} of {} steps on {} images ({} left out), final loss {}",
                summary.steps_completed,
                summary.total_steps,
                summary.images,
                summary.skipped_images.len(),
                summary.final_loss.map_or("-".to_string(), |loss| format!("{loss:.4}"))
            );
            if let (Some(steps), Some(gflops)) = (summary.steps_per_second, summary.achieved_gflop_per_second) {
                println!("throughput: {steps:.3} steps/s, {:.1} images/s, {gflops:.1} GFLOP/s ({:.2} GFLOP per step)", summary.images_per_second.unwrap_or(0.0), summary.step_gflop);
            }
            println!("teacher backbone: {}", summary.export.display());
            Ok(ExitCode::from(EXIT_OK))
        }
        Command::Validate { files } => {
            logging::init_stderr(cli.global.verbose, &bars);
            let report = validate::validate(&cli.global, &files)?;
            for note in &report.notes {
                eprintln!("note: {note}");
            }
            if report.errors.is_empty() {
                println!("{} spec file(s) valid", report.files);
                return Ok(ExitCode::from(EXIT_OK));
            }
            for error in &report.errors {
                eprintln!("{error}");
            }
            eprintln!("error: {} of {} spec file(s) invalid", report.errors.len(), report.files);
            Ok(ExitCode::from(EXIT_ERROR))
        }
    }
}
