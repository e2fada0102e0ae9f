"""Evaluation inside training: the callback logs held-out figures at step 0, every N steps and at the end, through
the trainer to metrics.jsonl, TensorBoard and wandb (offline), without changing the training run itself."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from tests.integration.wandb_records import history_rows, read_finished_records
from tests.sandbox_cases import bwrap_skip_reason

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]
KEY = "eval_math_small_test/pass@1"  # the data file's folder and stem name the held-out set


def _metrics(output_dir: Path) -> list[dict]:
    return [json.loads(line) for line in (output_dir / "metrics.jsonl").read_text().splitlines()]


def _sft(model: Path, output_dir: Path, *extra: str) -> None:
    from alignment import sft

    config = [] if "--config" in extra else ["--config", str(ROOT / "configs/sft/tiny_cpu.yaml")]
    sft.main(
        [*config, "--model_name_or_path", str(model), "--output_dir", str(output_dir), "--max_steps", "3", *extra]
    )


EVAL = ["--eval_benchmark", str(ROOT / "data/math_small/test.jsonl"), "--eval_every_steps", "2", "--eval_limit", "8",
        "--eval_n", "2", "--eval_k", "1", "2", "--eval_max_new_tokens", "8"]  # fmt: skip


def test_sft_logs_held_out_figures_to_every_dashboard(tiny_base_model, tmp_path, monkeypatch):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    monkeypatch.delenv("WANDB_API_KEY", raising=False)
    out = tmp_path / "with_eval"
    recipe = tmp_path / "both_dashboards.yaml"  # a list of dashboards is a YAML list (a flag takes one)
    recipe.write_text(f"base: {ROOT / 'configs/sft/tiny_cpu.yaml'}\nreport_to: [wandb, tensorboard]\n")
    _sft(tiny_base_model, out, *EVAL, "--config", str(recipe), "--wandb_mode", "offline")
    import wandb

    wandb.finish()

    rows = [row for row in _metrics(out) if KEY in row]
    assert [row["step"] for row in rows] == [0, 2, 3]  # start, every 2 steps, the last step
    for row in rows:
        assert 0.0 <= row[f"{KEY}_low"] <= row[KEY] <= row[f"{KEY}_high"] <= 1.0
        assert {"eval_math_small_test/pass@2", "eval_math_small_test/maj@2"} <= set(row)
    assert [row["step"] for row in _metrics(out) if "loss" in row] == [1, 2, 3]  # the trainer's own logs stay
    per_problem = [json.loads(line) for line in (out / "eval/math_small_test/step-2.jsonl").read_text().splitlines()]
    assert len(per_problem) == 8 and all(len(r["completions"]) == 2 for r in per_problem)

    events = EventAccumulator(str(out / "tensorboard"), size_guidance={"scalars": 0}).Reload()
    assert [e.step for e in events.Scalars("eval/math_small_test/pass@1")] == [0, 2, 3]
    [run_dir] = (out / "wandb").glob("offline-run-*")
    history = [row for row in history_rows(read_finished_records(run_dir)) if "eval/math_small_test/pass@1" in row]
    assert [row["train/global_step"] for row in history] == [0, 2, 3]


def _grpo(model: Path, output_dir: Path, *extra: str) -> Path:
    from alignment import grpo

    grpo.main(
        ["--config", str(ROOT / "configs/grpo/tiny_cpu.yaml"), "--model_name_or_path", str(model),
         "--datasets", str(ROOT / "data/math_small/train.jsonl"), "--reward_funcs", "math", "boxed_format",
         "--max_completion_length", "24", "--output_dir", str(output_dir), *extra]
    )  # fmt: skip
    return output_dir


def test_grpo_with_evaluation_trains_exactly_as_without(tiny_sft_model, tmp_path):
    """The evaluation samples with its own seed inside `fork_rng`: GRPO's own sampling, which draws from the global
    random stream, sees the same stream as in a run without evaluation."""
    with_eval = _grpo(tiny_sft_model, tmp_path / "with_eval", *EVAL, "--eval_every_steps", "1")
    assert [row["step"] for row in _metrics(with_eval) if KEY in row] == [0, 1, 2]
    without = _grpo(tiny_sft_model, tmp_path / "without_eval")
    start, a, b = (load_file(str(p / "model.safetensors")) for p in (tiny_sft_model, with_eval, without))
    assert any(not torch.equal(start[k], b[k]) for k in b), "GRPO did not move: the comparison would prove nothing"
    assert all(torch.equal(a[k], b[k]) for k in b), "evaluation changed the training run"


@pytest.mark.bwrap
def test_grpo_evaluates_code_in_the_sandbox_during_training(tiny_sft_model, tmp_path):
    reason = bwrap_skip_reason()
    if reason:
        pytest.skip(reason)
    code = ["--eval_benchmark", "code_tasks", "--eval_every_steps", "1", "--eval_limit", "4",
            "--eval_max_new_tokens", "16", "--eval_sandbox_jobs", "2"]  # fmt: skip
    out = _grpo(tiny_sft_model, tmp_path / "grpo", *code)
    rows = [row for row in _metrics(out) if "eval_code_tasks/pass@1" in row]
    assert [row["step"] for row in rows] == [0, 1, 2]
    assert all(row["eval_code_tasks/grading_s"] >= 0 and row["eval_code_tasks/generation_s"] > 0 for row in rows)
    assert [row["step"] for row in _metrics(out) if "reward" in row] == [1, 2]  # GRPO's own metrics still logged
    per_problem = [json.loads(line) for line in (out / "eval/code_tasks/step-1.jsonl").read_text().splitlines()]
    outcomes = {o for r in per_problem for o in r["outcomes"]}
    assert outcomes <= {"passed", "wrong_answer", "compile_error", "runtime_error", "timeout", "no_code"}
