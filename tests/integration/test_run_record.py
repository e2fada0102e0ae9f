"""The run record of real (tiny) GRPO runs: kill-and-resume, wandb offline data, manifest round trip, reports.

One uninterrupted run (`python -m alignment.grpo`, wandb offline) is the reference. A second run with the same
recipe is SIGKILLed once it has published a checkpoint, while it is still training, then restarted with `--resume`:
it must end with bit-identical weights and identical per-step metrics. The reference run's offline wandb file is read
back record by record and must hold every metric the dashboard promises.
"""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from safetensors.torch import load_file

from tests.integration.run_helpers import ROOT, build_policy_and_reward_model, grpo_args, run_stage, stage_env, tail
from tests.integration.wandb_records import history_rows, read_finished_records, run_config, run_info

pytestmark = [pytest.mark.integration, pytest.mark.slow]

STEPS = 5
KILL_AFTER_CHECKPOINT = 2
# Wall-clock measurements differ between any two runs; everything else must match exactly.
TIMING_KEYS = ("time/", "timing/", "step_time", "train_runtime", "train_samples_per_second", "train_steps_per_second")


@pytest.fixture(scope="module")
def models(tiny_sft_model, tmp_path_factory) -> tuple[Path, Path]:
    """The session's tiny SFT model (its math answers are often, not always, right) and a reward model from it."""
    root = tmp_path_factory.mktemp("record-models")
    return build_policy_and_reward_model(root, policy=tiny_sft_model)


def _args(models: tuple[Path, Path], output_dir: Path, *extra: str) -> list[str]:
    policy, reward_model = models
    return grpo_args(
        policy, reward_model, output_dir,
        "--datasets", str(ROOT / "data/math_small/train.jsonl"),
        "--max_steps", str(STEPS),
        *extra,
        reward_funcs="math",
    )  # fmt: skip


@pytest.fixture(scope="module")
def reference_run(models, tmp_path_factory) -> Path:
    output_dir = tmp_path_factory.mktemp("reference") / "run"
    extra = ("--report_to", "wandb", "--wandb_mode", "offline", "--run_name", "reference", "--wandb_tags", "ci")
    proc = run_stage("alignment.grpo", _args(models, output_dir, *extra, "--completions_table_every_n_steps", "2"))
    assert proc.returncode == 0, tail(proc)
    return output_dir


@pytest.fixture(scope="module")
def resumed_run(models, tmp_path_factory) -> tuple[Path, subprocess.CompletedProcess]:
    output_dir = tmp_path_factory.mktemp("resumed") / "run"
    args = _args(models, output_dir)
    victim = subprocess.Popen(
        [sys.executable, "-m", "alignment.grpo", *args],
        cwd=ROOT, env=stage_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    deadline = time.monotonic() + 300
    while not (output_dir / f"checkpoint-{KILL_AFTER_CHECKPOINT}").exists() and victim.poll() is None:
        assert time.monotonic() < deadline, "the run never published a checkpoint"
        time.sleep(0.02)
    os.killpg(victim.pid, signal.SIGKILL)  # no clean-up, no final save: as if the node died
    assert victim.wait() == -signal.SIGKILL, "the run finished before it could be killed"
    assert not (output_dir / "model.safetensors").exists(), "the killed run must not have reached its final save"

    proc = run_stage("alignment.grpo", [*args, "--resume"])
    assert proc.returncode == 0, tail(proc)
    return output_dir, proc


def _metrics(output_dir: Path) -> dict[int, dict]:
    """Per-step training metrics without wall-clock values (the end-of-training summary row is skipped)."""
    rows = [json.loads(line) for line in (output_dir / "metrics.jsonl").read_text().splitlines()]
    steps = [row["step"] for row in rows if "loss" in row]
    assert len(steps) == len(set(steps)), f"a step was logged twice: {steps}"
    return {
        row["step"]: {k: v for k, v in row.items() if not k.startswith(TIMING_KEYS)} for row in rows if "loss" in row
    }


def test_killed_and_resumed_run_ends_like_the_uninterrupted_one(reference_run, resumed_run):
    resumed_dir, proc = resumed_run
    resumed_from = int(proc.stderr.split("--resume: continuing from ")[1].split("checkpoint-")[1].split()[0])
    assert KILL_AFTER_CHECKPOINT <= resumed_from < STEPS, "resumed from a checkpoint written before the kill"
    assert "missing keys" not in proc.stderr, "the tied lm_head is complete after resume: nothing to warn about"

    reference, resumed = load_file(reference_run / "model.safetensors"), load_file(resumed_dir / "model.safetensors")
    assert reference.keys() == resumed.keys()
    for name in reference:
        assert reference[name].equal(resumed[name]), f"{name} differs after resume"

    expected, got = _metrics(reference_run), _metrics(resumed_dir)
    assert sorted(got) == list(range(1, STEPS + 1))
    for step in expected:
        assert got[step] == pytest.approx(expected[step], rel=0, abs=0, nan_ok=True), f"step {step}"
    assert not (resumed_dir / ".staging").exists()


def test_manifest_config_reproduces_the_run_config(reference_run):
    from trl import GRPOConfig, ModelConfig

    from alignment.evaluation.callback import EvalArguments
    from alignment.grpo import GRPOArguments
    from alignment.run.config import parse_recipe
    from alignment.run.tracking import RecordArguments

    manifest = json.loads((reference_run / "manifest.json").read_text())
    replay = parse_recipe(
        (GRPOArguments, ModelConfig, GRPOConfig, RecordArguments, EvalArguments),
        ["--config", str(reference_run / "config.yaml")],
    )
    assert json.loads(json.dumps(replay.resolved())) == manifest["config"]
    assert manifest["world_size"] == 1 and manifest["seeds"]["seed"] == 0
    assert manifest["git"]["commit"] and manifest["packages"]["trl"] == "1.16.0"
    assert all(manifest["data_sha256"].values()) and all(manifest["checkpoint_sha256"].values())


EXPECTED_METRICS = [
    # each reward component: mean, std, fraction None
    "rewards/math/mean", "rewards/math/std", "rewards/math/frac_none",
    "rewards/rm/mean", "rewards/rm/std", "timing/reward_model_scoring_s",
    "reward", "reward_std", "frac_reward_zero_std",
    # reward-model score and its gap to the verified outcome (here the math checker's)
    "reward_model/score_mean", "reward_model/exec_gap",
    # KL, entropy, lengths, clip and truncation ratios
    "kl", "entropy", "completions/mean_length", "completions/max_length", "completions/clipped_ratio",
    "clip_ratio/region_mean",
    # the step profile
    "step_time", "timing/generation_s", "timing/logprobs_ref_s", "timing/reward_wait_s", "timing/loss_s",
    "timing/backward_s", "timing/optimizer_s", "timing/other_s", "timing/step_s",
]  # fmt: skip


def test_wandb_offline_run_holds_every_metric_table_and_the_manifest(reference_run):
    [run_dir] = (reference_run / "wandb").glob("offline-run-*")
    records = read_finished_records(run_dir)
    history = history_rows(records)

    logged = {key for row in history for key in row}
    missing = [k for k in EXPECTED_METRICS if f"train/{k}" not in logged]
    assert not missing, f"not in the wandb history: {missing}"
    steps = sorted({row["train/global_step"] for row in history if "train/reward" in row})
    assert steps == list(range(1, STEPS + 1))
    for row in history:
        if "train/execution/pass_rate" in row:
            assert 0.0 <= row["train/execution/pass_rate"] <= 1.0

    tables = [row for row in history if "completions" in row]
    assert [row["train/global_step"] for row in tables] == [2, 4]  # every 2 steps, once per step
    assert tables[0]["completions"]["_type"] == "table-file"
    table_file = next(run_dir.glob("files/media/table/completions_*.table.json"))
    columns = json.loads(table_file.read_text())["columns"]
    assert columns == ["prompt", "completion", "math", "rm", "advantage"]

    info = run_info(records)
    assert (info.display_name, info.project, list(info.tags)) == ("reference", "codealign", ["ci"])
    config = run_config(records)
    manifest = json.loads((reference_run / "manifest.json").read_text())
    assert config["codealign"] == manifest["config"]
    assert config["manifest"]["git"] == manifest["git"]


def test_report_plots_two_runs_side_by_side(reference_run, resumed_run, tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "alignment.report", str(reference_run), str(resumed_run[0]), "--out", str(tmp_path)],
        cwd=ROOT, env=stage_env(), capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 0, tail(proc)
    for name in ("reward", "reward_components", "accuracy", "kl", "entropy", "lengths", "step_time"):
        assert (tmp_path / f"{name}.png").read_bytes()[:4] == b"\x89PNG", name
    report = (tmp_path / "report.md").read_text()
    assert report.count(f"| {STEPS} |") == 2, report
    final_reward = _metrics(reference_run)[STEPS]["reward"]
    assert f"{final_reward:.4g}" in report and not math.isnan(final_reward)
