#!/usr/bin/env bash
# The GRPO step profile (`python -m bench.bench_grpo`) on a CUDA machine that has torch but not TRL, no vLLM and no
# model hub (nothing outside the machine is reachable). Two steps:
#
#   bash bench/gpu_grpo.sh prepare   # here, with PyPI access: wheels into .whl/gpu-grpo (< 64 MiB, checked)
#   bash bench/gpu_grpo.sh run       # there, from the repository root, with .whl/gpu-grpo carried along
#
# `run` installs (offline, --no-deps, into .whl/gpu-site on PYTHONPATH) only the carried wheels whose package is
# missing or at another version, checks every import the stage needs and names any that is still missing, then
# profiles the tiny policy (built in code: bench/grpo_setup.py, nothing downloaded) on CUDA within 9 minutes.
# Rewards: `code` graded in bwrap when bubblewrap and the sandbox root filesystem exist there, else math only
# (the sandbox is never replaced by an unsandboxed runner). The profile lands in $OUT (or outputs/) as
# gpu_profile.md / gpu_profile.json, and is printed.
set -euo pipefail
cd "$(dirname "$0")/.."
WHEELS=.whl/gpu-grpo
SITE=.whl/gpu-site
PY=${PYTHON:-python}

# name==version, exactly as here (pure Python or abi3 wheels: any CPython >= 3.11 on x86_64 Linux)
PINNED=(trl==1.16.0 transformers==5.23.0 accelerate==1.16.0 datasets==5.2.0 huggingface_hub==2.4.0
        tokenizers==0.23.3 safetensors==0.8.0 hf-xet==1.8.0 psutil dill==0.4.1 filelock fsspec==2026.9.0 tqdm
        packaging typer click typing-extensions jinja2 httpx2 mpmath sympy==1.14.0)
# compiled per CPython version: small ones, for 3.11-3.13 (transformers 5.23 needs 3.11; pandas and pyarrow are too
# large to carry)
PER_VERSION=(multiprocess==0.70.19 xxhash==4.1.0 regex pyyaml markupsafe)

prepare() {
  rm -rf "$WHEELS" && mkdir -p "$WHEELS"
  $PY -m pip wheel -q --no-deps -w "$WHEELS" trl==1.16.0
  $PY -m pip download -q --no-deps --only-binary=:all: --platform manylinux2014_x86_64 --platform any \
    --python-version 3.11 -d "$WHEELS" "${PINNED[@]:1}"
  for version in 3.11 3.12 3.13; do
    $PY -m pip download -q --no-deps --only-binary=:all: --platform manylinux2014_x86_64 \
      --python-version "$version" -d "$WHEELS" "${PER_VERSION[@]}"
  done
  size_mib=$(du -sm "$WHEELS" | cut -f1)
  echo "prepared $(ls "$WHEELS" | wc -l) wheels in $WHEELS: ${size_mib} MiB"
  if (( size_mib >= 60 )); then echo "too large to carry (limit 64 MiB with the repository)"; exit 1; fi
}

install_missing() {
  mkdir -p "$SITE"
  export PYTHONPATH="$PWD/$SITE:$PWD${PYTHONPATH:+:$PYTHONPATH}"
  missing=$($PY - "${PINNED[@]}" "${PER_VERSION[@]}" <<'EOF'
import sys
from importlib.metadata import PackageNotFoundError, version
for spec in sys.argv[1:]:
    name, _, wanted = spec.partition("==")
    try:
        have = version(name)
    except PackageNotFoundError:
        have = None
    if have is None or (wanted and have != wanted):
        print(spec)
EOF
)
  if [[ -n "$missing" ]]; then
    echo "installing from the carried wheels: $(echo $missing)"
    # shellcheck disable=SC2086
    $PY -m pip install -q --no-index --no-deps --find-links "$WHEELS" --target "$SITE" $missing
  fi
  $PY - <<'EOF'
import importlib, sys
need = ["torch", "numpy", "yaml", "sympy", "pandas", "pyarrow", "datasets", "transformers", "accelerate", "trl"]
absent = []
for name in need:
    try:
        importlib.import_module(name)
    except Exception as exc:  # a module that imports but whose own dependency is absent counts too
        absent.append(f"{name} ({type(exc).__name__}: {exc})")
if absent:
    sys.exit("cannot run: missing on this machine and not carried: " + "; ".join(absent))
import torch
if not torch.cuda.is_available():
    sys.exit("cannot run: torch sees no CUDA device")
print("torch", torch.__version__, "on", torch.cuda.get_device_name(0))
EOF
}

run() {
  install_missing
  out=${OUT:-outputs}
  rewards=math
  if $PY -c "from tests.sandbox_cases import bwrap_skip_reason as r; import sys; sys.exit(1 if r() else 0)" 2>/dev/null
  then rewards=code,math; fi
  echo "rewards: $rewards"
  export HF_HUB_OFFLINE=1 WANDB_MODE=disabled TOKENIZERS_PARALLELISM=false
  timeout 540 $PY -m bench.bench_grpo --device cuda --rewards "$rewards" --work "$out/bench-grpo-gpu" \
    --prompts 32 --max_completion_length 128 --hidden_size 256 --layers 4 --steps 4 --no-pin
  cp "$out/bench-grpo-gpu/code/profile.md" "$out/gpu_profile.md"
  cp "$out/bench-grpo-gpu/code/profile.json" "$out/gpu_profile.json"
}

case "${1:-}" in
  prepare) prepare ;;
  run) run ;;
  *) echo "usage: bash bench/gpu_grpo.sh prepare|run"; exit 2 ;;
esac
