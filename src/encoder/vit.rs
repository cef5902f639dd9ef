//! Vision transformer with the DINOv2 architecture options, in tch.
//!
//! Parameter names follow the keys of DINOv2's own checkpoints (`patch_embed.proj`,
//! `blocks.N.attn.qkv`, `blocks.N.ls1.gamma`, `norm`, ...), so a state dict maps onto the
//! variable store key for key. This file builds the model and runs it; it never opens
//! files (`load.rs` reads checkpoints).
//!
//! A forward pass computes in the dtype of its input: parameters of another dtype are cast
//! on use, and layer norms run in float32 when input and parameters differ. Float32 weights
//! fed bfloat16 images therefore give the mixed precision that pretraining uses on CUDA,
//! with gradients reaching the float32 weights; a store converted to bfloat16 and fed
//! bfloat16 images runs entirely in bfloat16, as frozen extraction does.

use tch::nn::{self, Module};
use tch::{Device, Kind, Tensor};

use crate::spec::Architecture;

/// Feed-forward variant of each block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FeedForward {
    /// fc1 -> GELU -> fc2.
    Mlp,
    /// DINOv2's fused SwiGLU (`w12`, `w3`), as in ViT-g.
    SwiGlu,
}

/// Rule for resizing the stored position embedding when the input's patch grid differs
/// from the grid it was trained at. The implementations disagree, so a checkpoint only
/// reproduces its reference outputs with the rule of the code that produced it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum PosEmbedInterpolation {
    /// `interpolate_pos_encoding` of facebookresearch/dinov2
    /// `dinov2/models/vision_transformer.py`: bicubic with the scale factor
    /// `(grid + offset) / stored grid` when `offset` is not 0, else a resize to the exact
    /// grid. DINOv2's code before the register models hard-coded offset 0.1 without
    /// antialiasing.
    Dinov2 { offset: f64, antialias: bool },
    /// Bicubic resize to the exact grid. transformers 5.25 `Dinov2Model` resizes without
    /// antialiasing, `Dinov2WithRegistersModel` and timm 1.0 `resample_abs_pos_embed` with.
    Resize { antialias: bool },
}

impl Default for PosEmbedInterpolation {
    fn default() -> Self {
        PosEmbedInterpolation::Dinov2 { offset: 0.1, antialias: false }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct VitConfig {
    pub embed_dim: i64,
    pub depth: i64,
    pub num_heads: i64,
    pub mlp_ratio: f64,
    pub patch_size: i64,
    /// Input size the position embedding was trained at; other sizes are interpolated.
    /// `load_vit` sets it from the checkpoint's position embedding.
    pub image_size: i64,
    pub in_chans: i64,
    pub num_register_tokens: i64,
    pub feed_forward: FeedForward,
    /// LayerScale initial value; `None` means no LayerScale.
    pub layerscale_init: Option<f64>,
    pub layer_norm_eps: f64,
    pub pos_embed_interpolation: PosEmbedInterpolation,
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
            Architecture::RawPixels | Architecture::Torchscript => return None,
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
            pos_embed_interpolation: PosEmbedInterpolation::default(),
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
            Some(gamma) => x * gamma.to_kind(x.kind()),
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

    /// Splits the fused projection into queries, keys and values, each
    /// `[batch, heads, tokens, head_dim]`.
    fn project(&self, x: &Tensor) -> (Tensor, Tensor, Tensor) {
        let (b, n, d) = x.size3().expect("tokens are [batch, tokens, dim]");
        let qkv = dense(&self.qkv, x).reshape([b, n, 3, self.num_heads, d / self.num_heads]).permute([2, 0, 3, 1, 4]);
        (qkv.get(0), qkv.get(1), qkv.get(2))
    }

    fn merge_heads(&self, out: &Tensor, like: &Tensor) -> Tensor {
        dense(&self.proj, &out.transpose(1, 2).reshape(like.size()))
    }

    fn forward(&self, x: &Tensor) -> Tensor {
        let (q, k, v) = self.project(x);
        let out = Tensor::scaled_dot_product_attention(&q, &k, &v, None::<Tensor>, 0.0, false, None, false);
        self.merge_heads(&out, x)
    }

    /// Runs attention with the weights computed explicitly, because the fused kernel does
    /// not return them. Returns the output and softmax(QK^T / sqrt(head_dim)),
    /// `[batch, heads, tokens, tokens]`.
    fn forward_with_weights(&self, x: &Tensor) -> (Tensor, Tensor) {
        let (q, k, v) = self.project(x);
        let scale = (q.size()[3] as f64).powf(-0.5);
        let weights = (q * scale).matmul(&k.transpose(-2, -1)).softmax(-1, None::<Kind>);
        let out = weights.matmul(&v);
        (self.merge_heads(&out, x), weights)
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
            Ffn::Mlp { fc1, fc2 } => dense(fc2, &dense(fc1, x).gelu("none")),
            Ffn::SwiGlu { w12, w3 } => {
                let both = dense(w12, x);
                let halves = both.chunk(2, -1);
                dense(w3, &(halves[0].silu() * &halves[1]))
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
        let x = x + self.ls1.forward(&self.attn.forward(&norm(&self.norm1, x)));
        &x + self.ls2.forward(&self.mlp.forward(&norm(&self.norm2, &x)))
    }

    /// Runs the block and also returns its attention weights.
    fn forward_with_attention(&self, x: &Tensor) -> (Tensor, Tensor) {
        let (attended, weights) = self.attn.forward_with_weights(&norm(&self.norm1, x));
        let x = x + self.ls1.forward(&attended);
        let x = &x + self.ls2.forward(&self.mlp.forward(&norm(&self.norm2, &x)));
        (x, weights)
    }
}

/// Applies a linear layer through `aten::linear`, which fuses the bias into the matrix
/// product; `nn::Linear::forward` adds it in a second pass over the output.
/// The weights are cast to the dtype of `x` (a no-op when they already match).
pub(crate) fn dense(layer: &nn::Linear, x: &Tensor) -> Tensor {
    let kind = x.kind();
    x.linear(&layer.ws.to_kind(kind), layer.bs.as_ref().map(|bias| bias.to_kind(kind)))
}

/// Applies a layer norm in the dtype of `x` when its parameters share it, else in float32
/// with the result cast back to the dtype of `x`.
fn norm(layer: &nn::LayerNorm, x: &Tensor) -> Tensor {
    match &layer.ws {
        Some(weight) if weight.kind() != x.kind() => layer.forward(&x.to_kind(weight.kind())).to_kind(x.kind()),
        _ => layer.forward(x),
    }
}

/// Creates a linear layer with the ViT initialisation (normal, std 0.02; zero bias).
pub(crate) fn linear(vs: nn::Path, input: i64, output: i64) -> nn::Linear {
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

/// libtorch's random generator is global: `Vit::build_store` holds this lock from seeding
/// to the last draw, so that models built on other threads cannot interleave their draws.
static INIT_LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Runs `build` right after seeding libtorch's generator with `seed`, holding the lock that
/// keeps other threads' draws out until `build` returns.
pub fn seeded<T>(seed: u64, build: impl FnOnce() -> T) -> T {
    let _guard = INIT_LOCK.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    tch::manual_seed(seed as i64);
    build()
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
        let blocks = (0..config.depth).map(|i| Block::new(vs / "blocks" / i, &config)).collect();
        let norm = layer_norm(vs / "norm", d, config.layer_norm_eps);
        Vit { config, patch_embed, cls_token, pos_embed, register_tokens, blocks, norm }
    }

    /// Creates a variable store on `device` and a model in it, initialised from `seed`.
    pub fn build_store(config: VitConfig, device: Device, seed: u64) -> (nn::VarStore, Vit) {
        seeded(seed, || {
            let store = nn::VarStore::new(device);
            let model = Vit::new(&store.root(), config);
            (store, model)
        })
    }

    /// Position embeddings for a `height` x `width` pixel input: the stored ones when the
    /// patch grid matches, else resized by `config.pos_embed_interpolation` in float32.
    fn position_embedding(&self, height: i64, width: i64) -> Tensor {
        let stored = self.pos_embed.size()[1] - 1;
        let side = (stored as f64).sqrt().round() as i64;
        let (rows, cols) = (height / self.config.patch_size, width / self.config.patch_size);
        if rows == side && cols == side {
            return self.pos_embed.shallow_clone();
        }
        let d = self.config.embed_dim;
        let kind = self.pos_embed.kind();
        let class_pos = self.pos_embed.narrow(1, 0, 1);
        let grid = self.pos_embed.narrow(1, 1, stored).to_kind(Kind::Float).reshape([1, side, side, d]).permute([0, 3, 1, 2]);
        let grid = match self.config.pos_embed_interpolation {
            PosEmbedInterpolation::Dinov2 { offset, antialias } if offset != 0.0 => {
                // DINOv2 passes scale factors, so the kernel samples at (grid + offset) /
                // side rather than at grid / side, and the output size is floor(side * scale).
                let scale_rows = (rows as f64 + offset) / side as f64;
                let scale_cols = (cols as f64 + offset) / side as f64;
                let size = [(side as f64 * scale_rows).floor() as i64, (side as f64 * scale_cols).floor() as i64];
                bicubic(&grid, size, Some(scale_rows), Some(scale_cols), antialias)
            }
            PosEmbedInterpolation::Dinov2 { antialias, .. } | PosEmbedInterpolation::Resize { antialias } => {
                bicubic(&grid, [rows, cols], None, None, antialias)
            }
        };
        let grid = grid.permute([0, 2, 3, 1]).reshape([1, -1, d]).to_kind(kind);
        Tensor::cat(&[class_pos, grid], 1)
    }

    /// Patch, CLS and register tokens with position embeddings, before the blocks. Where
    /// `masks` (`[B, patches]`, boolean) is set, the patch embedding is replaced by
    /// `mask_token` (`[1, D]`) before the position embedding is added, as DINOv2 does for
    /// the iBOT objective.
    fn embed(&self, images: &Tensor, masks: Option<(&Tensor, &Tensor)>) -> Tensor {
        let (b, _, h, w) = images.size4().expect("images are [batch, channels, height, width]");
        let kind = images.kind();
        let conv = &self.patch_embed;
        let x = images
            .conv2d(&conv.ws.to_kind(kind), conv.bs.as_ref().map(|bias| bias.to_kind(kind)), [self.config.patch_size; 2], [0; 2], [1; 2], 1)
            .flatten(2, 3)
            .transpose(1, 2);
        let x = match masks {
            Some((masks, mask_token)) => x.where_self(&masks.logical_not().unsqueeze(-1), &mask_token.to_kind(kind).unsqueeze(0)),
            None => x,
        };
        let cls = self.cls_token.to_kind(kind).expand([b, 1, self.config.embed_dim], false);
        let x = Tensor::cat(&[cls, x], 1) + self.position_embedding(h, w).to_kind(kind);
        match &self.register_tokens {
            Some(registers) => {
                let registers = registers.to_kind(kind).expand([b, self.config.num_register_tokens, self.config.embed_dim], false);
                Tensor::cat(&[x.narrow(1, 0, 1), registers, x.narrow(1, 1, x.size()[1] - 1)], 1)
            }
            None => x,
        }
    }

    /// Splits the normed sequence into CLS, register and patch tokens.
    fn split(&self, x: &Tensor) -> VitOutput {
        let r = self.config.num_register_tokens;
        let tokens = x.size()[1];
        VitOutput { cls: x.select(1, 0), registers: x.narrow(1, 1, r), patches: x.narrow(1, 1 + r, tokens - 1 - r) }
    }

    /// Runs the transformer on `[B, C, H, W]` images whose sides are multiples of the patch.
    pub fn forward(&self, images: &Tensor) -> VitOutput {
        self.forward_masked(images, None)
    }

    /// Runs the transformer with the patches where `masks` is set replaced by the mask
    /// token (`masks` is `[B, patches]` boolean, `mask_token` is `[1, D]`).
    pub fn forward_masked(&self, images: &Tensor, masks: Option<(&Tensor, &Tensor)>) -> VitOutput {
        let mut x = self.embed(images, masks);
        for block in &self.blocks {
            x = block.forward(&x);
        }
        self.split(&norm(&self.norm, &x))
    }

    /// Runs the transformer like `forward` and also returns the last block's attention
    /// weights, softmax(QK^T / sqrt(head_dim)), `[B, heads, tokens, tokens]`. Token 0 is
    /// CLS, then come the registers, then the patches in row-major order. The last block
    /// runs without the fused attention kernel, so this is slower than `forward`.
    pub fn forward_with_last_attention(&self, images: &Tensor) -> (VitOutput, Tensor) {
        let (last, earlier) = self.blocks.split_last().expect("a ViT has at least one block");
        let mut x = self.embed(images, None);
        for block in earlier {
            x = block.forward(&x);
        }
        let (x, weights) = last.forward_with_attention(&x);
        (self.split(&norm(&self.norm, &x)), weights)
    }

    /// Computes the DINOv2 linear-probe feature: the CLS token concatenated with the
    /// mean patch token.
    pub fn probe_features(&self, images: &Tensor) -> Tensor {
        let out = self.forward(images);
        Tensor::cat(&[out.cls.to_kind(Kind::Float), out.patches.mean_dim(1, false, Kind::Float)], 1)
    }
}

/// Bicubic resampling of `[1, D, rows, cols]` as `torch.nn.functional.interpolate` does it
/// with `mode="bicubic", align_corners=False`: the scales, when given, are passed to the
/// kernel as PyTorch does for `scale_factor`.
fn bicubic(grid: &Tensor, size: [i64; 2], scale_rows: Option<f64>, scale_cols: Option<f64>, antialias: bool) -> Tensor {
    if antialias {
        grid.internal_upsample_bicubic2d_aa(size, false, scale_rows, scale_cols)
    } else {
        grid.upsample_bicubic2d(size, false, scale_rows, scale_cols)
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
    fn last_attention_rows_are_distributions() {
        tch::manual_seed(0);
        let vs = nn::VarStore::new(Device::Cpu);
        let vit = Vit::new(&vs.root(), VitConfig { num_register_tokens: 1, ..tiny(64) });
        let images = Tensor::randn([2, 3, 64, 64], (Kind::Float, Device::Cpu));
        let (out, weights) = tch::no_grad(|| vit.forward_with_last_attention(&images));
        assert_eq!(weights.size(), [2, 3, 18, 18]);
        let row_sums = weights.sum_dim_intlist(-1, false, Kind::Float);
        assert!(row_sums.allclose(&Tensor::ones_like(&row_sums), 1e-5, 1e-5, false));

        // The explicit attention of the last block gives the fused kernel's tokens.
        let fused = tch::no_grad(|| vit.forward(&images));
        assert!(out.cls.allclose(&fused.cls, 1e-5, 1e-5, false));
        assert!(out.patches.allclose(&fused.patches, 1e-5, 1e-5, false));
    }

    #[test]
    fn interpolation_rules_give_different_embeddings() {
        tch::manual_seed(0);
        let vs = nn::VarStore::new(Device::Cpu);
        let mut vit = Vit::new(&vs.root(), tiny(64));
        let mut embeddings = Vec::new();
        for rule in [
            PosEmbedInterpolation::Dinov2 { offset: 0.1, antialias: false },
            PosEmbedInterpolation::Resize { antialias: false },
            PosEmbedInterpolation::Resize { antialias: true },
        ] {
            vit.config.pos_embed_interpolation = rule;
            let resized = tch::no_grad(|| vit.position_embedding(80, 96));
            assert_eq!(resized.size(), [1, 1 + 5 * 6, 192], "{rule:?}");
            // The class position is never resized.
            assert!(resized.narrow(1, 0, 1).equal(&vit.pos_embed.narrow(1, 0, 1)), "{rule:?}");
            embeddings.push(resized);
        }
        assert!(!embeddings[0].allclose(&embeddings[1], 1e-6, 1e-6, false));
        assert!(!embeddings[1].allclose(&embeddings[2], 1e-6, 1e-6, false));
        // The native grid is passed through unchanged by every rule.
        assert!(vit.position_embedding(64, 64).equal(&vit.pos_embed));
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
    fn flops_of_vit_small_224() {
        // ViT-S/16 at 224 px is quoted at 4.6 G multiply-accumulates (timm's model card
        // "GMACs: 4.6"), so 9.2 GFLOP counting the multiply and the add.
        let config = VitConfig::preset(Architecture::VitSmall, 16, 224).unwrap();
        let gflops = config.flops(224) / 1e9;
        assert!((gflops - 9.2).abs() < 0.1, "{gflops}");
    }
}
