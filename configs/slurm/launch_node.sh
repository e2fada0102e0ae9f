#!/usr/bin/env bash
# One launcher per node: turns the Slurm environment of this node into an `accelerate launch` (or `torchrun`) command
# that starts one training process per GPU on this node. Started once per node by grpo_multinode.sbatch via srun.
#
#   bash configs/slurm/launch_node.sh alignment.grpo configs/grpo/<recipe>.yaml [--key value ...]
#
# Reads (set by Slurm): SLURM_JOB_NODELIST, SLURM_NNODES, SLURM_NODEID (this node's rank, 0-based).
# Reads (optional):     GPUS_PER_NODE (8), MASTER_PORT (29500), LAUNCHER (accelerate | torchrun),
#                       ACCELERATE_CONFIG (configs/accelerate/multi_node_zero3.yaml),
#                       DEEPSPEED_CONFIG (configs/accelerate/deepspeed_zero3.json, torchrun only),
#                       DRY_RUN=1 prints the environment and the command instead of running it.
set -euo pipefail

MODULE=${1:?"usage: launch_node.sh MODULE RECIPE.yaml [--key value ...] (e.g. alignment.grpo configs/grpo/x.yaml)"}
RECIPE=${2:?"usage: launch_node.sh MODULE RECIPE.yaml [--key value ...]"}
shift 2

: "${SLURM_JOB_NODELIST:?not inside a Slurm allocation (SLURM_JOB_NODELIST unset); submit with sbatch}"
: "${SLURM_NNODES:?SLURM_NNODES unset; submit with sbatch}"
: "${SLURM_NODEID:?SLURM_NODEID unset; start this script through srun (one task per node)}"

GPUS_PER_NODE=${GPUS_PER_NODE:-8}
LAUNCHER=${LAUNCHER:-accelerate}
ACCELERATE_CONFIG=${ACCELERATE_CONFIG:-configs/accelerate/multi_node_zero3.yaml}
DEEPSPEED_CONFIG=${DEEPSPEED_CONFIG:-configs/accelerate/deepspeed_zero3.json}

# The first host of the allocation is the rendezvous master. `scontrol show hostnames` expands ranges like
# gpu[01-04]; without scontrol (dry runs off the cluster) the first entry is expanded here the same way.
first_host() {
  if command -v scontrol >/dev/null 2>&1; then
    scontrol show hostnames "$1" | head -n 1
  else
    python3 -c '
import re, sys
entry = re.match(r"[^,\[]*(\[[^\]]*\])?[^,]*", sys.argv[1]).group(0)
m = re.match(r"([^\[]*)\[([^\],-]+)", entry)
print(m.group(1) + m.group(2) if m else entry)' "$1"
  fi
}

export MASTER_ADDR=${MASTER_ADDR:-$(first_host "$SLURM_JOB_NODELIST")}
export MASTER_PORT=${MASTER_PORT:-29500}
export NODE_RANK=$SLURM_NODEID
export NUM_NODES=$SLURM_NNODES
export WORLD_SIZE=$((SLURM_NNODES * GPUS_PER_NODE))

case "$LAUNCHER" in
  accelerate)
    CMD=(accelerate launch --config_file "$ACCELERATE_CONFIG"
         --num_machines "$NUM_NODES" --num_processes "$WORLD_SIZE" --machine_rank "$NODE_RANK"
         --main_process_ip "$MASTER_ADDR" --main_process_port "$MASTER_PORT"
         -m "$MODULE" --config "$RECIPE" "$@") ;;
  torchrun)
    CMD=(torchrun --nnodes "$NUM_NODES" --nproc_per_node "$GPUS_PER_NODE" --node_rank "$NODE_RANK"
         --master_addr "$MASTER_ADDR" --master_port "$MASTER_PORT"
         -m "$MODULE" --config "$RECIPE" --deepspeed "$DEEPSPEED_CONFIG" "$@") ;;
  *)
    echo "launch_node.sh: LAUNCHER must be 'accelerate' or 'torchrun', got '$LAUNCHER'" >&2
    exit 2 ;;
esac

if [[ "${DRY_RUN:-0}" == "1" ]]; then
  echo "NODE_RANK=$NODE_RANK MASTER_ADDR=$MASTER_ADDR MASTER_PORT=$MASTER_PORT NUM_NODES=$NUM_NODES WORLD_SIZE=$WORLD_SIZE"
  echo "CMD ${CMD[*]}"
  exit 0
fi
exec "${CMD[@]}"
