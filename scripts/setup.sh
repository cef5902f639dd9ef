#!/usr/bin/env bash
# Sets up raydino-bench from a machine with only Rust and Python 3: a project-local
# virtual environment (.venv) with PyTorch 2.11.0 from PyPI, whose libtorch the tch crate
# links, then the release build. The binary carries an rpath to .venv's libtorch, so it
# runs without LD_LIBRARY_PATH. When everything is present, a rerun takes seconds.
#
# Usage: scripts/setup.sh [--reference]
#   --reference  also install the Python packages that regenerate the test fixtures
#                (scikit-learn, scipy, timm, transformers); CI does not need them.
set -euo pipefail

cd "$(dirname "$0")/.."
torch_version=2.11.0
venv=.venv

if [ ! -x "$venv/bin/python" ]; then
    echo "setup: creating $venv" >&2
    python3 -m venv "$venv"
fi

installed=$("$venv/bin/python" -c 'import torch; print(torch.__version__.split("+")[0])' 2>/dev/null || true)
if [ "$installed" != "$torch_version" ]; then
    echo "setup: installing torch==$torch_version into $venv (about 4.6 GB)" >&2
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "torch==$torch_version"
fi

if [ "${1:-}" = "--reference" ]; then
    # torch is pinned in the same command so that no package upgrades it.
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
        "torch==$torch_version" -r tests/reference/requirements.txt
fi

# shellcheck source=scripts/env.sh
source scripts/env.sh
# --all-targets builds the tests too. Dev-dependencies change the features of shared
# dependencies, so a binary-only build would be thrown away by the first `cargo test`
# and polars rebuilt from scratch.
cargo build --release --all-targets --quiet
echo "setup: built target/release/raydino-bench" >&2
