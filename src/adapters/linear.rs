//! Linear probes on frozen features, the DINOv2 evaluation protocol: one pass trains a
//! whole grid of heads (learning rate x weight decay) side by side, the head is chosen
//! on the validation split, and only the chosen head ever sees the test split.
//!
//! Features are standardised with the training split's mean and standard deviation.
//! Heads train full-batch with Adam from zero weights; the losses are convex, so zero
//! initialisation loses nothing and makes training deterministic.

use serde::Serialize;
use tch::{Device, Kind, Tensor};

/// Head type: what the head predicts and how it is trained.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeadKind {
    /// Softmax over classes, cross-entropy loss (binary tasks use two classes).
    Softmax { classes: usize },
    /// One sigmoid per finding, binary cross-entropy on the labels present.
    Sigmoid { outputs: usize },
    /// One linear output, squared error.
    Regression,
}

impl HeadKind {
    fn outputs(self) -> i64 {
        match self {
            HeadKind::Softmax { classes } => classes as i64,
            HeadKind::Sigmoid { outputs } => outputs as i64,
            HeadKind::Regression => 1,
        }
    }
}

/// Training targets of one split.
#[derive(Debug, Clone)]
pub enum Targets {
    /// Class index per sample.
    Classes(Vec<usize>),
    /// Row-major `n x outputs`, 1.0 / 0.0, NaN where the label is missing.
    Labels(Vec<f32>),
    Values(Vec<f32>),
}

/// Row-major feature matrix.
#[derive(Debug, Clone)]
pub struct Features {
    pub rows: usize,
    pub dim: usize,
    pub values: Vec<f32>,
}

impl Features {
    pub fn from_rows(rows: &[&[f32]]) -> Features {
        let dim = rows.first().map_or(0, |r| r.len());
        let mut values = Vec::with_capacity(rows.len() * dim);
        for row in rows {
            assert_eq!(row.len(), dim, "every feature row has the same length");
            values.extend_from_slice(row);
        }
        Features { rows: rows.len(), dim, values }
    }

    fn tensor(&self) -> Tensor {
        Tensor::from_slice(&self.values).reshape([self.rows as i64, self.dim as i64])
    }
}

/// One grid point: its hyperparameters and its final training loss.
#[derive(Debug, Clone, Serialize)]
pub struct GridPoint {
    pub learning_rate: f64,
    pub weight_decay: f64,
    pub train_loss: f64,
}

/// The trained grid: every head's weights, ready to predict.
pub struct TrainedGrid {
    pub points: Vec<GridPoint>,
    kind: HeadKind,
    mean: Tensor,
    std: Tensor,
    /// [G, D, C]
    weights: Tensor,
    /// [G, 1, C]
    bias: Tensor,
}

#[derive(Debug, Clone)]
pub struct TrainConfig {
    pub learning_rates: Vec<f64>,
    pub weight_decays: Vec<f64>,
    pub epochs: usize,
    /// Weigh samples by the inverse frequency of their class (softmax heads only).
    pub balanced: bool,
}

const ADAM_BETAS: (f64, f64) = (0.9, 0.999);
const ADAM_EPS: f64 = 1e-8;

/// Trains every (learning rate, weight decay) head at once on the training split.
pub fn train_grid(train: &Features, targets: &Targets, kind: HeadKind, config: &TrainConfig, progress: &indicatif::ProgressBar) -> TrainedGrid {
    let _guard = tch::no_grad_guard();
    let x_raw = train.tensor();
    let mean = x_raw.mean_dim(0, true, Kind::Float);
    // Constant features get a unit scale, so they standardise to zero instead of NaN.
    let std = x_raw.std_dim(0, false, true).clamp_min(1e-6);
    let x = (&x_raw - &mean) / &std;

    let grid: Vec<(f64, f64)> =
        config.learning_rates.iter().flat_map(|&lr| config.weight_decays.iter().map(move |&wd| (lr, wd))).collect();
    let g = grid.len() as i64;
    let (n, d, c) = (train.rows as i64, train.dim as i64, kind.outputs());
    let lr = Tensor::from_slice(&grid.iter().map(|p| p.0 as f32).collect::<Vec<_>>()).reshape([g, 1, 1]);
    let wd = Tensor::from_slice(&grid.iter().map(|p| p.1 as f32).collect::<Vec<_>>()).reshape([g, 1, 1]);

    let mut weights = Tensor::zeros([g, d, c], (Kind::Float, Device::Cpu));
    let mut bias = Tensor::zeros([g, 1, c], (Kind::Float, Device::Cpu));
    let mut moments = [Tensor::zeros_like(&weights), Tensor::zeros_like(&weights), Tensor::zeros_like(&bias), Tensor::zeros_like(&bias)];

    let target = TargetTensors::new(targets, kind, n, config.balanced);
    progress.set_length(config.epochs as u64);
    let mut losses = Tensor::zeros([g], (Kind::Float, Device::Cpu));
    for step in 1..=config.epochs {
        let (loss, grad_w, grad_b) = {
            let w = weights.detach().set_requires_grad(true);
            let b = bias.detach().set_requires_grad(true);
            let (loss_per_head, total) = tch::with_grad(|| {
                let logits = x.unsqueeze(0).matmul(&w) + &b;
                let data_loss = target.loss(&logits);
                let penalty = (&w * &w).sum_dim_intlist([1i64, 2].as_slice(), false, Kind::Float) * wd.view([g]) * 0.5;
                let per_head = data_loss + penalty;
                let total = per_head.sum(Kind::Float);
                (per_head, total)
            });
            let grads = Tensor::run_backward(&[&total], &[&w, &b], false, false);
            (loss_per_head.detach(), grads[0].shallow_clone(), grads[1].shallow_clone())
        };
        losses = loss;
        adam_step(&mut weights, &grad_w, &mut moments[..2], &lr, step);
        adam_step(&mut bias, &grad_b, &mut moments[2..], &lr, step);
        progress.inc(1);
    }

    let loss_values: Vec<f32> = Vec::<f32>::try_from(&losses).expect("losses are f32");
    let points = grid
        .iter()
        .zip(loss_values)
        .map(|(&(learning_rate, weight_decay), loss)| GridPoint { learning_rate, weight_decay, train_loss: loss as f64 })
        .collect();
    TrainedGrid { points, kind, mean, std, weights, bias }
}

fn adam_step(param: &mut Tensor, grad: &Tensor, moments: &mut [Tensor], lr: &Tensor, step: usize) {
    let (b1, b2) = ADAM_BETAS;
    moments[0] = &moments[0] * b1 + grad * (1.0 - b1);
    moments[1] = &moments[1] * b2 + grad * grad * (1.0 - b2);
    let m_hat = &moments[0] / (1.0 - b1.powi(step as i32));
    let v_hat = &moments[1] / (1.0 - b2.powi(step as i32));
    let lr = if param.dim() == 3 { lr.shallow_clone() } else { lr.view([-1, 1, 1]) };
    *param = &*param - lr * m_hat / (v_hat.sqrt() + ADAM_EPS);
}

/// Targets as tensors, with the per-head loss for each head kind.
struct TargetTensors {
    kind: HeadKind,
    target: Tensor,
    /// Sample weights (softmax) or label mask (sigmoid).
    weight: Tensor,
}

impl TargetTensors {
    fn new(targets: &Targets, kind: HeadKind, n: i64, balanced: bool) -> Self {
        match (targets, kind) {
            (Targets::Classes(classes), HeadKind::Softmax { classes: c }) => {
                let mut counts = vec![0usize; c];
                for &k in classes {
                    counts[k] += 1;
                }
                let weights: Vec<f32> = classes
                    .iter()
                    .map(|&k| if balanced { n as f32 / (c as f32 * counts[k] as f32) } else { 1.0 })
                    .collect();
                let target = Tensor::from_slice(&classes.iter().map(|&k| k as i64).collect::<Vec<_>>());
                TargetTensors { kind, target, weight: Tensor::from_slice(&weights) }
            }
            (Targets::Labels(labels), HeadKind::Sigmoid { outputs }) => {
                let raw = Tensor::from_slice(labels).reshape([n, outputs as i64]);
                let mask = raw.isnan().logical_not().to_kind(Kind::Float);
                TargetTensors { kind, target: raw.nan_to_num(0.0, None, None), weight: mask }
            }
            (Targets::Values(values), HeadKind::Regression) => {
                TargetTensors { kind, target: Tensor::from_slice(values).reshape([n, 1]), weight: Tensor::ones([n], (Kind::Float, Device::Cpu)) }
            }
            _ => panic!("targets do not match the head kind {kind:?}"),
        }
    }

    /// Mean loss of each head, `[G]`, from logits `[G, N, C]`.
    fn loss(&self, logits: &Tensor) -> Tensor {
        match self.kind {
            HeadKind::Softmax { .. } => {
                let log_probs = logits.log_softmax(-1, Kind::Float);
                let g = logits.size()[0];
                let index = self.target.view([1, -1, 1]).expand([g, -1, 1], false);
                let nll = -log_probs.gather(2, &index, false).squeeze_dim(2);
                (nll * &self.weight).sum_dim_intlist([1i64].as_slice(), false, Kind::Float) / self.weight.sum(Kind::Float)
            }
            HeadKind::Sigmoid { .. } => {
                let per = logits.binary_cross_entropy_with_logits::<Tensor>(&self.target.unsqueeze(0).expand_as(logits), None, None, tch::Reduction::None);
                (per * &self.weight).sum_dim_intlist([1i64, 2].as_slice(), false, Kind::Float) / self.weight.sum(Kind::Float).clamp_min(1.0)
            }
            HeadKind::Regression => {
                let diff = logits - self.target.unsqueeze(0);
                (&diff * &diff).mean_dim([1i64, 2].as_slice(), false, Kind::Float)
            }
        }
    }
}

impl TrainedGrid {
    /// Predictions of head `head` (`[N, C]` row-major): class probabilities, sigmoid
    /// probabilities, or regression values.
    pub fn predict(&self, head: usize, features: &Features) -> Vec<f32> {
        let _guard = tch::no_grad_guard();
        let x = (features.tensor() - &self.mean) / &self.std;
        let logits = x.matmul(&self.weights.get(head as i64)) + self.bias.get(head as i64);
        let out = match self.kind {
            HeadKind::Softmax { .. } => logits.softmax(-1, Kind::Float),
            HeadKind::Sigmoid { .. } => logits.sigmoid(),
            HeadKind::Regression => logits,
        };
        Vec::<f32>::try_from(out.contiguous().view([-1])).expect("predictions are f32")
    }

    pub fn heads(&self) -> usize {
        self.points.len()
    }
}
