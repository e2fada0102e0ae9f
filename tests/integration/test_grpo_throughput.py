"""Rewards off the critical path: overlapped and sequential rewards give the same rewards and weights, reward
functions run concurrently with each other and with the log-prob passes, and the step profile is logged."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from tests.integration.throughput_helpers import half_fixed_rows, make_trainer

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]
PROFILE_KEYS = [
    "timing/generation_s", "timing/logprobs_old_s", "timing/logprobs_ref_s", "timing/reward_wait_s",
    "timing/loss_s", "timing/backward_s", "timing/optimizer_s", "timing/other_s", "timing/step_s",
    "timing/reward_code_s", "timing/reward_math_s", "timing/sandbox_s",
]  # fmt: skip


@pytest.fixture(scope="module")
def code_models(tmp_path_factory) -> tuple[Path, Path]:
    """A tiny policy that writes fenced programs (so the sandbox really runs) and a random-head reward model from
    it (continuous scores: every group has spread, so the weights depend on every reward)."""
    from bench.grpo_setup import build_code_policy
    from tests.integration.run_helpers import build_policy_and_reward_model
    from tests.sandbox_cases import bwrap_skip_reason

    reason = bwrap_skip_reason()
    if reason:
        pytest.skip(reason)
    root = tmp_path_factory.mktemp("code-models")
    policy = build_code_policy(root, hidden_size=64, num_layers=2, sft_steps=250)
    return build_policy_and_reward_model(root, policy=policy)


def _run(models: tuple[Path, Path], out: Path, overlap: str) -> None:
    from alignment import grpo

    policy, reward_model = models
    grpo.main(
        [
            "--config", str(ROOT / "configs/grpo/tiny_cpu.yaml"),
            "--model_name_or_path", str(policy),
            "--datasets", str(ROOT / "data/code_tasks/tasks.jsonl"), str(ROOT / "data/math_small/train.jsonl"),
            "--dataset_weights", "0.5", "0.5",
            "--reward_funcs", "code", "math", "--reward_model_path", str(reward_model),
            "--reward_weights", "1.0", "1.0", "0.1",
            "--overlap_rewards", overlap, "--sandbox_backend", "bwrap",
            "--max_steps", "2", "--max_completion_length", "64", "--learning_rate", "0.01",
            "--completions_table_every_n_steps", "1", "--output_dir", str(out),
        ]
    )  # fmt: skip


def _rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


@pytest.mark.bwrap
@pytest.mark.slow
def test_overlapped_and_sequential_rewards_give_equal_rewards_and_weights(code_models, tmp_path):
    _run(code_models, tmp_path / "overlapped", "true")
    _run(code_models, tmp_path / "sequential", "false")
    overlapped, sequential = (_rows(tmp_path / name / "completions.jsonl") for name in ("overlapped", "sequential"))
    assert overlapped == sequential, "per-completion rewards differ between the paths"
    assert {row["step"] for row in overlapped} == {1, 2}

    metrics = {name: _rows(tmp_path / name / "metrics.jsonl") for name in ("overlapped", "sequential")}
    steps = [row for row in metrics["overlapped"] if "timing/step_s" in row]
    assert sum(row.get("sandbox/calls", 0) for row in steps) > 0, "no program reached the sandbox"
    for a, b in zip(metrics["overlapped"], metrics["sequential"]):
        for key in ("rewards/code/mean", "rewards/math/mean", "rewards/reward_model/mean", "execution/pass_rate"):
            assert a.get(key) == b.get(key), key
    missing = [k for k in PROFILE_KEYS if k not in steps[0]]
    assert not missing, f"step profile keys not logged: {missing}"

    start = load_file(str(code_models[0] / "model.safetensors"))
    after = {name: load_file(str(tmp_path / name / "model.safetensors")) for name in ("overlapped", "sequential")}
    assert all(torch.equal(after["overlapped"][k], after["sequential"][k]) for k in start)
    assert any(not torch.equal(after["overlapped"][k], start[k]) for k in start), "training changed nothing"


class _Meeting:
    """Reward functions and the reference pass that can only finish if they run at the same time."""

    def __init__(self) -> None:
        self.arrived = {name: threading.Event() for name in ("first", "second", "reference")}
        self.threads: dict[str, str] = {}

    def meet(self, name: str, *others: str) -> bool:
        self.threads[name] = threading.current_thread().name
        self.arrived[name].set()
        return all(self.arrived[o].wait(timeout=60) for o in others)


class _MeetingReward:
    def __init__(self, meeting: _Meeting, name: str, other: str) -> None:
        self.meeting, self.name, self.other, self.__name__ = meeting, name, other, name
        self.met: list[bool] = []

    def __call__(self, prompts, completions, **kwargs) -> list[float]:
        self.met.append(self.meeting.meet(self.name, self.other, "reference"))
        return [float(len(c[-1]["content"]) % 5) for c in completions]


def test_reward_functions_run_concurrently_with_each_other_and_the_reference_pass(tmp_path):
    """Each reward waits until the other reward and the reference log-prob pass have started: on the sequential
    path they could never meet (each wait would time out); overlapped, all three are running at once."""
    from alignment.model.tiny import build_tiny_model
    from alignment.trainers import CodealignGRPOTrainer

    meeting = _Meeting()

    class Trainer(CodealignGRPOTrainer):
        def _get_per_token_logps_and_entropies(self, model, *args, **kwargs):
            if model is self.ref_model and not torch.is_grad_enabled():
                assert meeting.meet("reference", "first", "second"), "the rewards had not started"
            return super()._get_per_token_logps_and_entropies(model, *args, **kwargs)

    policy = build_tiny_model(tmp_path / "policy", hidden_size=32, num_layers=2, num_heads=2)
    rewards = [_MeetingReward(meeting, "first", "second"), _MeetingReward(meeting, "second", "first")]
    trainer = make_trainer(policy, tmp_path / "run", half_fixed_rows(), None, Trainer, rewards, max_steps=1)
    trainer.train()
    assert all(reward.met == [True] for reward in rewards)
    assert len({meeting.threads[n] for n in ("first", "second", "reference")}) == 3
    assert meeting.threads["reference"] == threading.main_thread().name
