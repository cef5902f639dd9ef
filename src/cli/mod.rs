//! The command-line interface: flags, subcommands, exit codes.

pub mod args;
pub mod catalog;
pub mod list;
pub mod logging;
pub mod run;
pub mod validate;

use std::process::ExitCode;

use anyhow::Result;

pub use args::{Cli, Command, GlobalArgs};

/// Exit code for success.
pub const EXIT_OK: u8 = 0;
/// Exit code for any error: invalid input, failed benchmark, unreadable data.
pub const EXIT_ERROR: u8 = 2;

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
