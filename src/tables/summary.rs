//! One summary per label table: subgroup sizes, finding frequencies and split checks, timed.

use std::path::{Path, PathBuf};
use std::time::Instant;

use polars::prelude::*;
use serde::Serialize;

use crate::tables::error::LabelTableError;
use crate::tables::findings::FindingsSummary;
use crate::tables::groups::{count_groups, GroupTable, AGE_GROUP, AGE_GROUPS, PATIENT, SEX, SEX_GROUPS};
use crate::tables::source::{read_text_columns, LabelDataset, LoadedTable, METADATA_FOLDER};
use crate::tables::splits::{check_patient_split, harness_assignments, list_assignments, read_list, SplitCheck, HARNESS_FRACTIONS, PART};
use crate::tables::{chexpert, nih, padchest};

/// File names of NIH's official split lists in the NIH ChestX-ray14 release.
pub const NIH_SPLIT_LISTS: [(&str, &str); 2] = [("train_val", "train_val_list.txt"), ("test", "test_list.txt")];

/// Google's 2019 expert labels for a subset of NIH images, with each image's `Set Id` (val or test).
pub const NIH_EXPERT_LABELS: &str = "google2019_nih-chest-xray-labels.csv.gz";

/// Inputs of a summary run.
#[derive(Debug, Clone)]
pub struct Settings {
    pub data_root: PathBuf,
    /// Seed of the harness's patient split.
    pub split_seed: u64,
}

/// Summary of one label table.
#[derive(Debug, Clone, Serialize)]
pub struct DatasetSummary {
    pub dataset: LabelDataset,
    pub title: String,
    pub table: PathBuf,
    /// Wall-clock seconds to read the table and compute everything below.
    pub seconds: f64,
    pub images: u64,
    pub patients: u64,
    pub images_without_patient: u64,
    pub sex: GroupTable,
    pub age: GroupTable,
    pub findings: FindingsSummary,
    pub splits: Vec<SplitCheck>,
    pub notes: Vec<String>,
}

/// Outcome of one dataset: summarised, skipped or failed.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum DatasetOutcome {
    Summarised(Box<DatasetSummary>),
    /// The table file does not exist under the data root.
    Skipped { dataset: LabelDataset, table: PathBuf, reason: String },
    /// The table exists but could not be summarised.
    Failed { dataset: LabelDataset, table: PathBuf, error: String },
}

impl DatasetOutcome {
    pub fn dataset(&self) -> LabelDataset {
        match self {
            DatasetOutcome::Summarised(summary) => summary.dataset,
            DatasetOutcome::Skipped { dataset, .. } | DatasetOutcome::Failed { dataset, .. } => *dataset,
        }
    }
}

/// Returns whether at least one label table exists under `data_root`.
pub fn any_table_present(data_root: &Path) -> bool {
    LabelDataset::ALL.iter().any(|dataset| dataset.table_path(data_root).is_file())
}

/// Summarises every dataset in turn. A missing table is skipped and a failing one recorded,
/// and neither stops the others.
pub fn summarise_all(settings: &Settings) -> Vec<DatasetOutcome> {
    LabelDataset::ALL.iter().map(|dataset| summarise_dataset(*dataset, settings)).collect()
}

/// Summarises one dataset's label table.
pub fn summarise_dataset(dataset: LabelDataset, settings: &Settings) -> DatasetOutcome {
    let table = dataset.table_path(&settings.data_root);
    if !table.is_file() {
        tracing::info!(dataset = dataset.name(), table = %table.display(), "label table not found; skipped");
        return DatasetOutcome::Skipped { dataset, table, reason: "table file not found".to_string() };
    }
    let started = Instant::now();
    match summarise_table(dataset, &table, settings) {
        Ok(mut summary) => {
            summary.seconds = started.elapsed().as_secs_f64();
            tracing::info!(dataset = dataset.name(), images = summary.images, seconds = summary.seconds, "label table summarised");
            DatasetOutcome::Summarised(Box::new(summary))
        }
        // The caller reports the error from the outcome, once.
        Err(error) => DatasetOutcome::Failed { dataset, table, error: error.to_string() },
    }
}

fn summarise_table(dataset: LabelDataset, table: &Path, settings: &Settings) -> Result<DatasetSummary, LabelTableError> {
    let loaded = match dataset {
        LabelDataset::Chexpert => chexpert::load(table)?,
        LabelDataset::Nih => nih::load(table)?,
        LabelDataset::Padchest => padchest::load(table)?,
    };
    let compute_error = |source| LabelTableError::Compute { path: table.to_path_buf(), source };
    let LoadedTable { cohort, findings } = loaded;

    let sex = count_groups(&cohort, SEX, &SEX_GROUPS).map_err(compute_error)?;
    let age = count_groups(&cohort, AGE_GROUP, &AGE_GROUPS).map_err(compute_error)?;
    let patient_column = cohort.column(PATIENT).map_err(compute_error)?;
    let images_without_patient = patient_column.null_count() as u64;
    let patients = patient_column.drop_nulls().n_unique().map_err(compute_error)? as u64;

    let mut notes = Vec::new();
    let mut splits = Vec::new();
    match harness_split(&cohort, settings.split_seed, table) {
        Ok(check) => splits.push(check),
        // Too few patients for three parts is a property of the table, not a failure of it.
        Err(LabelTableError::HarnessSplit { source, .. }) => notes.push(format!("The harness split could not be drawn: {source}.")),
        Err(error) => return Err(error),
    }
    if dataset == LabelDataset::Nih {
        let folder = settings.data_root.join(METADATA_FOLDER);
        match official_nih_split(&cohort, &folder)? {
            Some(check) => splits.push(check),
            None => notes.push(format!(
                "NIH's official split lists ({}) are not in {}, so only the splits below were checked.",
                NIH_SPLIT_LISTS.map(|(_, file)| file).join(", "),
                folder.display()
            )),
        }
        let expert = folder.join(NIH_EXPERT_LABELS);
        if expert.is_file() {
            splits.push(expert_label_split(&expert)?);
        } else {
            notes.push(format!("{} is absent, so its val/test split was not checked.", expert.display()));
        }
    }

    Ok(DatasetSummary {
        dataset,
        title: dataset.title().to_string(),
        table: table.to_path_buf(),
        seconds: 0.0,
        images: cohort.height() as u64,
        patients,
        images_without_patient,
        sex,
        age,
        findings,
        splits,
        notes,
    })
}

fn harness_split(cohort: &DataFrame, seed: u64, table: &Path) -> Result<SplitCheck, LabelTableError> {
    let compute_error = |source| LabelTableError::Compute { path: table.to_path_buf(), source };
    let (assignments, without_patient) =
        harness_assignments(cohort, seed).map_err(|source| LabelTableError::HarnessSplit { path: table.to_path_buf(), source })?;
    let (train, val, test) = HARNESS_FRACTIONS;
    let source = format!("raydino-bench patient_random split, train {train} / val {val} / test {test} of patients, seed {seed}, unstratified");
    let mut check = check_patient_split("harness split", &source, &assignments).map_err(compute_error)?;
    check.not_checked.push(("images without a patient id".to_string(), without_patient));
    Ok(check)
}

/// Checks NIH's official lists if at least one is present in `folder`.
fn official_nih_split(cohort: &DataFrame, folder: &Path) -> Result<Option<SplitCheck>, LabelTableError> {
    let mut lists = Vec::new();
    let mut absent = Vec::new();
    for (part, file) in NIH_SPLIT_LISTS {
        let path = folder.join(file);
        if !path.is_file() {
            absent.push(file);
            continue;
        }
        let images = read_list(&path).map_err(|source| LabelTableError::ReadList { path: path.clone(), source })?;
        lists.push((part.to_string(), images));
    }
    if lists.is_empty() {
        return Ok(None);
    }
    let compute_error = |source| LabelTableError::Compute { path: folder.to_path_buf(), source };
    let (assignments, unknown, unlisted) = list_assignments(cohort, &lists).map_err(compute_error)?;
    let mut check = check_patient_split("NIH official split", "train_val_list.txt and test_list.txt", &assignments).map_err(compute_error)?;
    check.not_checked.push(("listed images not in the table".to_string(), unknown));
    check.not_checked.push(("table images in no list".to_string(), unlisted));
    if !absent.is_empty() {
        check.source = format!("{} (absent: {})", check.source, absent.join(", "));
    }
    Ok(Some(check))
}

/// Checks the val/test `Set Id` of the NIH expert labels.
fn expert_label_split(path: &Path) -> Result<SplitCheck, LabelTableError> {
    const PATIENT_COLUMN: &str = "Patient ID";
    const SET_COLUMN: &str = "Set Id";
    let frame = read_text_columns(path, "NIH expert-label split", &[PATIENT_COLUMN, SET_COLUMN])?;
    let compute_error = |source| LabelTableError::Compute { path: path.to_path_buf(), source };
    let assignments = frame
        .clone()
        .lazy()
        .select([col(PATIENT_COLUMN).alias(PATIENT), col(SET_COLUMN).alias(PART)])
        .drop_nulls(None)
        .collect()
        .map_err(compute_error)?;
    let source = format!("`Set Id` column of {NIH_EXPERT_LABELS}");
    let mut check = check_patient_split("NIH expert-label split", &source, &assignments).map_err(compute_error)?;
    check.not_checked.push(("rows without patient id or set".to_string(), (frame.height() - assignments.height()) as u64));
    Ok(check)
}

#[cfg(test)]
mod tests {
    use super::*;

    const NIH_ROWS: &str = "Image Index,Finding Labels,Patient ID,Patient Age,Patient Gender\n\
        1_0.png,Hernia,1,50,M\n1_1.png,No Finding,1,51,M\n2_0.png,Mass|Nodule,2,30,F\n\
        3_0.png,No Finding,3,,F\n4_0.png,Effusion,4,70,M\n5_0.png,No Finding,5,15,F\n6_0.png,Mass,6,88,M\n";

    fn nih_root(lists: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        let folder = dir.path().join(METADATA_FOLDER);
        std::fs::create_dir_all(&folder).unwrap();
        // Polars detects gzip by its magic bytes, so plain text under the .gz name is read as is.
        std::fs::write(folder.join(LabelDataset::Nih.file_name()), NIH_ROWS).unwrap();
        for (file, text) in lists {
            std::fs::write(folder.join(file), text).unwrap();
        }
        dir
    }

    fn summary(root: &Path) -> DatasetSummary {
        let settings = Settings { data_root: root.to_path_buf(), split_seed: 3 };
        match summarise_dataset(LabelDataset::Nih, &settings) {
            DatasetOutcome::Summarised(summary) => *summary,
            other => panic!("not summarised: {other:?}"),
        }
    }

    #[test]
    fn official_lists_catch_leak() {
        // Patient 1 has one image in each list.
        let root = nih_root(&[("train_val_list.txt", "1_0.png\n2_0.png\n3_0.png\n4_0.png\n"), ("test_list.txt", "1_1.png\n5_0.png\n6_0.png\n9_9.png\n")]);

        let summary = summary(root.path());

        let official = summary.splits.iter().find(|check| check.name == "NIH official split").expect("official split checked");
        assert_eq!(official.leaked_patients, 1);
        assert_eq!(official.leaked_examples, vec!["1".to_string()]);
        assert_eq!(official.not_checked, vec![("listed images not in the table".to_string(), 1), ("table images in no list".to_string(), 0)]);
        let harness = summary.splits.iter().find(|check| check.name == "harness split").expect("harness split checked");
        assert!(harness.is_leak_free());
        assert_eq!(harness.patients, 6);
        assert_eq!(summary.age.groups.iter().find(|g| g.group == "missing").map(|g| g.images), Some(1));
    }

    #[test]
    fn absent_official_lists_are_noted() {
        let root = nih_root(&[]);

        let summary = summary(root.path());

        assert_eq!(summary.splits.len(), 1);
        assert!(summary.notes.iter().any(|note| note.contains("train_val_list.txt")), "{:?}", summary.notes);
        assert!(summary.notes.iter().any(|note| note.contains(NIH_EXPERT_LABELS)), "{:?}", summary.notes);
    }

    #[test]
    fn too_few_patients_become_note() {
        let dir = tempfile::tempdir().unwrap();
        let folder = dir.path().join(METADATA_FOLDER);
        std::fs::create_dir_all(&folder).unwrap();
        std::fs::write(folder.join(LabelDataset::Nih.file_name()), "Image Index,Finding Labels,Patient ID,Patient Age,Patient Gender\n1.png,Mass,1,50,M\n").unwrap();

        let summary = summary(dir.path());

        assert!(summary.notes.iter().any(|note| note.contains("harness split could not be drawn")), "{:?}", summary.notes);
        assert_eq!(summary.images, 1);
    }
}
