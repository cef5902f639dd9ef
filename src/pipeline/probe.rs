//! Fitting an adapter grid on the training split and choosing one head on validation.

use serde::Serialize;

use crate::adapters::{fit_ridge, train_grid, Features, HeadKind, Targets, TrainConfig};
use crate::metrics::MetricName;
use crate::pipeline::evaluate::{metric_on, prediction_loss, Scores, Truth};
use crate::spec::{AdapterKind, AdapterSpec, ClassWeight};

/// One head of the grid with its validation result.
#[derive(Debug, Clone, Serialize)]
pub struct HeadCandidate {
    pub learning_rate: Option<f64>,
    pub weight_decay: Option<f64>,
    pub alpha: Option<f64>,
    pub train_loss: Option<f64>,
    /// The selection metric on validation; `None` where it is undefined.
    pub val_metric: Option<f64>,
    pub val_loss: f64,
}

/// The chosen head and its test predictions.
pub struct ProbeOutcome {
    pub candidates: Vec<HeadCandidate>,
    pub chosen: usize,
    pub selected_by: MetricName,
    /// The chosen head's validation predictions, for choosing decision thresholds.
    pub val_scores: Scores,
    pub test_scores: Scores,
}

/// Splits of one encoder's features with their ground truth.
pub struct ProbeData<'a> {
    pub train: &'a Features,
    pub train_truth: &'a Truth,
    pub val: &'a Features,
    pub val_truth: &'a Truth,
    pub test: &'a Features,
}

fn to_targets(truth: &Truth) -> Targets {
    match truth {
        Truth::Classes { labels, .. } => Targets::Classes(labels.clone()),
        Truth::Labels { labels } => Targets::Labels(
            labels.iter().flat_map(|row| row.iter().map(|v| v.map_or(f32::NAN, |b| if b { 1.0 } else { 0.0 }))).collect(),
        ),
        Truth::Values(values) => Targets::Values(values.iter().map(|v| *v as f32).collect()),
    }
}

fn head_kind(truth: &Truth) -> HeadKind {
    match truth {
        Truth::Classes { classes, .. } => HeadKind::Softmax { classes: *classes },
        Truth::Labels { .. } => HeadKind::Sigmoid { outputs: truth.outputs() },
        Truth::Values(_) => HeadKind::Regression,
    }
}

fn scores(outputs: usize, values: Vec<f32>) -> Scores {
    Scores { outputs, values: values.into_iter().map(f64::from).collect() }
}

/// Trains the grid, scores every head on validation, and predicts test with the best.
///
/// The best head has the highest (or, for error metrics, lowest) validation metric;
/// ties go to the lower validation loss. Test data is touched only by the chosen head.
pub fn fit_and_select(data: &ProbeData, spec: &AdapterSpec, progress: &indicatif::ProgressBar) -> ProbeOutcome {
    let outputs = data.train_truth.outputs();
    let metric = spec.select_by;
    let mut candidates = Vec::new();
    let predict: Box<dyn Fn(usize, &Features) -> Vec<f32>>;

    match spec.kind {
        AdapterKind::Ridge => {
            let Targets::Values(y) = to_targets(data.train_truth) else { unreachable!("ridge is checked to be regression-only") };
            let grid = fit_ridge(data.train, &y, &spec.alphas);
            for (i, alpha) in spec.alphas.iter().enumerate() {
                let val = scores(outputs, grid.predict(i, data.val));
                candidates.push(HeadCandidate {
                    learning_rate: None,
                    weight_decay: None,
                    alpha: Some(*alpha),
                    train_loss: None,
                    val_metric: validation_metric(metric, data.val_truth, &val),
                    val_loss: prediction_loss(data.val_truth, &val),
                });
            }
            predict = Box::new(move |i, f| grid.predict(i, f));
        }
        AdapterKind::Linear => {
            let config = TrainConfig {
                learning_rates: spec.learning_rates.clone(),
                weight_decays: spec.weight_decays.clone(),
                epochs: spec.epochs,
                balanced: spec.class_weight == ClassWeight::Balanced,
            };
            let grid = train_grid(data.train, &to_targets(data.train_truth), head_kind(data.train_truth), &config, progress);
            for (i, point) in grid.points.iter().enumerate() {
                let val = scores(outputs, grid.predict(i, data.val));
                candidates.push(HeadCandidate {
                    learning_rate: Some(point.learning_rate),
                    weight_decay: Some(point.weight_decay),
                    alpha: None,
                    train_loss: Some(point.train_loss),
                    val_metric: validation_metric(metric, data.val_truth, &val),
                    val_loss: prediction_loss(data.val_truth, &val),
                });
            }
            predict = Box::new(move |i, f| grid.predict(i, f));
        }
    }

    let chosen = choose(&candidates, metric.higher_is_better());
    let val_scores = scores(outputs, predict(chosen, data.val));
    let test_scores = scores(outputs, predict(chosen, data.test));
    ProbeOutcome { candidates, chosen, selected_by: metric, val_scores, test_scores }
}

fn validation_metric(metric: MetricName, truth: &Truth, scores: &Scores) -> Option<f64> {
    let all: Vec<usize> = (0..truth.len()).collect();
    metric_on(metric, truth, scores, &all).ok()
}

/// Index of the best candidate; an undefined metric ranks below every defined one.
fn choose(candidates: &[HeadCandidate], higher_is_better: bool) -> usize {
    let key = |c: &HeadCandidate| -> (f64, f64) {
        let metric = match c.val_metric {
            Some(v) if higher_is_better => v,
            Some(v) => -v,
            None => f64::NEG_INFINITY,
        };
        (metric, -c.val_loss)
    };
    let mut best = 0;
    for (i, candidate) in candidates.iter().enumerate() {
        if key(candidate).partial_cmp(&key(&candidates[best])) == Some(std::cmp::Ordering::Greater) {
            best = i;
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    fn candidate(val_metric: Option<f64>, val_loss: f64) -> HeadCandidate {
        HeadCandidate { learning_rate: None, weight_decay: None, alpha: None, train_loss: None, val_metric, val_loss }
    }

    #[test]
    fn choose_prefers_metric_then_loss() {
        let candidates = [candidate(Some(0.7), 0.5), candidate(Some(0.8), 0.9), candidate(Some(0.8), 0.4), candidate(None, 0.1)];
        assert_eq!(choose(&candidates, true), 2);
        // For an error metric (MAE) the lowest value wins.
        assert_eq!(choose(&candidates, false), 0);
    }

    #[test]
    fn linear_probe_learns_a_separable_task() {
        // Two Gaussian blobs: the chosen head must separate held-out points.
        tch::manual_seed(0);
        let make = |n: usize, offset: usize| {
            let mut rows = Vec::new();
            let mut labels = Vec::new();
            for i in 0..n {
                let class = (i + offset) % 2;
                let centre = if class == 1 { 1.5f32 } else { -1.5 };
                let jitter = ((i * 37 + offset) % 11) as f32 / 11.0 - 0.5;
                rows.push(vec![centre + jitter, jitter * 2.0, 0.3]);
                labels.push(class);
            }
            let refs: Vec<&[f32]> = rows.iter().map(Vec::as_slice).collect();
            (Features::from_rows(&refs), Truth::Classes { labels, classes: 2 })
        };
        let (train, train_truth) = make(40, 0);
        let (val, val_truth) = make(20, 1);
        let (test, test_truth) = make(20, 2);
        let spec = AdapterSpec {
            kind: AdapterKind::Linear,
            learning_rates: vec![1e-2, 1e-1],
            weight_decays: vec![0.0, 1e-3],
            epochs: 100,
            class_weight: ClassWeight::Balanced,
            alphas: vec![1.0],
            select_by: MetricName::MacroAccuracy,
        };
        let data = ProbeData { train: &train, train_truth: &train_truth, val: &val, val_truth: &val_truth, test: &test };
        let outcome = fit_and_select(&data, &spec, &indicatif::ProgressBar::hidden());
        assert_eq!(outcome.candidates.len(), 4);
        let all: Vec<usize> = (0..20).collect();
        let accuracy = metric_on(MetricName::Accuracy, &test_truth, &outcome.test_scores, &all).unwrap();
        assert_eq!(accuracy, 1.0);
    }
}
