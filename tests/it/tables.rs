//! `raydino-bench tables` on the real CheXpert, NIH and PadChest label tables, checked
//! against `tests/fixtures/label_tables.json`, which
//! `tests/reference/make_label_table_fixtures.py` computes with the Python standard library.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::util::{data_root, repo, run_bin, text, Project};

const METADATA: &str = "torchxrayvision-metadata";
const NIH_TABLE: &str = "Data_Entry_2017_v2020.csv.gz";

fn fixture() -> Value {
    let path = repo().join("tests/fixtures/label_tables.json");
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

fn report(out: &Path) -> Value {
    let path = out.join("label_tables/label_tables.json");
    let json = std::fs::read_to_string(&path).unwrap_or_else(|error| panic!("{}: {error}", path.display()));
    serde_json::from_str(&json).unwrap()
}

fn dataset<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["datasets"].as_array().unwrap().iter().find(|d| d["dataset"] == name).unwrap_or_else(|| panic!("no dataset {name} in the report"))
}

fn group<'a>(table: &'a Value, name: &str) -> &'a Value {
    table["groups"].as_array().unwrap().iter().find(|g| g["group"] == name).unwrap_or_else(|| panic!("no group {name}"))
}

fn part<'a>(check: &'a Value, name: &str) -> &'a Value {
    check["parts"].as_array().unwrap().iter().find(|p| p["part"] == name).unwrap_or_else(|| panic!("no part {name}"))
}

/// Builds a data root with only the given label tables, linked from the real data.
fn partial_root(project: &Project, tables: &[&str]) -> PathBuf {
    let root = project.path().join("data");
    let folder = root.join(METADATA);
    std::fs::create_dir_all(&folder).unwrap();
    for table in tables {
        std::os::unix::fs::symlink(data_root().join(METADATA).join(table), folder.join(table)).unwrap();
    }
    root
}

fn check_dataset(actual: &Value, expected: &Value, name: &str) {
    assert_eq!(actual["status"], "summarised", "{name}: {actual}");
    for key in ["images", "patients", "images_without_patient"] {
        assert_eq!(actual[key], expected[key], "{name} {key}");
    }
    for (attribute, several) in [("sex", "sex_patients_in_several_groups"), ("age", "age_patients_in_several_groups")] {
        let groups = expected[attribute].as_object().unwrap();
        assert_eq!(actual[attribute]["groups"].as_array().unwrap().len(), groups.len(), "{name} {attribute} groups");
        for (group_name, counts) in groups {
            let counted = group(&actual[attribute], group_name);
            assert_eq!(counted["images"], counts[0], "{name} {attribute} {group_name} images");
            assert_eq!(counted["patients"], counts[1], "{name} {attribute} {group_name} patients");
        }
        assert_eq!(actual[attribute]["patients_in_several_groups"], expected[several], "{name} {several}");
    }

    let findings = &actual["findings"];
    assert_eq!(findings["labelled_images"], expected["labelled_images"], "{name} labelled images");
    for (reason, images) in expected["unlabelled"].as_object().unwrap() {
        let entry = findings["unlabelled"].as_array().unwrap().iter().find(|u| u["reason"] == reason.as_str());
        assert_eq!(entry.map(|u| &u["images"]), Some(images), "{name} unlabelled: {reason}");
    }
    let expected_findings = expected["findings"].as_object().unwrap();
    assert_eq!(findings["findings"].as_array().unwrap().len(), expected_findings.len(), "{name} finding count");
    for (finding, counts) in expected_findings {
        let counted = findings["findings"].as_array().unwrap().iter().find(|f| f["finding"] == finding.as_str());
        let counted = counted.unwrap_or_else(|| panic!("{name}: finding {finding} missing"));
        for (key, value) in counts.as_object().unwrap() {
            assert_eq!(&counted[key], value, "{name} {finding} {key}");
        }
        let frequency = counts["positives"].as_f64().unwrap() / counts["labelled"].as_f64().unwrap();
        assert!((counted["frequency"].as_f64().unwrap() - frequency).abs() < 1e-12, "{name} {finding} frequency");
    }

    let harness = actual["splits"].as_array().unwrap().iter().find(|s| s["name"] == "harness split").expect("harness split checked");
    assert_eq!(harness["leaked_patients"], 0, "{name}: {harness}");
    assert_eq!(harness["patients"], expected["patients"], "{name} harness patients");
    for (part_name, patients) in expected["harness_split_patients"].as_object().unwrap() {
        assert_eq!(&part(harness, part_name)["patients"], patients, "{name} harness {part_name} patients");
    }
    let images: u64 = harness["parts"].as_array().unwrap().iter().map(|p| p["images"].as_u64().unwrap()).sum();
    assert_eq!(Some(images), expected["images"].as_u64(), "{name} harness images");
}

#[test]
fn tables_match_python_reference() {
    let project = Project::new();
    let out = project.path().join("reports");

    let output = run_bin(project.path(), &["--data-root", data_root().to_str().unwrap(), "--out", out.to_str().unwrap(), "tables"]);

    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let stdout = text(&output.stdout);
    assert!(stdout.contains("nih: 112120 images, 30805 patients, 15 findings"), "{stdout}");
    let report = report(&out);
    let expected = fixture();
    for name in ["chexpert", "nih", "padchest"] {
        check_dataset(dataset(&report, name), &expected["datasets"][name], name);
    }

    // Figures checked by hand against the manifest of the data folder as well.
    let nih = dataset(&report, "nih");
    let hernia = nih["findings"]["findings"].as_array().unwrap().iter().find(|f| f["finding"] == "Hernia").unwrap();
    assert_eq!((hernia["positives"].as_u64(), hernia["bucket"].as_str()), (Some(227), Some("rare")));
    assert_eq!(group(&dataset(&report, "chexpert")["sex"], "male")["images"], 132_636);

    let expert = nih["splits"].as_array().unwrap().iter().find(|s| s["name"] == "NIH expert-label split").expect("expert split checked");
    let reference = &expected["nih_expert_split"];
    assert_eq!(expert["leaked_patients"], reference["leaked_patients"]);
    assert_eq!(expert["patients"], reference["patients"]);
    for (part_name, counts) in reference["parts"].as_object().unwrap() {
        assert_eq!(part(expert, part_name)["images"], counts[0], "expert {part_name} images");
        assert_eq!(part(expert, part_name)["patients"], counts[1], "expert {part_name} patients");
    }

    let markdown = std::fs::read_to_string(out.join("label_tables/index.md")).unwrap();
    assert!(markdown.contains("| Hernia "), "{markdown}");
    assert!(markdown.contains("train_val_list.txt"), "absent NIH lists not reported:\n{markdown}");
    for name in ["chexpert", "nih", "padchest"] {
        for extension in ["png", "svg"] {
            let plot = out.join(format!("label_tables/plots/{name}_finding_frequency.{extension}"));
            assert!(plot.metadata().is_ok_and(|m| m.len() > 1000), "{} missing or empty", plot.display());
        }
    }
    let index = std::fs::read_to_string(out.join("index.md")).unwrap();
    assert!(index.contains("(label_tables/index.md)"), "{index}");
}

#[test]
fn tables_skip_missing_datasets() {
    let project = Project::new();
    let root = partial_root(&project, &[NIH_TABLE]);

    let output = run_bin(project.path(), &["--data-root", root.to_str().unwrap(), "tables"]);

    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let stdout = text(&output.stdout);
    let chexpert_path = root.join(METADATA).join("chexpert_train.csv.gz");
    assert!(stdout.contains(&format!("chexpert: skipped, table file not found: {}", chexpert_path.display())), "{stdout}");
    let report = report(&project.path().join("reports"));
    assert_eq!(dataset(&report, "chexpert")["status"], "skipped");
    assert_eq!(dataset(&report, "padchest")["status"], "skipped");
    assert_eq!(dataset(&report, "nih")["status"], "summarised");
    assert_eq!(dataset(&report, "nih")["images"], 112_120);
}

#[test]
fn tables_name_missing_column() {
    let project = Project::new();
    let root = partial_root(&project, &[NIH_TABLE]);
    // Polars detects gzip by its magic bytes, so a plain CSV under the .gz name is read as is.
    let table = root.join(METADATA).join("chexpert_train.csv.gz");
    std::fs::write(&table, "Path,Sex,Frontal/Lateral\ntrain/patient1/study1/view1_frontal.jpg,Male,Frontal\n").unwrap();

    let output = run_bin(project.path(), &["--data-root", root.to_str().unwrap(), "tables"]);

    assert_eq!(output.status.code(), Some(2), "{}", text(&output.stdout));
    let stderr = text(&output.stderr);
    assert!(stderr.contains(&table.display().to_string()), "{stderr}");
    assert!(stderr.contains("no column \"Age\""), "{stderr}");
    let report = report(&project.path().join("reports"));
    assert_eq!(dataset(&report, "chexpert")["status"], "failed");
    assert_eq!(dataset(&report, "nih")["status"], "summarised");
}

#[test]
fn tables_run_all_links_report() {
    let project = Project::new();
    let root = partial_root(&project, &[NIH_TABLE]);
    project.write("baselines/raw_pixels.toml", &std::fs::read_to_string(repo().join("baselines/raw_pixels.toml")).unwrap());
    // The ieee8023 table is absent from this data root, so the benchmark fails at once and
    // the run still writes the label-table report.
    project.write(
        "benchmarks/age.toml",
        "version = 1\nencoders = [\"raw_pixels\"]\nmetrics = [\"mae\"]\n[dataset]\nname = \"ieee8023_covid\"\n[task]\nkind = \"regression\"\ncolumn = \"age\"\n[split]\nmethod = \"patient_random\"\ntrain = 0.6\nval = 0.2\ntest = 0.2\n[adapter]\nkind = \"ridge\"\nalphas = [1.0]\n",
    );

    let output = run_bin(project.path(), &["--data-root", root.to_str().unwrap(), "--device", "cpu", "run", "all"]);

    assert_eq!(output.status.code(), Some(2), "{}", text(&output.stderr));
    let stderr = text(&output.stderr);
    assert!(stderr.contains("benchmark age failed"), "{stderr}");
    let report = report(&project.path().join("reports"));
    assert_eq!(dataset(&report, "nih")["patients"], 30_805);
    let index = std::fs::read_to_string(project.path().join("reports/index.md")).unwrap();
    assert!(index.contains("(label_tables/index.md)"), "{index}");
}
