//! Logging: tracing to stderr (kept clear of progress bars) and to a log file.

use std::fs::OpenOptions;
use std::io::{IsTerminal, Write};
use std::path::Path;
use std::sync::{Arc, Mutex};

use anyhow::{Context, Result};
use indicatif::{MultiProgress, ProgressDrawTarget};
use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::Layer;

/// Progress bars drawn on stderr when it is a terminal, hidden otherwise.
pub fn progress() -> MultiProgress {
    if std::io::stderr().is_terminal() {
        MultiProgress::new()
    } else {
        MultiProgress::with_draw_target(ProgressDrawTarget::hidden())
    }
}

/// Writes log lines to stderr while the progress bars are suspended.
#[derive(Clone)]
struct StderrAboveBars(MultiProgress);

impl Write for StderrAboveBars {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.suspend(|| std::io::stderr().write_all(buf))?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stderr().flush()
    }
}

impl<'a> MakeWriter<'a> for StderrAboveBars {
    type Writer = StderrAboveBars;

    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

#[derive(Clone)]
struct SharedFile(Arc<Mutex<std::fs::File>>);

impl Write for SharedFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("log file lock").write(buf)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.0.lock().expect("log file lock").flush()
    }
}

impl<'a> MakeWriter<'a> for SharedFile {
    type Writer = SharedFile;

    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

fn stderr_level(verbose: u8) -> LevelFilter {
    match verbose {
        0 => LevelFilter::WARN,
        1 => LevelFilter::INFO,
        _ => LevelFilter::DEBUG,
    }
}

/// Sets up stderr logging only (commands that write no run folder).
pub fn init_stderr(verbose: u8, bars: &MultiProgress) {
    let layer = tracing_subscriber::fmt::layer()
        .with_writer(StderrAboveBars(bars.clone()))
        .with_target(false)
        .with_ansi(std::io::stderr().is_terminal())
        .with_filter(stderr_level(verbose));
    let _ = tracing_subscriber::registry().with(layer).try_init();
}

/// Sets up stderr logging plus an appended log file (INFO and above, DEBUG with -vv).
pub fn init_with_file(verbose: u8, bars: &MultiProgress, log_file: &Path) -> Result<()> {
    if let Some(parent) = log_file.parent() {
        std::fs::create_dir_all(parent).with_context(|| format!("failed to create {}", parent.display()))?;
    }
    let file = OpenOptions::new().create(true).append(true).open(log_file).with_context(|| format!("failed to open log file {}", log_file.display()))?;
    let stderr = tracing_subscriber::fmt::layer()
        .with_writer(StderrAboveBars(bars.clone()))
        .with_target(false)
        .with_ansi(std::io::stderr().is_terminal())
        .with_filter(stderr_level(verbose));
    let file_level = if verbose >= 2 { LevelFilter::DEBUG } else { LevelFilter::INFO };
    let file = tracing_subscriber::fmt::layer().with_writer(SharedFile(Arc::new(Mutex::new(file)))).with_ansi(false).with_filter(file_level);
    let _ = tracing_subscriber::registry().with(stderr).with(file).try_init();
    Ok(())
}
