"""Dashboards: sandbox throughput/latency and pass rate reach wandb; TensorBoard works through the same switch.

Sandbox metrics come from an execution reward that runs a program per completion.

The stage's `code` reward logs its sandbox statistics through TRL's `log_metric` (`rewards.code_rewards.sandbox_metrics`)
and declares itself an execution reward with `kind = "execution"`; here a small execution reward does the same with a
*trusted* program (it reads the completion as data on stdin and never runs it), so the path from a reward to wandb is
exercised apart from the sandbox (whose own metrics are tested with the real backend in test_sandbox_api).
"""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from rewards.code_rewards import sandbox_metrics
from tests.integration.wandb_records import history_rows, read_finished_records

pytestmark = pytest.mark.integration

# Trusted: counts the bytes of its input; the completion is only ever data.
_PROGRAM = "import sys; print(len(sys.stdin.buffer.read()) % 2)"


class EvenLengthExecution:
    """1.0 when the completion has an even number of bytes, decided by running a program on it (one run each)."""

    __name__ = "even_length"
    kind = "execution"

    def __call__(self, prompts, completions, log_metric, **kwargs) -> list[float]:
        scores, latencies = [], []
        batch_start = time.perf_counter()
        for completion in completions:
            start = time.perf_counter()
            out = subprocess.run(
                [sys.executable, "-I", "-S", "-c", _PROGRAM], input=completion.encode(), capture_output=True,
                timeout=30, check=True,
            )  # fmt: skip
            latencies.append(time.perf_counter() - start)
            scores.append(1.0 if out.stdout.strip() == b"0" else 0.0)
        for key, value in sandbox_metrics(latencies, time.perf_counter() - batch_start).items():
            log_metric(key, value)
        return scores


def test_sandbox_metrics_and_pass_rate_in_wandb_history(tiny_base_model, tmp_path, monkeypatch):
    from datasets import Dataset
    from trl import GRPOConfig

    from alignment.run.tracking import RecordArguments, setup_tracking
    from alignment.trainers import CodealignGRPOTrainer

    monkeypatch.delenv("WANDB_API_KEY", raising=False)
    args = GRPOConfig(
        output_dir=str(tmp_path), max_steps=2, per_device_train_batch_size=4, num_generations=4,
        max_completion_length=6, logging_steps=1, report_to=["wandb"], run_name="sandbox-telemetry",
        use_cpu=True, bf16=False, activation_checkpointing=False, save_strategy="no", seed=0,
    )  # fmt: skip
    record = RecordArguments(wandb_mode="offline", completions_table_every_n_steps=0)
    setup_tracking(args, record, {"test": True}, is_main_process=True)
    trainer = CodealignGRPOTrainer(
        model=str(tiny_base_model),
        reward_funcs=[EvenLengthExecution()],
        args=args,
        train_dataset=Dataset.from_dict({"prompt": [f"What is {i} + {i}?" for i in range(8)]}),
        record=record,
    )
    trainer.train()
    import wandb

    wandb.finish()

    [run_dir] = (tmp_path / "wandb").glob("offline-run-*")
    rows = [row for row in history_rows(read_finished_records(run_dir)) if "train/sandbox/calls" in row]
    assert [row["train/global_step"] for row in rows] == [1, 2]
    for row in rows:
        assert row["train/sandbox/calls"] == 4  # one execution per completion: 1 prompt x 4 generations
        assert 0 < row["train/sandbox/latency_p50_s"] <= row["train/sandbox/latency_p90_s"]
        assert row["train/sandbox/latency_p90_s"] <= row["train/sandbox/latency_p99_s"]
        assert row["train/sandbox/throughput_per_s"] > 0
        assert row["train/execution/pass_rate"] in (0.0, 0.25, 0.5, 0.75, 1.0)


def test_tensorboard_through_the_same_switch(tiny_sft_model, tmp_path):
    """`--report_to tensorboard`: the same per-step metrics, the completions table and the manifest, as TB events."""
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    from tests.integration.run_helpers import ROOT, run_stage, tail

    output_dir = tmp_path / "run"
    proc = run_stage(
        "alignment.grpo",
        [
            "--config", str(ROOT / "configs/grpo/tiny_cpu.yaml"), "--model_name_or_path", str(tiny_sft_model),
            "--output_dir", str(output_dir), "--max_steps", "2", "--report_to", "tensorboard",
            "--completions_table_every_n_steps", "1",
        ],
    )  # fmt: skip
    assert proc.returncode == 0, tail(proc)
    events = EventAccumulator(str(output_dir / "tensorboard"), size_guidance={"tensors": 0, "scalars": 0}).Reload()
    scalars = set(events.Tags()["scalars"])
    expected = {
        "train/reward",
        "train/kl",
        "train/entropy",
        "train/rewards/math/math/mean",
        "train/timing/generation_s",
    }  # tiny_cpu routes math to `rule`
    assert expected <= scalars, sorted(scalars)
    assert [e.step for e in events.Scalars("train/reward")] == [1, 2]
    texts = set(events.Tags()["tensors"])
    assert {"completions/text_summary", "manifest/text_summary", "codealign/text_summary"} <= texts, sorted(texts)
