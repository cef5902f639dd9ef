//! CheXpert training table: one row per image, `Path` (which contains the patient id as a
//! `patientNNNNN` folder), `Sex` (Male, Female, Unknown), `Age` in years, and 14 findings
//! coded 1 (positive), 0 (negative), -1 (uncertain) or blank (not mentioned).

use std::path::Path;

use polars::prelude::*;

use crate::tables::error::LabelTableError;
use crate::tables::findings::{sort_findings, FindingFrequency, FindingsSummary, Unlabelled};
use crate::tables::groups::{age_group, select_cohort, SexCodes, PATIENT};
use crate::tables::source::{counts, read_text_columns, text_cells, LoadedTable};

pub const PATH: &str = "Path";
pub const SEX_COLUMN: &str = "Sex";
pub const AGE_COLUMN: &str = "Age";

/// The 14 finding columns, in the table's order.
pub const FINDINGS: [&str; 14] = [
    "No Finding",
    "Enlarged Cardiomediastinum",
    "Cardiomegaly",
    "Lung Opacity",
    "Lung Lesion",
    "Edema",
    "Consolidation",
    "Pneumonia",
    "Atelectasis",
    "Pneumothorax",
    "Pleural Effusion",
    "Pleural Other",
    "Fracture",
    "Support Devices",
];

const SEX_CODES: SexCodes = SexCodes { female: "Female", male: "Male", other: None, missing: &["Unknown"] };

pub const POLICY: &str = "positive = 1 only. The denominator is every image in the table, \
because each row carries all 14 label cells: 0 (negative), -1 (uncertain) and blank (the \
report does not mention the finding) are not positive, and each is counted in its own column. \
\"1 among 1 or 0\" gives the frequency among images coded 1 or 0 only.";

/// Reads and summarises the CheXpert table at `path`.
pub fn load(path: &Path) -> Result<LoadedTable, LabelTableError> {
    let mut columns = vec![PATH, SEX_COLUMN, AGE_COLUMN];
    columns.extend(FINDINGS);
    let frame = read_text_columns(path, "CheXpert", &columns)?;
    summarise(&frame).map_err(|source| LabelTableError::Compute { path: path.to_path_buf(), source })
}

/// Maps a CheXpert frame (text columns) to the cohort schema and counts its findings.
pub fn summarise(frame: &DataFrame) -> PolarsResult<LoadedTable> {
    let patients: Vec<Option<&str>> = text_cells(frame, PATH)?.map(|path| path.and_then(patient_from_path)).collect();
    let mut frame = frame.clone();
    frame.with_column(Column::new(PATIENT.into(), patients))?;

    let age = age_group(col(AGE_COLUMN).is_null(), col(AGE_COLUMN).cast(DataType::Float64));
    let cohort = select_cohort(&frame, PATH, PATIENT, SEX_COLUMN, &SEX_CODES, age)?;
    let findings = finding_frequencies(&frame)?;
    Ok(LoadedTable { cohort, findings })
}

/// Returns the `patientNNNNN` folder of a CheXpert image path, if it has one.
pub fn patient_from_path(path: &str) -> Option<&str> {
    path.split('/').find(|part| part.len() > "patient".len() && part.starts_with("patient"))
}

fn finding_frequencies(frame: &DataFrame) -> PolarsResult<FindingsSummary> {
    let code_name = |finding: &str, code: &str| format!("{finding}\t{code}");
    let mut expressions = Vec::new();
    for finding in FINDINGS {
        let value = col(finding).cast(DataType::Float64);
        expressions.push(value.clone().eq(lit(1.0)).sum().alias(code_name(finding, "positive")));
        expressions.push(value.clone().eq(lit(0.0)).sum().alias(code_name(finding, "negative")));
        expressions.push(value.eq(lit(-1.0)).sum().alias(code_name(finding, "uncertain")));
        expressions.push(col(finding).is_null().sum().alias(code_name(finding, "blank")));
    }
    let sums = frame.clone().lazy().select(expressions).collect()?;
    let count = |finding: &str, code: &str| -> PolarsResult<u64> { Ok(counts(&sums, &code_name(finding, code))?[0]) };

    let images = frame.height() as u64;
    let mut findings = Vec::new();
    for finding in FINDINGS {
        let positives = count(finding, "positive")?;
        let negatives = count(finding, "negative")?;
        let uncertain = count(finding, "uncertain")?;
        let blank = count(finding, "blank")?;
        let mut frequency = FindingFrequency::new(finding, positives, images);
        frequency.negatives = Some(negatives);
        frequency.uncertain = Some(uncertain);
        frequency.blank = Some(blank);
        frequency.invalid = Some(images - positives - negatives - uncertain - blank);
        findings.push(frequency);
    }
    sort_findings(&mut findings);
    Ok(FindingsSummary {
        policy: POLICY.to_string(),
        images,
        labelled_images: images,
        unlabelled: Vec::<Unlabelled>::new(),
        findings,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tables::findings::Bucket;
    use crate::tables::groups::{AGE_GROUP, SEX};
    use crate::tables::source::strings;

    fn frame(rows: &[(&str, Option<&str>, Option<&str>, Option<&str>)]) -> DataFrame {
        let mut columns = vec![
            Column::new(PATH.into(), rows.iter().map(|row| row.0).collect::<Vec<_>>()),
            Column::new(SEX_COLUMN.into(), rows.iter().map(|row| row.1).collect::<Vec<_>>()),
            Column::new(AGE_COLUMN.into(), rows.iter().map(|row| row.2).collect::<Vec<_>>()),
        ];
        for finding in FINDINGS {
            let cells: Vec<Option<&str>> = rows.iter().map(|row| if finding == "Edema" { row.3 } else { None }).collect();
            columns.push(Column::new(finding.into(), cells));
        }
        DataFrame::new(columns).unwrap()
    }

    #[test]
    fn patient_comes_from_path() {
        assert_eq!(patient_from_path("CheXpert-v1.0-small/train/patient00001/study1/view1_frontal.jpg"), Some("patient00001"));
        assert_eq!(patient_from_path("train/study1/view1_frontal.jpg"), None);
        assert_eq!(patient_from_path("patient/study1/x.jpg"), None);
    }

    #[test]
    fn codes_are_counted_apart() {
        let rows = [
            ("t/patient1/s1/v1.jpg", Some("Male"), Some("70"), Some("1.0")),
            ("t/patient1/s2/v1.jpg", Some("Male"), Some("71"), Some("-1.0")),
            ("t/patient2/s1/v1.jpg", Some("Female"), Some("30"), Some("0.0")),
            ("t/patient3/s1/v1.jpg", Some("Unknown"), None, None),
            ("t/patient4/s1/v1.jpg", None, Some("x"), Some("2.0")),
        ];

        let table = summarise(&frame(&rows)).unwrap();

        let edema = table.findings.findings.iter().find(|f| f.finding == "Edema").unwrap();
        assert_eq!(edema.positives, 1);
        assert_eq!(edema.labelled, 5);
        assert_eq!(edema.negatives, Some(1));
        assert_eq!(edema.uncertain, Some(1));
        assert_eq!(edema.blank, Some(1));
        assert_eq!(edema.invalid, Some(1));
        assert_eq!(edema.bucket, Some(Bucket::Common));
        let fracture = table.findings.findings.iter().find(|f| f.finding == "Fracture").unwrap();
        assert_eq!((fracture.positives, fracture.blank), (0, Some(5)));

        let sex = strings(&table.cohort, SEX).unwrap();
        let sex: Vec<&str> = sex.iter().map(|s| s.as_deref().unwrap()).collect();
        assert_eq!(sex, vec!["male", "male", "female", "missing", "missing"]);
        let age = strings(&table.cohort, AGE_GROUP).unwrap();
        let age: Vec<&str> = age.iter().map(|s| s.as_deref().unwrap()).collect();
        assert_eq!(age, vec!["60-80", "60-80", "20-40", "missing", "invalid"]);
        assert_eq!(strings(&table.cohort, PATIENT).unwrap()[3].as_deref(), Some("patient3"));
    }
}
