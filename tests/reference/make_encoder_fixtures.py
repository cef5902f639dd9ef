"""Write tests/fixtures/encoders/: tiny random ViT checkpoints and their reference outputs.

Each checkpoint is made by the implementation whose key layout it stands for:

- Hugging Face transformers `Dinov2Model` and `Dinov2WithRegistersModel`, saved with
  `save_pretrained` (the Hub layout: `attention.attention.query`, `mlp.weights_in`),
- timm `vit_small_patch14_dinov2` and `vit_small_patch14_reg4_dinov2` shrunk to a tiny
  width and depth, saved as safetensors and as a `torch.save` state dict,
- the official DINOv2 layout (`blocks.<chunk>.<index>.`, `ls1.gamma`, `mlp.w12`), written
  by `OfficialVit` below, as a plain state dict and inside a training checkpoint whose
  backbone sits under `teacher.backbone.` next to a different `student.backbone.`,
- a TorchScript module traced from `OfficialVit`.

`OfficialVit` restates the forward pass of `DinoVisionTransformer` in facebookresearch/dinov2
`dinov2/models/vision_transformer.py` (commit 112792f1). The position embedding is resized
bicubically with a scale factor of `(grid + interpolate_offset) / stored grid`. Register
tokens sit between the CLS token and the patches and get no position embedding. With
`block_chunks > 0` the blocks are grouped into chunks padded with `nn.Identity`, so keys
read `blocks.<chunk>.<index>.` with the global block index.

Every model runs on fixed inputs at its native resolution and at one that needs the
position embedding resized. Inputs are rounded to float16 and stored as float16, so the
float32 values both sides compute with are identical. src/encoder/parity_tests.rs loads
each checkpoint with the Rust loaders and compares CLS and patch tokens.

Run from the repository root:

    .venv/bin/python tests/reference/make_encoder_fixtures.py
"""

from __future__ import annotations

import json
import math
import platform
import shutil
from pathlib import Path

import safetensors
import safetensors.torch
import timm
import torch
import transformers
from torch import nn
from torch.nn import functional as F
from transformers import Dinov2Config, Dinov2Model, Dinov2WithRegistersConfig, Dinov2WithRegistersModel

SEED = 20250301
OUTPUT = Path(__file__).resolve().parents[1] / "fixtures" / "encoders"
MAX_TOTAL_BYTES = 2_100_000
EMBED_DIM = 32
DEPTH = 2
NUM_HEADS = 2
MLP_RATIO = 4.0
LAYER_NORM_EPS = 1e-6


# ---------------------------------------------------------------------------------------
# The official DINOv2 layout.


class LayerScale(nn.Module):
    def __init__(self, dim: int):
        super().__init__()
        self.gamma = nn.Parameter(torch.ones(dim))

    def forward(self, x):
        return x * self.gamma


class Attention(nn.Module):
    def __init__(self, dim: int, num_heads: int):
        super().__init__()
        self.num_heads = num_heads
        self.scale = (dim // num_heads) ** -0.5
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x):
        batch, tokens, dim = x.shape
        qkv = self.qkv(x).reshape(batch, tokens, 3, self.num_heads, dim // self.num_heads).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0] * self.scale, qkv[1], qkv[2]
        weights = (q @ k.transpose(-2, -1)).softmax(dim=-1)
        return self.proj((weights @ v).transpose(1, 2).reshape(batch, tokens, dim))


class Mlp(nn.Module):
    def __init__(self, dim: int, hidden: int):
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden)
        self.fc2 = nn.Linear(hidden, dim)

    def forward(self, x):
        return self.fc2(F.gelu(self.fc1(x)))


class SwiGluFused(nn.Module):
    """DINOv2's `SwiGLUFFNFused`: the hidden width is 2/3 of the MLP's, rounded up to 8."""

    def __init__(self, dim: int, hidden: int):
        super().__init__()
        hidden = (int(hidden * 2 / 3) + 7) // 8 * 8
        self.w12 = nn.Linear(dim, 2 * hidden)
        self.w3 = nn.Linear(hidden, dim)

    def forward(self, x):
        x1, x2 = self.w12(x).chunk(2, dim=-1)
        return self.w3(F.silu(x1) * x2)


class Block(nn.Module):
    def __init__(self, dim: int, num_heads: int, swiglu: bool):
        super().__init__()
        hidden = int(dim * MLP_RATIO)
        self.norm1 = nn.LayerNorm(dim, eps=LAYER_NORM_EPS)
        self.attn = Attention(dim, num_heads)
        self.ls1 = LayerScale(dim)
        self.norm2 = nn.LayerNorm(dim, eps=LAYER_NORM_EPS)
        self.mlp = SwiGluFused(dim, hidden) if swiglu else Mlp(dim, hidden)
        self.ls2 = LayerScale(dim)

    def forward(self, x):
        x = x + self.ls1(self.attn(self.norm1(x)))
        return x + self.ls2(self.mlp(self.norm2(x)))


class BlockChunk(nn.ModuleList):
    def forward(self, x):
        for block in self:
            x = block(x)
        return x


class PatchEmbed(nn.Module):
    def __init__(self, patch_size: int, dim: int):
        super().__init__()
        self.proj = nn.Conv2d(3, dim, kernel_size=patch_size, stride=patch_size)

    def forward(self, x):
        return self.proj(x).flatten(2).transpose(1, 2)


class OfficialVit(nn.Module):
    def __init__(
        self,
        *,
        image_size: int,
        patch_size: int,
        depth: int = DEPTH,
        num_register_tokens: int = 0,
        block_chunks: int = 0,
        swiglu: bool = False,
        interpolate_offset: float = 0.1,
        interpolate_antialias: bool = False,
    ):
        super().__init__()
        dim = EMBED_DIM
        self.patch_size = patch_size
        self.num_register_tokens = num_register_tokens
        self.interpolate_offset = interpolate_offset
        self.interpolate_antialias = interpolate_antialias
        grid = image_size // patch_size
        self.patch_embed = PatchEmbed(patch_size, dim)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, dim))
        self.pos_embed = nn.Parameter(torch.zeros(1, grid * grid + 1, dim))
        self.register_tokens = nn.Parameter(torch.zeros(1, num_register_tokens, dim)) if num_register_tokens else None
        self.mask_token = nn.Parameter(torch.zeros(1, dim))
        blocks = [Block(dim, NUM_HEADS, swiglu) for _ in range(depth)]
        if block_chunks > 0:
            size = depth // block_chunks
            chunks = [[nn.Identity()] * start + blocks[start : start + size] for start in range(0, depth, size)]
            self.blocks = nn.ModuleList([BlockChunk(chunk) for chunk in chunks])
        else:
            self.blocks = nn.ModuleList(blocks)
        self.norm = nn.LayerNorm(dim, eps=LAYER_NORM_EPS)

    def interpolate_pos_encoding(self, x, w, h):
        # DINOv2 unpacks the input as (B, C, w, h), so `w` is the height in pixels.
        npatch = x.shape[1] - 1
        stored = self.pos_embed.shape[1] - 1
        if npatch == stored and w == h:
            return self.pos_embed
        pos_embed = self.pos_embed.float()
        class_pos_embed = pos_embed[:, 0]
        patch_pos_embed = pos_embed[:, 1:]
        dim = x.shape[-1]
        w0 = w // self.patch_size
        h0 = h // self.patch_size
        side = int(math.sqrt(stored))
        assert stored == side * side
        kwargs = {}
        if self.interpolate_offset:
            kwargs["scale_factor"] = (float(w0 + self.interpolate_offset) / side, float(h0 + self.interpolate_offset) / side)
        else:
            kwargs["size"] = (w0, h0)
        patch_pos_embed = F.interpolate(
            patch_pos_embed.reshape(1, side, side, dim).permute(0, 3, 1, 2),
            mode="bicubic",
            antialias=self.interpolate_antialias,
            **kwargs,
        )
        assert (w0, h0) == patch_pos_embed.shape[-2:]
        patch_pos_embed = patch_pos_embed.permute(0, 2, 3, 1).view(1, -1, dim)
        return torch.cat((class_pos_embed.unsqueeze(0), patch_pos_embed), dim=1).to(x.dtype)

    def forward(self, images):
        """Return all tokens after the final norm: CLS, registers, patches."""
        batch, _, w, h = images.shape
        x = self.patch_embed(images)
        x = torch.cat((self.cls_token.expand(batch, -1, -1), x), dim=1)
        x = x + self.interpolate_pos_encoding(x, w, h)
        if self.register_tokens is not None:
            x = torch.cat((x[:, :1], self.register_tokens.expand(batch, -1, -1), x[:, 1:]), dim=1)
        for block in self.blocks:
            x = block(x)
        return self.norm(x)


# ---------------------------------------------------------------------------------------
# Helpers.


def randomise(model: nn.Module, generator: torch.Generator) -> None:
    """Overwrite every parameter with draws large enough that each one changes the output.

    Layer norms get weights near 1, mask tokens stay zero (inference never uses them),
    and everything else is drawn from N(0, 0.2^2).
    """
    with torch.no_grad():
        for module in model.modules():
            for name, parameter in module.named_parameters(recurse=False):
                noise = torch.randn(parameter.shape, generator=generator)
                if isinstance(module, nn.LayerNorm) and name == "weight":
                    parameter.copy_(1.0 + 0.1 * noise)
                elif name == "mask_token":
                    parameter.zero_()
                else:
                    parameter.copy_(0.2 * noise)


def tokens_of(output) -> torch.Tensor:
    return output.last_hidden_state if hasattr(output, "last_hidden_state") else output


def vit_config(*, patch_size, image_size, num_register_tokens=0, feed_forward="mlp", **extra) -> dict:
    return {
        "embed_dim": EMBED_DIM,
        "depth": DEPTH,
        "num_heads": NUM_HEADS,
        "mlp_ratio": MLP_RATIO,
        "patch_size": patch_size,
        "image_size": image_size,
        "num_register_tokens": num_register_tokens,
        "feed_forward": feed_forward,
        "layer_norm_eps": LAYER_NORM_EPS,
        **extra,
    }


class Fixtures:
    def __init__(self) -> None:
        self.generator = torch.Generator().manual_seed(SEED)
        self.inputs: dict[str, torch.Tensor] = {}
        self.outputs: dict[str, torch.Tensor] = {}
        self.cases: list[dict] = []

    def input(self, height: int, width: int) -> str:
        """Name the input of this size, drawing it on first use.

        Native sizes (grid side 4) get a batch of two, the larger ones a batch of one, to
        keep the files small.
        """
        name = f"{height}x{width}"
        if name not in self.inputs:
            batch = 2 if height in (56, 64) and width == height else 1
            self.inputs[name] = torch.randn(batch, 3, height, width, generator=self.generator).half()
        return name

    def record(self, name: str, model: nn.Module, file: str, format: str, config: dict, sizes, registers: int, attention=None):
        """Run `model` on each input size and store CLS and patch tokens under `name/size/`."""
        model.eval()
        case = {"name": name, "file": file, "format": format, "config": config, "inputs": []}
        for height, width in sizes:
            key = self.input(height, width)
            with torch.no_grad():
                tokens = tokens_of(model(self.inputs[key].float()))
            self.outputs[f"{name}/{key}/cls"] = tokens[:, 0].contiguous()
            self.outputs[f"{name}/{key}/patches"] = tokens[:, 1 + registers :].contiguous()
            case["inputs"].append(key)
        if attention is not None:
            key, weights = attention
            self.outputs[f"{name}/{key}/last_attention"] = weights.contiguous()
            case["last_attention"] = key
        self.cases.append(case)


# ---------------------------------------------------------------------------------------
# Checkpoints.


def hugging_face(fixtures: Fixtures) -> None:
    common = dict(
        hidden_size=EMBED_DIM,
        num_hidden_layers=DEPTH,
        num_attention_heads=NUM_HEADS,
        # The configuration class types `mlp_ratio` as int.
        mlp_ratio=int(MLP_RATIO),
        image_size=56,
        patch_size=14,
        layer_norm_eps=LAYER_NORM_EPS,
    )
    plain = Dinov2Model(Dinov2Config(**common))
    randomise(plain, fixtures.generator)
    plain.set_attn_implementation("eager")
    plain.save_pretrained(OUTPUT / "hf_dinov2")
    key = fixtures.input(56, 56)
    with torch.no_grad():
        attentions = plain(fixtures.inputs[key].float(), output_attentions=True).attentions
    fixtures.record(
        "hf_dinov2",
        plain,
        "hf_dinov2/model.safetensors",
        "hugging_face",
        vit_config(patch_size=14, image_size=56),
        [(56, 56), (70, 70), (56, 84)],
        registers=0,
        attention=(key, attentions[-1]),
    )

    registers = Dinov2WithRegistersModel(
        Dinov2WithRegistersConfig(**common, num_register_tokens=4, use_swiglu_ffn=True)
    )
    randomise(registers, fixtures.generator)
    registers.save_pretrained(OUTPUT / "hf_dinov2_registers")
    fixtures.record(
        "hf_dinov2_registers",
        registers,
        "hf_dinov2_registers/model.safetensors",
        "hugging_face",
        vit_config(patch_size=14, image_size=56, num_register_tokens=4, feed_forward="swiglu"),
        [(56, 56), (70, 70)],
        registers=4,
    )


def timm_models(fixtures: Fixtures) -> None:
    shrink = dict(
        pretrained=False, img_size=56, embed_dim=EMBED_DIM, depth=DEPTH, num_heads=NUM_HEADS, num_classes=0, dynamic_img_size=True
    )
    plain = timm.create_model("vit_small_patch14_dinov2", **shrink)
    randomise(plain, fixtures.generator)
    safetensors.torch.save_file(plain.state_dict(), OUTPUT / "timm_dinov2.safetensors")
    fixtures.record(
        "timm_dinov2",
        _TimmFeatures(plain),
        "timm_dinov2.safetensors",
        "timm",
        vit_config(patch_size=14, image_size=56),
        [(56, 56), (70, 70)],
        registers=0,
    )

    # The register variant has `no_embed_class=True`: its position embedding covers the
    # patches only, and the CLS and register tokens get none.
    registers = timm.create_model("vit_small_patch14_reg4_dinov2", **shrink)
    randomise(registers, fixtures.generator)
    assert registers.pos_embed.shape[1] == 16, registers.pos_embed.shape
    torch.save(registers.state_dict(), OUTPUT / "timm_dinov2_reg4.pth")
    fixtures.record(
        "timm_dinov2_reg4",
        _TimmFeatures(registers),
        "timm_dinov2_reg4.pth",
        "timm",
        vit_config(patch_size=14, image_size=56, num_register_tokens=4),
        [(56, 56), (70, 70)],
        registers=4,
    )


class _TimmFeatures(nn.Module):
    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, images):
        return self.model.forward_features(images)


def official(fixtures: Fixtures) -> None:
    # XRay-DINO's layout: patch 16, no registers, blocks in chunks.
    teacher = OfficialVit(image_size=64, patch_size=16, block_chunks=2)
    randomise(teacher, fixtures.generator)
    state = teacher.state_dict()
    assert "blocks.1.1.attn.qkv.weight" in state, sorted(state)
    torch.save(state, OUTPUT / "dinov2_chunked.pth")
    config = vit_config(patch_size=16, image_size=64, interpolate_offset=0.1, interpolate_antialias=False)
    fixtures.record("dinov2_chunked", teacher, "dinov2_chunked.pth", "dinov2", config, [(64, 64), (80, 80), (64, 96)], registers=0)

    # A training checkpoint in the layout of DINOv2's trainer: the teacher and student
    # backbones and heads under "model", plus optimizer state with integer keys.
    student = OfficialVit(image_size=64, patch_size=16, block_chunks=2)
    randomise(student, fixtures.generator)
    head = nn.Linear(EMBED_DIM, 8)
    model_state = {}
    for prefix, module in [("teacher.backbone.", teacher), ("student.backbone.", student), ("teacher.dino_head.", head)]:
        model_state.update({prefix + key: value for key, value in module.state_dict().items()})
    checkpoint = {
        "model": model_state,
        "optimizer": {
            "state": {0: {"step": torch.tensor(3.0), "exp_avg": torch.zeros(4)}},
            "param_groups": [{"lr": 1e-3, "betas": (0.9, 0.999), "params": [0]}],
        },
        "iteration": 12,
    }
    torch.save(checkpoint, OUTPUT / "dinov2_train_checkpoint.pth")
    fixtures.record("dinov2_train_checkpoint", teacher, "dinov2_train_checkpoint.pth", "dinov2", config, [(64, 64)], registers=0)

    # Registers and SwiGLU in the official layout, at patch 14, without chunks, with the
    # settings of DINOv2's register models (no offset, antialiased resize).
    registers = OfficialVit(
        image_size=56, patch_size=14, num_register_tokens=2, swiglu=True, interpolate_offset=0.0, interpolate_antialias=True
    )
    randomise(registers, fixtures.generator)
    safetensors.torch.save_file(registers.state_dict(), OUTPUT / "dinov2_registers_swiglu.safetensors")
    fixtures.record(
        "dinov2_registers_swiglu",
        registers,
        "dinov2_registers_swiglu.safetensors",
        "dinov2",
        vit_config(
            patch_size=14, image_size=56, num_register_tokens=2, feed_forward="swiglu", interpolate_offset=0.0, interpolate_antialias=True
        ),
        [(56, 56), (70, 70)],
        registers=2,
    )


def check_official_against_hugging_face(generator: torch.Generator) -> None:
    """Check `OfficialVit` against transformers' independent port of the same network.

    With `interpolate_offset = 0` both resize the position embedding to the exact grid,
    so the outputs must agree at the native and at a resized resolution.
    """
    official = OfficialVit(image_size=56, patch_size=14, interpolate_offset=0.0).eval()
    randomise(official, generator)
    config = Dinov2Config(
        hidden_size=EMBED_DIM,
        num_hidden_layers=DEPTH,
        num_attention_heads=NUM_HEADS,
        mlp_ratio=int(MLP_RATIO),
        image_size=56,
        patch_size=14,
        layer_norm_eps=LAYER_NORM_EPS,
    )
    port = Dinov2Model(config).eval()
    state = official.state_dict()
    renamed = {
        "embeddings.cls_token": state["cls_token"],
        "embeddings.mask_token": state["mask_token"],
        "embeddings.position_embeddings": state["pos_embed"],
        "embeddings.patch_embeddings.projection.weight": state["patch_embed.proj.weight"],
        "embeddings.patch_embeddings.projection.bias": state["patch_embed.proj.bias"],
        "layernorm.weight": state["norm.weight"],
        "layernorm.bias": state["norm.bias"],
    }
    for index in range(DEPTH):
        source, target = f"blocks.{index}.", f"encoder.layer.{index}."
        for part in ["weight", "bias"]:
            q, k, v = state[source + f"attn.qkv.{part}"].chunk(3, dim=0)
            renamed[target + f"attention.q_proj.{part}"] = q
            renamed[target + f"attention.k_proj.{part}"] = k
            renamed[target + f"attention.v_proj.{part}"] = v
            renamed[target + f"attention.o_proj.{part}"] = state[source + f"attn.proj.{part}"]
            for name in ["norm1", "norm2", "mlp.fc1", "mlp.fc2"]:
                renamed[target + f"{name}.{part}"] = state[source + f"{name}.{part}"]
        renamed[target + "layer_scale1.lambda1"] = state[source + "ls1.gamma"]
        renamed[target + "layer_scale2.lambda1"] = state[source + "ls2.gamma"]
    port.load_state_dict(renamed, strict=True)
    for side in [56, 70]:
        images = torch.randn(1, 3, side, side, generator=generator)
        with torch.no_grad():
            expected = port(images).last_hidden_state
            found = official(images)
        error = (found - expected).abs().max() / expected.abs().max()
        assert error < 1e-5, f"OfficialVit differs from Dinov2Model at {side} px: relative error {error}"


def torchscript(fixtures: Fixtures) -> None:
    model = OfficialVit(image_size=56, patch_size=14, depth=1).eval()
    randomise(model, fixtures.generator)
    key = fixtures.input(56, 56)
    with torch.no_grad():
        traced = torch.jit.trace(model, fixtures.inputs[key].float())
    traced.save(str(OUTPUT / "torchscript_tokens.pt"))
    config = vit_config(patch_size=14, image_size=56)
    config["depth"] = 1
    fixtures.record("torchscript_tokens", traced, "torchscript_tokens.pt", "torchscript", config, [(56, 56)], registers=0)


def main() -> None:
    torch.manual_seed(SEED)
    if OUTPUT.exists():
        shutil.rmtree(OUTPUT)
    OUTPUT.mkdir(parents=True)
    check_official_against_hugging_face(torch.Generator().manual_seed(SEED + 1))
    fixtures = Fixtures()
    hugging_face(fixtures)
    timm_models(fixtures)
    official(fixtures)
    torchscript(fixtures)

    safetensors.torch.save_file(fixtures.inputs, OUTPUT / "inputs.safetensors")
    safetensors.torch.save_file(fixtures.outputs, OUTPUT / "outputs.safetensors")
    manifest = {
        "generator": "tests/reference/make_encoder_fixtures.py",
        "seed": SEED,
        "versions": {
            "python": platform.python_version(),
            "torch": torch.__version__,
            "transformers": transformers.__version__,
            "timm": timm.__version__,
            "safetensors": safetensors.__version__,
        },
        "cases": fixtures.cases,
    }
    (OUTPUT / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")

    total = sum(path.stat().st_size for path in OUTPUT.rglob("*") if path.is_file())
    assert total < MAX_TOTAL_BYTES, f"fixtures take {total} bytes, over {MAX_TOTAL_BYTES}"
    print(f"wrote {OUTPUT} ({total} bytes)")


if __name__ == "__main__":
    main()
