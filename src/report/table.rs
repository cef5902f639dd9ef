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
        let mut row = vec![skipped.encoder.clone()];
        row.extend(result.spec.metrics.iter().map(|_| "skipped".to_string()));
        row.push(skipped.reason.clone());
        builder.push_record(row);
    }
    builder
}

/// The comparison table drawn with box characters, for the terminal.
pub fn terminal_table(result: &BenchmarkResult) -> String {
    builder(result).build().with(Style::rounded()).to_string()
}

/// The same table in GitHub-flavoured markdown.
pub fn markdown_table(result: &BenchmarkResult) -> String {
    builder(result).build().with(Style::markdown()).to_string()
}

/// A markdown table from a header and rows of cells.
pub fn markdown(header: &[&str], rows: Vec<Vec<String>>) -> String {
    let mut builder = Builder::default();
    builder.push_record(header.iter().map(|h| h.to_string()));
    for row in rows {
        builder.push_record(row);
    }
    builder.build().with(Style::markdown()).to_string()
}
