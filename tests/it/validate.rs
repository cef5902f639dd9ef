//! `validate` on bad specs: every problem with its file, key and line, exit code 2.

use crate::util::{data_root, repo, run_bin, text, Project};

const GOOD: &str = r#"version = 1
description = "test spec"
encoders = ["raw_pixels"]
metrics = ["macro_accuracy", "auroc"]

[dataset]
name = "ieee8023_covid"
missing_images = "skip"

[[filters]]
column = "view"
keep = ["PA", "AP"]

[task]
kind = "multiclass"
column = "finding"

[[task.classes]]
name = "COVID-19"
values = ["COVID-19"]

[[task.classes]]
name = "Other"
rest = true

[split]
method = "patient_random"
train = 0.6
val = 0.2
test = 0.2
"#;

/// Runs `validate` on one benchmark spec in a project that has the raw_pixels baseline.
fn validate(spec: &str) -> (Option<i32>, String) {
    let project = Project::new();
    std::fs::copy(repo().join("baselines/raw_pixels.toml"), project.path().join("baselines/raw_pixels.toml")).unwrap();
    project.write("benchmarks/bad.toml", spec);
    let data = data_root();
    let output = run_bin(project.path(), &["--data-root", data.to_str().unwrap(), "validate", "benchmarks/bad.toml"]);
    let stderr = text(&output.stderr).replace(data.to_str().unwrap(), "[DATA]");
    (output.status.code(), stderr)
}

#[test]
fn validate_accepts_good_spec() {
    let (code, stderr) = validate(GOOD);
    assert_eq!(code, Some(0), "{stderr}");
}

#[test]
fn validate_reports_unknown_key() {
    let (code, stderr) = validate(&GOOD.replace("[split]\n", "[split]\nshuffle = true\n"));
    assert_eq!(code, Some(2));
    insta::assert_snapshot!(stderr);
}

#[test]
fn validate_reports_unknown_task_kind() {
    let (code, stderr) = validate(&GOOD.replace("kind = \"multiclass\"", "kind = \"multiclas\""));
    assert_eq!(code, Some(2));
    insta::assert_snapshot!(stderr);
}

#[test]
fn validate_reports_column_the_dataset_lacks() {
    let (code, stderr) = validate(&GOOD.replace("column = \"finding\"", "column = \"diagnosis\""));
    assert_eq!(code, Some(2));
    insta::assert_snapshot!(stderr);
}

#[test]
fn validate_reports_fractions_not_adding_up() {
    let (code, stderr) = validate(&GOOD.replace("test = 0.2", "test = 0.3"));
    assert_eq!(code, Some(2));
    insta::assert_snapshot!(stderr);
}

#[test]
fn validate_reports_three_mistakes_at_once() {
    let spec = GOOD
        .replace("description = \"test spec\"", "description = \"test spec\"\nowner = \"me\"")
        .replace("kind = \"multiclass\"", "kind = \"multilable\"")
        .replace("train = 0.6", "train = 1.7");
    let (code, stderr) = validate(&spec);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("benchmarks/bad.toml:3: owner"), "{stderr}");
    assert!(stderr.contains("benchmarks/bad.toml:16: task.kind"), "{stderr}");
    assert!(stderr.contains("benchmarks/bad.toml:29: split.train"), "{stderr}");
    insta::assert_snapshot!(stderr);
}

#[test]
fn validate_reports_missing_encoder_spec() {
    let (code, stderr) = validate(&GOOD.replace("encoders = [\"raw_pixels\"]", "encoders = [\"raw_pixels\", \"rad_dino\"]"));
    assert_eq!(code, Some(2));
    assert!(stderr.contains("encoders[1]"), "{stderr}");
    assert!(stderr.contains("rad_dino"), "{stderr}");
}

#[test]
fn shipped_specs_are_valid() {
    let data = data_root();
    let output = run_bin(&repo(), &["--data-root", data.to_str().unwrap(), "validate"]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
}

#[test]
fn validate_reports_misspelt_class_value() {
    let (code, stderr) = validate(&GOOD.replace("values = [\"COVID-19\"]", "values = [\"COVID19\"]"));
    assert_eq!(code, Some(2));
    assert!(stderr.contains("bad.toml:20: task.classes[0].values[0]"), "{stderr}");
    assert!(stderr.contains("\"COVID19\" never occurs in column \"finding\""), "{stderr}");
}

#[test]
fn validate_reports_misspelt_filter_value() {
    let (code, stderr) = validate(&GOOD.replace("keep = [\"PA\", \"AP\"]", "keep = [\"PA\", \"AP supine\"]"));
    assert_eq!(code, Some(2));
    assert!(stderr.contains("filters[0].keep[1]"), "{stderr}");
}

const FAIRNESS: &str = r#"
[fairness]
protocols = ["group_audit"]
healthy_classes = ["Other"]

[[fairness.attributes]]
name = "sex"
column = "sex"
values = ["F", "M"]

[[fairness.attributes]]
name = "age"
column = "age"
bins = [0, 40, 60, 80, 120]
"#;

#[test]
fn validate_accepts_fairness_tables() {
    let (code, stderr) = validate(&format!("{GOOD}{FAIRNESS}[long_tail]\n"));
    assert_eq!(code, Some(0), "{stderr}");
}

#[test]
fn validate_reports_fairness_column_the_dataset_lacks() {
    let (code, stderr) = validate(&format!("{GOOD}{FAIRNESS}").replace("column = \"age\"", "column = \"patient_age\""));
    assert_eq!(code, Some(2));
    assert!(stderr.contains("bad.toml:43: fairness.attributes[1].column"), "{stderr}");
    insta::assert_snapshot!(stderr);
}

#[test]
fn validate_reports_fairness_values_and_bins_on_text() {
    let spec = format!("{GOOD}{FAIRNESS}")
        .replace("values = [\"F\", \"M\"]", "values = [\"F\", \"male\"]")
        .replace("column = \"age\"", "column = \"finding\"");
    let (code, stderr) = validate(&spec);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("fairness.attributes[0].values[1]"), "{stderr}");
    assert!(stderr.contains("fairness.attributes[1].bins"), "{stderr}");
    insta::assert_snapshot!(stderr);
}

#[test]
fn validate_reports_unknown_fairness_key() {
    let (code, stderr) = validate(&format!("{GOOD}{FAIRNESS}").replace("protocols = [\"group_audit\"]", "protocols = [\"group_audit\", \"audit_all\"]\nmin_size = 5"));
    assert_eq!(code, Some(2));
    insta::assert_snapshot!(stderr);
}
