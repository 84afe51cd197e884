#!/usr/bin/env bash
# The distill stage at Gemma 2 2B / 9B shapes (random weights, bf16) against TRL's DistillationTrainer on one GPU,
# capped at 5 minutes (bench/distill_2b_9b.py). Needs torch (CUDA), transformers, trl, peft, datasets and this repo.
#   bash bench/gpu_distill_2b_9b.sh            # add --tiny for a CPU smoke test; other flags go to the module
set -euo pipefail
cd "$(dirname "$0")/.."
python -c "import torch, transformers, trl, peft, datasets" 2>/dev/null \
  || { echo "error: needs torch, transformers, trl, peft, datasets: pip install -e ." >&2; exit 2; }
PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" exec timeout 300 python -m bench.distill_2b_9b "$@"
