"""Forward throughput of a timm ViT on the CPU, the reference figure for raydino-bench's
extraction benchmark (benches/extract_throughput.rs), plus the fp32 matmul peak of the
same run.

Same settings as the Rust benchmark: fp32, torch.no_grad, 2 intra-op threads and batch
16 by default. BENCH_TIMM_MODEL picks the model (default vit_small_patch16_224) and
BENCH_RESOLUTION its input size; BENCH_GFLOP is the model's GFLOP per image (printed by
the Rust benchmark, 9.2 for ViT-S/16 at 224 px) for the GFLOP/s figure.
"""

import os
import time

import timm
import torch

THREADS = int(os.environ.get("BENCH_THREADS", "2"))
BATCH = int(os.environ.get("BENCH_BATCH", "16"))
IMAGES = int(os.environ.get("BENCH_IMAGES", "96"))
MODEL = os.environ.get("BENCH_TIMM_MODEL", "vit_small_patch16_224")
RESOLUTION = int(os.environ.get("BENCH_RESOLUTION", "224"))
GFLOP_PER_IMAGE = float(os.environ.get("BENCH_GFLOP", "9.2"))
MATMUL_SIZE = 2048


def matmul_peak() -> float:
    """Returns the fp32 GFLOP/s of a square matrix product on the same threads."""
    a = torch.randn(MATMUL_SIZE, MATMUL_SIZE)
    b = torch.randn(MATMUL_SIZE, MATMUL_SIZE)
    for _ in range(3):
        a @ b
    rounds = 20
    start = time.perf_counter()
    for _ in range(rounds):
        a @ b
    return 2 * MATMUL_SIZE**3 * rounds / (time.perf_counter() - start) / 1e9


def main() -> None:
    torch.set_num_threads(THREADS)
    model = timm.create_model(MODEL, pretrained=False, img_size=RESOLUTION).eval()
    x = torch.randn(BATCH, 3, RESOLUTION, RESOLUTION)
    rounds = max(IMAGES // BATCH, 2)
    with torch.no_grad():
        model.forward_features(x)
        start = time.perf_counter()
        for _ in range(rounds):
            model.forward_features(x)
        elapsed = time.perf_counter() - start
    rate = rounds * BATCH / elapsed
    print(f"timm {timm.__version__} / torch {torch.__version__} {MODEL} at {RESOLUTION} px fp32 CPU, {THREADS} threads, batch {BATCH}")
    print(f"  forward only: {rate:.2f} images/s, {rate * GFLOP_PER_IMAGE:.1f} GFLOP/s")
    print(f"  fp32 matmul {MATMUL_SIZE}^3: {matmul_peak():.1f} GFLOP/s")


if __name__ == "__main__":
    main()
