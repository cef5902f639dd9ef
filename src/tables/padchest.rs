//! PadChest table: one row per image, `ImageID`, `PatientID`, `PatientSex_DICOM` (M, F, O,
//! or the text "nan" where pandas wrote a missing value), `PatientBirth` (year, as "1930.0"),
//! `StudyDate_DICOM` (YYYYMMDD), and `Labels`, a Python list literal of label names.

use std::path::Path;

use polars::prelude::*;

use crate::tables::error::LabelTableError;
use crate::tables::findings::{frequencies_from_label_lists, parse_python_list};
use crate::tables::groups::{age_group, select_cohort, SexCodes};
use crate::tables::source::{read_text_columns, LoadedTable};

pub const IMAGE_COLUMN: &str = "ImageID";
pub const PATIENT_COLUMN: &str = "PatientID";
pub const SEX_COLUMN: &str = "PatientSex_DICOM";
pub const BIRTH_COLUMN: &str = "PatientBirth";
pub const STUDY_DATE_COLUMN: &str = "StudyDate_DICOM";
pub const LABELS_COLUMN: &str = "Labels";

/// Text that pandas writes for a missing value.
const PANDAS_MISSING: &str = "nan";

const SEX_CODES: SexCodes = SexCodes { female: "F", male: "M", other: Some("O"), missing: &[PANDAS_MISSING] };

pub const POLICY: &str = "an image is positive for every label in its `Labels` list, each label \
counted once per image after trimming spaces and dropping empty names. Images whose cell is \
blank or \"nan\", or whose list holds only empty names, are unlabelled and left out of the \
denominator.";

/// Reads and summarises the PadChest table at `path`.
pub fn load(path: &Path) -> Result<LoadedTable, LabelTableError> {
    let columns = [IMAGE_COLUMN, PATIENT_COLUMN, SEX_COLUMN, BIRTH_COLUMN, STUDY_DATE_COLUMN, LABELS_COLUMN];
    let frame = read_text_columns(path, "PadChest", &columns)?;
    summarise(&frame).map_err(|source| LabelTableError::Compute { path: path.to_path_buf(), source })
}

/// Maps a PadChest frame (text columns) to the cohort schema and counts its findings.
///
/// The age is the study year minus the birth year, so it may exceed the true age by one
/// year for a study made before the birthday.
pub fn summarise(frame: &DataFrame) -> PolarsResult<LoadedTable> {
    let study_date = col(STUDY_DATE_COLUMN).cast(DataType::Float64);
    let study_year = (study_date.clone() - study_date % lit(10_000.0)) / lit(10_000.0);
    let age = study_year - col(BIRTH_COLUMN).cast(DataType::Float64);
    let age_missing = col(STUDY_DATE_COLUMN)
        .is_null()
        .or(col(BIRTH_COLUMN).is_null())
        .or(col(BIRTH_COLUMN).eq(lit(PANDAS_MISSING)));

    let age = age_group(age_missing, age);
    let cohort = select_cohort(frame, IMAGE_COLUMN, PATIENT_COLUMN, SEX_COLUMN, &SEX_CODES, age)?;
    let findings = frequencies_from_label_lists(frame, LABELS_COLUMN, POLICY, parse_python_list)?;
    Ok(LoadedTable { cohort, findings })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tables::groups::{AGE_GROUP, SEX};
    use crate::tables::source::strings;

    #[test]
    fn age_comes_from_study_and_birth_year() {
        let frame = df!(
            IMAGE_COLUMN => ["a", "b", "c", "d", "e", "f"],
            PATIENT_COLUMN => ["1", "1", "2", "3", "4", "5"],
            SEX_COLUMN => [Some("F"), Some("F"), Some("O"), Some("nan"), None, Some("M")],
            BIRTH_COLUMN => [Some("1930.0"), Some("1930.0"), None, Some("nan"), Some("2016.0"), Some("1994.0")],
            STUDY_DATE_COLUMN => ["20140915", "20150101", "20140915", "20140915", "20140915", "20141231"],
            LABELS_COLUMN => [Some("['normal']"), Some("['']"), Some("nan"), Some("['COPD signs', ' normal']"), None, Some("['normal'")],
        )
        .unwrap();

        let table = summarise(&frame).unwrap();

        let age = strings(&table.cohort, AGE_GROUP).unwrap();
        let age: Vec<&str> = age.iter().map(|s| s.as_deref().unwrap()).collect();
        // 2014 - 1930 = 84, 2015 - 1930 = 85, a birth after the study is invalid, and
        // 2014 - 1994 = 20 lands in the bin that starts at 20.
        assert_eq!(age, vec!["80+", "80+", "missing", "missing", "invalid", "20-40"]);
        let sex = strings(&table.cohort, SEX).unwrap();
        let sex: Vec<&str> = sex.iter().map(|s| s.as_deref().unwrap()).collect();
        assert_eq!(sex, vec!["female", "female", "other", "missing", "missing", "male"]);

        let findings = &table.findings;
        assert_eq!(findings.labelled_images, 2);
        let reasons: Vec<u64> = findings.unlabelled.iter().map(|u| u.images).collect();
        // Blank ("nan" and null), unparsable, and only empty names.
        assert_eq!(reasons, vec![2, 1, 1]);
        let normal = findings.findings.iter().find(|f| f.finding == "normal").unwrap();
        assert_eq!((normal.positives, normal.labelled), (2, 2));
    }
}
