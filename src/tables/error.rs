//! Errors of the label-table summaries.

use std::path::PathBuf;

use polars::prelude::PolarsError;

use crate::report::{AtomicWriteError, PlotError};
use crate::tables::splits::HarnessSplitError;

/// Failure to read, summarise or report one label table.
#[derive(Debug, thiserror::Error)]
pub enum LabelTableError {
    #[error("failed to read label table {}: {source}", path.display())]
    Read { path: PathBuf, source: PolarsError },

    #[error("label table {} has no column \"{column}\", which the {dataset} summary requires; its columns are: {available}", path.display())]
    MissingColumn { path: PathBuf, dataset: &'static str, column: String, available: String },

    #[error("failed to summarise label table {}: {source}", path.display())]
    Compute { path: PathBuf, source: PolarsError },

    #[error("failed to read split list {}: {source}", path.display())]
    ReadList { path: PathBuf, source: std::io::Error },

    #[error("failed to draw the patient split of {}: {source}", path.display())]
    HarnessSplit { path: PathBuf, source: HarnessSplitError },

    #[error(transparent)]
    Write(#[from] AtomicWriteError),

    #[error(transparent)]
    Plot(#[from] PlotError),
}
