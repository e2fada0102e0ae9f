"""Launch configurations: every accelerate/DeepSpeed file parses, and the Slurm scripts give each node the right
rank, master address, port and process counts (dry run: the exact command and environment each node would get)."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
from pathlib import Path

import pytest
from accelerate.commands.config.config_args import ClusterConfig

ROOT = Path(__file__).resolve().parents[2]
ACCELERATE_DIR = ROOT / "configs" / "accelerate"
SBATCH = ROOT / "configs" / "slurm" / "grpo_multinode.sbatch"
LAUNCH_NODE = ROOT / "configs" / "slurm" / "launch_node.sh"

# file -> (ZeRO stage, optimizer offload, parameter offload, runs on CPU)
DEEPSPEED_CONFIGS = {
    "zero2.yaml": (2, "none", "none", False),
    "zero3.yaml": (3, "none", "none", False),
    "zero2_offload.yaml": (2, "cpu", "none", False),
    "zero3_offload.yaml": (3, "cpu", "cpu", False),
    "multi_node_zero3.yaml": (3, "none", "none", False),
    "cpu_zero2.yaml": (2, "none", "none", True),
    "cpu_zero3.yaml": (3, "none", "none", True),
}


def test_every_accelerate_config_is_listed_here():
    shipped = {p.name for p in ACCELERATE_DIR.glob("*.yaml")}
    assert shipped == set(DEEPSPEED_CONFIGS) | {"cpu_ddp.yaml"}


@pytest.mark.parametrize("name", sorted(DEEPSPEED_CONFIGS))
def test_deepspeed_accelerate_config_parses_with_accelerate(name):
    stage, offload_optimizer, offload_param, on_cpu = DEEPSPEED_CONFIGS[name]
    config = ClusterConfig.from_yaml_file(str(ACCELERATE_DIR / name))
    assert config.distributed_type == "DEEPSPEED"
    assert config.deepspeed_config["zero_stage"] == stage
    assert config.deepspeed_config["offload_optimizer_device"] == offload_optimizer
    assert config.deepspeed_config["offload_param_device"] == offload_param
    assert config.use_cpu is on_cpu
    # ZeRO-3 must save a consolidated 16-bit model, otherwise save_model() writes only shards.
    assert config.deepspeed_config["zero3_save_16bit_model"] is (stage == 3)
    assert config.num_processes % config.num_machines == 0
    assert (ACCELERATE_DIR / name).read_text().startswith("#"), "a launch config starts with its launch command"


def test_multi_node_config_counts_processes_over_all_nodes():
    config = ClusterConfig.from_yaml_file(str(ACCELERATE_DIR / "multi_node_zero3.yaml"))
    assert (config.num_machines, config.num_processes) == (2, 16)
    assert config.main_process_port == 29500


@pytest.mark.parametrize("name,stage", [("deepspeed_zero2.json", 2), ("deepspeed_zero3.json", 3)])
def test_torchrun_deepspeed_json_configs(name, stage):
    config = json.loads((ACCELERATE_DIR / name).read_text())
    assert config["zero_optimization"]["stage"] == stage
    # "auto" lets the HF integration fill batch sizes from the recipe, so one JSON serves every recipe.
    assert config["train_micro_batch_size_per_gpu"] == "auto"


def _dry_run(script: Path, *args: str, **env: str) -> list[tuple[dict[str, str], list[str]]]:
    """Run a launch script with DRY_RUN=1; return (environment, argv) for every node it prints."""
    full_env = {k: v for k, v in os.environ.items() if not k.startswith(("SLURM_", "MASTER_"))}
    full_env.update(DRY_RUN="1", **env)
    proc = subprocess.run(["bash", str(script), *args], cwd=ROOT, env=full_env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.strip().splitlines()
    nodes = []
    for env_line, cmd_line in zip(lines[::2], lines[1::2]):
        node_env = dict(item.split("=", 1) for item in env_line.split())
        assert cmd_line.startswith("CMD ")
        nodes.append((node_env, shlex.split(cmd_line[4:])))
    return nodes


def _flag(argv: list[str], name: str) -> str:
    return argv[argv.index(name) + 1]


def test_sbatch_gives_each_node_its_rank_and_the_same_master():
    nodes = _dry_run(SBATCH, "configs/grpo/x.yaml", "--seed", "3", SLURM_JOB_NODELIST="gpu[07-08]", SLURM_NNODES="2")
    assert len(nodes) == 2
    for rank, (env, argv) in enumerate(nodes):
        assert env == {
            "NODE_RANK": str(rank),
            "MASTER_ADDR": "gpu07",  # first host of the range, zero padding kept
            "MASTER_PORT": "29500",
            "NUM_NODES": "2",
            "WORLD_SIZE": "16",
        }
        assert argv[:4] == ["accelerate", "launch", "--config_file", "configs/accelerate/multi_node_zero3.yaml"]
        assert _flag(argv, "--machine_rank") == str(rank)
        assert _flag(argv, "--main_process_ip") == "gpu07"
        assert _flag(argv, "--main_process_port") == "29500"
        assert _flag(argv, "--num_machines") == "2"
        assert _flag(argv, "--num_processes") == "16"
        assert argv[-6:] == ["-m", "alignment.grpo", "--config", "configs/grpo/x.yaml", "--seed", "3"]


def test_sbatch_honours_port_gpus_and_module():
    nodes = _dry_run(
        SBATCH,
        "configs/sft/y.yaml",
        SLURM_JOB_NODELIST="a1,b2,c3",
        SLURM_NNODES="3",
        MASTER_PORT="31337",
        GPUS_PER_NODE="4",
        MODULE="alignment.sft",
    )
    assert [env["NODE_RANK"] for env, _ in nodes] == ["0", "1", "2"]
    assert {env["MASTER_ADDR"] for env, _ in nodes} == {"a1"}
    assert {_flag(argv, "--num_processes") for _, argv in nodes} == {"12"}
    assert {_flag(argv, "--main_process_port") for _, argv in nodes} == {"31337"}
    assert {_flag(argv, "-m") for _, argv in nodes} == {"alignment.sft"}


def test_torchrun_variant_gets_per_node_process_count_and_deepspeed_json():
    [(env, argv)] = _dry_run(
        LAUNCH_NODE,
        "alignment.grpo",
        "r.yaml",
        SLURM_JOB_NODELIST="node[3-4,9]",
        SLURM_NNODES="3",
        SLURM_NODEID="2",
        LAUNCHER="torchrun",
    )
    assert env["MASTER_ADDR"] == "node3"
    assert argv[0] == "torchrun"
    assert (_flag(argv, "--nnodes"), _flag(argv, "--nproc_per_node"), _flag(argv, "--node_rank")) == ("3", "8", "2")
    assert _flag(argv, "--master_addr") == "node3"
    assert _flag(argv, "--deepspeed") == "configs/accelerate/deepspeed_zero3.json"


def test_launch_node_outside_slurm_says_how_to_fix():
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLURM_")}
    proc = subprocess.run(
        ["bash", str(LAUNCH_NODE), "alignment.grpo", "r.yaml"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert proc.returncode != 0
    assert "SLURM_JOB_NODELIST" in proc.stderr and "sbatch" in proc.stderr


def test_launch_node_rejects_unknown_launcher():
    proc = subprocess.run(
        ["bash", str(LAUNCH_NODE), "alignment.grpo", "r.yaml"],
        cwd=ROOT,
        env={**os.environ, "SLURM_JOB_NODELIST": "a", "SLURM_NNODES": "1", "SLURM_NODEID": "0", "LAUNCHER": "mpirun"},
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2
    assert "'accelerate' or 'torchrun'" in proc.stderr and "mpirun" in proc.stderr
