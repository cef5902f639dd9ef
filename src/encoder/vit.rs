//! Vision transformer with the DINOv2 architecture options, in tch.
//!
//! Parameter names follow the keys of DINOv2's own checkpoints (`patch_embed.proj`,
//! `blocks.N.attn.qkv`, `blocks.N.ls1.gamma`, `norm`, ...), so a state dict maps onto the
//! variable store key for key. This file builds the model and runs it; it never opens
//! files.

use tch::nn::{self, Module};
use tch::{Kind, Tensor};

use crate::spec::Architecture;

/// Feed-forward variant of each block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FeedForward {
    /// fc1 -> GELU -> fc2.
    Mlp,
    /// DINOv2's fused SwiGLU (`w12`, `w3`), as in ViT-g.
    SwiGlu,
}

#[derive(Debug, Clone, PartialEq)]
pub struct VitConfig {
    pub embed_dim: i64,
    pub depth: i64,
    pub num_heads: i64,
    pub mlp_ratio: f64,
    pub patch_size: i64,
    /// Input size the position embedding was trained at; other sizes are interpolated.
    pub image_size: i64,
    pub in_chans: i64,
    pub num_register_tokens: i64,
    pub feed_forward: FeedForward,
    /// LayerScale initial value; `None` means no LayerScale.
    pub layerscale_init: Option<f64>,
    pub layer_norm_eps: f64,
    /// DINOv2 adds this to the target grid size when interpolating position embeddings.
    pub interpolate_offset: f64,
}

impl VitConfig {
    /// DINOv2 presets: ViT-S, B, L and g (and a tiny one for tests and CPU runs).
    pub fn preset(architecture: Architecture, patch_size: i64, image_size: i64) -> Option<VitConfig> {
        let (embed_dim, depth, num_heads, feed_forward) = match architecture {
            Architecture::VitTiny => (192, 12, 3, FeedForward::Mlp),
            Architecture::VitSmall => (384, 12, 6, FeedForward::Mlp),
            Architecture::VitBase => (768, 12, 12, FeedForward::Mlp),
            Architecture::VitLarge => (1024, 24, 16, FeedForward::Mlp),
            Architecture::VitGiant => (1536, 40, 24, FeedForward::SwiGlu),
            Architecture::RawPixels => return None,
        };
        Some(VitConfig {
            embed_dim,
            depth,
            num_heads,
            mlp_ratio: 4.0,
            patch_size,
            image_size,
            in_chans: 3,
            num_register_tokens: 0,
            feed_forward,
            layerscale_init: Some(1.0),
            layer_norm_eps: 1e-6,
            interpolate_offset: 0.1,
        })
    }

    pub fn grid_size(&self) -> i64 {
        self.image_size / self.patch_size
    }

    /// Hidden width of the feed-forward layer (DINOv2 rounds SwiGLU's to a multiple of 8).
    pub fn hidden_dim(&self) -> i64 {
        let hidden = (self.embed_dim as f64 * self.mlp_ratio) as i64;
        match self.feed_forward {
            FeedForward::Mlp => hidden,
            FeedForward::SwiGlu => ((hidden * 2 / 3) + 7) / 8 * 8,
        }
    }

    /// Multiply-accumulate count of one forward pass at `image_size`, times 2 (FLOPs).
    pub fn flops(&self, image_size: i64) -> f64 {
        let tokens = ((image_size / self.patch_size).pow(2) + 1 + self.num_register_tokens) as f64;
        let d = self.embed_dim as f64;
        let h = self.hidden_dim() as f64;
        let ffn = match self.feed_forward {
            FeedForward::Mlp => 2.0 * d * h,
            FeedForward::SwiGlu => 3.0 * d * h,
        };
        let per_block = tokens * (4.0 * d * d + ffn) + 2.0 * tokens * tokens * d;
        let patch = (image_size / self.patch_size).pow(2) as f64 * (self.in_chans * self.patch_size * self.patch_size) as f64 * d;
        2.0 * (self.depth as f64 * per_block + patch)
    }
}

/// Output of a forward pass, all after the final norm.
pub struct VitOutput {
    /// [B, D]
    pub cls: Tensor,
    /// [B, R, D]
    pub registers: Tensor,
    /// [B, N, D]
    pub patches: Tensor,
}

#[derive(Debug)]
struct LayerScale {
    gamma: Option<Tensor>,
}

impl LayerScale {
    fn new(vs: nn::Path, dim: i64, init: Option<f64>) -> Self {
        LayerScale { gamma: init.map(|value| vs.var("gamma", &[dim], nn::Init::Const(value))) }
    }

    fn forward(&self, x: &Tensor) -> Tensor {
        match &self.gamma {
            Some(gamma) => x * gamma,
            None => x.shallow_clone(),
        }
    }
}

#[derive(Debug)]
struct Attention {
    qkv: nn::Linear,
    proj: nn::Linear,
    num_heads: i64,
}

impl Attention {
    fn new(vs: nn::Path, dim: i64, num_heads: i64) -> Self {
        Attention { qkv: linear(&vs / "qkv", dim, 3 * dim), proj: linear(&vs / "proj", dim, dim), num_heads }
    }

    fn forward(&self, x: &Tensor) -> Tensor {
        let (b, n, d) = x.size3().expect("tokens are [batch, tokens, dim]");
        let qkv = self.qkv.forward(x).reshape([b, n, 3, self.num_heads, d / self.num_heads]).permute([2, 0, 3, 1, 4]);
        let (q, k, v) = (qkv.get(0), qkv.get(1), qkv.get(2));
        let out = Tensor::scaled_dot_product_attention(&q, &k, &v, None::<Tensor>, 0.0, false, None, false);
        self.proj.forward(&out.transpose(1, 2).reshape([b, n, d]))
    }
}

#[derive(Debug)]
enum Ffn {
    Mlp { fc1: nn::Linear, fc2: nn::Linear },
    SwiGlu { w12: nn::Linear, w3: nn::Linear },
}

impl Ffn {
    fn new(vs: nn::Path, config: &VitConfig) -> Self {
        let (d, h) = (config.embed_dim, config.hidden_dim());
        match config.feed_forward {
            FeedForward::Mlp => Ffn::Mlp { fc1: linear(&vs / "fc1", d, h), fc2: linear(&vs / "fc2", h, d) },
            FeedForward::SwiGlu => Ffn::SwiGlu { w12: linear(&vs / "w12", d, 2 * h), w3: linear(&vs / "w3", h, d) },
        }
    }

    fn forward(&self, x: &Tensor) -> Tensor {
        match self {
            Ffn::Mlp { fc1, fc2 } => fc2.forward(&fc1.forward(x).gelu("none")),
            Ffn::SwiGlu { w12, w3 } => {
                let both = w12.forward(x);
                let halves = both.chunk(2, -1);
                w3.forward(&(halves[0].silu() * &halves[1]))
            }
        }
    }
}

#[derive(Debug)]
struct Block {
    norm1: nn::LayerNorm,
    attn: Attention,
    ls1: LayerScale,
    norm2: nn::LayerNorm,
    mlp: Ffn,
    ls2: LayerScale,
}

impl Block {
    fn new(vs: nn::Path, config: &VitConfig) -> Self {
        let d = config.embed_dim;
        Block {
            norm1: layer_norm(&vs / "norm1", d, config.layer_norm_eps),
            attn: Attention::new(&vs / "attn", d, config.num_heads),
            ls1: LayerScale::new(&vs / "ls1", d, config.layerscale_init),
            norm2: layer_norm(&vs / "norm2", d, config.layer_norm_eps),
            mlp: Ffn::new(&vs / "mlp", config),
            ls2: LayerScale::new(&vs / "ls2", d, config.layerscale_init),
        }
    }

    fn forward(&self, x: &Tensor) -> Tensor {
        let x = x + self.ls1.forward(&self.attn.forward(&self.norm1.forward(x)));
        &x + self.ls2.forward(&self.mlp.forward(&self.norm2.forward(&x)))
    }
}

/// Linear layer with the ViT initialisation (normal, std 0.02; zero bias).
fn linear(vs: nn::Path, input: i64, output: i64) -> nn::Linear {
    let config = nn::LinearConfig {
        ws_init: nn::Init::Randn { mean: 0.0, stdev: 0.02 },
        bs_init: Some(nn::Init::Const(0.0)),
        bias: true,
    };
    nn::linear(vs, input, output, config)
}

fn layer_norm(vs: nn::Path, dim: i64, eps: f64) -> nn::LayerNorm {
    nn::layer_norm(vs, vec![dim], nn::LayerNormConfig { eps, ..Default::default() })
}

/// The transformer. Build it inside a `VarStore` whose root is the backbone prefix.
#[derive(Debug)]
pub struct Vit {
    pub config: VitConfig,
    patch_embed: nn::Conv2D,
    cls_token: Tensor,
    pos_embed: Tensor,
    register_tokens: Option<Tensor>,
    blocks: Vec<Block>,
    norm: nn::LayerNorm,
}

impl Vit {
    pub fn new(vs: &nn::Path, config: VitConfig) -> Self {
        let d = config.embed_dim;
        let conv = nn::ConvConfig { stride: config.patch_size, ..Default::default() };
        let patch_embed = nn::conv2d(vs / "patch_embed" / "proj", config.in_chans, d, config.patch_size, conv);
        let cls_token = vs.var("cls_token", &[1, 1, d], nn::Init::Randn { mean: 0.0, stdev: 1e-6 });
        let positions = config.grid_size() * config.grid_size() + 1;
        let pos_embed = vs.var("pos_embed", &[1, positions, d], nn::Init::Randn { mean: 0.0, stdev: 0.02 });
        let register_tokens = (config.num_register_tokens > 0)
            .then(|| vs.var("register_tokens", &[1, config.num_register_tokens, d], nn::Init::Randn { mean: 0.0, stdev: 1e-6 }));
        // DINOv2 checkpoints carry a mask token for iBOT; it is unused at inference.
        let _mask_token = vs.var("mask_token", &[1, d], nn::Init::Const(0.0));
        let blocks = (0..config.depth).map(|i| Block::new(vs / "blocks" / i, &config)).collect();
        let norm = layer_norm(vs / "norm", d, config.layer_norm_eps);
        Vit { config, patch_embed, cls_token, pos_embed, register_tokens, blocks, norm }
    }

    /// Position embeddings for a `height` x `width` pixel input, following DINOv2's
    /// bicubic interpolation with its 0.1 offset on the target grid.
    fn position_embedding(&self, height: i64, width: i64) -> Tensor {
        let stored = self.pos_embed.size()[1] - 1;
        let (h0, w0) = (height / self.config.patch_size, width / self.config.patch_size);
        if h0 * w0 == stored && h0 == w0 {
            return self.pos_embed.shallow_clone();
        }
        let m = (stored as f64).sqrt() as i64;
        let d = self.config.embed_dim;
        let class_pos = self.pos_embed.narrow(1, 0, 1);
        let grid = self.pos_embed.narrow(1, 1, stored).reshape([1, m, m, d]).permute([0, 3, 1, 2]);
        // DINOv2 passes (w0, h0) as the (rows, columns) scale; inputs here are square.
        let scale_rows = (w0 as f64 + self.config.interpolate_offset) / m as f64;
        let scale_cols = (h0 as f64 + self.config.interpolate_offset) / m as f64;
        let out_rows = (m as f64 * scale_rows).floor() as i64;
        let out_cols = (m as f64 * scale_cols).floor() as i64;
        let grid = grid.upsample_bicubic2d([out_rows, out_cols], false, scale_rows, scale_cols);
        let grid = grid.permute([0, 2, 3, 1]).reshape([1, -1, d]);
        let kind = class_pos.kind();
        Tensor::cat(&[class_pos, grid.to_kind(kind)], 1)
    }

    /// Runs the transformer on `[B, C, H, W]` images whose sides are multiples of the patch.
    pub fn forward(&self, images: &Tensor) -> VitOutput {
        let (b, _, h, w) = images.size4().expect("images are [batch, channels, height, width]");
        let x = self.patch_embed.forward(images).flatten(2, 3).transpose(1, 2);
        let cls = self.cls_token.expand([b, 1, self.config.embed_dim], false);
        let mut x = Tensor::cat(&[cls, x], 1) + self.position_embedding(h, w);
        if let Some(registers) = &self.register_tokens {
            let registers = registers.expand([b, self.config.num_register_tokens, self.config.embed_dim], false);
            x = Tensor::cat(&[x.narrow(1, 0, 1), registers, x.narrow(1, 1, x.size()[1] - 1)], 1);
        }
        for block in &self.blocks {
            x = block.forward(&x);
        }
        let x = self.norm.forward(&x);
        let r = self.config.num_register_tokens;
        let tokens = x.size()[1];
        VitOutput { cls: x.select(1, 0), registers: x.narrow(1, 1, r), patches: x.narrow(1, 1 + r, tokens - 1 - r) }
    }

    /// The DINOv2 linear-probe feature: CLS token concatenated with the mean patch token.
    pub fn probe_features(&self, images: &Tensor) -> Tensor {
        let out = self.forward(images);
        Tensor::cat(&[out.cls, out.patches.mean_dim(1, false, Kind::Float)], 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tch::Device;

    fn tiny(image_size: i64) -> VitConfig {
        VitConfig { depth: 2, ..VitConfig::preset(Architecture::VitTiny, 16, image_size).unwrap() }
    }

    #[test]
    fn forward_shapes_match_the_grid() {
        tch::manual_seed(0);
        let vs = nn::VarStore::new(Device::Cpu);
        let vit = Vit::new(&vs.root(), VitConfig { num_register_tokens: 2, ..tiny(64) });
        let out = tch::no_grad(|| vit.forward(&Tensor::randn([2, 3, 64, 64], (Kind::Float, Device::Cpu))));
        assert_eq!(out.cls.size(), [2, 192]);
        assert_eq!(out.registers.size(), [2, 2, 192]);
        assert_eq!(out.patches.size(), [2, 16, 192]);
    }

    #[test]
    fn position_embedding_interpolates_to_new_grid() {
        tch::manual_seed(0);
        let vs = nn::VarStore::new(Device::Cpu);
        let vit = Vit::new(&vs.root(), tiny(64));
        let out = tch::no_grad(|| vit.forward(&Tensor::randn([1, 3, 96, 96], (Kind::Float, Device::Cpu))));
        assert_eq!(out.patches.size(), [1, 36, 192]);
        let probe = tch::no_grad(|| vit.probe_features(&Tensor::randn([1, 3, 96, 96], (Kind::Float, Device::Cpu))));
        assert_eq!(probe.size(), [1, 384]);
    }

    #[test]
    fn parameter_names_follow_dinov2_keys() {
        let vs = nn::VarStore::new(Device::Cpu);
        let _vit = Vit::new(&vs.root(), tiny(64));
        let names = vs.variables();
        for key in ["cls_token", "pos_embed", "patch_embed.proj.weight", "blocks.1.attn.qkv.weight", "blocks.0.ls2.gamma", "blocks.0.mlp.fc1.bias", "norm.weight"] {
            assert!(names.contains_key(key), "missing {key}");
        }
    }

    #[test]
    fn flops_of_vit_small_224_match_the_usual_figure() {
        // ViT-S/16 at 224 px is quoted at 4.6 G multiply-accumulates (timm's model card
        // "GMACs: 4.6"), so 9.2 GFLOP counting the multiply and the add.
        let config = VitConfig::preset(Architecture::VitSmall, 16, 224).unwrap();
        let gflops = config.flops(224) / 1e9;
        assert!((gflops - 9.2).abs() < 0.1, "{gflops}");
    }
}
