#!/usr/bin/env bash
# Runs the test suite (set-up included): unit tests, reference-value tests and the
# end-to-end tests on real images from the data root (RAYDINO_DATA, default
# ../shared/data). Extra arguments go to `cargo test`.
set -euo pipefail

cd "$(dirname "$0")/.."
scripts/setup.sh
source scripts/env.sh
export RAYDINO_DATA="${RAYDINO_DATA:-$(cd .. && pwd)/shared/data}"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
set -o pipefail
status=0
cargo test --release "$@" 2>&1 | tee "$log" || status=$?

# One closing line over every test binary, for readers and CI alike.
awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($i ~ /^passed/) p += $(i-1); if ($i ~ /^failed/) f += $(i-1) } }
     END { printf "%d passed, %d failed\n", p, f }' "$log"
exit "$status"
