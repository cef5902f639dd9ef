# Variables that make tch build against the PyTorch in .venv. Source it from the
# repository root: `source scripts/env.sh`.
export LIBTORCH_USE_PYTORCH=1
export VIRTUAL_ENV="$PWD/.venv"
export PATH="$PWD/.venv/bin:$PATH"
