"""Forward throughput of timm's ViT-S/16 at 224 px on the CPU, the reference figure for
raydino-bench's extraction benchmark (benches/extract_throughput.rs).

Same settings as the Rust benchmark: fp32, torch.no_grad, batch 16, 2 intra-op threads
by default. Prints images/s and GFLOP/s (9.2 GFLOP per image: 4.6 GMACs x 2).
"""

import os
import time

import timm
import torch

THREADS = int(os.environ.get("BENCH_THREADS", "2"))
BATCH = int(os.environ.get("BENCH_BATCH", "16"))
IMAGES = int(os.environ.get("BENCH_IMAGES", "96"))
GFLOP_PER_IMAGE = 9.2


def main() -> None:
    torch.set_num_threads(THREADS)
    model = timm.create_model("vit_small_patch16_224", pretrained=False).eval()
    x = torch.randn(BATCH, 3, 224, 224)
    rounds = max(IMAGES // BATCH, 2)
    with torch.no_grad():
        model.forward_features(x)
        start = time.perf_counter()
        for _ in range(rounds):
            model.forward_features(x)
        elapsed = time.perf_counter() - start
    rate = rounds * BATCH / elapsed
    print(f"timm {timm.__version__} / torch {torch.__version__} vit_small_patch16_224 fp32 CPU, {THREADS} threads, batch {BATCH}")
    print(f"  forward only: {rate:.1f} images/s, {rate * GFLOP_PER_IMAGE:.1f} GFLOP/s")


if __name__ == "__main__":
    main()
