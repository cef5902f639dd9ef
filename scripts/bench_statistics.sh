#!/usr/bin/env bash
# Runs the statistics benchmark (benches/statistics.rs) and its scikit-learn and SciPy
# counterpart (scripts/bench_statistics.py) back to back on this machine, for
# docs/benchmarks.md. BENCH_RESAMPLES, BENCH_REPEATS and BENCH_THREADS override the
# defaults of both.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), load average $(cut -d' ' -f1-3 /proc/loadavg)"
cargo bench --bench statistics --no-run --quiet
cargo bench --bench statistics --quiet
python scripts/bench_statistics.py
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
