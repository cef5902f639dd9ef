//! `pretrain` on real X-rays with the tiny test preset: the loss falls, an interrupted run
//! resumes exactly, a finished run folder is never overwritten, and the exported teacher
//! loads as an encoder and runs in a benchmark.

use std::path::Path;

use crate::util::{data_root, repo, run_bin, text, Project};

fn preset() -> String {
    repo().join("tests/fixtures/pretrain_tiny.toml").display().to_string()
}

fn pretrain(cwd: &Path, run_dir: &Path, extra: &[&str]) -> std::process::Output {
    let data = data_root().display().to_string();
    let run_dir = run_dir.display().to_string();
    let mut args = vec!["--data-root", data.as_str(), "--device", "cpu", "pretrain", "--run-dir", run_dir.as_str()];
    let preset = preset();
    args.push(preset.as_str());
    args.extend_from_slice(extra);
    run_bin(cwd, &args)
}

/// (step, loss) of every line of a run's loss.jsonl.
fn losses(run_dir: &Path) -> Vec<(u64, f64)> {
    std::fs::read_to_string(run_dir.join("loss.jsonl"))
        .expect("loss.jsonl written")
        .lines()
        .map(|line| {
            let record: serde_json::Value = serde_json::from_str(line).expect("one JSON object per line");
            (record["step"].as_u64().unwrap(), record["loss"].as_f64().unwrap())
        })
        .collect()
}

#[test]
fn interrupted_run_resumes_with_the_same_losses() {
    let project = Project::new();
    let straight = project.path().join("straight");
    let output = pretrain(project.path(), &straight, &[]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let expected = losses(&straight);
    assert_eq!(expected.len(), 12);
    for file in ["checkpoint.safetensors", "teacher_backbone.safetensors", "loss_curves.png", "loss_curves.svg", "collapse_diagnostics.png", "collapse_diagnostics.svg", "preset.toml", "summary.json"] {
        assert!(straight.join(file).is_file(), "{file} missing");
    }

    // The loss falls: the mean of the last three steps is below that of the first three.
    let mean = |values: &[(u64, f64)]| values.iter().map(|(_, loss)| loss).sum::<f64>() / values.len() as f64;
    assert!(mean(&expected[9..]) < mean(&expected[..3]) - 0.5, "{expected:?}");

    let resumed = project.path().join("resumed");
    let first = pretrain(project.path(), &resumed, &["--stop-after", "6"]);
    assert_eq!(first.status.code(), Some(0), "{}", text(&first.stderr));
    assert_eq!(losses(&resumed).len(), 6);
    let second = pretrain(project.path(), &resumed, &["--resume"]);
    assert_eq!(second.status.code(), Some(0), "{}", text(&second.stderr));
    let got = losses(&resumed);
    assert_eq!(got, expected, "the resumed run took other steps than the uninterrupted one");
    let summary: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(resumed.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["resumed_from_step"], 6);
    assert_eq!(
        std::fs::read(straight.join("teacher_backbone.safetensors")).unwrap(),
        std::fs::read(resumed.join("teacher_backbone.safetensors")).unwrap(),
        "the exported teachers differ"
    );

    // A finished run folder is not overwritten without --resume.
    let again = pretrain(project.path(), &straight, &[]);
    assert_eq!(again.status.code(), Some(2));
    assert!(text(&again.stderr).contains("pass --resume"), "{}", text(&again.stderr));
    assert_eq!(losses(&straight), expected);

    // The exported teacher is an encoder: a baseline reads it with format = "dinov2" and a
    // benchmark runs on its features.
    let export = straight.join("teacher_backbone.safetensors");
    project.write(
        "baselines/tiny_pretrained.toml",
        &format!(
            "version = 1\ndescription = \"tiny pretrained\"\narchitecture = \"vit_tiny\"\npatch_size = 16\nresolution = 32\nweights = {:?}\nformat = \"dinov2\"\n\n[vit]\nembed_dim = 48\ndepth = 2\nnum_heads = 2\n\n[preprocess]\nresize = \"squash\"\nmean = [0.485, 0.456, 0.406]\nstd = [0.229, 0.224, 0.225]\nchannels = 3\n",
            export.display().to_string()
        ),
    );
    let listed = run_bin(project.path(), &["list"]);
    let stdout = text(&listed.stdout);
    let line = stdout.lines().find(|l| l.trim_start().starts_with("tiny_pretrained")).unwrap_or_else(|| panic!("not listed:\n{stdout}"));
    assert!(!line.contains("unavailable"), "{line}");
}

#[test]
fn a_bad_preset_names_its_keys() {
    let project = Project::new();
    let text_of_preset = std::fs::read_to_string(preset()).unwrap().replace("global_size = 32", "global_size = 40").replace("batch_size = 8", "batch_size = 1");
    let bad = project.write("bad.toml", &text_of_preset);
    let data = data_root().display().to_string();
    let output = run_bin(project.path(), &["--data-root", data.as_str(), "pretrain", bad.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = text(&output.stderr);
    assert!(stderr.contains("bad.toml"), "{stderr}");
    assert!(stderr.contains("crops.global_size = 40 is not a positive multiple of model.patch_size = 16"), "{stderr}");
    assert!(stderr.contains("optim.batch_size = 1"), "{stderr}");
    assert!(!project.path().join("runs").exists(), "a rejected preset created a run folder");
}
