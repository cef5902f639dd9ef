//! The label tables that `raydino-bench tables` summarises, and reading them with polars.
//!
//! Every column is read as text, with blank cells as null, so that no value is lost to type
//! inference. The summaries cast the few numeric columns themselves.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use polars::prelude::*;
use serde::Serialize;

use crate::tables::error::LabelTableError;
use crate::tables::findings::FindingsSummary;

/// Folder under the data root that contains the torchxrayvision label tables.
pub const METADATA_FOLDER: &str = "torchxrayvision-metadata";

/// A dataset whose label table is summarised.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LabelDataset {
    /// CheXpert training set (Stanford), labels from the CheXpert report labeller.
    Chexpert,
    /// NIH ChestX-ray14, labels mined from reports.
    Nih,
    /// PadChest (BIMCV), labels from physicians and a recurrent network over reports.
    Padchest,
}

impl LabelDataset {
    pub const ALL: [LabelDataset; 3] = [LabelDataset::Chexpert, LabelDataset::Nih, LabelDataset::Padchest];

    /// Short name used in file names, JSON and the command line.
    pub fn name(self) -> &'static str {
        match self {
            LabelDataset::Chexpert => "chexpert",
            LabelDataset::Nih => "nih",
            LabelDataset::Padchest => "padchest",
        }
    }

    /// Name used in report headings.
    pub fn title(self) -> &'static str {
        match self {
            LabelDataset::Chexpert => "CheXpert (train)",
            LabelDataset::Nih => "NIH ChestX-ray14",
            LabelDataset::Padchest => "PadChest",
        }
    }

    /// File name of the label table inside [`METADATA_FOLDER`].
    pub fn file_name(self) -> &'static str {
        match self {
            LabelDataset::Chexpert => "chexpert_train.csv.gz",
            LabelDataset::Nih => "Data_Entry_2017_v2020.csv.gz",
            LabelDataset::Padchest => "PADCHEST_chest_x_ray_images_labels_160K_01.02.19.csv.gz",
        }
    }

    pub fn table_path(self, data_root: &Path) -> PathBuf {
        data_root.join(METADATA_FOLDER).join(self.file_name())
    }
}

/// A label table mapped to the common schema: the cohort frame (one row per image, with the
/// columns of [`crate::tables::groups`]) and the finding frequencies.
#[derive(Debug, Clone)]
pub struct LoadedTable {
    pub cohort: DataFrame,
    pub findings: FindingsSummary,
}

/// Reads `columns` of the CSV table at `path` (plain or gzip-compressed) as text.
///
/// A column absent from the header is reported as [`LabelTableError::MissingColumn`] with
/// the file and the column name; `dataset` names the summary that needs it.
pub fn read_text_columns(path: &Path, dataset: &'static str, columns: &[&str]) -> Result<DataFrame, LabelTableError> {
    let projection: Arc<[PlSmallStr]> = columns.iter().map(|name| PlSmallStr::from(*name)).collect();
    let result = CsvReadOptions::default()
        .with_has_header(true)
        .with_infer_schema_length(Some(0))
        .with_columns(Some(projection))
        .with_parse_options(CsvParseOptions::default().with_missing_is_null(true))
        .try_into_reader_with_file_path(Some(path.to_path_buf()))
        .and_then(|reader| reader.finish());
    match result {
        Ok(frame) => Ok(frame),
        Err(source) => {
            // The projection error does not always name the column, so the header is read
            // again to name it; any other failure keeps the reader's error.
            if let Ok(header) = read_header(path) {
                if let Some(column) = columns.iter().find(|column| !header.iter().any(|name| name == *column)) {
                    return Err(LabelTableError::MissingColumn {
                        path: path.to_path_buf(),
                        dataset,
                        column: column.to_string(),
                        available: header.join(", "),
                    });
                }
            }
            Err(LabelTableError::Read { path: path.to_path_buf(), source })
        }
    }
}

/// Reads the column names of a CSV table.
pub fn read_header(path: &Path) -> PolarsResult<Vec<String>> {
    let frame = CsvReadOptions::default()
        .with_has_header(true)
        .with_infer_schema_length(Some(0))
        .with_n_rows(Some(0))
        .try_into_reader_with_file_path(Some(path.to_path_buf()))?
        .finish()?;
    Ok(frame.get_column_names().iter().map(|name| name.to_string()).collect())
}

/// Returns the cells of a text column, null cells as `None`.
pub fn text_cells<'a>(frame: &'a DataFrame, column: &str) -> PolarsResult<impl Iterator<Item = Option<&'a str>> + 'a> {
    Ok(frame.column(column)?.str()?.into_iter())
}

/// Returns an integer column of a collected frame as `u64`, nulls as 0.
pub fn counts(frame: &DataFrame, column: &str) -> PolarsResult<Vec<u64>> {
    let values = frame.column(column)?.cast(&DataType::UInt64)?;
    Ok(values.u64()?.into_iter().map(|value| value.unwrap_or(0)).collect())
}

/// Returns a text column of a collected frame, nulls as `None`.
pub fn strings(frame: &DataFrame, column: &str) -> PolarsResult<Vec<Option<String>>> {
    Ok(text_cells(frame, column)?.map(|cell| cell.map(str::to_string)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn read_reports_missing_column_by_name() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("table.csv");
        std::fs::write(&path, "Path,Sex\na.jpg,Male\n").unwrap();

        let error = read_text_columns(&path, "chexpert", &["Path", "Age"]).unwrap_err();

        let message = error.to_string();
        assert!(matches!(error, LabelTableError::MissingColumn { ref column, .. } if column == "Age"), "{message}");
        assert!(message.contains(&path.display().to_string()), "{message}");
        assert!(message.contains("no column \"Age\""), "{message}");
        assert!(message.contains("Path, Sex"), "{message}");
    }

    #[test]
    fn read_keeps_blank_cells_null() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("table.csv");
        std::fs::write(&path, "a,b,c\n1,,x\n2,3,y\n").unwrap();

        let frame = read_text_columns(&path, "test", &["a", "b"]).unwrap();

        assert_eq!(frame.width(), 2);
        assert_eq!(strings(&frame, "b").unwrap(), vec![None, Some("3".to_string())]);
    }
}
