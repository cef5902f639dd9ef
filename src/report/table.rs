//! Comparison tables across encoders, for the terminal and for markdown.

use tabled::builder::Builder;
use tabled::settings::Style;

use crate::pipeline::evaluate::MetricReport;
use crate::pipeline::BenchmarkResult;

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
