//! Patient-level split integrity: no patient may have images in two parts of a split.
//!
//! [`check_patient_split`] takes one row per (image, part) assignment, so an image listed in
//! two parts shows up as a patient in two parts as well. It is run on the harness's own
//! seeded split and on the split lists a dataset ships.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use polars::prelude::*;
use serde::Serialize;

use crate::data::cohort::{Sample, Target};
use crate::data::split::{assign, SplitError};
use crate::spec::Split;
use crate::tables::groups::{IMAGE, PATIENT};
use crate::tables::source::{counts, strings, text_cells};

pub const PART: &str = "part";

/// Fractions of patients in train, validation and test for the harness split, as in the
/// shipped benchmark specs.
pub const HARNESS_FRACTIONS: (f64, f64, f64) = (0.6, 0.2, 0.2);

/// How many leaked patient ids a report lists.
const LEAK_EXAMPLES: usize = 10;

/// Images and patients of one split part.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PartSize {
    pub part: String,
    pub images: u64,
    pub patients: u64,
}

/// Result of checking one patient-level split.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SplitCheck {
    pub name: String,
    /// Origin of the split, in words.
    pub source: String,
    pub parts: Vec<PartSize>,
    /// Distinct patients over all parts.
    pub patients: u64,
    /// Patients with images in more than one part.
    pub leaked_patients: u64,
    /// Up to ten leaked patient ids, sorted.
    pub leaked_examples: Vec<String>,
    /// Rows left out of the check, by reason (no patient id, image not in the table).
    pub not_checked: Vec<(String, u64)>,
}

impl SplitCheck {
    pub fn is_leak_free(&self) -> bool {
        self.leaked_patients == 0
    }
}

/// Checks that no patient of `assignments` (columns [`PATIENT`] and [`PART`], one row per
/// image and part, no nulls) is in two parts, and counts each part's images and patients.
pub fn check_patient_split(name: &str, source: &str, assignments: &DataFrame) -> PolarsResult<SplitCheck> {
    let sizes = assignments
        .clone()
        .lazy()
        .group_by([col(PART)])
        .agg([len().alias("images"), col(PATIENT).n_unique().alias("patients")])
        .sort([PART], SortMultipleOptions::default())
        .collect()?;
    let parts = strings(&sizes, PART)?
        .into_iter()
        .zip(counts(&sizes, "images")?)
        .zip(counts(&sizes, "patients")?)
        .map(|((part, images), patients)| PartSize { part: part.unwrap_or_default(), images, patients })
        .collect();

    let leaked = assignments
        .clone()
        .lazy()
        .group_by([col(PATIENT)])
        .agg([col(PART).n_unique().alias("parts")])
        .filter(col("parts").gt(lit(1)))
        .sort([PATIENT], SortMultipleOptions::default())
        .collect()?;
    let leaked_examples = strings(&leaked, PATIENT)?.into_iter().flatten().take(LEAK_EXAMPLES).collect();
    let patients = assignments.column(PATIENT)?.n_unique()? as u64;

    Ok(SplitCheck {
        name: name.to_string(),
        source: source.to_string(),
        parts,
        patients,
        leaked_patients: leaked.height() as u64,
        leaked_examples,
        not_checked: Vec::new(),
    })
}

/// Assigns every image of a cohort frame that has a patient id to train, val or test with
/// the harness's patient split ([`crate::data::split::assign`], unstratified, seeded), and
/// returns the assignments plus the number of images without a patient id.
pub fn harness_assignments(cohort: &DataFrame, seed: u64) -> Result<(DataFrame, u64), HarnessSplitError> {
    let patients: Vec<Option<&str>> = text_cells(cohort, PATIENT)?.collect();
    let samples: Vec<Sample> = patients
        .iter()
        .enumerate()
        .filter_map(|(row, patient)| {
            patient.map(|patient| Sample {
                row,
                image: Default::default(),
                patient: patient.to_string(),
                sex: None,
                age: None,
                view: None,
                target: Target::Class(0),
            })
        })
        .collect();
    let without_patient = (patients.len() - samples.len()) as u64;

    let (train, val, test) = HARNESS_FRACTIONS;
    let split = Split::PatientRandom { train, val, test, seed, stratify: false };
    let parts = assign(&split, &samples, None)?;
    let frame = df!(
        PATIENT => samples.iter().map(|sample| sample.patient.as_str()).collect::<Vec<_>>(),
        PART => parts.iter().map(|part| part.as_str()).collect::<Vec<_>>(),
    )?;
    Ok((frame, without_patient))
}

/// Failure to draw the harness split.
#[derive(Debug, thiserror::Error)]
pub enum HarnessSplitError {
    #[error(transparent)]
    Split(#[from] SplitError),
    #[error(transparent)]
    Polars(#[from] PolarsError),
}

/// Builds assignments from split lists (part name, image names) and a cohort frame that maps
/// images to patients. An image in two lists yields two rows, so the patient check reports it.
/// Returns the assignments, the listed images absent from the cohort, and the cohort images
/// in no list.
pub fn list_assignments(cohort: &DataFrame, lists: &[(String, Vec<String>)]) -> PolarsResult<(DataFrame, u64, u64)> {
    let mut patient_of: HashMap<&str, &str> = HashMap::new();
    for (image, patient) in text_cells(cohort, IMAGE)?.zip(text_cells(cohort, PATIENT)?) {
        if let (Some(image), Some(patient)) = (image, patient) {
            patient_of.insert(image, patient);
        }
    }

    let mut patients = Vec::new();
    let mut parts = Vec::new();
    let mut listed: BTreeMap<&str, ()> = BTreeMap::new();
    let mut unknown = 0_u64;
    for (part, images) in lists {
        for image in images {
            match patient_of.get(image.as_str()) {
                Some(patient) => {
                    patients.push(*patient);
                    parts.push(part.as_str());
                    listed.insert(image.as_str(), ());
                }
                None => unknown += 1,
            }
        }
    }
    let unlisted = patient_of.keys().filter(|image| !listed.contains_key(*image)).count() as u64;
    let frame = df!(PATIENT => patients, PART => parts)?;
    Ok((frame, unknown, unlisted))
}

/// Reads a split list: one image name per line, blank lines ignored.
pub fn read_list(path: &Path) -> std::io::Result<Vec<String>> {
    let text = std::fs::read_to_string(path)?;
    Ok(text.lines().map(str::trim).filter(|line| !line.is_empty()).map(str::to_string).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cohort(rows: &[(&str, Option<&str>)]) -> DataFrame {
        df!(
            IMAGE => rows.iter().map(|row| row.0).collect::<Vec<_>>(),
            PATIENT => rows.iter().map(|row| row.1).collect::<Vec<_>>(),
        )
        .unwrap()
    }

    fn many_patients() -> DataFrame {
        let rows: Vec<(String, String)> = (0..300).flat_map(|p| (0..1 + p % 3).map(move |i| (format!("{p}_{i}.png"), format!("p{p:03}")))).collect();
        df!(
            IMAGE => rows.iter().map(|row| row.0.as_str()).collect::<Vec<_>>(),
            PATIENT => rows.iter().map(|row| Some(row.1.as_str())).collect::<Vec<_>>(),
        )
        .unwrap()
    }

    #[test]
    fn harness_split_passes_check() {
        let (assignments, without_patient) = harness_assignments(&many_patients(), 7).unwrap();

        let check = check_patient_split("harness", "test", &assignments).unwrap();

        assert_eq!(without_patient, 0);
        assert!(check.is_leak_free(), "{check:?}");
        assert_eq!(check.patients, 300);
        let names: Vec<&str> = check.parts.iter().map(|part| part.part.as_str()).collect();
        assert_eq!(names, vec!["test", "train", "val"]);
        assert_eq!(check.parts.iter().map(|part| part.patients).sum::<u64>(), 300);
        assert_eq!(check.parts.iter().map(|part| part.images).sum::<u64>(), 600);
        let train = check.parts.iter().find(|part| part.part == "train").unwrap();
        assert_eq!(train.patients, 180);
    }

    #[test]
    fn injected_leak_is_caught() {
        let (assignments, _) = harness_assignments(&many_patients(), 7).unwrap();
        let patients = strings(&assignments, PATIENT).unwrap();
        let mut parts = strings(&assignments, PART).unwrap();
        // Patient p002 has three images, and the last one moves to another part.
        let rows: Vec<usize> = (0..patients.len()).filter(|&row| patients[row].as_deref() == Some("p002")).collect();
        assert_eq!(rows.len(), 3);
        let moved = *rows.last().unwrap();
        let other = if parts[moved].as_deref() == Some("test") { "train" } else { "test" };
        parts[moved] = Some(other.to_string());
        let leaked = df!(PATIENT => patients, PART => parts).unwrap();

        let check = check_patient_split("harness", "test", &leaked).unwrap();

        assert!(!check.is_leak_free());
        assert_eq!(check.leaked_patients, 1);
        assert_eq!(check.leaked_examples, vec!["p002".to_string()]);
        assert_eq!(check.patients, 300);
    }

    #[test]
    fn rows_without_patient_are_not_split() {
        // Five patients, the fewest that fill all three parts at 0.6 / 0.2 / 0.2.
        let frame = cohort(&[("a", Some("1")), ("b", None), ("c", Some("2")), ("d", Some("3")), ("e", Some("4")), ("f", Some("5"))]);

        let (assignments, without_patient) = harness_assignments(&frame, 0).unwrap();

        assert_eq!(without_patient, 1);
        assert_eq!(assignments.height(), 5);
    }

    #[test]
    fn lists_catch_image_in_two_lists() {
        let frame = cohort(&[("a.png", Some("1")), ("b.png", Some("1")), ("c.png", Some("2")), ("d.png", Some("3")), ("e.png", Some("4"))]);
        let lists = vec![
            ("train_val".to_string(), vec!["a.png".to_string(), "b.png".to_string(), "c.png".to_string()]),
            ("test".to_string(), vec!["c.png".to_string(), "d.png".to_string(), "zz.png".to_string()]),
        ];

        let (assignments, unknown, unlisted) = list_assignments(&frame, &lists).unwrap();
        let check = check_patient_split("official", "test", &assignments).unwrap();

        assert_eq!((unknown, unlisted), (1, 1));
        assert_eq!(check.leaked_examples, vec!["2".to_string()]);
        let sizes: Vec<(&str, u64, u64)> = check.parts.iter().map(|p| (p.part.as_str(), p.images, p.patients)).collect();
        assert_eq!(sizes, vec![("test", 2, 2), ("train_val", 3, 2)]);
    }

    #[test]
    fn disjoint_lists_pass() {
        let frame = cohort(&[("a.png", Some("1")), ("b.png", Some("1")), ("c.png", Some("2"))]);
        let lists = vec![
            ("train_val".to_string(), vec!["a.png".to_string(), "b.png".to_string()]),
            ("test".to_string(), vec!["c.png".to_string()]),
        ];

        let (assignments, _, _) = list_assignments(&frame, &lists).unwrap();
        let check = check_patient_split("official", "test", &assignments).unwrap();

        assert!(check.is_leak_free());
        assert_eq!(check.patients, 2);
    }
}
