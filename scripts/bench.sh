#!/usr/bin/env bash
# Runs the extraction benchmark and timm's figure for the same architecture, back to
# back on this machine, for docs/benchmarks.md: ViT-S/16 and ViT-B/16 at 224 px and
# ViT-L/16 at 512 px (the RayDINO geometry). Needs `scripts/setup.sh --reference`.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
export RAYDINO_DATA="${RAYDINO_DATA:-$(cd .. && pwd)/shared/data}"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
cargo bench --bench extract_throughput --no-run --quiet

# architecture, resolution, timm model, batch, images, end to end (1 or 0)
while read -r arch resolution timm_model batch images end_to_end; do
    out=$(BENCH_ARCH=$arch BENCH_RESOLUTION=$resolution BENCH_BATCH=$batch BENCH_IMAGES=$images \
        BENCH_END_TO_END=$end_to_end cargo bench --bench extract_throughput --quiet)
    echo "$out"
    gflop=$(echo "$out" | sed -n 's/.*(\([0-9.]*\) GFLOP per image).*/\1/p')
    BENCH_TIMM_MODEL=$timm_model BENCH_RESOLUTION=$resolution BENCH_BATCH=$batch BENCH_IMAGES=$images \
        BENCH_GFLOP=$gflop python scripts/bench_timm.py
done <<'CONFIGS'
vit_small 224 vit_small_patch16_224 16 96 1
vit_base 224 vit_base_patch16_224 16 48 0
vit_large 512 vit_large_patch16_224 2 4 0
CONFIGS
