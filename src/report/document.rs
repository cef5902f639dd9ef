//! Report files of a benchmark (`results.json`, `results.csv`, `predictions.csv`,
//! `results.md`, plots) and the `index.md` that links every benchmark in the folder.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::metrics::MetricName;
use crate::pipeline::BenchmarkResult;
use crate::report::atomic::{write_atomic, AtomicWriteError};
use crate::report::plots::{bar_chart_with_ci, roc_curves, scatter_with_identity, BarDatum, PlotError, RocSeries, ScatterSeries};
use crate::report::plots::{grouped_bar_chart_with_ci, BarSeries, GroupedBar};
use crate::report::table::{fairness_markdown, format_metric, long_tail_markdown, markdown, markdown_table};

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error(transparent)]
    Write(#[from] AtomicWriteError),
    #[error(transparent)]
    Plot(#[from] PlotError),
    #[error("failed to list {}: {source}", path.display())]
    List { path: PathBuf, source: std::io::Error },
}

/// Writes every report file of one benchmark under `out/<benchmark>/`; returns their paths.
pub fn write_benchmark_report(out: &Path, result: &BenchmarkResult) -> Result<Vec<PathBuf>, ReportError> {
    let dir = out.join(&result.benchmark);
    let mut written = Vec::new();

    let json = serde_json::to_string_pretty(result).expect("results serialise");
    written.push(write(&dir.join("results.json"), json.as_bytes())?);
    written.push(write(&dir.join("results.csv"), results_csv(result).as_bytes())?);
    written.push(write(&dir.join("predictions.csv"), predictions_csv(result).as_bytes())?);

    let plots = write_plots(&dir.join("plots"), result)?;
    let markdown = results_markdown(result, &plots, &dir);
    written.push(write(&dir.join("results.md"), markdown.as_bytes())?);
    written.extend(plots);
    Ok(written)
}

fn write(path: &Path, bytes: &[u8]) -> Result<PathBuf, ReportError> {
    write_atomic(path, bytes)?;
    Ok(path.to_path_buf())
}

fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

fn number(value: Option<f64>) -> String {
    value.map_or(String::new(), |v| format!("{v}"))
}

fn results_csv(result: &BenchmarkResult) -> String {
    let mut out = String::from("benchmark,encoder,metric,value,lower,upper,confidence,valid_resamples,undefined,test_samples,test_patients\n");
    let test = result.split.iter().find(|p| p.part == crate::spec::SplitPart::Test);
    let (samples, patients) = test.map_or((0, 0), |t| (t.samples, t.patients));
    for encoder in &result.encoders {
        for report in &encoder.metrics {
            let interval = report.interval.as_ref();
            let fields = [
                csv_field(&result.benchmark),
                csv_field(&encoder.encoder),
                report.metric.to_string(),
                number(report.value),
                number(interval.map(|i| i.lower)),
                number(interval.map(|i| i.upper)),
                number(interval.map(|i| i.confidence)),
                interval.map_or(String::new(), |i| i.valid_resamples.to_string()),
                csv_field(report.undefined.as_deref().unwrap_or("")),
                samples.to_string(),
                patients.to_string(),
            ];
            out.push_str(&fields.join(","));
            out.push('\n');
        }
    }
    out
}

fn predictions_csv(result: &BenchmarkResult) -> String {
    let mut out = String::from("encoder,image,patient,target");
    for output in &result.outputs {
        out.push(',');
        out.push_str(&csv_field(&format!("score_{output}")));
    }
    out.push('\n');
    for encoder in &result.encoders {
        for (sample, scores) in result.test_samples.iter().zip(&encoder.test_predictions) {
            let mut fields = vec![csv_field(&encoder.encoder), csv_field(&sample.image), csv_field(&sample.patient), csv_field(&sample.target)];
            fields.extend(scores.iter().map(|v| format!("{v}")));
            out.push_str(&fields.join(","));
            out.push('\n');
        }
    }
    out
}

fn slug(text: &str) -> String {
    let slug: String = text.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '_' }).collect();
    slug.split('_').filter(|s| !s.is_empty()).collect::<Vec<_>>().join("_")
}

fn metric_range(metric: MetricName) -> Option<(f64, f64)> {
    match metric {
        MetricName::Accuracy | MetricName::MacroAccuracy | MetricName::Auroc | MetricName::Auprc => Some((0.0, 1.0)),
        MetricName::Pearson => Some((-1.0, 1.0)),
        MetricName::Mae => None,
    }
}

fn write_plots(dir: &Path, result: &BenchmarkResult) -> Result<Vec<PathBuf>, ReportError> {
    let mut written = Vec::new();
    let confidence = (result.spec.bootstrap.confidence * 100.0).round();
    for &metric in &result.spec.metrics {
        let bars: Vec<BarDatum> = result
            .encoders
            .iter()
            .map(|encoder| {
                let report = result.metric(encoder, metric);
                BarDatum {
                    label: encoder.encoder.clone(),
                    value: report.and_then(|r| r.value),
                    lower: report.and_then(|r| r.interval.as_ref().map(|i| i.lower)),
                    upper: report.and_then(|r| r.interval.as_ref().map(|i| i.upper)),
                    note: report.and_then(|r| r.undefined.clone()),
                }
            })
            .collect();
        let title = format!("{}: {} (test, {confidence}% CI)", result.benchmark, metric.label());
        written.extend(bar_chart_with_ci(&dir.join(metric.as_str()), &title, metric.label(), &bars, metric_range(metric))?);
    }

    let classes: Vec<String> = result.encoders.first().map_or(Vec::new(), |e| e.roc.iter().map(|(name, _)| name.clone()).collect());
    for class in &classes {
        let series: Vec<RocSeries> = result
            .encoders
            .iter()
            .filter_map(|encoder| {
                let (_, curve) = encoder.roc.iter().find(|(name, _)| name == class)?;
                let auc = encoder.per_class.iter().find(|c| &c.name == class).and_then(|c| c.auroc.value);
                Some(RocSeries { label: encoder.encoder.clone(), fpr: curve.fpr.clone(), tpr: curve.tpr.clone(), auc })
            })
            .collect();
        let title = format!("{}: ROC, {class} vs rest (test)", result.benchmark);
        written.extend(roc_curves(&dir.join(format!("roc_{}", slug(class))), &title, &series)?);
    }

    if result.task_kind == "regression" {
        let truth: Vec<f64> = result.test_samples.iter().map(|s| s.target.parse().unwrap_or(f64::NAN)).collect();
        let series: Vec<ScatterSeries> = result
            .encoders
            .iter()
            .map(|e| ScatterSeries { label: e.encoder.clone(), x: truth.clone(), y: e.test_predictions.iter().map(|p| p[0]).collect() })
            .collect();
        let title = format!("{}: predicted vs true {} (test)", result.benchmark, result.outputs[0]);
        written.extend(scatter_with_identity(&dir.join("predicted_vs_true"), &title, "true", "predicted", &series)?);
    }
    written.extend(write_fairness_plots(dir, result)?);
    written.extend(write_long_tail_plot(dir, result)?);
    Ok(written)
}

fn rate_bar(report: Option<&crate::fairness::RateReport>) -> GroupedBar {
    let Some(report) = report else { return GroupedBar { note: Some("not computed".to_string()), ..GroupedBar::default() } };
    GroupedBar {
        value: report.value,
        lower: report.interval.as_ref().map(|i| i.lower),
        upper: report.interval.as_ref().map(|i| i.upper),
        note: report.undefined.clone(),
        annotation: None,
    }
}

/// Writes per-group bars of each metric and of the under-diagnosis rate per attribute, and
/// the train-on-group gap plot with adjusted p-values.
fn write_fairness_plots(dir: &Path, result: &BenchmarkResult) -> Result<Vec<PathBuf>, ReportError> {
    let mut written = Vec::new();
    let Some(spec) = &result.spec.fairness else { return Ok(written) };
    let confidence = (result.spec.bootstrap.confidence * 100.0).round();
    let audited: Vec<_> = result.encoders.iter().filter_map(|e| Some((e, e.fairness.as_ref()?))).collect();
    if spec.group_audit {
        for (a, attribute) in spec.attributes.iter().enumerate() {
            let Some(categories) = audited.first().and_then(|(_, f)| f.audits.get(a)).map(|audit| audit.groups.iter().map(|g| format!("{} (n={})", g.group, g.test_images)).collect::<Vec<_>>()) else { continue };
            for (m, &metric) in result.spec.metrics.iter().enumerate() {
                let series: Vec<BarSeries> = audited
                    .iter()
                    .map(|(encoder, fairness)| BarSeries {
                        label: encoder.encoder.clone(),
                        bars: fairness.audits[a]
                            .groups
                            .iter()
                            .map(|g| {
                                let r = &g.metrics[m];
                                GroupedBar { value: r.value, lower: r.interval.as_ref().map(|i| i.lower), upper: r.interval.as_ref().map(|i| i.upper), note: r.undefined.clone(), annotation: None }
                            })
                            .collect(),
                    })
                    .collect();
                let title = format!("{}: {} by {} (test, {confidence}% CI)", result.benchmark, metric.label(), attribute.name);
                let stem = dir.join(format!("fairness_{}_{}", slug(&attribute.name), metric.as_str()));
                written.extend(grouped_bar_chart_with_ci(&stem, &title, metric.label(), &categories, &series, metric_range(metric))?);
            }
            if spec.threshold.is_some() {
                let series: Vec<BarSeries> = audited
                    .iter()
                    .map(|(encoder, fairness)| BarSeries {
                        label: encoder.encoder.clone(),
                        bars: fairness.audits[a].groups.iter().map(|g| rate_bar(g.under_diagnosis_rate.as_ref())).collect(),
                    })
                    .collect();
                let title = format!("{}: under-diagnosis rate by {} (test, {confidence}% CI)", result.benchmark, attribute.name);
                let stem = dir.join(format!("fairness_{}_under_diagnosis", slug(&attribute.name)));
                written.extend(grouped_bar_chart_with_ci(&stem, &title, "false-negative rate", &categories, &series, Some((0.0, 1.0)))?);
            }
        }
    }
    if spec.train_on_group && !audited.is_empty() {
        let categories: Vec<String> = spec.attributes.iter().map(|a| a.name.clone()).collect();
        let series: Vec<BarSeries> = audited
            .iter()
            .map(|(encoder, fairness)| BarSeries {
                label: encoder.encoder.clone(),
                bars: fairness
                    .train_on_group
                    .iter()
                    .map(|t| {
                        let c = &t.comparison;
                        let annotation = c.p_adjusted.map(|p| if p < 0.05 { format!("p={p:.3}*") } else { format!("p={p:.3}") });
                        GroupedBar { value: c.gap, lower: None, upper: None, note: c.undefined.clone(), annotation }
                    })
                    .collect(),
            })
            .collect();
        let correction = match spec.correction {
            crate::spec::Correction::Holm => "Holm",
            crate::spec::Correction::BenjaminiHochberg => "BH",
        };
        let title = format!("{}: same-group minus other-group {} ({correction}-adjusted p, * < 0.05)", result.benchmark, spec.transfer_metric.label());
        written.extend(grouped_bar_chart_with_ci(&dir.join("train_on_group_gap"), &title, &format!("{} gap", spec.transfer_metric.label()), &categories, &series, None)?);
    }
    Ok(written)
}

/// Writes the mean AUPRC per frequency bucket, one bar per encoder.
fn write_long_tail_plot(dir: &Path, result: &BenchmarkResult) -> Result<Vec<PathBuf>, ReportError> {
    let tails: Vec<_> = result.encoders.iter().filter_map(|e| Some((e, e.long_tail.as_ref()?))).collect();
    let Some((_, first)) = tails.first() else { return Ok(Vec::new()) };
    let categories: Vec<String> = first.buckets.iter().map(|b| format!("{} ({} findings)", b.bucket.as_str(), b.findings.len())).collect();
    let series: Vec<BarSeries> = tails
        .iter()
        .map(|(encoder, tail)| BarSeries { label: encoder.encoder.clone(), bars: tail.buckets.iter().map(|b| rate_bar(Some(&b.mean_auprc))).collect() })
        .collect();
    let confidence = (result.spec.bootstrap.confidence * 100.0).round();
    let title = format!("{}: mean AUPRC by training frequency (test, {confidence}% CI)", result.benchmark);
    Ok(grouped_bar_chart_with_ci(&dir.join("long_tail"), &title, "mean AUPRC", &categories, &series, Some((0.0, 1.0)))?)
}

/// Links the PNG plots whose file name starts with one of `prefixes`.
fn plot_links(md: &mut String, plots: &[PathBuf], dir: &Path, prefixes: &[&str]) {
    for image in plots.iter().filter(|p| p.extension().is_some_and(|e| e == "png")) {
        let name = image.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        if prefixes.iter().any(|prefix| name.starts_with(prefix)) {
            let svg = image.with_extension("svg");
            let _ = writeln!(md, "![{0}]({0}) ([SVG]({1}))\n", relative(image, dir), relative(&svg, dir));
        }
    }
}

fn relative(path: &Path, base: &Path) -> String {
    path.strip_prefix(base).unwrap_or(path).display().to_string()
}

fn results_markdown(result: &BenchmarkResult, plots: &[PathBuf], dir: &Path) -> String {
    let mut md = String::new();
    let p = &result.provenance;
    let _ = writeln!(md, "# {}\n", result.benchmark);
    if !result.description.is_empty() {
        let _ = writeln!(md, "{}\n", result.description.trim());
    }
    let _ = writeln!(
        md,
        "Task: {} ({}). Spec version {}. Run {} on {} with seed {}, raydino-bench {} (git {}), {:.1} s.\n",
        result.task_kind,
        result.outputs.join(", "),
        result.version,
        p.started_at,
        p.device,
        p.seed,
        p.crate_version,
        p.git_sha,
        p.seconds
    );

    let _ = writeln!(md, "## Test results\n");
    let _ = writeln!(
        md,
        "Heads were chosen on the validation split by {}. Intervals are {:.0}% patient-level bootstrap percentile intervals over {} resamples; resamples where a metric is undefined (for example a class absent from the resample) are left out and counted below. Multiclass AUROC and AUPRC are unweighted means of the one-vs-rest values.\n",
        result.encoders.first().map_or("-", |e| e.selected_by.as_str()),
        result.spec.bootstrap.confidence * 100.0,
        result.spec.bootstrap.resamples
    );
    let _ = writeln!(md, "{}\n", markdown_table(result));
    let partial: Vec<String> = result
        .encoders
        .iter()
        .flat_map(|e| e.metrics.iter().map(move |m| (e, m)))
        .filter_map(|(e, m)| {
            let interval = m.interval.as_ref()?;
            (interval.valid_resamples < interval.resamples)
                .then(|| format!("{} {}: {} of {}", e.encoder, m.label, interval.valid_resamples, interval.resamples))
        })
        .collect();
    if !partial.is_empty() {
        let _ = writeln!(md, "Resamples with a defined value, where fewer than all: {}.\n", partial.join("; "));
    }

    let per_class_rows: Vec<Vec<String>> = result
        .encoders
        .iter()
        .flat_map(|e| {
            e.per_class.iter().map(move |c| {
                vec![e.encoder.clone(), c.name.clone(), format!("{} / {}", c.positives, c.negatives), format_metric(&c.auroc), format_metric(&c.auprc)]
            })
        })
        .collect();
    if !per_class_rows.is_empty() {
        let _ = writeln!(md, "### Per class (one vs rest)\n");
        let _ = writeln!(md, "{}\n", markdown(&["encoder", "class", "positives / negatives", "AUROC", "AUPRC"], per_class_rows));
    }

    let fairness = fairness_markdown(result);
    if !fairness.is_empty() {
        md.push_str(&fairness);
        plot_links(&mut md, plots, dir, &["fairness_", "train_on_group"]);
    }
    let tail = long_tail_markdown(result);
    if !tail.is_empty() {
        md.push_str(&tail);
        plot_links(&mut md, plots, dir, &["long_tail"]);
    }

    let _ = writeln!(md, "## Data\n");
    let d = &result.data;
    let _ = writeln!(md, "Table `{}`: {} rows, {} used.\n", d.table.display(), d.rows, d.used);
    if !d.excluded.is_empty() {
        let rows = d.excluded.iter().map(|(reason, count)| vec![reason.clone(), count.to_string()]).collect();
        let _ = writeln!(md, "{}\n", markdown(&["rows left out because", "rows"], rows));
    }
    if !d.missing_images.is_empty() {
        let _ = writeln!(md, "Missing image files ({}): {}\n", d.missing_images.len(), d.missing_images.join(", "));
    }
    if !d.unreadable_images.is_empty() {
        let _ = writeln!(md, "Unreadable image files ({}): {}\n", d.unreadable_images.len(), d.unreadable_images.join("; "));
    }
    if !d.shared_images.is_empty() {
        let _ = writeln!(
            md,
            "Images listed under two patient ids ({}; only the first row is used, but the ids may belong to one patient, which would leak across the split): {}\n",
            d.shared_images.len(),
            d.shared_images.join("; ")
        );
    }
    let split_rows = result
        .split
        .iter()
        .map(|part| {
            let classes = part.classes.iter().map(|(k, v)| format!("{k}: {v}")).collect::<Vec<_>>().join(", ");
            vec![part.part.as_str().to_string(), part.samples.to_string(), part.patients.to_string(), classes]
        })
        .collect();
    let _ = writeln!(md, "Split by patient (no patient is in two parts), fingerprint `{}`:\n", result.split_fingerprint);
    let _ = writeln!(md, "{}\n", markdown(&["part", "images", "patients", "classes"], split_rows));

    let _ = writeln!(md, "## Encoders\n");
    let encoder_rows = result
        .encoders
        .iter()
        .map(|e| {
            let head = &e.chosen_head;
            let chosen = match (head.learning_rate, head.weight_decay, head.alpha) {
                (Some(lr), Some(wd), _) => format!("lr {lr}, wd {wd}"),
                (_, _, Some(alpha)) => format!("alpha {alpha}"),
                _ => "-".to_string(),
            };
            vec![
                e.encoder.clone(),
                e.description.clone(),
                e.feature_dim.to_string(),
                format!("{} extracted, {} cached, {:.1} s", e.extraction.extracted, e.extraction.from_cache, e.extraction.seconds),
                chosen,
            ]
        })
        .collect();
    let _ = writeln!(md, "{}\n", markdown(&["encoder", "description", "feature dim", "features", "chosen head"], encoder_rows));

    // Fairness and long-tail plots are linked in their own sections above.
    let analysis_plot = |p: &PathBuf| p.file_name().is_some_and(|n| ["fairness_", "train_on_group", "long_tail"].iter().any(|prefix| n.to_string_lossy().starts_with(prefix)));
    let images: Vec<&PathBuf> = plots.iter().filter(|p| p.extension().is_some_and(|e| e == "png") && !analysis_plot(p)).collect();
    if !images.is_empty() {
        let _ = writeln!(md, "## Plots\n");
        for image in images {
            let svg = image.with_extension("svg");
            let _ = writeln!(md, "![{0}]({0}) ([SVG]({1}))\n", relative(image, dir), relative(&svg, dir));
        }
    }
    let _ = writeln!(md, "## Files\n\n- [results.json](results.json): everything above, machine-readable, with the spec\n- [results.csv](results.csv): one row per encoder and metric\n- [predictions.csv](predictions.csv): test predictions per image");
    md
}

/// Writes `out/index.md`, linking every benchmark report present in `out`.
pub fn write_index(out: &Path) -> Result<PathBuf, ReportError> {
    let entries = std::fs::read_dir(out).map_err(|source| ReportError::List { path: out.to_path_buf(), source })?;
    let mut rows = Vec::new();
    let mut dirs: Vec<PathBuf> = entries.filter_map(|e| e.ok()).map(|e| e.path()).filter(|p| p.join("results.json").is_file()).collect();
    dirs.sort();
    for dir in dirs {
        let Ok(text) = std::fs::read_to_string(dir.join("results.json")) else { continue };
        let Ok(json) = serde_json::from_str::<serde_json::Value>(&text) else {
            tracing::warn!(path = %dir.join("results.json").display(), "skipping unparsable results in the index");
            continue;
        };
        let name = json["benchmark"].as_str().unwrap_or_default().to_string();
        let summary = json["encoders"]
            .as_array()
            .map(|encoders| {
                encoders
                    .iter()
                    .map(|e| {
                        let first = &e["metrics"][0];
                        let value = first["value"].as_f64().map_or("undefined".to_string(), |v| format!("{v:.3}"));
                        format!("{} {}", e["encoder"].as_str().unwrap_or("?"), value)
                    })
                    .collect::<Vec<_>>()
                    .join("; ")
            })
            .unwrap_or_default();
        let metric = json["encoders"][0]["metrics"][0]["label"].as_str().unwrap_or("").to_string();
        let mut analyses = Vec::new();
        if !json["encoders"][0]["fairness"].is_null() {
            analyses.push(format!("[fairness]({name}/results.md#fairness)"));
        }
        if !json["encoders"][0]["long_tail"].is_null() {
            analyses.push(format!("[long tail]({name}/results.md#long-tail)"));
        }
        rows.push(vec![
            format!("[{name}]({name}/results.md)"),
            json["task_kind"].as_str().unwrap_or("").to_string(),
            metric,
            summary,
            if analyses.is_empty() { "-".to_string() } else { analyses.join(", ") },
            json["provenance"]["started_at"].as_str().unwrap_or("").to_string(),
        ]);
    }
    let mut md = String::from("# raydino-bench reports\n\n");
    if rows.is_empty() {
        md.push_str("No benchmark has been run into this folder yet.\n");
    } else {
        md.push_str(&markdown(&["benchmark", "task", "headline metric", "test value per encoder", "subgroup analyses", "run at"], rows));
        md.push_str("\n\nEach benchmark folder holds results.md (tables and plots), results.json, results.csv and predictions.csv. The run log is [run.log](run.log).\n");
    }
    if out.join("label_tables/index.md").is_file() {
        md.push_str("\nSubgroup sizes, finding frequencies and patient-split checks of the large datasets' label tables: [label_tables/index.md](label_tables/index.md).\n");
    }
    let path = out.join("index.md");
    write_atomic(&path, md.as_bytes())?;
    Ok(path)
}
