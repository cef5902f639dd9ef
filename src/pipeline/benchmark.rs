//! Runs one benchmark: cohort, split, features per encoder, adapter, metrics.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::time::Instant;

use indicatif::{MultiProgress, ProgressBar, ProgressStyle};
use tch::Device;

use crate::adapters::Features;
use crate::data::{assign_split, build_cohort, read_benchmark_table, Cohort, CohortError, DatasetLayout, SplitError, Table, TableError, Target};
use crate::encoder::{identity, Encoder, EncoderError};
use crate::features::{extract, CacheError, ExtractError, FeatureCache};
use crate::metrics::roc_curve;
use crate::fairness::{group_samples, Grouping};
use crate::pipeline::evaluate::{metric_report, per_class_reports, MetricReport, Scores, Truth};
use crate::pipeline::fairness::{encoder_fairness, encoder_long_tail, group_sizes, EncoderPredictions, FairnessData};
use crate::pipeline::probe::{fit_and_select, ProbeData};
use crate::pipeline::results::*;
use crate::spec::load::line_in_text;
use crate::spec::locate::KeyPath;
use crate::spec::{check_columns, Baseline, Benchmark, MissingImages, Problem, SpecError, SplitPart, Task};
use crate::stats::BootstrapConfig;

#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    #[error("benchmark {benchmark}: dataset folder {} not found; put the dataset there, or point --data-root (or RAYDINO_DATA) at the folder that contains it", folder.display())]
    DataMissing { benchmark: String, folder: PathBuf },
    #[error(transparent)]
    Spec(#[from] SpecError),
    #[error(transparent)]
    Table(#[from] TableError),
    #[error("benchmark {benchmark}: {source}")]
    Cohort { benchmark: String, source: CohortError },
    #[error("benchmark {benchmark}: {source}")]
    Split { benchmark: String, source: SplitError },
    #[error("benchmark {benchmark}, encoder {encoder}: {source}")]
    Encoder { benchmark: String, encoder: String, source: EncoderError },
    #[error("benchmark {benchmark}, encoder {encoder}: {source}")]
    Extract { benchmark: String, encoder: String, source: ExtractError },
    #[error(transparent)]
    Cache(#[from] CacheError),
    #[error("benchmark {benchmark}: {count} image(s) could not be decoded: {list}; replace them, or set dataset.missing_images = \"skip\" in {} to run without them", spec.display())]
    Unreadable { benchmark: String, count: usize, list: String, spec: PathBuf },
    #[error("benchmark {benchmark}: every encoder was skipped ({reasons})")]
    NothingRan { benchmark: String, reasons: String },
}

/// Settings shared by every benchmark of a run.
pub struct RunSettings {
    pub data_root: PathBuf,
    pub cache: FeatureCache,
    pub device: Device,
    pub seed: u64,
    pub batch_size: usize,
    pub progress: MultiProgress,
    pub git_sha: String,
}

/// Checks that the dataset is present and that every column the spec names exists.
pub fn check_dataset(benchmark: &Benchmark, data_root: &Path) -> Result<DatasetLayout, PipelineError> {
    let layout = DatasetLayout::of(benchmark.dataset.name);
    let folder = layout.folder(data_root);
    if !folder.is_dir() {
        return Err(PipelineError::DataMissing { benchmark: benchmark.name.clone(), folder });
    }
    let mut columns = Table::read_header(&layout.table_path(data_root))?;
    let mut table_name = layout.table_path(data_root).display().to_string();
    if let Some(join) = &benchmark.dataset.join {
        let joined = folder.join(&join.file);
        let other = Table::read_header(&joined)?;
        if !other.contains(&join.on) {
            columns.remove(&join.on);
        }
        columns.extend(other);
        table_name = format!("{table_name} joined with {}", joined.display());
    }
    check_columns(benchmark, &columns, &table_name)?;
    check_values(benchmark, &layout, data_root, &table_name)?;
    Ok(layout)
}

/// Checks that every value a filter keeps and every label value a class lists occurs in
/// its column, since a misspelt value would silently empty a class or a filter.
/// `task.exclude` values are not checked: one absent from the data excludes nothing.
fn check_values(benchmark: &Benchmark, layout: &DatasetLayout, data_root: &Path, table_name: &str) -> Result<(), PipelineError> {
    let table = read_benchmark_table(layout, data_root, benchmark)?;
    let mut wanted: Vec<(KeyPath, &str, &str)> = Vec::new();
    for (i, filter) in benchmark.filters.iter().enumerate() {
        for (j, value) in filter.keep.iter().enumerate() {
            wanted.push((KeyPath::key("filters").at(i).join("keep").at(j), &filter.column, value));
        }
    }
    match &benchmark.task {
        Task::Classes { column, classes, .. } => {
            for (i, class) in classes.iter().enumerate() {
                for (j, value) in class.values.iter().enumerate() {
                    wanted.push((KeyPath::key("task").join("classes").at(i).join("values").at(j), column, value));
                }
            }
        }
        Task::Multilabel { labels } => {
            for (i, label) in labels.iter().enumerate() {
                for (j, value) in label.positives.iter().enumerate() {
                    wanted.push((KeyPath::key("task").join("classes").at(i).join("values").at(j), &label.column, value));
                }
            }
        }
        Task::Regression { .. } => {}
    }
    let mut problems = Vec::new();
    if let Some(fairness) = &benchmark.fairness {
        for (i, attribute) in fairness.attributes.iter().enumerate() {
            let key = KeyPath::key("fairness").join("attributes").at(i);
            for (j, value) in attribute.values.iter().enumerate() {
                wanted.push((key.join("values").at(j), &attribute.column, value));
            }
            if !attribute.bins.is_empty() {
                problems.extend(check_numeric(benchmark, &table, &key, &attribute.column, table_name)?);
            }
        }
    }

    let mut present: HashMap<&str, BTreeSet<String>> = HashMap::new();
    for (key, column, value) in wanted {
        if !present.contains_key(column) {
            present.insert(column, table.text_column(column)?.into_iter().flatten().collect());
        }
        let values = &present[column];
        if values.contains(value) {
            continue;
        }
        let mut listed: Vec<&str> = values.iter().map(String::as_str).take(MAX_LISTED_VALUES).collect();
        if values.len() > MAX_LISTED_VALUES {
            listed.push("...");
        }
        problems.push(Problem {
            line: line_in_text(&benchmark.source, &key),
            key: key.to_string(),
            message: format!("\"{value}\" never occurs in column \"{column}\" of {table_name}; its values are: {}", listed.join(", ")),
        });
    }
    if problems.is_empty() {
        return Ok(());
    }
    Err(PipelineError::Spec(SpecError::Invalid { path: benchmark.path.clone(), problems }))
}

/// Reports a binned attribute whose column holds values that are not numbers.
fn check_numeric(benchmark: &Benchmark, table: &Table, key: &KeyPath, column: &str, table_name: &str) -> Result<Option<Problem>, PipelineError> {
    let values = table.text_column(column)?;
    let bad: BTreeSet<&str> = values.iter().flatten().map(String::as_str).filter(|v| !v.trim().parse::<f64>().is_ok_and(f64::is_finite)).collect();
    if bad.is_empty() {
        return Ok(None);
    }
    let listed: Vec<&str> = bad.iter().copied().take(MAX_LISTED_VALUES).collect();
    let bins = key.join("bins");
    Ok(Some(Problem {
        line: line_in_text(&benchmark.source, &bins),
        key: bins.to_string(),
        message: format!("bins need a numeric column, but column \"{column}\" of {table_name} holds {} value(s) that are not numbers: {}", bad.len(), listed.join(", ")),
    }))
}

/// How many distinct values an unknown-value message lists.
const MAX_LISTED_VALUES: usize = 25;

fn bar(progress: &MultiProgress, message: String) -> ProgressBar {
    let bar = progress.add(ProgressBar::new(0));
    bar.set_style(ProgressStyle::with_template("{msg:40} [{bar:30}] {pos}/{len} {per_sec} eta {eta}").expect("valid template").progress_chars("=> "));
    bar.set_message(message);
    bar
}

/// Runs `benchmark` for each baseline (`Err` entries are encoders skipped with a reason).
pub fn run_benchmark(
    settings: &RunSettings,
    benchmark: &Benchmark,
    baselines: &[(String, Result<Baseline, String>)],
) -> Result<BenchmarkResult, PipelineError> {
    let started = Instant::now();
    let started_at = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let name = benchmark.name.clone();
    let layout = check_dataset(benchmark, &settings.data_root)?;
    let mut cohort = build_cohort(&layout, &settings.data_root, benchmark).map_err(|source| PipelineError::Cohort { benchmark: name.clone(), source })?;
    tracing::info!(benchmark = %name, samples = cohort.samples.len(), excluded = ?cohort.accounting.excluded, "cohort built");

    // Features per encoder, extracted before the split so unreadable images can be
    // dropped once, for every encoder alike.
    let mut extracted = Vec::new();
    let mut skipped = Vec::new();
    for (encoder_name, baseline) in baselines {
        let baseline = match baseline {
            Ok(b) => b,
            Err(reason) => {
                tracing::warn!(benchmark = %name, encoder = %encoder_name, %reason, "skipping encoder");
                skipped.push(SkippedEncoder { encoder: encoder_name.clone(), reason: reason.clone() });
                continue;
            }
        };
        let encoder_error = |source| PipelineError::Encoder { benchmark: name.clone(), encoder: encoder_name.clone(), source };
        let id = identity(baseline).map_err(encoder_error)?;
        let cache = settings.cache.encoder(&id)?;
        let images: Vec<PathBuf> = cohort.samples.iter().map(|s| s.image.clone()).collect();
        let progress = bar(&settings.progress, format!("{name}: features {encoder_name}"));
        let extraction = extract(&images, &baseline.preprocess, &cache, settings.batch_size, || Encoder::build(baseline, settings.device), &progress)
            .map_err(|source| PipelineError::Extract { benchmark: name.clone(), encoder: encoder_name.clone(), source })?;
        progress.finish_and_clear();
        tracing::info!(
            benchmark = %name, encoder = %encoder_name, from_cache = extraction.stats.from_cache,
            extracted = extraction.stats.extracted, seconds = extraction.stats.seconds, "features ready"
        );
        extracted.push((baseline, id, extraction));
    }
    if extracted.is_empty() {
        let reasons = skipped.iter().map(|s| format!("{}: {}", s.encoder, s.reason)).collect::<Vec<_>>().join("; ");
        return Err(PipelineError::NothingRan { benchmark: name, reasons });
    }

    let unreadable: BTreeSet<PathBuf> = extracted.iter().flat_map(|(_, _, e)| e.stats.failed.iter().map(|f| f.image.clone())).collect();
    let keep: Vec<bool> = cohort.samples.iter().map(|s| !unreadable.contains(&s.image)).collect();
    if !unreadable.is_empty() {
        let list = unreadable.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ");
        if benchmark.dataset.missing_images == MissingImages::Error {
            return Err(PipelineError::Unreadable { benchmark: name, count: unreadable.len(), list, spec: benchmark.path.clone() });
        }
        tracing::warn!(benchmark = %name, count = unreadable.len(), images = %list, "skipping unreadable images");
        cohort.accounting.excluded.insert("image could not be decoded".to_string(), unreadable.len());
        cohort.accounting.unreadable_images = extracted
            .iter()
            .flat_map(|(_, _, e)| e.stats.failed.iter().map(|f| format!("{}: {}", f.image.display(), f.error)))
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        cohort.accounting.used -= unreadable.len();
    }
    let kept_samples: Vec<_> = cohort.samples.iter().zip(&keep).filter(|(_, k)| **k).map(|(s, _)| s.clone()).collect();
    let original = std::mem::replace(&mut cohort.samples, kept_samples);

    let split_values = split_column_values(benchmark, &settings.data_root, &layout, &cohort)?;
    let parts = assign_split(&benchmark.split, &cohort.samples, split_values.as_deref())
        .map_err(|source| PipelineError::Split { benchmark: name.clone(), source })?;
    let outputs = benchmark.task.output_names();
    let split_counts = count_parts(&cohort, &parts, &outputs);
    let split_fingerprint = fingerprint(&cohort, &parts);
    for counts in &split_counts {
        tracing::info!(benchmark = %name, part = counts.part.as_str(), samples = counts.samples, patients = counts.patients, "split");
    }

    let patient_ids: HashMap<&str, u64> = {
        let mut ids = HashMap::new();
        for sample in &cohort.samples {
            let next = ids.len() as u64;
            ids.entry(sample.patient.as_str()).or_insert(next);
        }
        ids
    };
    let indices = |part: SplitPart| -> Vec<usize> { (0..parts.len()).filter(|&i| parts[i] == part).collect() };
    let (train_idx, val_idx, test_idx) = (indices(SplitPart::Train), indices(SplitPart::Val), indices(SplitPart::Test));
    let truth_of = |idx: &[usize]| truth(&benchmark.task, &cohort, idx);
    let (train_truth, val_truth, test_truth) = (truth_of(&train_idx), truth_of(&val_idx), truth_of(&test_idx));
    let test_patients: Vec<u64> = test_idx.iter().map(|&i| patient_ids[cohort.samples[i].patient.as_str()]).collect();
    let test_rows: Vec<usize> = (0..test_idx.len()).collect();
    let bootstrap = BootstrapConfig { resamples: benchmark.bootstrap.resamples, confidence: benchmark.bootstrap.confidence, seed: settings.seed };
    let sample_patients: Vec<u64> = cohort.samples.iter().map(|s| patient_ids[s.patient.as_str()]).collect();
    let groupings = attribute_groupings(benchmark, &settings.data_root, &layout, &cohort)?;
    let groups = groupings.iter().map(|g| group_sizes(g, &parts, &sample_patients)).collect();
    let truth_of_any = |idx: &[usize]| truth(&benchmark.task, &cohort, idx);
    let fairness_data = benchmark.fairness.as_ref().map(|spec| FairnessData {
        spec,
        metrics: &benchmark.metrics,
        adapter: &benchmark.adapter,
        groupings: &groupings,
        train_idx: &train_idx,
        val_idx: &val_idx,
        test_idx: &test_idx,
        patients: &sample_patients,
        truth_of: &truth_of_any,
        bootstrap,
    });

    let mut encoders = Vec::new();
    for (baseline, id, extraction) in extracted {
        let rows: Vec<&[f32]> = original
            .iter()
            .zip(&keep)
            .zip(&extraction.features)
            .filter(|((_, k), _)| **k)
            .map(|(_, f)| f.as_deref().expect("kept samples have features"))
            .collect();
        let matrix = |idx: &[usize]| Features::from_rows(&idx.iter().map(|&i| rows[i]).collect::<Vec<_>>());
        let (train, val, test) = (matrix(&train_idx), matrix(&val_idx), matrix(&test_idx));
        let progress = bar(&settings.progress, format!("{name}: probe {}", baseline.name));
        let data = ProbeData { train: &train, train_truth: &train_truth, val: &val, val_truth: &val_truth, test: &test };
        let outcome = fit_and_select(&data, &benchmark.adapter, &progress);
        progress.finish_and_clear();
        let scores = &outcome.test_scores;

        let metrics: Vec<MetricReport> = benchmark
            .metrics
            .iter()
            .map(|&metric| metric_report(metric, &test_truth, scores, &test_rows, &test_patients, &bootstrap))
            .collect();
        let per_class = match benchmark.task {
            Task::Regression { .. } => Vec::new(),
            Task::Classes { binary: true, .. } => per_class_reports(&outputs[1..], &positive_only(&test_truth), &positive_scores(scores), &test_patients, &bootstrap),
            _ => per_class_reports(&outputs, &test_truth, scores, &test_patients, &bootstrap),
        };
        let roc = roc_curves(&outputs, &benchmark.task, &test_truth, scores);
        for report in &metrics {
            tracing::info!(benchmark = %name, encoder = %baseline.name, metric = %report.metric, value = ?report.value, undefined = ?report.undefined, "test metric");
        }
        let predictions = EncoderPredictions { val_truth: &val_truth, val_scores: &outcome.val_scores, test_truth: &test_truth, test_scores: scores, rows: &rows };
        let fairness = fairness_data.as_ref().map(|data| {
            let started = Instant::now();
            let result = encoder_fairness(data, &predictions);
            tracing::info!(benchmark = %name, encoder = %baseline.name, seconds = started.elapsed().as_secs_f64(), "fairness protocols done");
            result
        });
        let long_tail = encoder_long_tail(benchmark, &train_truth, &predictions, &test_patients, &bootstrap);
        let chosen_head = outcome.candidates[outcome.chosen].clone();
        encoders.push(EncoderResult {
            encoder: baseline.name.clone(),
            description: baseline.description.clone(),
            baseline_file: baseline.path.display().to_string(),
            identity: id,
            feature_dim: train.dim,
            extraction: extraction.stats,
            selected_by: outcome.selected_by.to_string(),
            chosen_head,
            candidates: outcome.candidates,
            metrics,
            per_class,
            fairness,
            long_tail,
            roc,
            test_predictions: (0..test_idx.len()).map(|i| scores.values[i * scores.outputs..(i + 1) * scores.outputs].to_vec()).collect(),
        });
    }

    let test_samples = test_idx
        .iter()
        .map(|&i| {
            let sample = &cohort.samples[i];
            TestSample { image: file_name(&sample.image), patient: sample.patient.clone(), target: target_text(&sample.target, &outputs) }
        })
        .collect();
    Ok(BenchmarkResult {
        benchmark: name,
        version: benchmark.version,
        description: benchmark.description.clone(),
        spec: benchmark.clone(),
        spec_source: benchmark.source.clone(),
        task_kind: benchmark.task.kind().as_str().to_string(),
        outputs,
        data: cohort.accounting.clone(),
        split: split_counts,
        split_fingerprint,
        groups,
        encoders,
        skipped,
        provenance: Provenance {
            crate_version: env!("CARGO_PKG_VERSION").to_string(),
            git_sha: settings.git_sha.clone(),
            started_at,
            seconds: started.elapsed().as_secs_f64(),
            device: crate::encoder::device_name(settings.device),
            seed: settings.seed,
            data_root: settings.data_root.display().to_string(),
            torch_threads: tch::get_num_threads(),
        },
        test_samples,
    })
}

fn file_name(path: &Path) -> String {
    path.file_name().map(|f| f.to_string_lossy().into_owned()).unwrap_or_default()
}

fn target_text(target: &Target, outputs: &[String]) -> String {
    match target {
        Target::Class(k) => outputs[*k].clone(),
        Target::Value(v) => format!("{v}"),
        Target::Labels(labels) => labels
            .iter()
            .zip(outputs)
            .map(|(l, name)| format!("{name}={}", l.map_or("?".to_string(), |b| (b as u8).to_string())))
            .collect::<Vec<_>>()
            .join(";"),
    }
}

/// For a binary task, the positive class alone as a one-output problem.
fn positive_only(truth: &Truth) -> Truth {
    match truth {
        Truth::Classes { labels, .. } => Truth::Labels { labels: labels.iter().map(|&k| vec![Some(k == 1)]).collect() },
        other => other.clone(),
    }
}

fn positive_scores(scores: &Scores) -> Scores {
    Scores { outputs: 1, values: scores.values.chunks(scores.outputs).map(|row| row[1]).collect() }
}

fn roc_curves(outputs: &[String], task: &Task, truth: &Truth, scores: &Scores) -> Vec<(String, crate::metrics::RocCurve)> {
    let (truth, scores, names): (Truth, Scores, &[String]) = match task {
        Task::Regression { .. } => return Vec::new(),
        Task::Classes { binary: true, .. } => (positive_only(truth), positive_scores(scores), &outputs[1..]),
        _ => (truth.clone(), scores.clone(), outputs),
    };
    names
        .iter()
        .enumerate()
        .filter_map(|(k, name)| {
            let (_, y, s) = crate::pipeline::evaluate::one_vs_rest(&truth, &scores, k)?;
            roc_curve(&y, &s).ok().map(|curve| (name.clone(), curve))
        })
        .collect()
}

fn truth(task: &Task, cohort: &Cohort, indices: &[usize]) -> Truth {
    let targets = indices.iter().map(|&i| &cohort.samples[i].target);
    match task {
        Task::Classes { classes, .. } => Truth::Classes {
            labels: targets.map(|t| if let Target::Class(k) = t { *k } else { unreachable!("class task gives class targets") }).collect(),
            classes: classes.len(),
        },
        Task::Multilabel { .. } => Truth::Labels {
            labels: targets.map(|t| if let Target::Labels(l) = t { l.clone() } else { unreachable!("multilabel task gives label targets") }).collect(),
        },
        Task::Regression { .. } => {
            Truth::Values(targets.map(|t| if let Target::Value(v) = t { *v } else { unreachable!("regression gives values") }).collect())
        }
    }
}

/// BLAKE3 of the sorted `patient<TAB>part` lines, 16 hex digits.
fn fingerprint(cohort: &Cohort, parts: &[SplitPart]) -> String {
    let pairs: BTreeSet<String> = cohort.samples.iter().zip(parts).map(|(s, p)| format!("{}\t{}", s.patient, p.as_str())).collect();
    let text = pairs.into_iter().collect::<Vec<_>>().join("\n");
    blake3::hash(text.as_bytes()).to_hex()[..16].to_string()
}

fn count_parts(cohort: &Cohort, parts: &[SplitPart], outputs: &[String]) -> Vec<PartCounts> {
    SplitPart::ALL
        .iter()
        .map(|&part| {
            let members: Vec<_> = cohort.samples.iter().zip(parts).filter(|(_, p)| **p == part).map(|(s, _)| s).collect();
            let patients: BTreeSet<&str> = members.iter().map(|s| s.patient.as_str()).collect();
            let mut classes = BTreeMap::new();
            for sample in &members {
                if let Target::Class(k) = sample.target {
                    *classes.entry(outputs[k].clone()).or_insert(0) += 1;
                }
            }
            PartCounts { part, samples: members.len(), patients: patients.len(), classes }
        })
        .collect()
}

/// Sorts the cohort's samples into the groups of each fairness attribute.
fn attribute_groupings(benchmark: &Benchmark, data_root: &Path, layout: &DatasetLayout, cohort: &Cohort) -> Result<Vec<Grouping>, PipelineError> {
    let Some(fairness) = &benchmark.fairness else { return Ok(Vec::new()) };
    let table = read_benchmark_table(layout, data_root, benchmark)?;
    let mut groupings = Vec::new();
    for attribute in &fairness.attributes {
        let column = table.text_column(&attribute.column)?;
        let values: Vec<Option<String>> = cohort.samples.iter().map(|s| column[s.row].clone()).collect();
        let grouping = group_samples(attribute, &values);
        tracing::info!(benchmark = %benchmark.name, attribute = %attribute.name, groups = ?grouping.groups, excluded = ?grouping.excluded, "subgroups");
        groupings.push(grouping);
    }
    Ok(groupings)
}

/// Values of the split column per sample, for `method = "column"` splits.
fn split_column_values(benchmark: &Benchmark, data_root: &Path, layout: &DatasetLayout, cohort: &Cohort) -> Result<Option<Vec<Option<String>>>, PipelineError> {
    let crate::spec::Split::Column { column, .. } = &benchmark.split else { return Ok(None) };
    let values = read_benchmark_table(layout, data_root, benchmark)?.text_column(column)?;
    Ok(Some(cohort.samples.iter().map(|s| values[s.row].clone()).collect()))
}
