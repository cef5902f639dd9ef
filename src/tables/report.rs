//! The label-table report: `index.md`, `label_tables.json` and one frequency chart per
//! dataset, under one folder.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

use serde::Serialize;

use crate::report::atomic::write_atomic;
use crate::report::table::markdown;
use crate::report::tables_plots::{format_percent, frequency_chart, FrequencyBar, FrequencyChart};
use crate::tables::error::LabelTableError;
use crate::tables::findings::{Bucket, FindingsSummary};
use crate::tables::groups::GroupTable;
use crate::tables::summary::{summarise_all, DatasetOutcome, DatasetSummary, Settings};

/// Folder of the report under the reports folder.
pub const REPORT_FOLDER: &str = "label_tables";

pub const AGE_RULE: &str = "age bins in years are closed below and open above ([0, 20), [20, 40), \
[40, 60), [60, 80)); 80+ is [80, 120]. A blank age is missing; an age that is not a number, \
negative or above 120 is invalid.";

pub const SEX_RULE: &str = "female and male as coded; other is the DICOM code O; missing is a \
blank cell or a code that records no value (CheXpert \"Unknown\", PadChest \"nan\"); invalid is \
any other value.";

pub const BUCKET_RULE: &str = "common: frequency above 10%; uncommon: from 1% to 10%, both \
included; rare: below 1%.";

pub const PATIENT_RULE: &str = "a patient is counted in every group that holds one of their \
images, so the patient column can add up to more than the patient total; the line under each \
table gives how many patients fall in more than one group.";

/// Everything the report shows, serialised as `label_tables.json`.
#[derive(Debug, Clone, Serialize)]
pub struct LabelTablesReport {
    pub generated_at: String,
    pub crate_version: String,
    pub git_sha: String,
    pub data_root: PathBuf,
    pub split_seed: u64,
    pub age_rule: String,
    pub sex_rule: String,
    pub bucket_rule: String,
    pub patient_rule: String,
    /// Wall-clock seconds for all datasets.
    pub seconds: f64,
    pub datasets: Vec<DatasetOutcome>,
}

impl LabelTablesReport {
    /// Summarises every label table under the data root of `settings`.
    pub fn build(settings: &Settings) -> LabelTablesReport {
        let started = Instant::now();
        let datasets = summarise_all(settings);
        LabelTablesReport {
            generated_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            crate_version: env!("CARGO_PKG_VERSION").to_string(),
            git_sha: env!("RAYDINO_GIT_SHA").to_string(),
            data_root: settings.data_root.clone(),
            split_seed: settings.split_seed,
            age_rule: AGE_RULE.to_string(),
            sex_rule: SEX_RULE.to_string(),
            bucket_rule: BUCKET_RULE.to_string(),
            patient_rule: PATIENT_RULE.to_string(),
            seconds: started.elapsed().as_secs_f64(),
            datasets,
        }
    }

    pub fn summaries(&self) -> impl Iterator<Item = &DatasetSummary> {
        self.datasets.iter().filter_map(|outcome| match outcome {
            DatasetOutcome::Summarised(summary) => Some(summary.as_ref()),
            _ => None,
        })
    }

    /// Datasets whose table exists but failed, with the error.
    pub fn failures(&self) -> Vec<(&'static str, &str)> {
        self.datasets
            .iter()
            .filter_map(|outcome| match outcome {
                DatasetOutcome::Failed { dataset, error, .. } => Some((dataset.name(), error.as_str())),
                _ => None,
            })
            .collect()
    }

    /// Split checks that found a patient in two parts, as "dataset: split (N patients)".
    pub fn leaks(&self) -> Vec<String> {
        self.summaries()
            .flat_map(|summary| {
                summary
                    .splits
                    .iter()
                    .filter(|check| !check.is_leak_free())
                    .map(move |check| format!("{}: {} ({} patients in two parts)", summary.dataset.name(), check.name, check.leaked_patients))
            })
            .collect()
    }
}

/// Writes `index.md`, `label_tables.json` and the charts under `dir`, and returns their paths.
pub fn write_report(dir: &Path, report: &LabelTablesReport) -> Result<Vec<PathBuf>, LabelTableError> {
    let mut written = Vec::new();
    let mut charts = Vec::new();
    for summary in report.summaries() {
        let stem = dir.join("plots").join(format!("{}_finding_frequency", summary.dataset.name()));
        let files = write_chart(&stem, summary)?;
        charts.push((summary.dataset.name(), files.clone()));
        written.extend(files);
    }

    let json = serde_json::to_string_pretty(report).expect("the label-table report serialises to JSON");
    let json_path = dir.join("label_tables.json");
    write_atomic(&json_path, json.as_bytes())?;
    written.push(json_path);

    let markdown_path = dir.join("index.md");
    write_atomic(&markdown_path, index_markdown(report, &charts, dir).as_bytes())?;
    written.push(markdown_path);
    Ok(written)
}

fn write_chart(stem: &Path, summary: &DatasetSummary) -> Result<Vec<PathBuf>, LabelTableError> {
    const BUCKETS: [Bucket; 3] = [Bucket::Common, Bucket::Uncommon, Bucket::Rare];
    let bars: Vec<FrequencyBar> = summary
        .findings
        .findings
        .iter()
        .filter_map(|finding| {
            let frequency = finding.frequency?;
            let group = BUCKETS.iter().position(|bucket| Some(*bucket) == finding.bucket)?;
            Some(FrequencyBar { label: finding.finding.clone(), frequency, group })
        })
        .collect();
    if bars.is_empty() {
        return Ok(Vec::new());
    }
    let title = format!("{}: finding frequency ({} findings)", summary.title, bars.len());
    let chart = FrequencyChart {
        title: &title,
        x_label: "positive images / labelled images (log scale)",
        bars: &bars,
        groups: &["common (> 10%)", "uncommon (1% to 10%)", "rare (< 1%)"],
        boundaries: &[0.01, 0.1],
    };
    Ok(frequency_chart(stem, &chart)?)
}

fn relative(path: &Path, base: &Path) -> String {
    path.strip_prefix(base).unwrap_or(path).display().to_string()
}

fn index_markdown(report: &LabelTablesReport, charts: &[(&str, Vec<PathBuf>)], dir: &Path) -> String {
    let mut md = String::from("# Label tables\n\n");
    let _ = writeln!(
        md,
        "Subgroup sizes, finding frequencies and patient-level split checks of the label tables under `{}`, computed with polars by raydino-bench {} (git {}) at {}, in {:.1} s. The same numbers are in [label_tables.json](label_tables.json).\n",
        report.data_root.display(),
        report.crate_version,
        report.git_sha,
        report.generated_at,
        report.seconds
    );
    let _ = writeln!(md, "- Age: {}\n- Sex: {}\n- Patients: {}\n- Buckets: {}\n", AGE_RULE, SEX_RULE, PATIENT_RULE, BUCKET_RULE);

    let overview = report
        .datasets
        .iter()
        .map(|outcome| match outcome {
            DatasetOutcome::Summarised(s) => vec![
                format!("[{}](#{})", s.title, anchor(&s.title)),
                "summarised".to_string(),
                s.images.to_string(),
                s.patients.to_string(),
                format!("{} / {} / {}", s.findings.bucket_count(Bucket::Common), s.findings.bucket_count(Bucket::Uncommon), s.findings.bucket_count(Bucket::Rare)),
                split_status(s),
                format!("{:.2}", s.seconds),
            ],
            DatasetOutcome::Skipped { dataset, table, reason } => {
                vec![dataset.title().to_string(), format!("skipped: {reason}: `{}`", table.display()), "-".into(), "-".into(), "-".into(), "-".into(), "-".into()]
            }
            DatasetOutcome::Failed { dataset, error, .. } => {
                vec![dataset.title().to_string(), format!("failed: {error}"), "-".into(), "-".into(), "-".into(), "-".into(), "-".into()]
            }
        })
        .collect();
    let header = ["dataset", "status", "images", "patients", "findings common / uncommon / rare", "split checks", "seconds"];
    let _ = writeln!(md, "{}\n", markdown(&header, overview));

    for summary in report.summaries() {
        dataset_markdown(&mut md, summary, charts, dir);
    }
    md
}

fn anchor(title: &str) -> String {
    title
        .to_lowercase()
        .chars()
        .filter_map(|c| if c.is_alphanumeric() || c == '-' { Some(c) } else if c == ' ' { Some('-') } else { None })
        .collect()
}

fn split_status(summary: &DatasetSummary) -> String {
    let leaking = summary.splits.iter().filter(|check| !check.is_leak_free()).count();
    if leaking == 0 {
        format!("{} checked, no leak", summary.splits.len())
    } else {
        format!("{} checked, {leaking} with a patient in two parts", summary.splits.len())
    }
}

fn dataset_markdown(md: &mut String, s: &DatasetSummary, charts: &[(&str, Vec<PathBuf>)], dir: &Path) {
    let _ = writeln!(md, "## {}\n", s.title);
    let _ = writeln!(
        md,
        "Table `{}`: {} images of {} patients ({} images without a patient id), read and summarised in {:.2} s.\n",
        s.table.display(),
        s.images,
        s.patients,
        s.images_without_patient,
        s.seconds
    );
    for note in &s.notes {
        let _ = writeln!(md, "{note}\n");
    }

    let _ = writeln!(md, "### Sex\n\n{}\n", group_markdown(&s.sex, "sex"));
    let _ = writeln!(md, "### Age\n\n{}\n", group_markdown(&s.age, "age (years)"));
    findings_markdown(md, &s.findings, s.dataset == crate::tables::LabelDataset::Chexpert);

    if let Some((_, files)) = charts.iter().find(|(name, _)| *name == s.dataset.name()) {
        if let [png, svg, ..] = files.as_slice() {
            let _ = writeln!(md, "![{0} finding frequency]({1}) ([SVG]({2}))\n", s.title, relative(png, dir), relative(svg, dir));
        }
    }

    let _ = writeln!(md, "### Patient-level splits\n");
    for check in &s.splits {
        let verdict = if check.is_leak_free() {
            "no patient has images in two parts".to_string()
        } else {
            format!("**{} patients have images in two parts**, for example {}", check.leaked_patients, check.leaked_examples.join(", "))
        };
        let _ = writeln!(md, "{} ({}): {} patients; {verdict}.\n", check.name, check.source, check.patients);
        let rows = check.parts.iter().map(|part| vec![part.part.clone(), part.images.to_string(), part.patients.to_string()]).collect();
        let _ = writeln!(md, "{}\n", markdown(&["part", "images", "patients"], rows));
        let left_out: Vec<String> = check.not_checked.iter().map(|(reason, count)| format!("{reason}: {count}")).collect();
        if !left_out.is_empty() {
            let _ = writeln!(md, "Not checked: {}.\n", left_out.join("; "));
        }
    }
}

fn group_markdown(table: &GroupTable, attribute: &str) -> String {
    let rows = table.groups.iter().map(|group| vec![group.group.clone(), group.images.to_string(), group.patients.to_string()]).collect();
    format!(
        "{}\n\nPatients with images in more than one group: {}.",
        markdown(&[attribute, "images", "patients"], rows),
        table.patients_in_several_groups
    )
}

fn findings_markdown(md: &mut String, findings: &FindingsSummary, coded: bool) {
    let _ = writeln!(md, "### Findings\n");
    let _ = writeln!(md, "Positive: {}\n", findings.policy);
    let _ = write!(md, "{} of {} images are labelled.", findings.labelled_images, findings.images);
    let unlabelled: Vec<String> = findings.unlabelled.iter().filter(|u| u.images > 0).map(|u| format!("{}: {}", u.reason, u.images)).collect();
    if !unlabelled.is_empty() {
        let _ = write!(md, " Unlabelled: {}.", unlabelled.join("; "));
    }
    md.push_str("\n\n");

    let mut header = vec!["finding", "positives", "labelled", "frequency", "bucket"];
    if coded {
        header.extend(["uncertain (-1)", "negative (0)", "blank", "invalid", "1 among 1 or 0"]);
    }
    let rows = findings
        .findings
        .iter()
        .map(|f| {
            let mut row = vec![
                f.finding.clone(),
                f.positives.to_string(),
                f.labelled.to_string(),
                f.frequency.map_or("-".to_string(), |share| format_percent(share, 4)),
                f.bucket.map_or("-", Bucket::as_str).to_string(),
            ];
            if coded {
                let count = |value: Option<u64>| value.map_or("-".to_string(), |v| v.to_string());
                let decided = f.positives + f.negatives.unwrap_or(0);
                let among = if decided == 0 { "-".to_string() } else { format_percent(f.positives as f64 / decided as f64, 4) };
                row.extend([count(f.uncertain), count(f.negatives), count(f.blank), count(f.invalid), among]);
            }
            row
        })
        .collect();
    let _ = writeln!(md, "{}\n", markdown(&header, rows));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn anchor_follows_github_rules() {
        assert_eq!(anchor("CheXpert (train)"), "chexpert-train");
        assert_eq!(anchor("NIH ChestX-ray14"), "nih-chestx-ray14");
    }

    #[test]
    fn missing_tables_are_skipped() {
        let dir = tempfile::tempdir().unwrap();
        let settings = Settings { data_root: dir.path().to_path_buf(), split_seed: 0 };

        let report = LabelTablesReport::build(&settings);
        let written = write_report(&dir.path().join("out"), &report).unwrap();

        assert_eq!(report.datasets.len(), 3);
        assert!(report.datasets.iter().all(|outcome| matches!(outcome, DatasetOutcome::Skipped { .. })));
        assert_eq!(written.len(), 2);
        let md = std::fs::read_to_string(dir.path().join("out/index.md")).unwrap();
        assert!(md.contains("skipped: table file not found"), "{md}");
        assert!(md.contains("chexpert_train.csv.gz"), "{md}");
        let json: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(dir.path().join("out/label_tables.json")).unwrap()).unwrap();
        assert_eq!(json["datasets"][1]["status"], "skipped");
        assert_eq!(json["datasets"][1]["dataset"], "nih");
    }
}
