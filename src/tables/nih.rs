//! NIH ChestX-ray14 table (`Data_Entry_2017_v2020.csv`): one row per image, `Image Index`,
//! `Patient ID`, `Patient Gender` (M, F), `Patient Age` in years, and `Finding Labels`, the
//! image's findings joined by `|`, or "No Finding".

use std::path::Path;

use polars::prelude::*;

use crate::tables::error::LabelTableError;
use crate::tables::findings::{frequencies_from_label_lists, parse_separated};
use crate::tables::groups::{age_group, select_cohort, SexCodes};
use crate::tables::source::{read_text_columns, LoadedTable};

pub const IMAGE_COLUMN: &str = "Image Index";
pub const PATIENT_COLUMN: &str = "Patient ID";
pub const SEX_COLUMN: &str = "Patient Gender";
pub const AGE_COLUMN: &str = "Patient Age";
pub const LABELS_COLUMN: &str = "Finding Labels";

const SEX_CODES: SexCodes = SexCodes { female: "F", male: "M", other: None, missing: &[] };

pub const POLICY: &str = "an image is positive for every finding named in its `Finding Labels` \
cell (names split at `|`); \"No Finding\" is listed as a label of its own. Every image with a \
non-blank cell is labelled, so an absent finding counts as negative, as the NIH labels define.";

/// Reads and summarises the NIH table at `path`.
pub fn load(path: &Path) -> Result<LoadedTable, LabelTableError> {
    let columns = [IMAGE_COLUMN, PATIENT_COLUMN, SEX_COLUMN, AGE_COLUMN, LABELS_COLUMN];
    let frame = read_text_columns(path, "NIH ChestX-ray14", &columns)?;
    summarise(&frame).map_err(|source| LabelTableError::Compute { path: path.to_path_buf(), source })
}

/// Maps an NIH frame (text columns) to the cohort schema and counts its findings.
pub fn summarise(frame: &DataFrame) -> PolarsResult<LoadedTable> {
    let age = age_group(col(AGE_COLUMN).is_null(), col(AGE_COLUMN).cast(DataType::Float64));
    let cohort = select_cohort(frame, IMAGE_COLUMN, PATIENT_COLUMN, SEX_COLUMN, &SEX_CODES, age)?;
    let findings = frequencies_from_label_lists(frame, LABELS_COLUMN, POLICY, |cell| parse_separated(cell, '|'))?;
    Ok(LoadedTable { cohort, findings })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tables::findings::Bucket;

    #[test]
    fn pipe_labels_become_frequencies() {
        let frame = df!(
            IMAGE_COLUMN => ["1.png", "2.png", "3.png", "4.png"],
            PATIENT_COLUMN => [Some("1"), Some("1"), Some("2"), None],
            SEX_COLUMN => [Some("M"), Some("M"), Some("F"), None],
            AGE_COLUMN => [Some("57"), Some("58"), Some("412"), Some("20")],
            LABELS_COLUMN => [Some("Cardiomegaly|Emphysema"), Some("No Finding"), Some("Hernia|Cardiomegaly"), None],
        )
        .unwrap();

        let table = summarise(&frame).unwrap();

        let findings = &table.findings;
        assert_eq!(findings.labelled_images, 3);
        assert_eq!(findings.unlabelled[0].images, 1);
        let cardiomegaly = findings.findings.iter().find(|f| f.finding == "Cardiomegaly").unwrap();
        assert_eq!((cardiomegaly.positives, cardiomegaly.labelled), (2, 3));
        assert_eq!(cardiomegaly.bucket, Some(Bucket::Common));
        assert_eq!(findings.findings[0].finding, "Cardiomegaly");
        assert_eq!(table.cohort.height(), 4);
    }
}
