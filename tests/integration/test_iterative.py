"""Iterative GRPO: a refresh collects from the policy, continues the RM on the new round plus a replayed share of the
old one, resets the reference to the policy, and a run killed during a refresh resumes to the uninterrupted result.

Math prompts only (labelled by the checker), so no sandbox is needed; the tiny SFT model's answers are often, not
always, right, so prompts hold both passing and failing samples."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from safetensors.torch import load_file

from tests.integration.run_helpers import ROOT, run_stage, stage_env, tail

pytestmark = pytest.mark.integration
MATH = str(ROOT / "data/math_small/train.jsonl")
# Room for the worked answer and a temperature at which the tiny model is right on some samples of a prompt only.
SAMPLING = "max_new_tokens: 48\ntemperature: 0.7\nsamples_per_prompt: 8\nprompts_per_shard: 4\n"


@pytest.fixture(scope="module")
def rm_setup(tiny_sft_model, tmp_path_factory) -> dict[str, Path]:
    """An initial collection, an RM trained on it, and the two small recipes a refresh runs its stages with."""
    from alignment import collect, reward_model

    root = tmp_path_factory.mktemp("iterative")
    (root / "collect.yaml").write_text(f"base: {ROOT / 'configs/collect/tiny_cpu.yaml'}\n{SAMPLING}limit: 8\n")
    collect.main(["--config", str(root / "collect.yaml"), "--model_name_or_path", str(tiny_sft_model),
                  "--datasets", MATH, "--limit", "32", "--prompts_per_shard", "8", "--output_dir", str(root / "c0")])  # fmt: skip
    reward_model.main(["--config", str(ROOT / "configs/reward_model/tiny_cpu.yaml"), "--model_name_or_path",
                       str(tiny_sft_model), "--datasets", str(root / "c0"), "--max_steps", "8",
                       "--output_dir", str(root / "rm0")])  # fmt: skip
    (root / "collect.yaml").write_text(
        f"base: {ROOT / 'configs/collect/tiny_cpu.yaml'}\nlimit: 8\nprompts_per_shard: 4\n"
    )
    (root / "rm.yaml").write_text(f"base: {ROOT / 'configs/reward_model/tiny_cpu.yaml'}\nmax_steps: 4\n")
    return {"root": root, "rm": root / "rm0", "collection": root / "c0"}


def grpo_args(model: Path, setup: dict[str, Path], out: Path, max_steps: int = 4) -> list[str]:
    return [
        "--config", str(ROOT / "configs/grpo/tiny_cpu.yaml"), "--model_name_or_path", str(model),
        "--datasets", MATH, "--reward_routes", '{"math": {"rm": 1.0}}', "--reward_model_path", str(setup["rm"]),
        "--refresh_every_steps", "2", "--refresh_collect_config", str(setup["root"] / "collect.yaml"),
        "--refresh_reward_model_config", str(setup["root"] / "rm.yaml"), "--rm_replay_fraction", "0.25",
        "--max_steps", str(max_steps), "--save_strategy", "steps", "--save_steps", "1", "--output_dir", str(out),
    ]  # fmt: skip


@pytest.fixture(scope="module")
def reference(tiny_sft_model, rm_setup) -> Path:
    out = rm_setup["root"] / "reference"
    proc = run_stage("alignment.grpo", grpo_args(tiny_sft_model, rm_setup, out), timeout_s=900)
    assert proc.returncode == 0, tail(proc)
    return out


def test_a_refresh_collects_retrains_with_replay_and_is_recorded(reference, rm_setup):
    [refresh] = json.loads((reference / "refresh/state.json").read_text())["refreshes"]
    assert refresh["step"] == 2 and refresh["round"] == 1  # every 2 steps, not at the last step
    step_dir = reference / "refresh/step-2"
    collected = [
        json.loads(x) for p in (step_dir / "collect/shards").glob("*.jsonl") for x in p.read_text().split("\n") if x
    ]
    assert {r["round"] for r in collected} == {1} and {r["policy"] for r in collected} == {str(step_dir / "policy")}
    # replay: 25% of the earlier round's prompts, each with all its samples
    old = [
        json.loads(x)
        for p in (rm_setup["collection"] / "shards").glob("*.jsonl")
        for x in p.read_text().split("\n")
        if x
    ]
    replay = [json.loads(x) for x in (step_dir / "replay.jsonl").read_text().splitlines()]
    old_prompts, replayed = {r["prompt_id"] for r in old}, {r["prompt_id"] for r in replay}
    assert len(replayed) == round(0.25 * len(old_prompts)) and replayed <= old_prompts
    assert len(replay) == sum(r["prompt_id"] in replayed for r in old)
    # the RM continued from the initial one, on the new round plus the replay
    rm_manifest = json.loads((step_dir / "rm/manifest.json").read_text())["config"]
    assert rm_manifest["model_name_or_path"] == str(rm_setup["rm"])
    assert rm_manifest["datasets"] == [str(step_dir / "collect/shards"), str(step_dir / "replay.jsonl")]
    metrics = [json.loads(x) for x in (reference / "metrics.jsonl").read_text().splitlines()]
    [logged] = [m for m in metrics if "refresh/round" in m]
    assert (
        logged["step"] == 2
        and logged["refresh/replay_rows"] == len(replay)
        and 0 <= logged["refresh/rm_within_prompt_auc"] <= 1
    )


def test_the_reference_takes_the_policy_weights_at_a_refresh(tiny_sft_model, rm_setup, tmp_path):
    """In process, to look at the trainer's reference model itself after a refresh."""
    import torch

    from alignment import grpo

    captured = {}
    original = grpo.add_refresh

    def keep(trainer, args):
        original(trainer, args)
        captured["trainer"] = trainer

    grpo.add_refresh = keep
    try:
        grpo.main(grpo_args(tiny_sft_model, rm_setup, tmp_path / "run", max_steps=3))
    finally:
        grpo.add_refresh = original
    trainer = captured["trainer"]
    policy_at_refresh = load_file(str(tmp_path / "run/refresh/step-2/policy/model.safetensors"))
    initial = load_file(str(tiny_sft_model / "model.safetensors"))
    ref = dict(trainer.accelerator.unwrap_model(trainer.ref_model).named_parameters())
    for name, value in policy_at_refresh.items():
        assert torch.equal(ref[name].detach().cpu(), value), name
    assert any(not torch.equal(policy_at_refresh[n], initial[n]) for n in policy_at_refresh), "the policy had trained"
    scorer = next(f.context.reward_model for f in trainer.reward_funcs if f.kind == "model")
    assert scorer.path == str(tmp_path / "run/refresh/step-2/rm")  # every rm reward now scores with the new RM


def test_a_run_killed_during_a_refresh_resumes_to_the_uninterrupted_result(tiny_sft_model, rm_setup, reference):
    out = rm_setup["root"] / "killed"
    args = grpo_args(tiny_sft_model, rm_setup, out)
    victim = subprocess.Popen([sys.executable, "-m", "alignment.grpo", *args], cwd=ROOT, env=stage_env(),
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)  # fmt: skip
    deadline = time.monotonic() + 600
    while not (out / "refresh/step-2/collect/shards/part-00000.jsonl").exists() and victim.poll() is None:
        assert time.monotonic() < deadline, "the run never reached its refresh"
        time.sleep(0.02)
    os.killpg(victim.pid, signal.SIGKILL)  # mid-refresh: collected in part, RM not trained, state not recorded
    victim.wait()
    assert not (out / "refresh/state.json").exists()
    proc = run_stage("alignment.grpo", [*args, "--resume"], timeout_s=900)
    assert proc.returncode == 0, tail(proc)
    assert "continuing from" in proc.stderr and "checkpoint-" in proc.stderr
    ref_weights, got = load_file(str(reference / "model.safetensors")), load_file(str(out / "model.safetensors"))
    for name in ref_weights:
        assert ref_weights[name].equal(got[name]), f"{name} differs after resuming across the refresh"
    for path in ("refresh/step-2/rm/model.safetensors",):
        assert load_file(str(reference / path)).keys() == load_file(str(out / path)).keys()
        for name, value in load_file(str(reference / path)).items():
            assert value.equal(load_file(str(out / path))[name]), f"refreshed RM {name} differs"
