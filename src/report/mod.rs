//! Reports: atomic file writes, tables, plots and the markdown documents.

pub mod atomic;
pub mod document;
pub mod plots;
pub mod table;
pub mod tables_plots;

pub use atomic::{write_atomic, write_atomic_with, AtomicWriteError};
pub use document::{write_benchmark_report, write_index, ReportError};
pub use plots::{
    bar_chart_with_ci, roc_curves, scatter_with_identity, series_colour, BarDatum, PlotError,
    RocSeries, ScatterSeries, PALETTE,
};
pub use table::{format_metric, markdown_table, terminal_table};
