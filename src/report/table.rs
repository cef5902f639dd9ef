//! Comparison tables across encoders, for the terminal and for markdown, and the
//! fairness and long-tail tables of `results.md`.

use tabled::builder::Builder;
use tabled::settings::Style;

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::fairness::RateReport;
use crate::pipeline::evaluate::MetricReport;
use crate::pipeline::BenchmarkResult;
use crate::spec::{Correction, ThresholdRule};

/// "0.812 [0.750, 0.871]", "0.812 (no interval: ...)" or "undefined: reason".
pub fn format_metric(report: &MetricReport) -> String {
    match (report.value, &report.interval, &report.undefined) {
        (Some(value), Some(interval), _) => format!("{value:.3} [{:.3}, {:.3}]", interval.lower, interval.upper),
        (Some(value), None, Some(reason)) => format!("{value:.3} ({reason})"),
        (Some(value), None, None) => format!("{value:.3}"),
        (None, _, Some(reason)) => format!("undefined: {reason}"),
        (None, _, None) => "undefined".to_string(),
    }
}

fn builder(result: &BenchmarkResult) -> Builder {
    let mut builder = Builder::default();
    let confidence = (result.spec.bootstrap.confidence * 100.0).round();
    let mut header = vec!["encoder".to_string()];
    for metric in &result.spec.metrics {
        let arrow = if metric.higher_is_better() { "↑" } else { "↓" };
        header.push(format!("{} {arrow} [{confidence}% CI]", metric.label()));
    }
    header.push("test n (patients)".to_string());
    builder.push_record(header);

    let test = result.split.iter().find(|p| p.part == crate::spec::SplitPart::Test);
    let test_size = test.map_or(String::new(), |t| format!("{} ({})", t.samples, t.patients));
    for encoder in &result.encoders {
        let mut row = vec![encoder.encoder.clone()];
        for metric in &result.spec.metrics {
            row.push(result.metric(encoder, *metric).map_or("not computed".to_string(), format_metric));
        }
        row.push(test_size.clone());
        builder.push_record(row);
    }
    for skipped in &result.skipped {
        let mut row = vec![skipped.encoder.clone(), format!("skipped: {}", skipped.reason)];
        row.extend(result.spec.metrics.iter().skip(1).map(|_| "-".to_string()));
        row.push("-".to_string());
        builder.push_record(row);
    }
    builder
}

/// Renders the comparison table with box characters, for the terminal.
pub fn terminal_table(result: &BenchmarkResult) -> String {
    builder(result).build().with(Style::rounded()).to_string()
}

/// Renders the comparison table in GitHub-flavoured markdown.
pub fn markdown_table(result: &BenchmarkResult) -> String {
    builder(result).build().with(Style::markdown()).to_string()
}

/// Renders a markdown table from a header and rows of cells.
pub fn markdown(header: &[&str], rows: Vec<Vec<String>>) -> String {
    let mut builder = Builder::default();
    builder.push_record(header.iter().map(|h| h.to_string()));
    for row in rows {
        builder.push_record(row);
    }
    builder.build().with(Style::markdown()).to_string()
}

fn rate(report: Option<&RateReport>) -> String {
    match report {
        None => "-".to_string(),
        Some(RateReport { value: Some(value), interval: Some(interval), .. }) => format!("{value:.3} [{:.3}, {:.3}]", interval.lower, interval.upper),
        Some(RateReport { value: Some(value), undefined, .. }) => match undefined {
            Some(reason) => format!("{value:.3} ({reason})"),
            None => format!("{value:.3}"),
        },
        Some(RateReport { undefined, .. }) => format!("undefined: {}", undefined.as_deref().unwrap_or("no reason recorded")),
    }
}

fn optional(value: Option<f64>) -> String {
    value.map_or("-".to_string(), |v| format!("{v:.3}"))
}

/// Renders the fairness section of `results.md`: group sizes, the group audit and the
/// train-on-group comparison of every attribute. Empty when the spec has no `[fairness]`.
pub fn fairness_markdown(result: &BenchmarkResult) -> String {
    let Some(spec) = &result.spec.fairness else { return String::new() };
    let mut md = String::new();
    let confidence = (result.spec.bootstrap.confidence * 100.0).round();
    let _ = writeln!(md, "## Fairness\n");
    let _ = writeln!(
        md,
        "Subgroups per attribute, with the images of each split part. Images whose attribute is blank form the group `missing` or are counted as left out; the `missing` group is reported but takes no part in best, worst, gap, equalised-odds and train-on-group comparisons.\n"
    );
    for sizes in &result.groups {
        let mut rows: Vec<Vec<String>> = sizes
            .groups
            .iter()
            .map(|g| vec![g.group.clone(), g.train.to_string(), g.val.to_string(), format!("{} ({})", g.test, g.test_patients)])
            .collect();
        rows.extend(sizes.excluded.iter().map(|e| vec![format!("left out: {}", e.reason), e.train.to_string(), e.val.to_string(), e.test.to_string()]));
        let _ = writeln!(md, "### Groups by {} (column `{}`)\n", sizes.attribute, sizes.column);
        let _ = writeln!(md, "{}\n", markdown(&["group", "train images", "val images", "test images (patients)"], rows));
    }

    if spec.group_audit {
        let _ = writeln!(md, "### Group audit of each encoder's head\n");
        match spec.threshold {
            Some(ThresholdRule::Youden) => {
                let _ = writeln!(md, "The \"finding present\" decision flags an image when its finding score (the summed probability of the classes that are not healthy, or the highest finding probability) is at or above a threshold chosen on the validation split alone by Youden's J (sensitivity + specificity - 1, ties to the higher threshold). ");
            }
            Some(ThresholdRule::Prevalence) => {
                let _ = writeln!(md, "The \"finding present\" decision flags an image when its finding score is at or above a threshold chosen on the validation split alone so that it flags as many validation images as have a finding. ");
            }
            None => {}
        }
        if spec.threshold.is_some() {
            let _ = writeln!(md, "Under-diagnosis rate: the share of test images with a finding that the decision calls \"no finding\" (false-negative rate). Equalised-odds difference: the largest |TPR_g - TPR_h| or |FPR_g - FPR_h| over pairs of groups. Intervals are {confidence}% patient-level bootstrap percentile intervals.\n");
            let rows: Vec<Vec<String>> = result
                .encoders
                .iter()
                .filter_map(|e| {
                    let f = e.fairness.as_ref()?;
                    Some(match &f.threshold {
                        Some(t) => vec![e.encoder.clone(), format!("{:.4}", t.value), format!("{:.3}", t.validation_sensitivity), format!("{:.3}", t.validation_specificity), t.validation_images.to_string()],
                        None => vec![e.encoder.clone(), format!("undefined: {}", f.threshold_undefined.as_deref().unwrap_or("-")), "-".into(), "-".into(), "-".into()],
                    })
                })
                .collect();
            let _ = writeln!(md, "{}\n", markdown(&["encoder", "threshold", "validation sensitivity", "validation specificity", "validation images"], rows));
        } else {
            let _ = writeln!(md, "A regression task has no decision, so the audit reports the benchmark's metrics per group. Intervals are {confidence}% patient-level bootstrap percentile intervals.\n");
        }
        for (a, attribute) in spec.attributes.iter().enumerate() {
            let _ = writeln!(md, "#### {}\n", attribute.name);
            let mut header: Vec<String> = vec!["encoder".into(), "group".into(), "test images (patients)".into()];
            if spec.threshold.is_some() {
                header.push("with / without finding".into());
            }
            for metric in &result.spec.metrics {
                header.push(format!("{} [{confidence}% CI]", metric.label()));
                header.push(format!("gap to best ({})", metric.label()));
            }
            if spec.threshold.is_some() {
                header.extend(["TPR".to_string(), "FPR".to_string(), "under-diagnosis rate".to_string()]);
            }
            let mut rows = Vec::new();
            let mut spread_rows = Vec::new();
            for encoder in &result.encoders {
                let Some(audit) = encoder.fairness.as_ref().and_then(|f| f.audits.get(a)) else { continue };
                for group in &audit.groups {
                    let mut row = vec![encoder.encoder.clone(), group.group.clone(), format!("{} ({})", group.test_images, group.test_patients)];
                    if spec.threshold.is_some() {
                        row.push(format!("{} / {}", group.diseased, group.healthy));
                    }
                    for (report, gap) in group.metrics.iter().zip(&group.gap_to_best) {
                        row.push(format_metric(report));
                        row.push(optional(*gap));
                    }
                    if spec.threshold.is_some() {
                        row.extend([rate(group.true_positive_rate.as_ref()), rate(group.false_positive_rate.as_ref()), rate(group.under_diagnosis_rate.as_ref())]);
                    }
                    rows.push(row);
                }
                for spread in &audit.spread {
                    spread_rows.push(vec![
                        encoder.encoder.clone(),
                        spread.metric.label().to_string(),
                        format!("{} ({})", spread.best_group.as_deref().unwrap_or("-"), optional(spread.best)),
                        format!("{} ({})", spread.worst_group.as_deref().unwrap_or("-"), optional(spread.worst)),
                        optional(spread.max_gap),
                        if spread.undefined_groups.is_empty() { "-".to_string() } else { spread.undefined_groups.join(", ") },
                        rate(audit.equalised_odds_difference.as_ref()),
                    ]);
                }
            }
            let header: Vec<&str> = header.iter().map(String::as_str).collect();
            let _ = writeln!(md, "{}\n", markdown(&header, rows));
            let _ = writeln!(md, "{}\n", markdown(&["encoder", "metric", "best group", "worst group", "max gap", "undefined in", "equalised-odds difference"], spread_rows));
        }
    }

    if spec.train_on_group {
        let correction = match spec.correction {
            Correction::Holm => "Holm",
            Correction::BenjaminiHochberg => "Benjamini-Hochberg",
        };
        let seeds: Vec<String> = spec.seeds.iter().map(u64::to_string).collect();
        let _ = writeln!(md, "### Train on one group, test on every group\n");
        let _ = writeln!(
            md,
            "For each group and seed ({}), an adapter is trained on a patient-level bootstrap resample (drawn with that seed) of the group's training images, with hyperparameters chosen on the group's validation images, and tested on each group's test images by {}. The two-sided Mann-Whitney U test compares the values where training and test group are the same with those where they differ; p-values are adjusted across attributes with {correction}'s method (* adjusted p < 0.05).\n",
            seeds.join(", "),
            spec.transfer_metric.label()
        );
        let mut comparison_rows = Vec::new();
        let mut cell_rows = Vec::new();
        let mut skipped_rows = Vec::new();
        for encoder in &result.encoders {
            let Some(fairness) = &encoder.fairness else { continue };
            for transfer in &fairness.train_on_group {
                let c = &transfer.comparison;
                comparison_rows.push(vec![
                    encoder.encoder.clone(),
                    transfer.attribute.clone(),
                    format!("{} (n={})", optional(c.mean_same_group), c.same_group.len()),
                    format!("{} (n={})", optional(c.mean_other_group), c.other_group.len()),
                    optional(c.gap),
                    c.u_statistic.map_or("-".to_string(), |u| format!("{u}")),
                    c.p_value.map_or("-".to_string(), |p| format!("{p:.4}")),
                    match c.p_adjusted {
                        Some(p) if p < 0.05 => format!("{p:.4}*"),
                        Some(p) => format!("{p:.4}"),
                        None => format!("undefined: {}", c.undefined.as_deref().unwrap_or("-")),
                    },
                ]);
                let mut cells: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
                for run in &transfer.runs {
                    for cell in &run.cells {
                        let text = cell.value.map_or_else(|| format!("undefined ({})", cell.undefined.as_deref().unwrap_or("-")), |v| format!("{v:.3}"));
                        cells.entry((run.train_group.clone(), cell.test_group.clone())).or_default().push(text);
                    }
                }
                for ((train, test), values) in cells {
                    cell_rows.push(vec![encoder.encoder.clone(), transfer.attribute.clone(), train, test, values.join(", ")]);
                }
                for skipped in &transfer.skipped {
                    let seed = skipped.seed.map_or("all".to_string(), |s| s.to_string());
                    skipped_rows.push(vec![encoder.encoder.clone(), transfer.attribute.clone(), skipped.train_group.clone(), seed, skipped.reason.clone()]);
                }
            }
        }
        let _ = writeln!(md, "{}\n", markdown(&["encoder", "attribute", "same group: mean", "other groups: mean", "gap", "U", "p", &format!("p adjusted ({correction})")], comparison_rows));
        let _ = writeln!(md, "Test {} per training group, test group and seed (in seed order):\n", spec.transfer_metric.label());
        let _ = writeln!(md, "{}\n", markdown(&["encoder", "attribute", "trained on", "tested on", "values"], cell_rows));
        if !skipped_rows.is_empty() {
            let _ = writeln!(md, "Training groups or seeds skipped:\n");
            let _ = writeln!(md, "{}\n", markdown(&["encoder", "attribute", "group", "seed", "reason"], skipped_rows));
        }
    }
    md
}

/// Renders the long-tail section of `results.md`; empty without `[long_tail]`.
pub fn long_tail_markdown(result: &BenchmarkResult) -> String {
    let Some(spec) = &result.spec.long_tail else { return String::new() };
    let Some(first) = result.encoders.iter().find_map(|e| e.long_tail.as_ref()) else { return String::new() };
    let mut md = String::new();
    let confidence = (result.spec.bootstrap.confidence * 100.0).round();
    let _ = writeln!(md, "## Long tail\n");
    let _ = writeln!(
        md,
        "Findings (classes one-vs-rest for a multiclass task) bucketed by their frequency in the training split: common above {}, rare below {}, uncommon in between (both boundaries included). AUPRC is average precision on the test split; a bucket's value is the unweighted mean over its findings, with a {confidence}% patient-level bootstrap interval.\n",
        spec.common_above, spec.rare_below
    );
    let rows = first
        .findings
        .iter()
        .map(|f| vec![f.finding.clone(), format!("{} / {}", f.train_positives, f.train_labelled), format!("{:.4}", f.frequency), f.bucket.as_str().to_string(), f.test_positives.to_string()])
        .collect();
    let _ = writeln!(md, "{}\n", markdown(&["finding", "training positives / labelled", "frequency", "bucket", "test positives"], rows));
    let mut rows = Vec::new();
    for encoder in &result.encoders {
        let Some(tail) = &encoder.long_tail else { continue };
        for bucket in &tail.buckets {
            let findings: Vec<String> = bucket
                .findings
                .iter()
                .map(|name| {
                    let value = tail.findings.iter().find(|f| &f.finding == name).map_or("-".to_string(), |f| match (f.auprc, &f.undefined) {
                        (Some(v), _) => format!("{v:.3}"),
                        (None, reason) => format!("undefined: {}", reason.as_deref().unwrap_or("-")),
                    });
                    format!("{name} {value}")
                })
                .collect();
            let listed = if findings.is_empty() { "(empty)".to_string() } else { findings.join("; ") };
            rows.push(vec![encoder.encoder.clone(), format!("{} ({})", bucket.bucket.as_str(), bucket.rule), listed, rate(Some(&bucket.mean_auprc))]);
        }
    }
    let _ = writeln!(md, "{}\n", markdown(&["encoder", "bucket", "findings: AUPRC", &format!("mean AUPRC [{confidence}% CI]")], rows));
    md
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::path::Path;

    use super::*;
    use crate::data::Accounting;
    use crate::features::ExtractionStats;
    use crate::metrics::MetricName;
    use crate::pipeline::probe::HeadCandidate;
    use crate::pipeline::results::*;
    use crate::spec::{benchmark_from_str, SplitPart};
    use crate::stats::Interval;

    const SPEC: &str = r#"version = 1
encoders = ["vit_s16_random", "raw_pixels", "raydino"]
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
name = "Other"
rest = true
[split]
method = "patient_random"
train = 0.6
val = 0.2
test = 0.2
"#;

    fn report(metric: MetricName, value: Option<f64>, bounds: Option<(f64, f64)>, undefined: Option<&str>) -> MetricReport {
        MetricReport {
            metric,
            label: metric.label().to_string(),
            higher_is_better: metric.higher_is_better(),
            value,
            interval: bounds.map(|(lower, upper)| Interval {
                estimate: value.unwrap_or_default(),
                lower,
                upper,
                confidence: 0.95,
                resamples: 1000,
                valid_resamples: 1000,
            }),
            undefined: undefined.map(str::to_string),
        }
    }

    fn encoder(name: &str, metrics: Vec<MetricReport>) -> EncoderResult {
        EncoderResult {
            encoder: name.to_string(),
            description: String::new(),
            baseline_file: format!("/tmp/somewhere/{name}.toml"),
            identity: "architecture:vit_small;weights:0123abcd".to_string(),
            feature_dim: 768,
            extraction: ExtractionStats::default(),
            selected_by: "macro_accuracy".to_string(),
            chosen_head: HeadCandidate { learning_rate: Some(0.01), weight_decay: Some(0.0), alpha: None, train_loss: Some(0.3), val_metric: Some(0.7), val_loss: 0.5 },
            candidates: Vec::new(),
            metrics,
            per_class: Vec::new(),
            fairness: None,
            long_tail: None,
            roc: Vec::new(),
            test_predictions: Vec::new(),
        }
    }

    fn result() -> BenchmarkResult {
        let spec = benchmark_from_str(Path::new("benchmarks/example.toml"), SPEC).unwrap();
        BenchmarkResult {
            benchmark: "example".to_string(),
            version: 1,
            description: String::new(),
            spec_source: SPEC.to_string(),
            spec,
            task_kind: "multiclass".to_string(),
            outputs: vec!["COVID-19".to_string(), "Other".to_string()],
            data: Accounting::default(),
            split: vec![PartCounts { part: SplitPart::Test, samples: 118, patients: 62, classes: BTreeMap::new() }],
            split_fingerprint: "0123456789abcdef".to_string(),
            groups: Vec::new(),
            encoders: vec![
                encoder(
                    "vit_s16_random",
                    vec![
                        report(MetricName::MacroAccuracy, Some(0.47543), Some((0.2831, 0.6764)), None),
                        report(MetricName::Auroc, Some(0.65634), Some((0.4612, 0.7811)), None),
                    ],
                ),
                encoder(
                    "raw_pixels",
                    vec![
                        report(MetricName::MacroAccuracy, Some(0.5), None, Some("no interval: defined on only 10 of 1000 resamples")),
                        report(MetricName::Auroc, None, None, Some("class 2: no positive label (0 positives of 118)")),
                    ],
                ),
            ],
            skipped: vec![SkippedEncoder { encoder: "raydino".to_string(), reason: "weights file checkpoints/raydino.pth not found".to_string() }],
            provenance: Provenance {
                crate_version: "0.1.0".to_string(),
                git_sha: "abc".to_string(),
                started_at: "2026-01-01T00:00:00Z".to_string(),
                seconds: 1.0,
                device: "Cpu".to_string(),
                seed: 0,
                data_root: "/data".to_string(),
                torch_threads: 2,
            },
            test_samples: Vec::new(),
        }
    }

    #[test]
    fn terminal_table_renders_intervals_and_reasons() {
        insta::assert_snapshot!(terminal_table(&result()));
    }

    #[test]
    fn markdown_table_renders_intervals_and_reasons() {
        insta::assert_snapshot!(markdown_table(&result()));
    }
}
