#!/usr/bin/env bash
# Runs the extraction benchmark and timm's figure for the same architecture, back to
# back on this machine, for docs/benchmarks.md. Needs `scripts/setup.sh --reference`.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
export RAYDINO_DATA="${RAYDINO_DATA:-$(cd .. && pwd)/shared/data}"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
cargo bench --bench extract_throughput --quiet
python scripts/bench_timm.py
