#!/usr/bin/env bash
# Runs the test suite (set-up included): unit tests, reference-value tests and the
# end-to-end tests on real images from the data root (RAYDINO_DATA, default
# ../shared/data). Extra arguments go to `cargo test`.
set -euo pipefail

cd "$(dirname "$0")/.."
scripts/setup.sh
source scripts/env.sh
export RAYDINO_DATA="${RAYDINO_DATA:-$(cd .. && pwd)/shared/data}"
cargo test --release "$@"
