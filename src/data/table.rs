//! Label tables read with polars, every column kept as text.
//!
//! Columns are read as strings so that no value is lost to type inference (a blank age,
//! "AP Supine", "COVID-19, ARDS"); adapters convert the few columns they need.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use polars::prelude::*;

#[derive(Debug, thiserror::Error)]
pub enum TableError {
    #[error("failed to read table {}: {source}", path.display())]
    Read { path: PathBuf, source: PolarsError },
    #[error("table {} has no column \"{column}\"; its columns are: {available}", path.display())]
    MissingColumn { path: PathBuf, column: String, available: String },
    #[error("failed to join {} onto {} on \"{on}\": {source}", right.display(), left.display())]
    Join { left: PathBuf, right: PathBuf, on: String, source: PolarsError },
}

/// A table whose columns are all text, with the file it came from.
#[derive(Debug, Clone)]
pub struct Table {
    pub path: PathBuf,
    pub frame: DataFrame,
}

impl Table {
    /// Reads a CSV file; lines starting with `#` are comments, blank cells are null.
    pub fn read_csv(path: &Path) -> Result<Table, TableError> {
        let read_error = |source| TableError::Read { path: path.to_path_buf(), source };
        let parse = CsvParseOptions::default().with_comment_prefix(Some("#")).with_missing_is_null(true);
        let frame = CsvReadOptions::default()
            .with_has_header(true)
            .with_infer_schema_length(Some(0))
            .with_parse_options(parse)
            .try_into_reader_with_file_path(Some(path.to_path_buf()))
            .map_err(read_error)?
            .finish()
            .map_err(read_error)?;
        Ok(Table { path: path.to_path_buf(), frame })
    }

    /// Reads only the header of a CSV file, for checking column names.
    pub fn read_header(path: &Path) -> Result<BTreeSet<String>, TableError> {
        let read_error = |source| TableError::Read { path: path.to_path_buf(), source };
        let parse = CsvParseOptions::default().with_comment_prefix(Some("#"));
        let frame = CsvReadOptions::default()
            .with_has_header(true)
            .with_infer_schema_length(Some(0))
            .with_n_rows(Some(0))
            .with_parse_options(parse)
            .try_into_reader_with_file_path(Some(path.to_path_buf()))
            .map_err(read_error)?
            .finish()
            .map_err(read_error)?;
        Ok(frame.get_column_names().iter().map(|c| c.to_string()).collect())
    }

    pub fn height(&self) -> usize {
        self.frame.height()
    }

    pub fn columns(&self) -> BTreeSet<String> {
        self.frame.get_column_names().iter().map(|c| c.to_string()).collect()
    }

    /// Returns the column's cells as text. Blank cells (after trimming) are `None`.
    pub fn text_column(&self, column: &str) -> Result<Vec<Option<String>>, TableError> {
        let series = self.frame.column(column).map_err(|_| self.missing_column(column))?;
        let values = series.str().map_err(|source| TableError::Read { path: self.path.clone(), source })?;
        Ok(values
            .into_iter()
            .map(|cell| cell.map(str::trim).filter(|s| !s.is_empty()).map(str::to_string))
            .collect())
    }

    fn missing_column(&self, column: &str) -> TableError {
        let available: Vec<String> = self.columns().into_iter().collect();
        TableError::MissingColumn { path: self.path.clone(), column: column.to_string(), available: available.join(", ") }
    }

    /// Inner-joins `other` on `on`, keeping the row order of `self`; rows of `self`
    /// without a match are dropped.
    pub fn inner_join(&self, other: &Table, on: &str) -> Result<Table, TableError> {
        for table in [self, other] {
            if table.frame.column(on).is_err() {
                return Err(table.missing_column(on));
            }
        }
        let join_error = |source| TableError::Join { left: self.path.clone(), right: other.path.clone(), on: on.to_string(), source };
        // Polars does not keep the left row order in a join by default, and splits depend
        // on row order, so the rows are numbered first and sorted back afterwards.
        const ROW: &str = "__raydino_row";
        let numbered = self.frame.clone().with_row_index(ROW.into(), None).map_err(join_error)?;
        let args = JoinArgs::new(JoinType::Inner).with_suffix(Some("_joined".into()));
        let frame = numbered
            .lazy()
            .join(other.frame.clone().lazy(), [col(on)], [col(on)], args)
            .sort([ROW], SortMultipleOptions::default())
            .drop(by_name([ROW], true))
            .collect()
            .map_err(join_error)?;
        Ok(Table { path: self.path.clone(), frame })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inner_join_keeps_left_order_and_drops_unmatched() {
        let dir = tempfile::tempdir().unwrap();
        let left = dir.path().join("left.csv");
        let right = dir.path().join("right.csv");
        std::fs::write(&left, "file,patient\nz.png,3\na.png,1\nm.png,2\nq.png,4\n").unwrap();
        std::fs::write(&right, "# a comment line\nfile,score\na.png,0.5\nq.png,1.5\nz.png,2.5\n").unwrap();
        let joined = Table::read_csv(&left).unwrap().inner_join(&Table::read_csv(&right).unwrap(), "file").unwrap();
        let files: Vec<Option<String>> = joined.text_column("file").unwrap();
        assert_eq!(files, vec![Some("z.png".into()), Some("a.png".into()), Some("q.png".into())]);
        assert_eq!(joined.text_column("score").unwrap()[0].as_deref(), Some("2.5"));
        assert!(!joined.columns().contains("__raydino_row"));
    }

    #[test]
    fn missing_column_error_lists_the_columns() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.csv");
        std::fs::write(&path, "a,b\n1,2\n").unwrap();
        let error = Table::read_csv(&path).unwrap().text_column("c").unwrap_err().to_string();
        assert!(error.contains("no column \"c\""), "{error}");
        assert!(error.contains("a, b"), "{error}");
    }
}
