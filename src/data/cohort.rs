//! From a label table and a benchmark spec to the list of samples a benchmark uses, with
//! an account of every row left out and why.

use std::collections::{BTreeMap, HashSet};
use std::path::PathBuf;

use serde::Serialize;

use crate::data::layout::DatasetLayout;
use crate::data::table::{Table, TableError};
use crate::spec::{Benchmark, MissingImages, Task};

/// Label of a sample.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Target {
    /// Index into the task's classes.
    Class(usize),
    /// One entry per finding; `None` where the label is missing.
    Labels(Vec<Option<bool>>),
    Value(f64),
}

/// One image of one patient, with its label and the attributes subgroup analyses use.
#[derive(Debug, Clone, Serialize)]
pub struct Sample {
    /// Row of the (joined) label table, 0-based.
    pub row: usize,
    pub image: PathBuf,
    pub patient: String,
    pub sex: Option<String>,
    pub age: Option<f64>,
    pub view: Option<String>,
    pub target: Target,
}

/// How many rows were left out, by reason, so nothing is dropped silently.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Accounting {
    pub table: PathBuf,
    pub rows: usize,
    /// Reason -> number of rows.
    pub excluded: BTreeMap<String, usize>,
    /// Image files named in the table but absent, relative to the dataset folder.
    pub missing_images: Vec<String>,
    /// Images listed under two patient ids (a possible leak across the split).
    pub shared_images: Vec<String>,
    /// Images that could not be read or decoded, with the error.
    pub unreadable_images: Vec<String>,
    pub used: usize,
}

impl Accounting {
    fn exclude(&mut self, reason: impl Into<String>) {
        *self.excluded.entry(reason.into()).or_default() += 1;
    }
}

#[derive(Debug, Clone)]
pub struct Cohort {
    pub samples: Vec<Sample>,
    pub accounting: Accounting,
}

#[derive(Debug, thiserror::Error)]
pub enum CohortError {
    #[error(transparent)]
    Table(#[from] TableError),
    #[error("{count} image(s) named in {} are missing under {}: {list}; restore them, or set dataset.missing_images = \"skip\" in {} to run without them", table.display(), folder.display(), spec.display())]
    MissingImages { count: usize, list: String, table: PathBuf, folder: PathBuf, spec: PathBuf },
    #[error("no samples left in {} after filters and label rules ({excluded}); check the spec's filters and classes", table.display())]
    Empty { table: PathBuf, excluded: String },
}

/// Reads the dataset's table, inner-joined with the benchmark's `dataset.join` table when
/// it names one.
pub fn read_benchmark_table(layout: &DatasetLayout, data_root: &std::path::Path, benchmark: &Benchmark) -> Result<Table, TableError> {
    let table = Table::read_csv(&layout.table_path(data_root))?;
    match &benchmark.dataset.join {
        Some(join) => table.inner_join(&Table::read_csv(&layout.folder(data_root).join(&join.file))?, &join.on),
        None => Ok(table),
    }
}

/// Reads the dataset's table (and joined table), applies filters and label rules, and
/// checks that every image exists.
pub fn build_cohort(layout: &DatasetLayout, data_root: &std::path::Path, benchmark: &Benchmark) -> Result<Cohort, CohortError> {
    let folder = layout.folder(data_root);
    let mut table = Table::read_csv(&layout.table_path(data_root))?;
    let mut accounting = Accounting { table: layout.table_path(data_root), rows: table.height(), ..Default::default() };
    if let Some(join) = &benchmark.dataset.join {
        // The joined table defines the benchmark's rows (for example one severity score
        // per image), so the accounting counts its rows, including those with no match.
        let other = Table::read_csv(&folder.join(&join.file))?;
        let main_keys: HashSet<String> = table.text_column(&join.on)?.into_iter().flatten().collect();
        let unmatched = other.text_column(&join.on)?.iter().filter(|key| key.as_ref().is_none_or(|k| !main_keys.contains(k))).count();
        accounting.table = folder.join(&join.file);
        accounting.rows = other.height();
        if unmatched > 0 {
            let reason = format!("no row with the same {} in {}", join.on, layout.table);
            accounting.excluded.insert(reason, unmatched);
        }
        table = table.inner_join(&other, &join.on)?;
    }
    let column = |name: &str| table.text_column(name);
    let images = column(layout.image_column)?;
    let patients = column(layout.patient_column)?;
    let sexes = column(layout.sex_column)?;
    let ages = column(layout.age_column)?;
    let views = column(layout.view_column)?;
    let filters: Vec<(Vec<Option<String>>, &Vec<String>)> =
        benchmark.filters.iter().map(|f| Ok((column(&f.column)?, &f.keep))).collect::<Result<_, TableError>>()?;
    let labeller = Labeller::new(&benchmark.task, &table)?;

    let mut samples = Vec::new();
    // Image file -> patient of the first row that used it.
    let mut seen_images: std::collections::HashMap<String, String> = std::collections::HashMap::new();
    'rows: for row in 0..table.height() {
        for (i, (values, keep)) in filters.iter().enumerate() {
            let kept = values[row].as_ref().is_some_and(|v| keep.contains(v));
            if !kept {
                accounting.exclude(format!("filter on {} (rule {})", benchmark.filters[i].column, i + 1));
                continue 'rows;
            }
        }
        let target = match labeller.target(row) {
            Ok(target) => target,
            Err(reason) => {
                accounting.exclude(reason);
                continue;
            }
        };
        let (Some(image), Some(patient)) = (&images[row], &patients[row]) else {
            accounting.exclude(format!("blank {} or {}", layout.image_column, layout.patient_column));
            continue;
        };
        if let Some(first_patient) = seen_images.get(image) {
            if first_patient == patient {
                accounting.exclude("image already used by an earlier row of the same patient");
            } else {
                // One image under two patient ids defeats the patient-level split, so the
                // pair is named for the data's owner to resolve.
                tracing::warn!(image = %image, first_patient = %first_patient, patient = %patient, "one image is listed under two patient ids; keeping the first row");
                accounting.exclude("image already used by an earlier row of another patient id");
                accounting.shared_images.push(format!("{image} (patients {first_patient} and {patient})"));
            }
            continue;
        }
        seen_images.insert(image.clone(), patient.clone());
        let path = layout.image_path(data_root, image);
        if !path.is_file() {
            accounting.missing_images.push(image.clone());
            continue;
        }
        samples.push(Sample {
            row,
            image: path,
            patient: patient.clone(),
            sex: sexes[row].clone(),
            age: ages[row].as_deref().and_then(|a| a.parse::<f64>().ok()),
            view: views[row].clone(),
            target,
        });
    }

    if !accounting.missing_images.is_empty() {
        let count = accounting.missing_images.len();
        match benchmark.dataset.missing_images {
            MissingImages::Error => {
                return Err(CohortError::MissingImages {
                    count,
                    list: accounting.missing_images.join(", "),
                    table: accounting.table.clone(),
                    folder: layout.image_dir(data_root),
                    spec: benchmark.path.clone(),
                });
            }
            MissingImages::Skip => {
                tracing::warn!(count, images = %accounting.missing_images.join(", "), "skipping rows whose image is missing");
                accounting.excluded.insert("image file missing".to_string(), count);
            }
        }
    }
    accounting.used = samples.len();
    if samples.is_empty() {
        let excluded = accounting.excluded.iter().map(|(k, v)| format!("{k}: {v}")).collect::<Vec<_>>().join("; ");
        return Err(CohortError::Empty { table: accounting.table.clone(), excluded });
    }
    Ok(Cohort { samples, accounting })
}

/// Applies a task's label rules to table rows.
enum Labeller<'a> {
    Classes { values: Vec<Option<String>>, task: &'a Task, column: &'a str },
    Multilabel { columns: Vec<(Vec<Option<String>>, &'a Vec<String>)> },
    Regression { values: Vec<Option<String>>, exclude: &'a Vec<String>, column: &'a str },
}

impl<'a> Labeller<'a> {
    fn new(task: &'a Task, table: &Table) -> Result<Self, TableError> {
        Ok(match task {
            Task::Classes { column, .. } => Labeller::Classes { values: table.text_column(column)?, task, column },
            Task::Multilabel { labels } => Labeller::Multilabel {
                columns: labels.iter().map(|l| Ok((table.text_column(&l.column)?, &l.positives))).collect::<Result<_, TableError>>()?,
            },
            Task::Regression { column, exclude } => Labeller::Regression { values: table.text_column(column)?, exclude, column },
        })
    }

    /// Returns the row's target, or the reason the row is left out.
    fn target(&self, row: usize) -> Result<Target, String> {
        match self {
            Labeller::Classes { values, task, column } => {
                let Task::Classes { classes, exclude, .. } = task else { unreachable!("labeller built from a class task") };
                let Some(value) = &values[row] else { return Err(format!("blank {column}")) };
                if exclude.contains(value) {
                    return Err(format!("{column} excluded by task.exclude"));
                }
                if let Some(index) = classes.iter().position(|c| c.values.contains(value)) {
                    return Ok(Target::Class(index));
                }
                match classes.iter().position(|c| c.rest) {
                    Some(index) => Ok(Target::Class(index)),
                    None => Err(format!("{column} not in any class")),
                }
            }
            Labeller::Multilabel { columns } => {
                let labels: Vec<Option<bool>> =
                    columns.iter().map(|(values, positives)| values[row].as_ref().map(|v| positives.contains(v))).collect();
                if labels.iter().all(Option::is_none) {
                    return Err("every finding blank".to_string());
                }
                Ok(Target::Labels(labels))
            }
            Labeller::Regression { values, exclude, column } => {
                let Some(value) = &values[row] else { return Err(format!("blank {column}")) };
                if exclude.contains(value) {
                    return Err(format!("{column} excluded by task.exclude"));
                }
                match value.parse::<f64>() {
                    Ok(v) if v.is_finite() => Ok(Target::Value(v)),
                    _ => Err(format!("{column} is not a number")),
                }
            }
        }
    }
}
