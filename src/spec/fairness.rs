//! Checks of the `[fairness]` and `[long_tail]` tables of a benchmark spec.

use std::collections::BTreeSet;

use crate::metrics::MetricName;
use crate::spec::check::{metric_fits, required};
use crate::spec::load::Parsed;
use crate::spec::locate::KeyPath;
use crate::spec::raw::{RawAttribute, RawFairness, RawLongTail};
use crate::spec::types::*;

/// Checks `[fairness]` against the task; `None` when the table has a problem.
pub(crate) fn check_fairness(p: &mut Parsed<impl Sized>, raw: RawFairness, task: Option<&Task>) -> Option<FairnessSpec> {
    let at = KeyPath::key("fairness");
    let mut ok = true;

    let protocols = match raw.protocols {
        None => {
            p.missing(&at.join("protocols"), "list the protocols to run: \"group_audit\", \"train_on_group\" or both");
            ok = false;
            Vec::new()
        }
        Some(protocols) if protocols.is_empty() => {
            p.problem(&at.join("protocols"), "empty list; name \"group_audit\", \"train_on_group\" or both");
            ok = false;
            protocols
        }
        Some(protocols) => protocols,
    };
    let mut seen = BTreeSet::new();
    for (i, protocol) in protocols.iter().enumerate() {
        if !seen.insert(*protocol) {
            p.problem(&at.join("protocols").at(i), "protocol is listed twice");
            ok = false;
        }
    }
    let group_audit = protocols.contains(&FairnessProtocol::GroupAudit);
    let train_on_group = protocols.contains(&FairnessProtocol::TrainOnGroup);
    let kind = task.map(Task::kind);

    let threshold = match (kind, raw.threshold) {
        (Some(TaskKind::Regression), Some(_)) => {
            p.problem(&at.join("threshold"), "a regression task has no decision threshold; remove `threshold`");
            ok = false;
            None
        }
        (Some(TaskKind::Regression), None) => None,
        (_, rule) => Some(rule.unwrap_or_default()),
    };

    let healthy_classes = check_healthy_classes(p, raw.healthy_classes, task, group_audit);
    ok &= healthy_classes.is_some();

    let seeds = match (raw.seeds, train_on_group) {
        (Some(seeds), true) => {
            if seeds.is_empty() {
                p.problem(&at.join("seeds"), "empty list; give at least one seed, e.g. `seeds = [0, 1, 2]`");
                ok = false;
            }
            let mut distinct = BTreeSet::new();
            for (i, seed) in seeds.iter().enumerate() {
                if !distinct.insert(*seed) {
                    p.problem(&at.join("seeds").at(i), format!("seed {seed} is listed twice"));
                    ok = false;
                }
            }
            seeds
        }
        (None, true) => {
            p.missing(&at.join("seeds"), "list the seeds of the train_on_group protocol, e.g. `seeds = [0, 1, 2]`");
            ok = false;
            Vec::new()
        }
        (Some(_), false) => {
            p.problem(&at.join("seeds"), "`seeds` applies to the \"train_on_group\" protocol only; add it to `protocols` or remove `seeds`");
            ok = false;
            Vec::new()
        }
        (None, false) => Vec::new(),
    };

    let default_metric = if kind == Some(TaskKind::Regression) { MetricName::Pearson } else { MetricName::Auroc };
    let transfer_metric = raw.transfer_metric.unwrap_or(default_metric);
    if let Some(kind) = kind {
        if !metric_fits(kind, transfer_metric) {
            p.problem(&at.join("transfer_metric"), format!("\"{transfer_metric}\" does not apply to a {} task", kind.as_str()));
            ok = false;
        }
    }

    if raw.attributes.is_empty() {
        p.missing(&at.join("attributes"), "add one [[fairness.attributes]] per subgroup attribute, with `name` and `column`");
        ok = false;
    }
    let mut names = BTreeSet::new();
    let mut attributes = Vec::new();
    for (i, attribute) in raw.attributes.into_iter().enumerate() {
        let key = at.join("attributes").at(i);
        match check_attribute(p, &key, attribute) {
            Some(attribute) => {
                if !names.insert(attribute.name.clone()) {
                    p.problem(&key.join("name"), format!("attribute \"{}\" is defined twice", attribute.name));
                    ok = false;
                }
                attributes.push(attribute);
            }
            None => ok = false,
        }
    }

    let healthy_classes = healthy_classes?;
    ok.then_some(FairnessSpec { group_audit, train_on_group, threshold, healthy_classes, seeds, transfer_metric, correction: raw.correction, attributes })
}

/// Resolves `healthy_classes` to class indices: required for a multiclass group audit,
/// the first (negative) class by default for binary tasks, absent otherwise.
fn check_healthy_classes(p: &mut Parsed<impl Sized>, names: Option<Vec<String>>, task: Option<&Task>, group_audit: bool) -> Option<Vec<usize>> {
    let key = KeyPath::key("fairness").join("healthy_classes");
    let Some(task) = task else { return Some(Vec::new()) };
    let classes = match task {
        Task::Classes { classes, .. } => classes,
        Task::Multilabel { .. } | Task::Regression { .. } => {
            if names.is_some() {
                let reason = if task.kind() == TaskKind::Regression {
                    "a regression task has no classes"
                } else {
                    "in a multilabel task an image has a finding when any finding is labelled present"
                };
                p.problem(&key, format!("{reason}; remove `healthy_classes`"));
                return None;
            }
            return Some(Vec::new());
        }
    };
    let binary = task.kind() == TaskKind::Binary;
    let names = match names {
        Some(names) => names,
        None if binary => return Some(vec![0]),
        None if group_audit => {
            p.missing(&key, "name the classes that mean \"no finding\", e.g. `healthy_classes = [\"No Finding\"]`");
            return None;
        }
        None => return Some(Vec::new()),
    };
    let all: Vec<&str> = classes.iter().map(|c| c.name.as_str()).collect();
    let mut indices = Vec::new();
    for (i, name) in names.iter().enumerate() {
        match all.iter().position(|c| c == name) {
            Some(index) if indices.contains(&index) => {
                p.problem(&key.at(i), format!("\"{name}\" is listed twice"));
                return None;
            }
            Some(index) => indices.push(index),
            None => {
                p.problem(&key.at(i), format!("\"{name}\" is not a class of the task; the classes are {}", all.join(", ")));
                return None;
            }
        }
    }
    if indices.is_empty() || indices.len() == classes.len() {
        p.problem(&key, "list at least one class and leave at least one class as a finding");
        return None;
    }
    Some(indices)
}

fn check_attribute(p: &mut Parsed<impl Sized>, key: &KeyPath, raw: RawAttribute) -> Option<Attribute> {
    let mut ok = true;
    let name = required(p, &key.join("name"), raw.name, "name the attribute, e.g. `name = \"sex\"`");
    let column = required(p, &key.join("column"), raw.column, "name the attribute's column");
    if let Some(name) = &name {
        if name.is_empty() {
            p.problem(&key.join("name"), "empty name; give the attribute a name");
            ok = false;
        }
    }

    let binned = raw.bins.is_some();
    let bins = raw.bins.unwrap_or_default();
    if binned {
        if bins.len() < 2 {
            p.problem(&key.join("bins"), format!("{} edge(s) given; bins need at least 2 edges, e.g. `bins = [0, 40, 60, 80, 120]`", bins.len()));
            ok = false;
        }
        for (i, edge) in bins.iter().enumerate() {
            if !edge.is_finite() {
                p.problem(&key.join("bins").at(i), format!("{edge} is not a finite edge"));
                ok = false;
            } else if i > 0 && *edge <= bins[i - 1] {
                p.problem(&key.join("bins").at(i), format!("{edge} does not exceed the edge before it ({}); edges must increase strictly", bins[i - 1]));
                ok = false;
            }
        }
    }

    let values = raw.values.unwrap_or_default();
    if binned && !values.is_empty() {
        p.problem(&key.join("values"), "`values` and `bins` exclude each other; bins group a numeric column, values a categorical one");
        ok = false;
    }
    let mut distinct = BTreeSet::new();
    for (i, value) in values.iter().enumerate() {
        if !distinct.insert(value) {
            p.problem(&key.join("values").at(i), format!("\"{value}\" is listed twice"));
            ok = false;
        }
    }
    let (name, column) = (name?, column?);
    ok.then_some(Attribute { name, column, bins, values, missing: raw.missing })
}

/// Checks `[long_tail]`: the task must have several findings and the boundaries must be
/// fractions with `rare_below <= common_above`.
pub(crate) fn check_long_tail(p: &mut Parsed<impl Sized>, raw: RawLongTail, task: Option<&Task>) -> Option<LongTailSpec> {
    let at = KeyPath::key("long_tail");
    let mut ok = true;
    if let Some(kind) = task.map(Task::kind) {
        if !matches!(kind, TaskKind::Multiclass | TaskKind::Multilabel) {
            p.problem(&at, format!("the long-tail analysis needs several findings; a {} task has none to bucket, so remove [long_tail]", kind.as_str()));
            ok = false;
        }
    }
    for (name, value) in [("common_above", raw.common_above), ("rare_below", raw.rare_below)] {
        if !(value > 0.0 && value < 1.0) {
            p.problem(&at.join(name), format!("{value} is not a frequency; expected a value between 0 and 1 (exclusive)"));
            ok = false;
        }
    }
    if ok && raw.rare_below > raw.common_above {
        p.problem(&at, format!("rare_below = {} is above common_above = {}; rare findings must be less frequent than common ones", raw.rare_below, raw.common_above));
        ok = false;
    }
    ok.then_some(LongTailSpec { common_above: raw.common_above, rare_below: raw.rare_below })
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use crate::spec::benchmark_from_str;

    const BASE: &str = r#"version = 1
encoders = ["raw_pixels"]
metrics = ["macro_accuracy", "auroc"]
[dataset]
name = "ieee8023_covid"
[task]
kind = "multiclass"
column = "finding"
[[task.classes]]
name = "COVID-19"
values = ["COVID-19"]
[[task.classes]]
name = "No Finding"
values = ["No Finding"]
[split]
method = "patient_random"
train = 0.6
val = 0.2
test = 0.2
"#;

    const FAIRNESS: &str = r#"[fairness]
protocols = ["group_audit", "train_on_group"]
healthy_classes = ["No Finding"]
seeds = [0, 1]
[[fairness.attributes]]
name = "sex"
column = "sex"
[[fairness.attributes]]
name = "age"
column = "age"
bins = [0, 50, 120]
missing = "exclude"
[long_tail]
"#;

    fn problems(text: &str) -> String {
        benchmark_from_str(Path::new("benchmarks/b.toml"), text).unwrap_err().to_string()
    }

    #[test]
    fn fairness_table_is_checked_into_indices() {
        let benchmark = benchmark_from_str(Path::new("benchmarks/b.toml"), &format!("{BASE}{FAIRNESS}")).unwrap();
        let fairness = benchmark.fairness.unwrap();
        assert!(fairness.group_audit);
        assert!(fairness.train_on_group);
        assert_eq!(fairness.healthy_classes, [1]);
        assert_eq!(fairness.seeds, [0, 1]);
        assert_eq!(fairness.threshold, Some(crate::spec::ThresholdRule::Youden));
        assert_eq!(fairness.transfer_metric, crate::metrics::MetricName::Auroc);
        assert_eq!(fairness.attributes[1].bins, [0.0, 50.0, 120.0]);
        let long_tail = benchmark.long_tail.unwrap();
        assert_eq!((long_tail.common_above, long_tail.rare_below), (0.10, 0.01));
    }

    #[test]
    fn fairness_reports_unknown_key_and_bad_values() {
        let text = format!("{BASE}{FAIRNESS}")
            .replace("seeds = [0, 1]", "seeds = [0, 0]\nthreshold = \"median\"")
            .replace("bins = [0, 50, 120]", "bins = [0, 50, 50]\nbucket = 3")
            .replace("healthy_classes = [\"No Finding\"]", "healthy_classes = [\"Healthy\"]");
        insta::assert_snapshot!(problems(&text));
    }

    #[test]
    fn fairness_reports_missing_and_misplaced_keys() {
        let text = format!("{BASE}{FAIRNESS}")
            .replace("protocols = [\"group_audit\", \"train_on_group\"]", "protocols = [\"group_audit\"]")
            .replace("healthy_classes = [\"No Finding\"]\n", "")
            .replace("name = \"sex\"\n", "values = [\"F\", \"F\"]\n")
            .replace("[long_tail]\n", "[long_tail]\ncommon_above = 0.005\n");
        insta::assert_snapshot!(problems(&text));
    }

    #[test]
    fn regression_rejects_class_keys_and_long_tail() {
        let regression = BASE
            .replace("kind = \"multiclass\"\ncolumn = \"finding\"", "kind = \"regression\"\ncolumn = \"age\"")
            .replace("metrics = [\"macro_accuracy\", \"auroc\"]", "metrics = [\"pearson\", \"mae\"]");
        let start = regression.find("[[task.classes]]").unwrap();
        let end = regression.find("[split]").unwrap();
        let regression = format!("{}{}", &regression[..start], &regression[end..]);
        let text = format!("{regression}{FAIRNESS}").replace("seeds = [0, 1]", "seeds = [0, 1]\nthreshold = \"youden\"");
        insta::assert_snapshot!(problems(&text));
    }
}
