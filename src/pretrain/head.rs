//! The DINO projection head: an MLP to a bottleneck, L2 normalisation, then weight-normalised
//! prototypes. Parameter names follow DINOv2's `DINOHead` (`mlp.0`, `mlp.2`, `mlp.4`,
//! `last_layer.weight_g`, `last_layer.weight_v`).

use tch::nn;
use tch::{Kind, Tensor};

use crate::encoder::vit::{dense, linear};

#[derive(Debug, Clone, PartialEq, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct HeadConfig {
    /// Number of prototypes (the softmax width).
    pub prototypes: i64,
    pub hidden_dim: i64,
    pub bottleneck_dim: i64,
    /// Linear layers of the MLP before the prototypes (DINOv2: 3).
    #[serde(default = "default_layers")]
    pub layers: usize,
}

fn default_layers() -> usize {
    3
}

#[derive(Debug)]
pub struct DinoHead {
    mlp: Vec<nn::Linear>,
    /// Direction of each prototype, `[K, bottleneck]`.
    weight_v: Tensor,
    /// Length of each prototype, `[K, 1]`, fixed at 1 (DINO's `norm_last_layer`): trained
    /// lengths can shrink to 0, and then every logit is 0 and the outputs are uniform.
    weight_g: Tensor,
}

impl DinoHead {
    pub fn new(vs: &nn::Path, input_dim: i64, config: &HeadConfig) -> Self {
        let layers = config.layers.max(1);
        let mut mlp = Vec::with_capacity(layers);
        for i in 0..layers {
            let input = if i == 0 { input_dim } else { config.hidden_dim };
            let output = if i + 1 == layers { config.bottleneck_dim } else { config.hidden_dim };
            // nn.Sequential numbers the GELUs too: the linear layers are mlp.0, mlp.2, ...
            mlp.push(linear(vs / "mlp" / (2 * i), input, output));
        }
        let last = vs / "last_layer";
        let weight_v = last.var("weight_v", &[config.prototypes, config.bottleneck_dim], nn::Init::Randn { mean: 0.0, stdev: 0.02 });
        let weight_g = last.ones_no_train("weight_g", &[config.prototypes, 1]);
        DinoHead { mlp, weight_v, weight_g }
    }

    /// Maps `[N, D]` tokens to `[N, K]` prototype logits in the dtype of `x`.
    pub fn forward(&self, x: &Tensor) -> Tensor {
        let mut x = x.shallow_clone();
        for (i, layer) in self.mlp.iter().enumerate() {
            x = dense(layer, &x);
            if i + 1 < self.mlp.len() {
                x = x.gelu("none");
            }
        }
        let eps = if x.kind() == Kind::Half { 1e-6 } else { 1e-12 };
        let norm = x.norm_scalaropt_dim(2, [-1], true).clamp_min(eps);
        let x = &x / norm;
        let direction = &self.weight_v / self.weight_v.norm_scalaropt_dim(2, [1], true);
        let weight = (direction * &self.weight_g).to_kind(x.kind());
        x.matmul(&weight.transpose(0, 1))
    }
}
