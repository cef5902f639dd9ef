"""Write reference values for the pretraining objectives to tests/fixtures/pretrain.json.

The DINOv2 objectives are computed here in PyTorch, from their definitions (Oquab et al.,
2023; Caron et al., 2021; Zhou et al., 2022; Sablayrolles et al., 2019), on random logits:
softmax-centred and Sinkhorn-Knopp targets, the DINO loss over cross-view pairs, the iBOT
loss over masked patches and the KoLeo regulariser. The block mask generator is run with
Python's `random`, and every draw it makes is recorded so the Rust generator can replay
them. One AdamW run of torch.optim.AdamW checks the optimiser.

Run from the repository root: .venv/bin/python tests/reference/make_pretrain_fixtures.py
"""

import json
import math
import random
from pathlib import Path

import torch
import torch.nn.functional as F

OUT = Path(__file__).resolve().parents[1] / "fixtures" / "pretrain.json"


def flat(t):
    return {"shape": list(t.shape), "values": [float(v) for v in t.detach().double().flatten()]}


def softmax_center(logits, center, temp):
    return F.softmax((logits - center) / temp, dim=-1)


def sinkhorn_knopp(logits, temp, iterations=3):
    q = torch.exp(logits.double() / temp).t()
    k, b = q.shape
    q /= q.sum()
    for _ in range(iterations):
        q /= q.sum(dim=1, keepdim=True)
        q /= k
        q /= q.sum(dim=0, keepdim=True)
        q /= b
    q *= b
    return q.t()


def cross_entropy(student, target, temp):
    return -(target * F.log_softmax(student / temp, dim=-1)).sum(dim=-1)


def dino_loss(global_logits, local_logits, teacher_targets, temp):
    total, pairs = 0.0, 0
    for s, student in enumerate(global_logits):
        for t, target in enumerate(teacher_targets):
            if s != t:
                total = total + cross_entropy(student, target, temp).mean()
                pairs += 1
    for student in local_logits:
        for target in teacher_targets:
            total = total + cross_entropy(student, target, temp).mean()
            pairs += 1
    return total / pairs


def ibot_loss(student, target, masks, temp):
    counts = masks.sum(dim=1).clamp(min=1).double()
    weights = (1.0 / counts).unsqueeze(1).expand_as(masks)[masks]
    return (cross_entropy(student, target, temp) * weights).sum() / masks.shape[0], weights


def koleo(x, eps=1e-8):
    x = F.normalize(x.double(), p=2, dim=-1, eps=eps)
    dots = x @ x.t()
    dots.fill_diagonal_(-1.0)
    neighbours = dots.argmax(dim=1)
    distances = F.pairwise_distance(x, x[neighbours], p=2, eps=eps)
    return -torch.log(distances + eps).mean()


def loss_cases():
    cases = []
    generator = torch.Generator().manual_seed(0)
    for batch, prototypes, local_count, patches in [(4, 16, 3, 9), (5, 12, 0, 16), (3, 8, 2, 4)]:
        randn = lambda *shape: torch.randn(*shape, generator=generator, dtype=torch.float64)
        # The head ends in L2-normalised features times unit prototypes: logits are cosines.
        teacher = torch.tanh(randn(2 * batch, prototypes))
        center = 0.1 * randn(1, prototypes)
        student_global = torch.tanh(randn(2 * batch, prototypes))
        student_local = torch.tanh(randn(local_count * batch, prototypes))
        masks = torch.rand(2 * batch, patches, generator=generator) < 0.3
        masks[0] = False  # an unmasked crop counts in the division but adds no term
        masked = int(masks.sum())
        teacher_patches = torch.tanh(randn(masked, prototypes))
        student_patches = torch.tanh(randn(masked, prototypes))
        features = randn(batch, 12)
        teacher_temp, student_temp = 0.05, 0.1

        centred = softmax_center(teacher, center, teacher_temp)
        sinkhorn = sinkhorn_knopp(teacher, teacher_temp)
        case = {
            "batch": batch,
            "local_count": local_count,
            "teacher_temperature": teacher_temp,
            "student_temperature": student_temp,
            "teacher_logits": flat(teacher),
            "center": flat(center),
            "student_global": flat(student_global),
            "student_local": flat(student_local),
            "masks": [[bool(v) for v in row] for row in masks],
            "teacher_patches": flat(teacher_patches),
            "student_patches": flat(student_patches),
            "features": flat(features),
            "softmax_center_targets": flat(centred),
            "sinkhorn_targets": flat(sinkhorn),
            "updated_center": flat(center * 0.9 + teacher.mean(dim=0, keepdim=True) * 0.1),
        }
        for name, targets in [("softmax_center", centred), ("sinkhorn", sinkhorn)]:
            loss = dino_loss(student_global.chunk(2), student_local.chunk(local_count) if local_count else [], targets.chunk(2), student_temp)
            case[f"dino_loss_{name}"] = float(loss)
        patch_targets = sinkhorn_knopp(teacher_patches, teacher_temp)
        ibot, weights = ibot_loss(student_patches, patch_targets, masks, student_temp)
        case["ibot_patch_targets"] = flat(patch_targets)
        case["ibot_weights"] = flat(weights)
        case["ibot_loss"] = float(ibot)
        case["koleo_loss"] = float(koleo(features))
        cases.append(case)
    return cases


class RecordingRandom:
    """Python's random, with every value it hands out recorded with its bounds."""

    def __init__(self, seed):
        self.rng = random.Random(seed)
        self.draws = []

    def uniform(self, low, high):
        value = self.rng.uniform(low, high)
        self.draws.append({"kind": "uniform", "low": low, "high": high, "value": value})
        return value

    def randint(self, low, high):
        value = self.rng.randint(low, high)
        self.draws.append({"kind": "randint", "low": low, "high": high, "value": value})
        return value

    def permutation(self, n):
        order = list(range(n))
        self.rng.shuffle(order)
        self.draws.append({"kind": "permutation", "n": n, "value": order})
        return order


def block_mask(height, width, target, rng, min_patches=4, min_aspect=0.3):
    max_patches = 0.5 * height * width
    log_aspect = (math.log(min_aspect), math.log(1 / min_aspect))
    mask = [[False] * width for _ in range(height)]
    count = 0
    while count < target:
        room = min(target - count, max_patches)
        added = 0
        for _ in range(10):
            area = rng.uniform(min_patches, room)
            aspect = math.exp(rng.uniform(*log_aspect))
            h = int(round(math.sqrt(area * aspect)))
            w = int(round(math.sqrt(area / aspect)))
            if w < width and h < height:
                top = rng.randint(0, height - h)
                left = rng.randint(0, width - w)
                already = sum(mask[i][j] for i in range(top, top + h) for j in range(left, left + w))
                if 0 < h * w - already <= room:
                    for i in range(top, top + h):
                        for j in range(left, left + w):
                            if not mask[i][j]:
                                mask[i][j] = True
                                added += 1
                if added > 0:
                    break
        if added == 0:
            break
        count += added
    return [v for row in mask for v in row]


def batch_masks(height, width, crops, probability, ratio, rng):
    patches = height * width
    masked = int(crops * probability)
    edges = [ratio[0] + (ratio[1] - ratio[0]) * i / masked for i in range(masked + 1)] if masked else [ratio[0]]
    masks = [block_mask(height, width, int(patches * rng.uniform(edges[i], edges[i + 1])), rng) for i in range(masked)]
    masks += [block_mask(height, width, 0, rng) for _ in range(masked, crops)]
    order = rng.permutation(crops)
    return [masks[i] for i in order]


def mask_cases():
    cases = []
    for seed, (height, width, crops) in enumerate([(14, 14, 8), (7, 7, 6), (8, 12, 5)]):
        rng = RecordingRandom(seed)
        masks = batch_masks(height, width, crops, 0.5, (0.1, 0.5), rng)
        cases.append({"height": height, "width": width, "crops": crops, "draws": rng.draws, "masks": masks})
    return cases


def adamw_case():
    generator = torch.Generator().manual_seed(1)
    start = torch.randn(5, generator=generator, dtype=torch.float64)
    grads = [torch.randn(5, generator=generator, dtype=torch.float64) for _ in range(4)]
    schedule = [(1e-2, 0.04), (2e-2, 0.1), (5e-3, 0.2), (1e-3, 0.4)]
    param = torch.nn.Parameter(start.clone())
    optimizer = torch.optim.AdamW([param], lr=1.0, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0)
    multiplier = 0.5  # a layer-wise learning-rate multiplier
    for grad, (lr, wd) in zip(grads, schedule):
        for group in optimizer.param_groups:
            group["lr"] = lr * multiplier
            group["weight_decay"] = wd
        param.grad = grad.clone()
        optimizer.step()
    return {
        "start": flat(start),
        "grads": [flat(g) for g in grads],
        "schedule": schedule,
        "lr_multiplier": multiplier,
        "expected": flat(param.detach()),
    }


def main():
    fixture = {
        "generator": f"tests/reference/make_pretrain_fixtures.py, torch {torch.__version__}",
        "losses": loss_cases(),
        "masks": mask_cases(),
        "adamw": adamw_case(),
    }
    OUT.write_text(json.dumps(fixture, indent=None, separators=(",", ":")) + "\n")
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
