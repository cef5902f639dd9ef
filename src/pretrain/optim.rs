//! AdamW with per-parameter learning-rate and weight-decay multipliers, gradient clipping
//! and the EMA teacher update.
//!
//! The multipliers follow DINOv2: layer-wise learning-rate decay through the ViT blocks, a
//! smaller rate for the patch embedding, no weight decay on biases, norms and LayerScale,
//! and a separate (at first frozen) rate for the head's prototypes.

use tch::{Kind, Tensor};

/// Part of the network a parameter belongs to; gradients are clipped per part.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    Backbone,
    Head,
}

/// One trainable tensor and its multipliers.
#[derive(Debug)]
pub struct Param {
    pub name: String,
    pub tensor: Tensor,
    pub part: Part,
    pub lr_multiplier: f64,
    pub wd_multiplier: f64,
    /// The head's prototypes, whose rate follows the last-layer schedule.
    pub last_layer: bool,
}

/// Layer-wise rates: `decay^(depth + 1 - layer)` where the embeddings are layer 0, block `i`
/// is layer `i + 1`, and everything else (final norm, head) is layer `depth + 1`.
pub fn layer_decay_multiplier(name: &str, depth: i64, decay: f64) -> f64 {
    let embeddings = ["pos_embed", "patch_embed", "mask_token", "cls_token", "register_tokens"];
    let layer = if embeddings.iter().any(|prefix| name.starts_with(prefix)) {
        0
    } else if let Some(rest) = name.strip_prefix("blocks.") {
        rest.split('.').next().and_then(|index| index.parse::<i64>().ok()).map_or(depth + 1, |index| index + 1)
    } else {
        depth + 1
    };
    decay.powi((depth + 1 - layer) as i32)
}

/// Weight decay applies to weights only: not to biases, norms or LayerScale gammas.
pub fn decays(name: &str) -> bool {
    !(name.ends_with(".bias") || name.contains("norm") || name.contains("gamma"))
}

/// Scales the gradients of `params` so their joint L2 norm is at most `max_norm`, as
/// `torch.nn.utils.clip_grad_norm_` does; returns the norm before clipping.
pub fn clip_gradients(params: &[&Tensor], max_norm: f64) -> f64 {
    let grads: Vec<Tensor> = params.iter().map(|p| p.grad()).filter(|g| g.defined()).collect();
    if grads.is_empty() {
        return 0.0;
    }
    let squares: Vec<Tensor> = grads.iter().map(|g| g.to_kind(Kind::Float).square().sum(Kind::Float)).collect();
    let total = Tensor::stack(&squares, 0).sum(Kind::Float).sqrt().double_value(&[]);
    let coefficient = max_norm / (total + 1e-6);
    if coefficient < 1.0 {
        tch::no_grad(|| {
            for grad in &grads {
                let _ = grad.shallow_clone().g_mul_scalar_(coefficient);
            }
        });
    }
    total
}

/// Moves each teacher tensor towards its student tensor: teacher <- m * teacher + (1 - m) * student.
pub fn ema_update(teacher: &[Tensor], student: &[Tensor], momentum: f64) {
    tch::no_grad(|| {
        for (t, s) in teacher.iter().zip(student) {
            let _ = t.shallow_clone().lerp_(s, 1.0 - momentum);
        }
    });
}

/// AdamW (decoupled weight decay, bias-corrected moments) as `torch.optim.AdamW` computes it.
#[derive(Debug)]
pub struct AdamW {
    pub params: Vec<Param>,
    pub exp_avg: Vec<Tensor>,
    pub exp_avg_sq: Vec<Tensor>,
    /// Updates applied so far.
    pub steps: i64,
    pub beta1: f64,
    pub beta2: f64,
    pub eps: f64,
}

impl AdamW {
    pub fn new(params: Vec<Param>, beta1: f64, beta2: f64) -> Self {
        let exp_avg = params.iter().map(|p| p.tensor.zeros_like()).collect();
        let exp_avg_sq = params.iter().map(|p| p.tensor.zeros_like()).collect();
        AdamW { params, exp_avg, exp_avg_sq, steps: 0, beta1, beta2, eps: 1e-8 }
    }

    /// Zeroes every gradient.
    pub fn zero_grad(&self) {
        for param in &self.params {
            let mut grad = param.tensor.grad();
            if grad.defined() {
                let _ = grad.detach_().zero_();
            }
        }
    }

    /// Applies one update with base rate `lr` (the prototypes use `last_layer_lr`) and
    /// weight decay `weight_decay`, each scaled by the parameter's multipliers. Parameters
    /// without a gradient are left alone.
    pub fn step(&mut self, lr: f64, last_layer_lr: f64, weight_decay: f64) {
        self.steps += 1;
        let correction1 = 1.0 - self.beta1.powi(self.steps as i32);
        let correction2 = 1.0 - self.beta2.powi(self.steps as i32);
        tch::no_grad(|| {
            for ((param, m), v) in self.params.iter().zip(&self.exp_avg).zip(&self.exp_avg_sq) {
                let grad = param.tensor.grad();
                if !grad.defined() {
                    continue;
                }
                let rate = if param.last_layer { last_layer_lr } else { lr } * param.lr_multiplier;
                let decay = weight_decay * param.wd_multiplier;
                let mut p = param.tensor.shallow_clone();
                let _ = p.g_mul_scalar_(1.0 - rate * decay);
                let _ = m.shallow_clone().lerp_(&grad, 1.0 - self.beta1);
                let _ = v.shallow_clone().g_mul_scalar_(self.beta2).addcmul_(&grad, &grad.g_mul_scalar(1.0 - self.beta2));
                let denominator = (v / correction2).sqrt() + self.eps;
                let _ = p.addcdiv_(&(m * (-rate / correction1)), &denominator);
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tch::Device;

    #[test]
    fn layer_decay_follows_depth() {
        let depth = 4;
        assert!((layer_decay_multiplier("patch_embed.proj.weight", depth, 0.5) - 0.5f64.powi(5)).abs() < 1e-15);
        assert!((layer_decay_multiplier("cls_token", depth, 0.5) - 0.5f64.powi(5)).abs() < 1e-15);
        assert!((layer_decay_multiplier("blocks.0.attn.qkv.weight", depth, 0.5) - 0.5f64.powi(4)).abs() < 1e-15);
        assert!((layer_decay_multiplier("blocks.3.mlp.fc1.bias", depth, 0.5) - 0.5).abs() < 1e-15);
        assert_eq!(layer_decay_multiplier("norm.weight", depth, 0.5), 1.0);
    }

    #[test]
    fn no_decay_on_biases_norms_and_gammas() {
        assert!(decays("blocks.0.attn.qkv.weight"));
        assert!(decays("pos_embed"));
        assert!(!decays("blocks.0.attn.qkv.bias"));
        assert!(!decays("blocks.0.norm1.weight"));
        assert!(!decays("blocks.0.ls1.gamma"));
    }

    #[test]
    fn ema_has_its_closed_form() {
        let teacher = vec![Tensor::from_slice(&[1.0f32, 2.0])];
        let student = vec![Tensor::from_slice(&[3.0f32, -2.0])];
        ema_update(&teacher, &student, 0.9);
        // 0.9 * 1 + 0.1 * 3 = 1.2; 0.9 * 2 + 0.1 * -2 = 1.6
        assert!(teacher[0].allclose(&Tensor::from_slice(&[1.2f32, 1.6]), 1e-6, 1e-6, false));
        ema_update(&teacher, &student, 1.0);
        assert!(teacher[0].allclose(&Tensor::from_slice(&[1.2f32, 1.6]), 1e-6, 1e-6, false));
    }

    #[test]
    fn clipping_scales_to_the_max_norm() {
        let p = Tensor::from_slice(&[3.0f32, 4.0]).set_requires_grad(true);
        (&p * &p).sum(Kind::Float).multiply_scalar(0.5).backward();
        // Gradient (3, 4), norm 5.
        let norm = clip_gradients(&[&p], 1.0);
        assert!((norm - 5.0).abs() < 1e-6);
        assert!(p.grad().allclose(&Tensor::from_slice(&[0.6f32, 0.8]), 1e-5, 1e-5, false));
    }

    #[test]
    fn one_adamw_step_by_hand() {
        let p = Tensor::from_slice(&[1.0f32]).set_requires_grad(true);
        (&p * 2.0).sum(Kind::Float).backward();
        let mut optimizer = AdamW::new(
            vec![Param { name: "w".into(), tensor: p.shallow_clone(), part: Part::Backbone, lr_multiplier: 1.0, wd_multiplier: 1.0, last_layer: false }],
            0.9,
            0.999,
        );
        optimizer.step(0.1, 0.0, 0.5);
        // Decay: 1 * (1 - 0.1 * 0.5) = 0.95; the first bias-corrected step is lr * g / |g|.
        let expected = 0.95 - 0.1 * 2.0 / (2.0 + 1e-8);
        assert!((p.double_value(&[0]) - expected).abs() < 1e-6);
        let _ = Device::Cpu;
    }
}
