//! The DINOv2 objectives: the DINO loss on CLS tokens, the iBOT loss on masked patch tokens,
//! the KoLeo regulariser, and the two ways of turning teacher logits into targets
//! (softmax after subtracting a running centre, or Sinkhorn-Knopp).
//!
//! All functions take and return float32 tensors; callers cast mixed-precision outputs first.

use tch::{Kind, Tensor};

/// Turns teacher logits `[B, K]` into targets: softmax((logits - centre) / temperature).
pub fn softmax_center_targets(logits: &Tensor, center: &Tensor, temperature: f64) -> Tensor {
    ((logits - center) / temperature).softmax(-1, Kind::Float)
}

/// Turns teacher logits `[B, K]` into targets with `iterations` rounds of Sinkhorn-Knopp
/// on exp(logits / temperature). Each round rescales the prototypes' totals to 1/K and the
/// samples' totals to 1/B, so the batch spreads evenly over the prototypes. Each returned
/// row sums to 1.
pub fn sinkhorn_knopp_targets(logits: &Tensor, temperature: f64, iterations: usize) -> Tensor {
    let (samples, prototypes) = logits.size2().expect("logits are [samples, prototypes]");
    let mut q = (logits.to_kind(Kind::Float) / temperature).exp().transpose(0, 1);
    q = &q / q.sum(Kind::Float);
    for _ in 0..iterations {
        q = &q / q.sum_dim_intlist(1, true, Kind::Float) / prototypes as f64;
        q = &q / q.sum_dim_intlist(0, true, Kind::Float) / samples as f64;
    }
    (q * samples as f64).transpose(0, 1)
}

/// Running centre of the teacher logits for softmax centring:
/// centre <- momentum * centre + (1 - momentum) * batch mean.
#[derive(Debug)]
pub struct Center {
    pub value: Tensor,
    pub momentum: f64,
}

impl Center {
    pub fn new(prototypes: i64, momentum: f64, device: tch::Device) -> Self {
        Center { value: Tensor::zeros([1, prototypes], (Kind::Float, device)), momentum }
    }

    /// Moves the centre towards the mean of `logits` `[B, K]`.
    pub fn update(&mut self, logits: &Tensor) {
        let batch = logits.to_kind(Kind::Float).mean_dim(0, true, Kind::Float);
        let updated = &self.value * self.momentum + batch * (1.0 - self.momentum);
        self.value = updated.detach();
    }
}

/// Cross-entropy of the student's distribution against a target, per row:
/// -sum(target * log_softmax(student / temperature)).
fn cross_entropy_rows(student: &Tensor, target: &Tensor, temperature: f64) -> Tensor {
    -(target * (student / temperature).log_softmax(-1, Kind::Float)).sum_dim_intlist(-1, false, Kind::Float)
}

/// Sums the DINO cross-entropies (each the batch mean) of every pair of a student crop and
/// a teacher crop, `[B, K]` each. With `skip_same_view`, student crop `i` is not compared
/// with teacher crop `i` (both come from global crop `i`). Returns the sum and the number
/// of pairs.
pub fn dino_pair_sum(student: &[Tensor], teacher: &[Tensor], temperature: f64, skip_same_view: bool) -> (Tensor, usize) {
    let mut total = Tensor::zeros([], (Kind::Float, teacher.first().map_or(tch::Device::Cpu, |t| t.device())));
    let mut pairs = 0;
    for (s, student_crop) in student.iter().enumerate() {
        for (t, target) in teacher.iter().enumerate() {
            if skip_same_view && s == t {
                continue;
            }
            total = total + cross_entropy_rows(student_crop, target, temperature).mean(Kind::Float);
            pairs += 1;
        }
    }
    (total, pairs)
}

/// DINO loss of a batch: `global` and `local` hold the logits of the student's global and
/// local crops, `teacher` the targets of the global crops (`[B, K]` each). The loss is the
/// mean over all cross-view pairs: each global crop against the other global crops, each
/// local crop against every global crop.
pub fn dino_loss(global: &[Tensor], local: &[Tensor], teacher: &[Tensor], temperature: f64) -> Tensor {
    let (global_sum, global_pairs) = dino_pair_sum(global, teacher, temperature, true);
    let (local_sum, local_pairs) = dino_pair_sum(local, teacher, temperature, false);
    (global_sum + local_sum) / (global_pairs + local_pairs) as f64
}

/// Weights of the masked patches for the iBOT loss, in the order of `mask_rows` (one row
/// of patches per crop): 1 / (masked patches in the patch's crop), so each crop counts once.
pub fn masked_patch_weights(mask_rows: &[Vec<bool>]) -> Vec<f32> {
    mask_rows
        .iter()
        .flat_map(|row| {
            let count = row.iter().filter(|&&masked| masked).count();
            std::iter::repeat_n(1.0 / count.max(1) as f32, count)
        })
        .collect()
}

/// iBOT loss: `student` and `teacher` are the logits and targets of the masked patches
/// `[M, K]`, `weights` `[M]` is 1 / (masked patches in the patch's image), so each image
/// counts once; the sum is divided by the number of images `images` (masked or not).
pub fn ibot_loss(student: &Tensor, teacher: &Tensor, weights: &Tensor, images: i64, temperature: f64) -> Tensor {
    (cross_entropy_rows(student, teacher, temperature) * weights).sum(Kind::Float) / images as f64
}

/// KoLeo regulariser (Sablayrolles et al., 2019) on `[B, D]` features: minus the mean log
/// distance from each L2-normalised feature to its nearest neighbour in the batch. It
/// pushes features apart, so the batch spreads over the sphere.
pub fn koleo_loss(features: &Tensor) -> Tensor {
    let eps = 1e-8;
    let x = features.to_kind(Kind::Float);
    let norms = x.norm_scalaropt_dim(2, [-1], true).clamp_min(eps);
    let x = &x / norms;
    let n = x.size()[0];
    let neighbours = tch::no_grad(|| {
        let dots = x.matmul(&x.transpose(0, 1));
        let dots = dots - Tensor::eye(n, (Kind::Float, x.device())) * 2.0;
        dots.argmax(1, false)
    });
    // torch.nn.PairwiseDistance adds eps to the difference before the norm.
    let distances = (&x - x.index_select(0, &neighbours) + eps).norm_scalaropt_dim(2, [-1], false);
    -(distances + eps).log().mean(Kind::Float)
}

#[cfg(test)]
mod tests {
    use super::*;
    use tch::Device;

    #[test]
    fn sinkhorn_targets_are_distributions_with_balanced_columns() {
        let logits = Tensor::from_slice(&(0..128).map(|i| (i * 37 % 101) as f32 / 50.0 - 1.0).collect::<Vec<_>>()).reshape([16, 8]);
        let ones = Tensor::ones([16], (Kind::Float, Device::Cpu));
        for iterations in [3, 300] {
            let rows = sinkhorn_knopp_targets(&logits, 0.1, iterations).sum_dim_intlist(1, false, Kind::Float);
            assert!(rows.allclose(&ones, 1e-5, 1e-5, false), "{iterations} iterations");
        }
        // Iterated to convergence, every prototype receives B/K = 2 of the batch.
        let columns = sinkhorn_knopp_targets(&logits, 0.1, 300).sum_dim_intlist(0, false, Kind::Float);
        assert!(columns.allclose(&Tensor::full([8], 2.0, (Kind::Float, Device::Cpu)), 1e-3, 1e-3, false), "{columns}");
    }

    #[test]
    fn center_moves_by_its_momentum() {
        let mut center = Center::new(3, 0.9, Device::Cpu);
        center.update(&Tensor::from_slice(&[1.0f32, 2.0, 3.0, 3.0, 2.0, 1.0]).reshape([2, 3]));
        let expected = Tensor::from_slice(&[0.2f32, 0.2, 0.2]).reshape([1, 3]);
        assert!(center.value.allclose(&expected, 1e-6, 1e-6, false));
    }

    #[test]
    fn dino_loss_skips_same_view_pairs() {
        // One crop compared with itself only: no pairs. With two crops, each matches the other.
        let a = Tensor::from_slice(&[1.0f32, 0.0]).reshape([1, 2]);
        let b = Tensor::from_slice(&[0.0f32, 1.0]).reshape([1, 2]);
        let target_b = b.softmax(-1, Kind::Float);
        let target_a = a.softmax(-1, Kind::Float);
        let loss = dino_loss(&[a.shallow_clone(), b.shallow_clone()], &[], &[target_a.shallow_clone(), target_b.shallow_clone()], 1.0);
        let expected = (cross_entropy_rows(&a, &target_b, 1.0) + cross_entropy_rows(&b, &target_a, 1.0)) / 2.0;
        assert!(loss.allclose(&expected.squeeze(), 1e-6, 1e-6, false));
    }
}
