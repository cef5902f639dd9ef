//! Sources of each `Vit` variable in the checkpoint layouts the loaders read.
//!
//! `Vit` names its variables as DINOv2's checkpoints do. Hugging Face `Dinov2Model` and
//! timm's `VisionTransformer` name the same tensors differently, split the fused query,
//! key and value projection (Hugging Face), or keep the position embedding without the
//! class position (timm with `no_embed_class`). Keys here are relative to the backbone
//! prefix and, for DINOv2, already have the block chunk removed.

/// A checkpoint key layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Layout {
    Dinov2,
    HuggingFace {
        /// transformers 5 module names (`attention.q_proj`, `mlp.gate_proj`) rather than the
        /// Hub's (`attention.attention.query`, `mlp.weights_in`) that `save_pretrained`
        /// writes.
        module_names: bool,
    },
    Timm,
}

/// How to build one model variable from checkpoint tensors.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Source {
    /// One tensor of the variable's shape.
    Key(String),
    /// Tensors stacked along dimension 0, each an equal share of the variable's rows.
    Rows(Vec<String>),
    /// timm's `pos_embed`, whose class and register positions depend on the model options.
    TimmPosEmbed,
    /// timm's `reg_token`, plus the register positions when `pos_embed` has them.
    TimmRegisters,
}

impl Layout {
    /// Key whose name, possibly after a prefix, marks where the backbone starts.
    pub fn anchor(self) -> &'static str {
        match self {
            Layout::Dinov2 | Layout::Timm => "cls_token",
            Layout::HuggingFace { .. } => "embeddings.cls_token",
        }
    }

    pub fn patch_weight(self) -> &'static str {
        match self {
            Layout::Dinov2 | Layout::Timm => "patch_embed.proj.weight",
            Layout::HuggingFace { .. } => "embeddings.patch_embeddings.projection.weight",
        }
    }

    pub fn pos_embed(self) -> &'static str {
        match self {
            Layout::Dinov2 | Layout::Timm => "pos_embed",
            Layout::HuggingFace { .. } => "embeddings.position_embeddings",
        }
    }

    pub fn register_tokens(self) -> &'static str {
        match self {
            Layout::Dinov2 => "register_tokens",
            Layout::Timm => "reg_token",
            Layout::HuggingFace { .. } => "embeddings.register_tokens",
        }
    }

    /// LayerScale of the first block, whose absence means a model without LayerScale.
    pub fn first_layer_scale(self) -> &'static str {
        match self {
            Layout::Dinov2 | Layout::Timm => "blocks.0.ls1.gamma",
            Layout::HuggingFace { .. } => "encoder.layer.0.layer_scale1.lambda1",
        }
    }

    /// Keys that checkpoints carry but inference does not use: DINOv2's iBOT mask token
    /// and timm's classifier head.
    pub fn unused_keys(self) -> &'static [&'static str] {
        match self {
            Layout::Dinov2 => &["mask_token"],
            Layout::HuggingFace { .. } => &["embeddings.mask_token"],
            Layout::Timm => &["head.weight", "head.bias"],
        }
    }

    /// Where the variable `name` of `Vit` comes from.
    pub fn source(self, name: &str) -> Source {
        match self {
            Layout::Dinov2 => Source::Key(name.to_string()),
            Layout::Timm => timm_source(name),
            Layout::HuggingFace { module_names } => hugging_face_source(name, module_names),
        }
    }
}

fn timm_source(name: &str) -> Source {
    match name {
        "pos_embed" => Source::TimmPosEmbed,
        "register_tokens" => Source::TimmRegisters,
        // timm's packed SwiGLU (`SwiGLUPacked`, ViT-g) keeps DINOv2's fused layout under
        // the MLP's names.
        _ if name.contains(".mlp.w12.") => Source::Key(name.replace(".mlp.w12.", ".mlp.fc1.")),
        _ if name.contains(".mlp.w3.") => Source::Key(name.replace(".mlp.w3.", ".mlp.fc2.")),
        _ => Source::Key(name.to_string()),
    }
}

fn hugging_face_source(name: &str, module_names: bool) -> Source {
    let key = |key: &str| Source::Key(key.to_string());
    match name {
        "cls_token" => return key("embeddings.cls_token"),
        "pos_embed" => return key("embeddings.position_embeddings"),
        "register_tokens" => return key("embeddings.register_tokens"),
        _ => {}
    }
    if let Some(part) = name.strip_prefix("patch_embed.proj.") {
        return key(&format!("embeddings.patch_embeddings.projection.{part}"));
    }
    if let Some(part) = name.strip_prefix("norm.") {
        return key(&format!("layernorm.{part}"));
    }
    let Some(rest) = name.strip_prefix("blocks.") else {
        return key(name);
    };
    let (index, module) = rest.split_once('.').unwrap_or((rest, ""));
    let layer = format!("encoder.layer.{index}");
    let rows = |names: &[&str], part: &str| Source::Rows(names.iter().map(|name| format!("{layer}.{name}.{part}")).collect());
    match module.rsplit_once('.') {
        Some(("attn.qkv", part)) if module_names => rows(&["attention.q_proj", "attention.k_proj", "attention.v_proj"], part),
        Some(("attn.qkv", part)) => rows(
            &["attention.attention.query", "attention.attention.key", "attention.attention.value"],
            part,
        ),
        Some(("attn.proj", part)) if module_names => key(&format!("{layer}.attention.o_proj.{part}")),
        Some(("attn.proj", part)) => key(&format!("{layer}.attention.output.dense.{part}")),
        Some(("ls1", "gamma")) => key(&format!("{layer}.layer_scale1.lambda1")),
        Some(("ls2", "gamma")) => key(&format!("{layer}.layer_scale2.lambda1")),
        // DINOv2's fused SwiGLU computes silu(first half) * second half of `w12`, and
        // transformers names those halves gate and up.
        Some(("mlp.w12", part)) if module_names => rows(&["mlp.gate_proj", "mlp.up_proj"], part),
        Some(("mlp.w12", part)) => key(&format!("{layer}.mlp.weights_in.{part}")),
        Some(("mlp.w3", part)) if module_names => key(&format!("{layer}.mlp.down_proj.{part}")),
        Some(("mlp.w3", part)) => key(&format!("{layer}.mlp.weights_out.{part}")),
        // norm1, norm2, mlp.fc1 and mlp.fc2 keep their names.
        _ => key(&format!("{layer}.{module}")),
    }
}

/// Removes DINOv2's block chunk from a key: `blocks.<chunk>.<index>.rest` becomes
/// `blocks.<index>.rest`. Other keys are returned unchanged.
pub(crate) fn unchunk(key: &str) -> String {
    let mut parts = key.splitn(4, '.');
    if let (Some("blocks"), Some(chunk), Some(index), Some(rest)) = (parts.next(), parts.next(), parts.next(), parts.next()) {
        if chunk.parse::<u32>().is_ok() && index.parse::<u32>().is_ok() {
            return format!("blocks.{index}.{rest}");
        }
    }
    key.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unchunk_keeps_the_global_block_index() {
        assert_eq!(unchunk("blocks.1.7.attn.qkv.weight"), "blocks.7.attn.qkv.weight");
        assert_eq!(unchunk("blocks.7.attn.qkv.weight"), "blocks.7.attn.qkv.weight");
        assert_eq!(unchunk("blocks.0.0.ls1.gamma"), "blocks.0.ls1.gamma");
        assert_eq!(unchunk("pos_embed"), "pos_embed");
    }

    #[test]
    fn hugging_face_sources_by_naming() {
        let table = [
            ("cls_token", false, Source::Key("embeddings.cls_token".into())),
            ("patch_embed.proj.bias", false, Source::Key("embeddings.patch_embeddings.projection.bias".into())),
            ("norm.weight", false, Source::Key("layernorm.weight".into())),
            ("blocks.3.norm1.weight", false, Source::Key("encoder.layer.3.norm1.weight".into())),
            ("blocks.3.mlp.fc2.bias", true, Source::Key("encoder.layer.3.mlp.fc2.bias".into())),
            ("blocks.0.ls2.gamma", false, Source::Key("encoder.layer.0.layer_scale2.lambda1".into())),
            (
                "blocks.1.attn.qkv.weight",
                false,
                Source::Rows(vec![
                    "encoder.layer.1.attention.attention.query.weight".into(),
                    "encoder.layer.1.attention.attention.key.weight".into(),
                    "encoder.layer.1.attention.attention.value.weight".into(),
                ]),
            ),
            (
                "blocks.1.attn.qkv.bias",
                true,
                Source::Rows(vec![
                    "encoder.layer.1.attention.q_proj.bias".into(),
                    "encoder.layer.1.attention.k_proj.bias".into(),
                    "encoder.layer.1.attention.v_proj.bias".into(),
                ]),
            ),
            ("blocks.1.attn.proj.weight", false, Source::Key("encoder.layer.1.attention.output.dense.weight".into())),
            ("blocks.1.attn.proj.weight", true, Source::Key("encoder.layer.1.attention.o_proj.weight".into())),
            ("blocks.2.mlp.w12.weight", false, Source::Key("encoder.layer.2.mlp.weights_in.weight".into())),
            (
                "blocks.2.mlp.w12.weight",
                true,
                Source::Rows(vec!["encoder.layer.2.mlp.gate_proj.weight".into(), "encoder.layer.2.mlp.up_proj.weight".into()]),
            ),
            ("blocks.2.mlp.w3.bias", true, Source::Key("encoder.layer.2.mlp.down_proj.bias".into())),
        ];
        for (name, module_names, expected) in table {
            assert_eq!(Layout::HuggingFace { module_names }.source(name), expected, "{name} (module names: {module_names})");
        }
    }

    #[test]
    fn timm_sources() {
        assert_eq!(Layout::Timm.source("pos_embed"), Source::TimmPosEmbed);
        assert_eq!(Layout::Timm.source("register_tokens"), Source::TimmRegisters);
        assert_eq!(Layout::Timm.source("blocks.0.mlp.w12.weight"), Source::Key("blocks.0.mlp.fc1.weight".into()));
        assert_eq!(Layout::Timm.source("blocks.0.ls1.gamma"), Source::Key("blocks.0.ls1.gamma".into()));
    }
}
