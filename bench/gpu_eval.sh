#!/usr/bin/env bash
# bash bench/gpu_eval.sh [OUT_DIR]
# The evaluation harness on one CUDA GPU: greedy HumanEval (all 164 problems) with HF generate, bounded to 9 minutes.
# Needs torch with CUDA and transformers; no trl, vllm or hub. See bench/gpu_eval.py for what it picks and writes:
# OUT_DIR/preflight.json (what the machine has), OUT_DIR/summary.json (device, tokens/s, pass@1 when graded) and either
# OUT_DIR/eval/ (results.json, per-problem files: graded in bwrap here) or OUT_DIR/samples.jsonl (grade it elsewhere:
# python -m alignment.evaluate --benchmark humaneval --samples OUT_DIR/samples.jsonl).
set -euo pipefail
cd "$(dirname "$0")/.."
OUT_DIR="${1:-${OUT:-outputs/gpu_eval}}"
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" TOKENIZERS_PARALLELISM=false
nvidia-smi --query-gpu=name,memory.total,memory.used --format=csv || true
timeout 540 python -m bench.gpu_eval --output_dir "$OUT_DIR"
