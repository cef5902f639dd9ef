//! A benchmark run end to end on 40 real ieee8023 images, then run again from the cache.

use std::collections::BTreeSet;
use std::path::Path;

use polars::prelude::*;
use raydino_bench::data::Table;

use crate::util::{data_root, repo, run_bin, text, Project};

/// Writes a data root with 40 frontal ieee8023 images (22 COVID-19, 10 other pneumonia,
/// 8 no finding), linked from the real data.
fn write_subset(root: &Path) {
    let source = data_root().join("ieee8023-covid");
    let table = Table::read_csv(&source.join("metadata.csv")).unwrap();
    let findings = table.text_column("finding").unwrap();
    let views = table.text_column("view").unwrap();
    let files = table.text_column("filename").unwrap();

    let mut wanted = [("covid", 22), ("other", 10), ("none", 8)];
    let mut seen = BTreeSet::new();
    let mut keep = vec![false; table.height()];
    // The first pass takes one image of each value the spec names ("COVID-19, ARDS",
    // "AP Supine"), since the spec check rejects a value absent from the table; the
    // second fills each class in table order.
    let rare = |finding: &str, view: &str| finding == "COVID-19, ARDS" || view == "AP Supine";
    let rows = (0..table.height()).filter(|&row| {
        findings[row].as_deref().zip(views[row].as_deref()).is_some_and(|(f, v)| rare(f, v))
    });
    let mut taken_rare = BTreeSet::new();
    let order: Vec<usize> = rows
        .filter(|&row| {
            let key = if findings[row].as_deref() == Some("COVID-19, ARDS") { "ards" } else { "supine" };
            taken_rare.insert(key)
        })
        .chain(0..table.height())
        .collect();
    for row in order {
        let (Some(finding), Some(view), Some(file)) = (&findings[row], &views[row], &files[row]) else { continue };
        if !["PA", "AP", "AP Supine"].contains(&view.as_str()) || finding == "todo" || !source.join("images").join(file).is_file() {
            continue;
        }
        let group = if finding.starts_with("COVID-19") {
            0
        } else if finding == "No Finding" {
            2
        } else {
            1
        };
        if wanted[group].1 > 0 && seen.insert(file.clone()) {
            wanted[group].1 -= 1;
            keep[row] = true;
        }
    }
    assert!(wanted.iter().all(|(_, left)| *left == 0), "the real table lacks enough images: {wanted:?}");

    let mask = BooleanChunked::from_slice("keep".into(), &keep);
    let mut subset = table.frame.filter(&mask).unwrap();
    let folder = root.join("ieee8023-covid");
    std::fs::create_dir_all(folder.join("images")).unwrap();
    let mut file = std::fs::File::create(folder.join("metadata.csv")).unwrap();
    CsvWriter::new(&mut file).finish(&mut subset).unwrap();
    for (row, kept) in keep.iter().enumerate() {
        if *kept {
            let name = files[row].as_ref().unwrap();
            std::os::unix::fs::symlink(source.join("images").join(name), folder.join("images").join(name)).unwrap();
        }
    }
}

/// Writes the shipped multiclass spec with small encoders and fewer resamples, so the
/// test runs in seconds on two cores. Classes, filters and split stay as shipped.
fn write_specs(project: &Project) {
    let shipped = std::fs::read_to_string(repo().join("benchmarks/covid_unseen_disease.toml")).unwrap();
    assert_eq!(shipped.lines().filter(|line| line.starts_with("encoders = ")).count(), 1, "the shipped spec changed shape; update this test's replacements");
    let small_encoders: Vec<&str> =
        shipped.lines().map(|line| if line.starts_with("encoders = ") { "encoders = [\"vit_tiny_random\", \"raw_pixels\"]" } else { line }).collect();
    let spec = (small_encoders.join("\n") + "\n")
        .replace("epochs = 300", "epochs = 60")
        .replace("resamples = 1000", "resamples = 200");
    assert_ne!(spec, shipped, "the shipped spec changed shape; update this test's replacements");
    project.write("benchmarks/covid_unseen_disease.toml", &spec);
    project.write(
        "baselines/vit_tiny_random.toml",
        "version = 1\ndescription = \"ViT-Ti/16, random initialisation\"\narchitecture = \"vit_tiny\"\npatch_size = 16\nresolution = 64\ninit_seed = 0\n[preprocess]\nmean = [0.485, 0.456, 0.406]\nstd = [0.229, 0.224, 0.225]\nchannels = 3\n",
    );
    std::fs::copy(repo().join("baselines/raw_pixels.toml"), project.path().join("baselines/raw_pixels.toml")).unwrap();
}

fn results(project: &Project) -> serde_json::Value {
    let path = project.path().join("reports/covid_unseen_disease/results.json");
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

#[test]
fn benchmark_runs_end_to_end_and_reuses_features() {
    let project = Project::new();
    let data = project.path().join("data");
    write_subset(&data);
    write_specs(&project);

    let output = run_bin(project.path(), &["--data-root", data.to_str().unwrap(), "--device", "cpu", "run", "all"]);
    assert!(output.status.success(), "first run failed: {}", text(&output.stderr));
    let stdout = text(&output.stdout);
    assert!(stdout.contains("vit_tiny_random"), "comparison table missing:\n{stdout}");
    assert!(stdout.contains("raw_pixels"), "comparison table missing:\n{stdout}");

    let reports = project.path().join("reports");
    let bench = reports.join("covid_unseen_disease");
    for file in ["results.json", "results.csv", "results.md", "predictions.csv", "plots/macro_accuracy.png", "plots/macro_accuracy.svg", "plots/auroc.png", "plots/roc_covid_19.png", "plots/roc_no_finding.svg"] {
        assert!(bench.join(file).is_file(), "missing report file {file}");
    }
    assert!(reports.join("index.md").is_file());
    assert!(reports.join("run.log").is_file());
    let index = std::fs::read_to_string(reports.join("index.md")).unwrap();
    assert!(index.contains("covid_unseen_disease/results.md"), "{index}");

    let first = results(&project);
    assert_eq!(first["benchmark"], "covid_unseen_disease");
    assert_eq!(first["data"]["used"], 40);
    let split_total: u64 = first["split"].as_array().unwrap().iter().map(|p| p["samples"].as_u64().unwrap()).sum();
    assert_eq!(split_total, 40);
    let encoders = first["encoders"].as_array().unwrap();
    assert_eq!(encoders.len(), 2);
    for encoder in encoders {
        assert_eq!(encoder["extraction"]["extracted"], 40, "{}", encoder["encoder"]);
        let metrics = encoder["metrics"].as_array().unwrap();
        assert_eq!(metrics.len(), 3);
        for metric in metrics {
            // Every metric either has a value inside its interval or gives the reason why not.
            match metric["value"].as_f64() {
                Some(value) => {
                    assert!((0.0..=1.0).contains(&value), "{metric}");
                    if let Some(interval) = metric["interval"].as_object() {
                        let (lower, upper) = (interval["lower"].as_f64().unwrap(), interval["upper"].as_f64().unwrap());
                        assert!(lower <= value + 1e-12, "{metric}");
                        assert!(value <= upper + 1e-12, "{metric}");
                    } else {
                        assert!(metric["undefined"].is_string(), "{metric}");
                    }
                }
                None => assert!(metric["undefined"].is_string(), "{metric}"),
            }
        }
    }
    let csv = std::fs::read_to_string(bench.join("results.csv")).unwrap();
    assert_eq!(csv.lines().count(), 1 + 2 * 3, "{csv}");
    let markdown = std::fs::read_to_string(bench.join("results.md")).unwrap();
    assert!(markdown.contains("| encoder"), "{markdown}");
    assert!(markdown.contains("plots/auroc.png"), "{markdown}");

    check_fairness_and_long_tail(&bench, &first);

    let second = run_bin(project.path(), &["--data-root", data.to_str().unwrap(), "--device", "cpu", "run", "covid_unseen_disease"]);
    assert!(second.status.success(), "second run failed: {}", text(&second.stderr));
    let rerun = results(&project);
    assert_eq!(first["split_fingerprint"].as_str().map(str::len), Some(16));
    assert_eq!(first["split_fingerprint"], rerun["split_fingerprint"]);
    for (before, after) in first["encoders"].as_array().unwrap().iter().zip(rerun["encoders"].as_array().unwrap()) {
        assert_eq!(after["extraction"]["extracted"], 0, "{}", after["encoder"]);
        assert_eq!(after["extraction"]["from_cache"], 40, "{}", after["encoder"]);
        // Same features, seed and split: the same numbers.
        assert_eq!(before["metrics"], after["metrics"], "{}", after["encoder"]);
    }
}

/// Checks the fairness and long-tail sections, plots and JSON fields that the shipped
/// spec turns on, and that each attribute's groups and left-out images add up to the
/// test split.
fn check_fairness_and_long_tail(bench: &Path, results: &serde_json::Value) {
    for file in [
        "plots/fairness_sex_auroc.png",
        "plots/fairness_sex_auroc.svg",
        "plots/fairness_age_macro_accuracy.png",
        "plots/fairness_sex_under_diagnosis.svg",
        "plots/train_on_group_gap.png",
        "plots/train_on_group_gap.svg",
        "plots/long_tail.png",
        "plots/long_tail.svg",
    ] {
        assert!(bench.join(file).is_file(), "missing report file {file}");
    }
    let markdown = std::fs::read_to_string(bench.join("results.md")).unwrap();
    for section in ["## Fairness", "### Group audit", "#### sex", "#### age", "### Train on one group", "## Long tail", "plots/train_on_group_gap.png", "plots/long_tail.png"] {
        assert!(markdown.contains(section), "results.md lacks {section}");
    }

    let test_size = results["split"].as_array().unwrap().iter().find(|p| p["part"] == "test").unwrap()["samples"].as_u64().unwrap();
    let groups = results["groups"].as_array().unwrap();
    assert_eq!(groups.len(), 2, "{groups:?}");
    for attribute in groups {
        let in_groups: u64 = attribute["groups"].as_array().unwrap().iter().map(|g| g["test"].as_u64().unwrap()).sum();
        let left_out: u64 = attribute["excluded"].as_array().unwrap().iter().map(|e| e["test"].as_u64().unwrap()).sum();
        assert_eq!(in_groups + left_out, test_size, "{attribute}");
    }

    for encoder in results["encoders"].as_array().unwrap() {
        let fairness = &encoder["fairness"];
        let audits = fairness["audits"].as_array().unwrap();
        assert_eq!(audits.len(), 2);
        for (audit, sizes) in audits.iter().zip(groups) {
            let audited: Vec<u64> = audit["groups"].as_array().unwrap().iter().map(|g| g["test_images"].as_u64().unwrap()).collect();
            let counted: Vec<u64> = sizes["groups"].as_array().unwrap().iter().map(|g| g["test"].as_u64().unwrap()).collect();
            assert_eq!(audited, counted, "{}", audit["attribute"]);
            for group in audit["groups"].as_array().unwrap() {
                for metric in group["metrics"].as_array().unwrap() {
                    // A value, or the reason it has none: never a silent gap.
                    assert!(metric["value"].is_f64() || metric["undefined"].is_string(), "{metric}");
                }
                let rate = &group["under_diagnosis_rate"];
                assert!(rate["value"].is_f64() || rate["undefined"].is_string(), "{rate}");
            }
            let eo = &audit["equalised_odds_difference"];
            assert!(eo["value"].is_f64() || eo["undefined"].is_string(), "{eo}");
        }
        let transfer = fairness["train_on_group"].as_array().unwrap();
        assert_eq!(transfer.len(), 2);
        for attribute in transfer {
            let comparison = &attribute["comparison"];
            assert!(comparison["p_value"].is_f64() || comparison["undefined"].is_string(), "{comparison}");
            let runs = attribute["runs"].as_array().unwrap().len();
            let skipped = attribute["skipped"].as_array().unwrap().len();
            assert!(runs + skipped > 0, "{attribute}");
        }
        let buckets = encoder["long_tail"]["buckets"].as_array().unwrap();
        let names: Vec<&str> = buckets.iter().map(|b| b["bucket"].as_str().unwrap()).collect();
        assert_eq!(names, ["common", "uncommon", "rare"]);
        let findings: usize = buckets.iter().map(|b| b["findings"].as_array().unwrap().len()).sum();
        assert_eq!(findings, 3, "every class lands in one bucket");
        for bucket in buckets {
            if bucket["findings"].as_array().unwrap().is_empty() {
                assert!(bucket["mean_auprc"]["undefined"].as_str().unwrap().starts_with("empty bucket"), "{bucket}");
            }
        }
    }
}

#[test]
fn missing_image_stops_the_run_by_default() {
    let project = Project::new();
    let data = project.path().join("data");
    write_subset(&data);
    write_specs(&project);
    let spec_path = project.path().join("benchmarks/covid_unseen_disease.toml");
    let spec = std::fs::read_to_string(&spec_path).unwrap().replace("missing_images = \"skip\"", "missing_images = \"error\"");
    std::fs::write(&spec_path, spec).unwrap();
    let images = data.join("ieee8023-covid/images");
    let victim = std::fs::read_dir(&images).unwrap().next().unwrap().unwrap().path();
    std::fs::remove_file(&victim).unwrap();

    let output = run_bin(project.path(), &["--data-root", data.to_str().unwrap(), "--device", "cpu", "run", "all"]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = text(&output.stderr);
    let name = victim.file_name().unwrap().to_string_lossy().into_owned();
    assert!(stderr.contains("1 image(s)"), "{stderr}");
    assert!(stderr.contains(&name), "{stderr}");
    assert!(stderr.contains("missing_images = \"skip\""), "{stderr}");
}
