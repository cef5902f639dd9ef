"""Times the CPU preset's pretraining step in PyTorch, the reference figure for
raydino-bench's pretraining benchmark (benches/pretrain_throughput.rs).

The step mirrors `Pretrainer::train_step` for pretrain/cpu_vit_tiny.toml. Student and EMA
teacher are a timm ViT-Tiny/16 with 6 blocks and LayerScale, each with a DINO head (3-layer
MLP, bottleneck, weight-normalised prototypes). A step runs the teacher's forward pass on
the 2 global crops and the student's on the masked global crops and the local crops. Then
come Sinkhorn-Knopp targets, the DINO, iBOT and KoLeo losses, the backward pass, per-part
gradient clipping, AdamW and the EMA update, all in float32. The crops are random tensors made before the
clock starts, so unlike the Rust benchmark this figure leaves out the augmentation.

Environment: BENCH_THREADS (default 2), BENCH_BATCH (default 32), BENCH_STEPS (timed steps,
default 20), BENCH_GFLOP (model GFLOP per step, printed by the Rust benchmark; 96.2 for the
CPU preset).
"""

import os
import time

import timm
import torch
import torch.nn.functional as F

from bench_timm import matmul_peak

THREADS = int(os.environ.get("BENCH_THREADS", "2"))
BATCH = int(os.environ.get("BENCH_BATCH", "32"))
STEPS = int(os.environ.get("BENCH_STEPS", "20"))
GFLOP_PER_STEP = float(os.environ.get("BENCH_GFLOP", "96.2"))

GLOBAL_SIZE, LOCAL_SIZE, LOCAL_COUNT = 112, 48, 4
PROTOTYPES, HIDDEN, BOTTLENECK = 1024, 512, 128
STUDENT_TEMPERATURE, TEACHER_TEMPERATURE = 0.1, 0.015


class DinoHead(torch.nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.mlp = torch.nn.Sequential(
            torch.nn.Linear(dim, HIDDEN), torch.nn.GELU(),
            torch.nn.Linear(HIDDEN, HIDDEN), torch.nn.GELU(),
            torch.nn.Linear(HIDDEN, BOTTLENECK),
        )
        self.last_layer = torch.nn.utils.parametrizations.weight_norm(torch.nn.Linear(BOTTLENECK, PROTOTYPES, bias=False))
        self.last_layer.parametrizations.weight.original0.data.fill_(1.0)
        self.last_layer.parametrizations.weight.original0.requires_grad = False

    def forward(self, x):
        return self.last_layer(F.normalize(self.mlp(x), dim=-1))


class Network(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.backbone = timm.models.vision_transformer.VisionTransformer(
            img_size=GLOBAL_SIZE, patch_size=16, embed_dim=192, depth=6, num_heads=3,
            init_values=0.1, num_classes=0, dynamic_img_size=True,
        )
        self.mask_token = torch.nn.Parameter(torch.zeros(192))
        self.head = DinoHead(192)

    def tokens(self, images, masks=None):
        """Returns the final-norm tokens, CLS first. Masked patches take the mask token."""
        x = self.backbone.patch_embed(images)
        if masks is not None:
            x = torch.where(masks.view(x.shape[:3]).unsqueeze(-1), self.mask_token.to(x.dtype), x)
        x = self.backbone._pos_embed(x)
        x = self.backbone.blocks(x)
        return self.backbone.norm(x)


def sinkhorn_knopp(logits, temperature, iterations=3):
    q = torch.exp(logits / temperature).t()
    prototypes, samples = q.shape
    q /= q.sum()
    for _ in range(iterations):
        q /= q.sum(dim=1, keepdim=True)
        q /= prototypes
        q /= q.sum(dim=0, keepdim=True)
        q /= samples
    return (q * samples).t()


def cross_entropy(student, target):
    return -(target * F.log_softmax(student / STUDENT_TEMPERATURE, dim=-1)).sum(dim=-1)


def koleo(x, eps=1e-8):
    x = F.normalize(x, p=2, dim=-1, eps=eps)
    dots = x @ x.t()
    dots.fill_diagonal_(-1.0)
    distances = F.pairwise_distance(x, x[dots.argmax(dim=1)], p=2, eps=eps)
    return -torch.log(distances + eps).mean()


def step(student, teacher, optimizer, global_crops, local_crops, masks):
    batch = global_crops.shape[0] // 2
    with torch.no_grad():
        out = teacher.tokens(global_crops)
        patches = out[:, 1:].reshape(-1, out.shape[-1])[masks.flatten()]
        logits = teacher.head(torch.cat([out[:, 0], patches]))
        cls_targets = sinkhorn_knopp(logits[: 2 * batch], TEACHER_TEMPERATURE).chunk(2)
        patch_targets = sinkhorn_knopp(logits[2 * batch :], TEACHER_TEMPERATURE)

    out = student.tokens(global_crops, masks)
    local_cls = student.tokens(local_crops)[:, 0]
    patches = out[:, 1:].reshape(-1, out.shape[-1])[masks.flatten()]
    logits = student.head(torch.cat([out[:, 0], local_cls, patches]))
    student_global = logits[: 2 * batch].chunk(2)
    student_local = logits[2 * batch : (2 + LOCAL_COUNT) * batch].chunk(LOCAL_COUNT)
    student_patches = logits[(2 + LOCAL_COUNT) * batch :]

    terms = [cross_entropy(student_global[s], cls_targets[1 - s]).mean() for s in range(2)]
    terms += [cross_entropy(s, t).mean() for s in student_local for t in cls_targets]
    dino = sum(terms) / len(terms)
    counts = masks.sum(dim=1).clamp(min=1).float()
    weights = (1.0 / counts).unsqueeze(1).expand_as(masks)[masks]
    ibot = (cross_entropy(student_patches, patch_targets) * weights).sum() / masks.shape[0]
    cls = out[:, 0].chunk(2)
    loss = dino + ibot + 0.1 * (koleo(cls[0]) + koleo(cls[1]))

    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(list(student.backbone.parameters()) + [student.mask_token], 3.0)
    torch.nn.utils.clip_grad_norm_(student.head.parameters(), 3.0)
    optimizer.step()
    with torch.no_grad():
        teacher_params = [p for p in teacher.parameters()]
        student_params = [p for p in student.parameters()]
        torch._foreach_mul_(teacher_params, 0.99)
        torch._foreach_add_(teacher_params, student_params, alpha=0.01)
    return loss.item()


def main() -> None:
    torch.set_num_threads(THREADS)
    torch.manual_seed(0)
    student = Network()
    teacher = Network()
    teacher.load_state_dict(student.state_dict())
    for p in teacher.parameters():
        p.requires_grad = False
    optimizer = torch.optim.AdamW([p for p in student.parameters() if p.requires_grad], lr=7e-4, weight_decay=0.04)

    global_crops = torch.randn(2 * BATCH, 3, GLOBAL_SIZE, GLOBAL_SIZE)
    local_crops = torch.randn(LOCAL_COUNT * BATCH, 3, LOCAL_SIZE, LOCAL_SIZE)
    patches = (GLOBAL_SIZE // 16) ** 2
    # Half of the global crops are masked, at shares of their patches spread over 0.1-0.5.
    masks = torch.zeros(2 * BATCH, patches, dtype=torch.bool)
    for row in range(0, 2 * BATCH, 2):
        share = 0.1 + 0.4 * row / (2 * BATCH)
        masks[row, torch.randperm(patches)[: max(1, int(share * patches))]] = True

    for _ in range(2):
        step(student, teacher, optimizer, global_crops, local_crops, masks)
    start = time.perf_counter()
    for _ in range(STEPS):
        step(student, teacher, optimizer, global_crops, local_crops, masks)
    seconds = (time.perf_counter() - start) / STEPS
    peak = matmul_peak()
    print(f"torch {torch.__version__} timm {timm.__version__}, {THREADS} threads, batch {BATCH}")
    print(f"steps/s {1 / seconds:.3f}  images/s {BATCH / seconds:.2f}  step {seconds:.2f} s")
    print(f"model GFLOP per step {GFLOP_PER_STEP:.1f}  achieved GFLOP/s {GFLOP_PER_STEP / seconds:.1f}")
    print(f"matmul peak GFLOP/s {peak:.1f}  MFU {100 * GFLOP_PER_STEP / seconds / peak:.1f}%")


if __name__ == "__main__":
    main()
