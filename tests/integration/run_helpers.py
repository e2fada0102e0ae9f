"""Shared pieces of the run-record integration tests: tiny policy and reward models, and stage command lines."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
AUDIT_DIR = Path(__file__).resolve().parent / "write_audit"


def build_policy_and_reward_model(root: Path, policy: Path | None = None) -> tuple[Path, Path]:
    """A tiny causal LM (the policy / SFT start; built unless given) and a sequence classifier from it (the RM).

    The reward model's score head is randomly initialised: its scores are arbitrary but continuous, so GRPO groups
    get non-zero advantages and the policy really moves (a 0/1 reward on an untrained model is all zeros).
    """
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    from alignment.model.tiny import build_tiny_model

    if policy is None:
        policy = build_tiny_model(root / "policy", hidden_size=32, num_layers=2, num_heads=2)
    torch.manual_seed(1)
    reward_model = AutoModelForSequenceClassification.from_pretrained(policy, num_labels=1)
    reward_model.save_pretrained(root / "reward_model")
    AutoTokenizer.from_pretrained(policy).save_pretrained(root / "reward_model")
    return policy, root / "reward_model"


def grpo_args(
    policy: Path, reward_model: Path, output_dir: Path, *extra: str, reward_funcs: str = "boxed_format"
) -> list[str]:
    """The tiny CPU GRPO recipe plus a reward model, with a checkpoint every step."""
    return [
        "--config", str(ROOT / "configs/grpo/tiny_cpu.yaml"),
        "--model_name_or_path", str(policy),
        "--reward_funcs", reward_funcs,
        "--reward_model_path", str(reward_model),
        "--output_dir", str(output_dir),
        "--save_strategy", "steps", "--save_steps", "1",
        "--max_completion_length", "8",
        "--per_device_train_batch_size", "4",
        "--learning_rate", "0.01",
        *extra,
    ]  # fmt: skip


def sft_args(policy: Path, output_dir: Path, *extra: str) -> list[str]:
    return [
        "--config", str(ROOT / "configs/sft/tiny_cpu.yaml"),
        "--model_name_or_path", str(policy),
        "--output_dir", str(output_dir),
        "--save_strategy", "steps", "--save_steps", "1",
        "--per_device_train_batch_size", "4",
        "--max_length", "64",
        *extra,
    ]  # fmt: skip


def stage_env(**extra: str) -> dict[str, str]:
    """Environment for a stage subprocess: no wandb credentials or network, repository importable."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WANDB_", "ACCELERATE_", "RANK", "WORLD_SIZE"))}
    env.update(PYTHONPATH=str(ROOT), WANDB_API_KEY="", WANDB_SILENT="true", HF_HUB_OFFLINE="1", **extra)
    return env


def run_stage(module: str, args: list[str], timeout_s: float = 300, **env: str) -> subprocess.CompletedProcess:
    """`python -m alignment.<stage> ...` exactly as a user runs it on one process."""
    return subprocess.run(
        [sys.executable, "-m", module, *args],
        cwd=ROOT, env=stage_env(**env), capture_output=True, text=True, timeout=timeout_s,
    )  # fmt: skip


def accelerate_launch(
    accelerate_config: str, module: str, args: list[str], audit_dir: Path, watch_dir: Path, timeout_s: float = 400
) -> subprocess.CompletedProcess:
    """`accelerate launch --config_file configs/accelerate/<config> -m <module> ...`, with the write audit on."""
    launcher = shutil.which("accelerate") or "accelerate"
    audit_dir.mkdir(parents=True, exist_ok=True)
    env = stage_env(WRITE_AUDIT_DIR=str(audit_dir), WRITE_AUDIT_WATCH=str(watch_dir))
    env["PYTHONPATH"] = f"{AUDIT_DIR}{os.pathsep}{ROOT}"
    command = [launcher, "launch", "--config_file", str(ROOT / "configs/accelerate" / accelerate_config), "-m", module]
    return subprocess.run(
        [*command, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout_s
    )  # fmt: skip


def tail(proc: subprocess.CompletedProcess, chars: int = 4000) -> str:
    return f"exit {proc.returncode}\n--- stdout\n{proc.stdout[-chars:]}\n--- stderr\n{proc.stderr[-chars:]}"
