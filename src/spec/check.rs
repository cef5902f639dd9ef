//! Turns raw specs into checked ones, reporting every problem with its key path and line.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use crate::metrics::MetricName;
use crate::spec::fairness::{check_fairness, check_long_tail};
use crate::spec::load::{parse_collecting, parse_text, Parsed, SpecError};
use crate::spec::locate::KeyPath;
use crate::spec::raw::{RawAdapter, RawBaseline, RawBenchmark, RawSplit, RawTask};
use crate::spec::types::*;

/// Spec format versions this build reads.
pub const SUPPORTED_VERSION: u32 = 1;

/// Reads and checks a benchmark spec.
pub fn load_benchmark(path: &Path) -> Result<Benchmark, SpecError> {
    let parsed = parse_collecting::<RawBenchmark>(path)?;
    check_benchmark(path, parsed)
}

/// Checks benchmark text as if it were the file at `path` (used by tests).
pub fn benchmark_from_str(path: &Path, text: &str) -> Result<Benchmark, SpecError> {
    let parsed = parse_text::<RawBenchmark>(path, text.to_string())?;
    check_benchmark(path, parsed)
}

/// Reads and checks a baseline (encoder) spec.
pub fn load_baseline(path: &Path) -> Result<Baseline, SpecError> {
    let parsed = parse_collecting::<RawBaseline>(path)?;
    check_baseline(path, parsed)
}

pub fn baseline_from_str(path: &Path, text: &str) -> Result<Baseline, SpecError> {
    let parsed = parse_text::<RawBaseline>(path, text.to_string())?;
    check_baseline(path, parsed)
}

fn stem(path: &Path) -> String {
    path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default()
}

fn finish<T>(path: &Path, problems: Vec<crate::spec::load::Problem>, value: Option<T>) -> Result<T, SpecError> {
    match value {
        Some(value) if problems.is_empty() => Ok(value),
        _ => Err(SpecError::Invalid { path: path.to_path_buf(), problems }),
    }
}

fn check_version(p: &mut Parsed<impl Sized>, version: Option<u32>) -> Option<u32> {
    let key = KeyPath::key("version");
    match version {
        None => {
            p.missing(&key, &format!("add `version = {SUPPORTED_VERSION}`"));
            None
        }
        Some(v) if v != SUPPORTED_VERSION => {
            p.problem(&key, format!("version {v} is not supported; this build reads version {SUPPORTED_VERSION}"));
            None
        }
        Some(v) => Some(v),
    }
}

fn check_benchmark(path: &Path, mut p: Parsed<RawBenchmark>) -> Result<Benchmark, SpecError> {
    let raw = p.raw.clone();
    let version = check_version(&mut p, raw.version);

    let encoders = check_names(&mut p, "encoders", raw.encoders, "list the encoders to compare, e.g. `encoders = [\"vit_s16_random\"]`");
    let metrics = check_metrics(&mut p, raw.metrics);

    let dataset = match raw.dataset {
        None => {
            p.missing(&KeyPath::key("dataset"), "add a [dataset] table with `name`");
            None
        }
        Some(d) => {
            let join = d.join.and_then(|j| {
                let at = KeyPath::key("dataset").join("join");
                let file = required(&mut p, &at.join("file"), j.file, "name the table to join, relative to the dataset folder");
                let on = required(&mut p, &at.join("on"), j.on, "name the column shared by both tables");
                Some(Join { file: file?, on: on? })
            });
            let name = required(&mut p, &KeyPath::key("dataset").join("name"), d.name, "name the dataset, e.g. `name = \"ieee8023_covid\"`");
            name.map(|name| DatasetSpec { name, missing_images: d.missing_images, join })
        }
    };

    let mut filters = Vec::new();
    for (i, f) in raw.filters.into_iter().enumerate() {
        let at = KeyPath::key("filters").at(i);
        let column = required(&mut p, &at.join("column"), f.column, "name the column to filter on");
        let keep = required(&mut p, &at.join("keep"), f.keep, "list the values to keep");
        if let Some(keep) = &keep {
            if keep.is_empty() {
                p.problem(&at.join("keep"), "empty list keeps no rows; list at least one value");
            }
        }
        if let (Some(column), Some(keep)) = (column, keep) {
            filters.push(Filter { column, keep });
        }
    }

    let task = match raw.task {
        None => {
            p.missing(&KeyPath::key("task"), "add a [task] table with `kind`");
            None
        }
        Some(t) => check_task(&mut p, t),
    };
    if let (Some(task), Some(metrics)) = (&task, &metrics) {
        check_metrics_fit_task(&mut p, task.kind(), metrics);
    }

    let split = match raw.split {
        None => {
            p.missing(&KeyPath::key("split"), "add a [split] table with `method`");
            None
        }
        Some(s) => check_split(&mut p, s),
    };

    let adapter = check_adapter(&mut p, raw.adapter, task.as_ref().map(Task::kind), metrics.as_deref());
    let bootstrap = check_bootstrap(&mut p, &raw.bootstrap);
    let fairness = raw.fairness.map(|f| check_fairness(&mut p, f, task.as_ref()));
    let long_tail = raw.long_tail.map(|l| check_long_tail(&mut p, l, task.as_ref()));

    let built = (|| {
        Some(Benchmark {
            name: stem(path),
            path: path.to_path_buf(),
            version: version?,
            description: raw.description,
            encoders: encoders?,
            metrics: metrics?,
            dataset: dataset?,
            filters,
            task: task?,
            split: split?,
            adapter: adapter?,
            bootstrap: bootstrap?,
            fairness: fairness.unwrap_or(None),
            long_tail: long_tail.unwrap_or(None),
            source: p.text.clone(),
        })
    })();
    finish(path, p.problems, built)
}

pub(crate) fn required<T>(p: &mut Parsed<impl Sized>, key: &KeyPath, value: Option<T>, what_to_do: &str) -> Option<T> {
    if value.is_none() {
        p.missing(key, what_to_do);
    }
    value
}

fn check_names(p: &mut Parsed<impl Sized>, key: &str, names: Option<Vec<String>>, what_to_do: &str) -> Option<Vec<String>> {
    let at = KeyPath::key(key);
    let names = required(p, &at, names, what_to_do)?;
    if names.is_empty() {
        p.problem(&at, format!("empty list; {what_to_do}"));
        return None;
    }
    let mut seen = BTreeSet::new();
    for (i, name) in names.iter().enumerate() {
        if !seen.insert(name) {
            p.problem(&at.at(i), format!("\"{name}\" is listed twice"));
        }
    }
    Some(names)
}

fn check_metrics(p: &mut Parsed<impl Sized>, metrics: Option<Vec<MetricName>>) -> Option<Vec<MetricName>> {
    let at = KeyPath::key("metrics");
    let metrics = required(p, &at, metrics, "list the metrics to report, e.g. `metrics = [\"auroc\"]`")?;
    if metrics.is_empty() {
        p.problem(&at, "empty list; name at least one metric");
        return None;
    }
    let mut seen = BTreeSet::new();
    for (i, metric) in metrics.iter().enumerate() {
        if !seen.insert(metric) {
            p.problem(&at.at(i), format!("\"{metric}\" is listed twice"));
        }
    }
    Some(metrics)
}

pub(crate) fn metric_fits(kind: TaskKind, metric: MetricName) -> bool {
    use MetricName::*;
    match kind {
        TaskKind::Regression => matches!(metric, Pearson | Mae),
        TaskKind::Multilabel => matches!(metric, Auroc | Auprc),
        TaskKind::Binary | TaskKind::Multiclass => matches!(metric, Accuracy | MacroAccuracy | Auroc | Auprc),
    }
}

fn check_metrics_fit_task(p: &mut Parsed<impl Sized>, kind: TaskKind, metrics: &[MetricName]) {
    let fitting: Vec<String> = MetricName::ALL.iter().filter(|m| metric_fits(kind, **m)).map(|m| m.to_string()).collect();
    for (i, metric) in metrics.iter().enumerate() {
        if !metric_fits(kind, *metric) {
            p.problem(
                &KeyPath::key("metrics").at(i),
                format!("\"{metric}\" does not apply to a {} task; use one of {}", kind.as_str(), fitting.join(", ")),
            );
        }
    }
}

fn check_task(p: &mut Parsed<impl Sized>, t: RawTask) -> Option<Task> {
    let at = KeyPath::key("task");
    let kind = required(p, &at.join("kind"), t.kind, "set `kind` to binary, multiclass, multilabel or regression")?;
    match kind {
        TaskKind::Binary | TaskKind::Multiclass => {
            let column = required(p, &at.join("column"), t.column.clone(), "name the label column");
            let classes = check_classes(p, &t, kind);
            Some(Task::Classes { binary: kind == TaskKind::Binary, column: column?, classes: classes?, exclude: t.exclude })
        }
        TaskKind::Multilabel => {
            if t.column.is_some() {
                p.problem(&at.join("column"), "a multilabel task names a column per class; move it into each [[task.classes]]");
            }
            if t.classes.is_empty() {
                p.missing(&at.join("classes"), "add one [[task.classes]] per finding with `name`, `column` and `values`");
                return None;
            }
            let mut labels = Vec::new();
            for (i, class) in t.classes.iter().enumerate() {
                let c = at.join("classes").at(i);
                let name = required(p, &c.join("name"), class.name.clone(), "name the finding");
                let column = required(p, &c.join("column"), class.column.clone(), "name the finding's column");
                if class.values.is_empty() {
                    p.problem(&c.join("values"), "list the values that mark the finding as present");
                }
                if class.rest {
                    p.problem(&c.join("rest"), "`rest` applies to multiclass tasks only");
                }
                if let (Some(name), Some(column)) = (name, column) {
                    labels.push(LabelColumn { name, column, positives: class.values.clone() });
                }
            }
            Some(Task::Multilabel { labels })
        }
        TaskKind::Regression => {
            let column = required(p, &at.join("column"), t.column, "name the numeric target column");
            if !t.classes.is_empty() {
                p.problem(&at.join("classes"), "a regression task has no classes; remove [[task.classes]]");
            }
            Some(Task::Regression { column: column?, exclude: t.exclude })
        }
    }
}

fn check_classes(p: &mut Parsed<impl Sized>, t: &RawTask, kind: TaskKind) -> Option<Vec<ClassDef>> {
    let at = KeyPath::key("task").join("classes");
    let count = t.classes.len();
    let wrong_count = match kind {
        TaskKind::Binary => count != 2,
        _ => count < 2,
    };
    if wrong_count {
        let expected = if kind == TaskKind::Binary { "exactly 2 (negative first, positive second)" } else { "at least 2" };
        p.problem(&at, format!("{count} classes given; a {} task needs {expected}", kind.as_str()));
    }
    let excluded: BTreeSet<&String> = t.exclude.iter().collect();
    let mut owner: BTreeMap<&String, String> = BTreeMap::new();
    let mut names = BTreeSet::new();
    let mut rest_count = 0;
    let mut classes = Vec::new();
    let mut ok = !wrong_count;
    for (i, class) in t.classes.iter().enumerate() {
        let c = at.at(i);
        let Some(name) = required(p, &c.join("name"), class.name.clone(), "name the class") else {
            ok = false;
            continue;
        };
        if !names.insert(name.clone()) {
            p.problem(&c.join("name"), format!("class \"{name}\" is defined twice"));
            ok = false;
        }
        if class.column.is_some() {
            p.problem(&c.join("column"), "only multilabel classes name a column; use task.column");
            ok = false;
        }
        if class.rest {
            rest_count += 1;
            if !class.values.is_empty() {
                p.problem(&c.join("values"), "a `rest = true` class takes every unlisted value; remove `values`");
                ok = false;
            }
        } else if class.values.is_empty() {
            p.problem(&c.join("values"), "list the label values that form this class, or set `rest = true`");
            ok = false;
        }
        for (j, value) in class.values.iter().enumerate() {
            if excluded.contains(value) {
                p.problem(&c.join("values").at(j), format!("\"{value}\" is also in task.exclude"));
                ok = false;
            }
            if let Some(other) = owner.insert(value, name.clone()) {
                p.problem(&c.join("values").at(j), format!("\"{value}\" already belongs to class \"{other}\""));
                ok = false;
            }
        }
        classes.push(ClassDef { name, values: class.values.clone(), rest: class.rest });
    }
    if rest_count > 1 {
        p.problem(&at, "more than one class has `rest = true`; at most one can take the remaining values");
        ok = false;
    }
    ok.then_some(classes)
}

fn check_split(p: &mut Parsed<impl Sized>, s: RawSplit) -> Option<Split> {
    let at = KeyPath::key("split");
    let method = required(p, &at.join("method"), s.method, "set `method` to patient_random or column")?;
    match method {
        SplitMethod::PatientRandom => {
            let mut ok = true;
            let mut fractions = [0.0; 3];
            for (slot, (name, value)) in fractions.iter_mut().zip([("train", s.train), ("val", s.val), ("test", s.test)]) {
                let key = at.join(name);
                match value {
                    None => {
                        p.missing(&key, "give the fraction of patients in this part, between 0 and 1");
                        ok = false;
                    }
                    Some(v) if !(v > 0.0 && v < 1.0) => {
                        p.problem(&key, format!("{name} = {v} is not a fraction; expected a value between 0 and 1 (exclusive)"));
                        ok = false;
                    }
                    Some(v) => *slot = v,
                }
            }
            if ok {
                let total: f64 = fractions.iter().sum();
                if (total - 1.0).abs() > 1e-6 {
                    // Rounded so that 0.6 + 0.2 + 0.3 prints as 1.1, not 1.0999999999999999.
                    let shown = (total * 1e9).round() / 1e9;
                    p.problem(&at, format!("train + val + test = {shown} but the fractions must add up to 1"));
                    ok = false;
                }
            }
            if s.column.is_some() || !s.values.is_empty() {
                p.problem(&at.join("column"), "`column` and `values` apply to method = \"column\" only");
                ok = false;
            }
            ok.then_some(Split::PatientRandom {
                train: fractions[0],
                val: fractions[1],
                test: fractions[2],
                seed: s.seed.unwrap_or(0),
                stratify: s.stratify,
            })
        }
        SplitMethod::Column => {
            let column = required(p, &at.join("column"), s.column, "name the column that holds each row's split");
            let mut values = BTreeMap::new();
            let mut ok = true;
            for (value, part) in &s.values {
                let part = match part.as_str() {
                    "train" => SplitPart::Train,
                    "val" => SplitPart::Val,
                    "test" => SplitPart::Test,
                    other => {
                        p.problem(&at.join("values").join(value), format!("\"{other}\" is not a split part; expected train, val or test"));
                        ok = false;
                        continue;
                    }
                };
                values.insert(value.clone(), part);
            }
            for part in SplitPart::ALL {
                if ok && !values.values().any(|v| *v == part) {
                    p.problem(&at.join("values"), format!("no column value maps to \"{}\"; every part needs at least one", part.as_str()));
                    ok = false;
                }
            }
            for (name, value) in [("train", s.train), ("val", s.val), ("test", s.test)] {
                if value.is_some() {
                    p.problem(&at.join(name), "fractions apply to method = \"patient_random\" only");
                    ok = false;
                }
            }
            let column = column?;
            ok.then_some(Split::Column { column, values })
        }
    }
}

fn check_adapter(
    p: &mut Parsed<impl Sized>,
    a: RawAdapter,
    kind: Option<TaskKind>,
    metrics: Option<&[MetricName]>,
) -> Option<AdapterSpec> {
    let at = KeyPath::key("adapter");
    let mut ok = true;
    let positive_list = |p: &mut Parsed<_>, name: &str, values: &[f64], allow_zero: bool| {
        let bound = if allow_zero { "at least 0" } else { "greater than 0" };
        if values.is_empty() {
            p.problem(&at.join(name), format!("empty list; give at least one value {bound}"));
            return false;
        }
        let mut good = true;
        for (i, v) in values.iter().enumerate() {
            let valid = v.is_finite() && (*v > 0.0 || (allow_zero && *v == 0.0));
            if !valid {
                p.problem(&at.join(name).at(i), format!("{v} is not valid; expected a finite value {bound}"));
                good = false;
            }
        }
        good
    };
    ok &= positive_list(p, "learning_rates", &a.learning_rates, false);
    ok &= positive_list(p, "weight_decays", &a.weight_decays, true);
    ok &= positive_list(p, "alphas", &a.alphas, false);
    if a.epochs == 0 {
        p.problem(&at.join("epochs"), "epochs = 0 trains nothing; use at least 1");
        ok = false;
    }
    if a.kind == AdapterKind::Ridge && kind.is_some_and(|k| k != TaskKind::Regression) {
        p.problem(&at.join("kind"), "\"ridge\" fits regression tasks only; use \"linear\"");
        ok = false;
    }
    let select_by = match (a.select_by, metrics) {
        (Some(m), Some(metrics)) if !metrics.contains(&m) => {
            p.problem(&at.join("select_by"), format!("\"{m}\" is not among the benchmark's metrics"));
            None
        }
        (Some(m), _) => Some(m),
        (None, Some(metrics)) => metrics.first().copied(),
        (None, None) => None,
    };
    let select_by = select_by?;
    ok.then_some(AdapterSpec {
        kind: a.kind,
        learning_rates: a.learning_rates,
        weight_decays: a.weight_decays,
        epochs: a.epochs,
        class_weight: a.class_weight,
        alphas: a.alphas,
        select_by,
    })
}

fn check_bootstrap(p: &mut Parsed<impl Sized>, b: &crate::spec::raw::RawBootstrap) -> Option<BootstrapSpec> {
    let at = KeyPath::key("bootstrap");
    let mut ok = true;
    if b.resamples < 100 {
        p.problem(&at.join("resamples"), format!("{} resamples give no usable interval; use at least 100 (1000 is usual)", b.resamples));
        ok = false;
    }
    if !(b.confidence > 0.0 && b.confidence < 1.0) {
        p.problem(&at.join("confidence"), format!("{} is not a confidence level; expected a value between 0 and 1, e.g. 0.95", b.confidence));
        ok = false;
    }
    ok.then_some(BootstrapSpec { resamples: b.resamples, confidence: b.confidence })
}

fn check_baseline(path: &Path, mut p: Parsed<RawBaseline>) -> Result<Baseline, SpecError> {
    let raw = p.raw.clone();
    let version = check_version(&mut p, raw.version);
    let architecture = required(&mut p, &KeyPath::key("architecture"), raw.architecture, "set `architecture`, e.g. \"vit_small\" or \"raw_pixels\"");
    let resolution = required(&mut p, &KeyPath::key("resolution"), raw.resolution, "set the input resolution in pixels");

    let is_vit = architecture.is_some_and(Architecture::is_vit);
    let patch_size = match (raw.patch_size, is_vit) {
        (Some(ps), true) if ps != 14 && ps != 16 => {
            p.problem(&KeyPath::key("patch_size"), format!("patch_size = {ps} is not supported; use 14 or 16"));
            None
        }
        (Some(ps), true) => Some(ps),
        (None, true) => {
            p.missing(&KeyPath::key("patch_size"), "set `patch_size` to 14 or 16");
            None
        }
        (Some(_), false) => {
            p.problem(&KeyPath::key("patch_size"), "only ViT architectures have patches; remove `patch_size`");
            None
        }
        (None, false) => Some(1),
    };
    if let (Some(r), Some(ps)) = (resolution, patch_size) {
        if r <= 0 || r > 4096 {
            p.problem(&KeyPath::key("resolution"), format!("resolution = {r} is out of range; expected 1 to 4096 pixels"));
        } else if r % ps != 0 {
            p.problem(&KeyPath::key("resolution"), format!("resolution = {r} is not a multiple of patch_size = {ps}"));
        }
    }
    if raw.weights.is_some() && architecture == Some(Architecture::RawPixels) {
        p.problem(&KeyPath::key("weights"), "raw_pixels has no weights; remove `weights`");
    }
    if raw.weights.is_none() && architecture == Some(Architecture::Torchscript) {
        p.missing(&KeyPath::key("weights"), "name the TorchScript module file");
    }
    check_encoder_options(&mut p, &raw, architecture);
    let weights = raw.weights.as_ref().map(|w| resolve_relative(path, w));
    if let Some(w) = &weights {
        if !w.exists() {
            tracing::debug!(weights = %w.display(), "weights file not present yet");
        }
    }

    let preprocess = match raw.preprocess {
        None => {
            p.missing(&KeyPath::key("preprocess"), "add a [preprocess] table with mean, std and channels");
            None
        }
        Some(pre) => {
            let at = KeyPath::key("preprocess");
            let channels = required(&mut p, &at.join("channels"), pre.channels, "set channels to 1 or 3");
            let mean = required(&mut p, &at.join("mean"), pre.mean, "give one mean per channel");
            let std = required(&mut p, &at.join("std"), pre.std, "give one standard deviation per channel");
            let mut ok = true;
            if let Some(c) = channels {
                if c != 1 && c != 3 {
                    p.problem(&at.join("channels"), format!("channels = {c} is not supported; use 1 or 3"));
                    ok = false;
                }
                for (name, values) in [("mean", &mean), ("std", &std)] {
                    if let Some(values) = values {
                        if values.len() as i64 != c {
                            p.problem(&at.join(name), format!("{} values given for {c} channels; give one per channel", values.len()));
                            ok = false;
                        }
                    }
                }
            }
            if let Some(std) = &std {
                for (i, s) in std.iter().enumerate() {
                    if !(*s > 0.0 && s.is_finite()) {
                        p.problem(&at.join("std").at(i), format!("{s} is not a valid standard deviation; expected a value greater than 0"));
                        ok = false;
                    }
                }
            }
            match (ok, channels, mean, std, resolution) {
                (true, Some(c), Some(mean), Some(std), Some(r)) if r > 0 => Some(Preprocess {
                    resize: pre.resize,
                    resolution: r as u32,
                    mean: mean.iter().map(|v| *v as f32).collect(),
                    std: std.iter().map(|v| *v as f32).collect(),
                    channels: c as usize,
                }),
                _ => None,
            }
        }
    };

    let built = (|| {
        Some(Baseline {
            name: stem(path),
            path: path.to_path_buf(),
            version: version?,
            description: raw.description,
            architecture: architecture?,
            patch_size: patch_size?,
            resolution: resolution?,
            init_seed: raw.init_seed,
            weights,
            format: raw.format.unwrap_or_default(),
            num_register_tokens: raw.num_register_tokens,
            torchscript_output: raw.torchscript_output,
            interpolate_offset: raw.interpolate_offset.unwrap_or(0.1),
            interpolate_antialias: raw.interpolate_antialias.unwrap_or(false),
            vit: raw.vit.clone().unwrap_or_default(),
            preprocess: preprocess?,
        })
    })();
    finish(path, p.problems, built)
}

/// Checks the keys that apply to some encoder kinds only, and their ranges.
fn check_encoder_options(p: &mut Parsed<RawBaseline>, raw: &RawBaseline, architecture: Option<Architecture>) {
    let Some(architecture) = architecture else { return };
    let vit_only = |p: &mut Parsed<RawBaseline>, key: &str, present: bool| {
        if present && !architecture.is_vit() {
            p.problem(&KeyPath::key(key), format!("`{key}` applies to ViT architectures only, not {}", architecture.as_str()));
        }
    };
    vit_only(p, "format", raw.format.is_some());
    vit_only(p, "num_register_tokens", raw.num_register_tokens != 0);
    vit_only(p, "interpolate_offset", raw.interpolate_offset.is_some());
    vit_only(p, "interpolate_antialias", raw.interpolate_antialias.is_some());
    vit_only(p, "vit", raw.vit.is_some());

    match (architecture, raw.torchscript_output) {
        (Architecture::Torchscript, None) => {
            p.missing(&KeyPath::key("torchscript_output"), "set `torchscript_output` to \"pooled\" or \"tokens\"");
        }
        (Architecture::Torchscript, Some(_)) => {}
        (_, Some(_)) => p.problem(&KeyPath::key("torchscript_output"), "applies to architecture = \"torchscript\" only"),
        (_, None) => {}
    }
    if !(0..=16).contains(&raw.num_register_tokens) {
        p.problem(&KeyPath::key("num_register_tokens"), format!("{} is out of range; expected 0 to 16 (DINOv2 uses 0 or 4)", raw.num_register_tokens));
    }
    if let Some(offset) = raw.interpolate_offset {
        if !(offset >= 0.0 && offset < 1.0) {
            p.problem(&KeyPath::key("interpolate_offset"), format!("{offset} is out of range; expected 0 to 1 (DINOv2 uses 0.1)"));
        }
    }
    let Some(shape) = &raw.vit else { return };
    let at = KeyPath::key("vit");
    for (name, value) in [("embed_dim", shape.embed_dim), ("depth", shape.depth), ("num_heads", shape.num_heads)] {
        if value.is_some_and(|v| v < 1) {
            p.problem(&at.join(name), format!("{} must be at least 1", value.unwrap_or_default()));
        }
    }
    if shape.mlp_ratio.is_some_and(|r| !(r > 0.0 && r.is_finite())) {
        p.problem(&at.join("mlp_ratio"), "must be a positive number");
    }
    let preset = crate::encoder::VitConfig::preset(architecture, 16, 224);
    let embed_dim = shape.embed_dim.or(preset.as_ref().map(|c| c.embed_dim));
    let num_heads = shape.num_heads.or(preset.as_ref().map(|c| c.num_heads));
    if let (Some(d), Some(h)) = (embed_dim, num_heads) {
        if h >= 1 && d >= 1 && d % h != 0 {
            p.problem(&at.join("num_heads"), format!("embed_dim {d} is not divisible by num_heads {h}"));
        }
    }
}

/// Resolves `relative` against the folder of the spec file that names it.
pub fn resolve_relative(spec_path: &Path, relative: &str) -> PathBuf {
    let candidate = Path::new(relative);
    if candidate.is_absolute() {
        return candidate.to_path_buf();
    }
    lexically_normal(&spec_path.parent().unwrap_or(Path::new(".")).join(candidate))
}

/// Removes `.` and `name/..` pairs without touching the file system, so messages show
/// `weights/x.pth` rather than `baselines/../weights/x.pth`.
fn lexically_normal(path: &Path) -> PathBuf {
    use std::path::Component;
    let mut out: Vec<Component> = Vec::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir if matches!(out.last(), Some(Component::Normal(_))) => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    if out.is_empty() {
        return PathBuf::from(".");
    }
    out.iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolve_relative_collapses_parent_steps() {
        let cases = [
            ("baselines/x.toml", "../weights/a.pth", "weights/a.pth"),
            ("/repo/baselines/x.toml", "../../w/a.pth", "/w/a.pth"),
            ("x.toml", "../a.pth", "../a.pth"),
            ("baselines/x.toml", "/abs/a.pth", "/abs/a.pth"),
            ("baselines/x.toml", "./a.pth", "baselines/a.pth"),
        ];
        for (spec, relative, expected) in cases {
            assert_eq!(resolve_relative(Path::new(spec), relative), PathBuf::from(expected), "{spec} + {relative}");
        }
    }
}

/// Checks that every column the benchmark names exists in the dataset's table (with the
/// joined table's columns added), reporting each missing one at its key.
pub fn check_columns(benchmark: &Benchmark, columns: &BTreeSet<String>, table: &str) -> Result<(), SpecError> {
    let mut wanted: Vec<(KeyPath, &str)> = Vec::new();
    for (i, filter) in benchmark.filters.iter().enumerate() {
        wanted.push((KeyPath::key("filters").at(i).join("column"), &filter.column));
    }
    match &benchmark.task {
        Task::Classes { column, .. } | Task::Regression { column, .. } => {
            wanted.push((KeyPath::key("task").join("column"), column));
        }
        Task::Multilabel { labels } => {
            for (i, label) in labels.iter().enumerate() {
                wanted.push((KeyPath::key("task").join("classes").at(i).join("column"), &label.column));
            }
        }
    }
    if let Split::Column { column, .. } = &benchmark.split {
        wanted.push((KeyPath::key("split").join("column"), column));
    }
    if let Some(join) = &benchmark.dataset.join {
        wanted.push((KeyPath::key("dataset").join("join").join("on"), &join.on));
    }
    if let Some(fairness) = &benchmark.fairness {
        for (i, attribute) in fairness.attributes.iter().enumerate() {
            wanted.push((KeyPath::key("fairness").join("attributes").at(i).join("column"), &attribute.column));
        }
    }

    let problems: Vec<_> = wanted
        .into_iter()
        .filter(|(_, column)| !columns.contains(*column))
        .map(|(key, column)| {
            let line = crate::spec::load::line_in_text(&benchmark.source, &key);
            crate::spec::load::Problem {
                key: key.to_string(),
                line,
                message: format!("column \"{column}\" is not in {table}; check the spelling against the table's header"),
            }
        })
        .collect();
    finish(&benchmark.path, problems, Some(()))
}
