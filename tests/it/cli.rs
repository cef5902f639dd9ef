//! Command-line surface: help text, list, exit codes.

use crate::util::{repo, run_bin, text, Project};

#[test]
fn help_lists_commands_and_options() {
    let output = run_bin(&repo(), &["--help"]);
    assert_eq!(output.status.code(), Some(0));
    insta::assert_snapshot!(text(&output.stdout));
}

#[test]
fn list_shows_shipped_benchmarks_and_encoders() {
    let output = run_bin(&repo(), &["list"]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let stdout = text(&output.stdout);
    for name in ["covid_unseen_disease", "covid_severity", "vit_s16_random", "raw_pixels"] {
        assert!(stdout.lines().any(|l| l.trim_start().starts_with(name)), "{name} not listed:\n{stdout}");
    }
}

#[test]
fn unknown_benchmark_exits_with_two() {
    let project = Project::new();
    let output = run_bin(project.path(), &["run", "no_such_benchmark"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stderr).contains("no benchmark named \"no_such_benchmark\""), "{}", text(&output.stderr));
}

#[test]
fn bad_flag_exits_with_two() {
    let output = run_bin(&repo(), &["--device", "tpu", "list"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stderr).contains("tpu"));
}
