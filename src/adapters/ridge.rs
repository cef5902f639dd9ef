//! Closed-form ridge regression on standardised frozen features, one fit per penalty.

use serde::Serialize;
use tch::{Kind, Tensor};

use crate::adapters::linear::Features;

/// A fitted ridge model for each penalty `alpha`.
pub struct RidgeGrid {
    pub alphas: Vec<f64>,
    mean: Tensor,
    std: Tensor,
    /// [A, D] coefficients in standardised feature space.
    coefficients: Tensor,
    intercept: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct RidgePoint {
    pub alpha: f64,
}

/// Fits `min ||y - Xw - b||^2 + alpha ||w||^2` for each alpha, in float64.
///
/// Features are standardised with the training mean and standard deviation and the
/// target is centred, so the intercept is the training mean and is not penalised.
pub fn fit_ridge(train: &Features, targets: &[f32], alphas: &[f64]) -> RidgeGrid {
    let _guard = tch::no_grad_guard();
    let x = Tensor::from_slice(&train.values).reshape([train.rows as i64, train.dim as i64]).to_kind(Kind::Double);
    let mean = x.mean_dim(0, true, Kind::Double);
    let std = x.std_dim(0, false, true).clamp_min(1e-6);
    let x = (&x - &mean) / &std;
    let y = Tensor::from_slice(targets).to_kind(Kind::Double);
    let intercept = y.mean(Kind::Double).double_value(&[]);
    let y = y - intercept;

    let gram = x.transpose(0, 1).matmul(&x);
    let xty = x.transpose(0, 1).matmul(&y.unsqueeze(1));
    let identity = Tensor::eye(train.dim as i64, (Kind::Double, tch::Device::Cpu));
    let coefficients: Vec<Tensor> =
        alphas.iter().map(|&alpha| Tensor::linalg_solve(&(&gram + &identity * alpha), &xty, true).squeeze_dim(1)).collect();
    RidgeGrid { alphas: alphas.to_vec(), mean, std, coefficients: Tensor::stack(&coefficients, 0), intercept }
}

impl RidgeGrid {
    /// Predictions of the fit with penalty index `index`.
    pub fn predict(&self, index: usize, features: &Features) -> Vec<f32> {
        let _guard = tch::no_grad_guard();
        let x = Tensor::from_slice(&features.values).reshape([features.rows as i64, features.dim as i64]).to_kind(Kind::Double);
        let x = (x - &self.mean) / &self.std;
        let out = x.matmul(&self.coefficients.get(index as i64).unsqueeze(1)).squeeze_dim(1) + self.intercept;
        Vec::<f64>::try_from(out).expect("predictions are f64").into_iter().map(|v| v as f32).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ridge_with_small_penalty_recovers_a_linear_target() {
        // y = 2 x0 - x1 + 3 exactly; a tiny penalty must reproduce it.
        let rows: Vec<[f32; 2]> = (0..20).map(|i| [i as f32, ((i * 7) % 5) as f32]).collect();
        let targets: Vec<f32> = rows.iter().map(|r| 2.0 * r[0] - r[1] + 3.0).collect();
        let refs: Vec<&[f32]> = rows.iter().map(|r| r.as_slice()).collect();
        let features = Features::from_rows(&refs);
        let grid = fit_ridge(&features, &targets, &[1e-9, 1e6]);
        let exact = grid.predict(0, &features);
        for (p, t) in exact.iter().zip(&targets) {
            assert!((p - t).abs() < 1e-3, "{p} vs {t}");
        }
        // A huge penalty shrinks every prediction to the mean.
        let mean = targets.iter().sum::<f32>() / targets.len() as f32;
        let shrunk = grid.predict(1, &features);
        assert!(shrunk.iter().all(|p| (p - mean).abs() < 0.1));
    }
}
