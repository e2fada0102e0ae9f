"""GRPO telemetry maths: reward metrics by hand (columns found by their kind), percentiles, sandbox statistics."""

from __future__ import annotations

import math
import pickle

import numpy as np
import pytest
import torch

from alignment.run.telemetry import reward_kind, reward_metrics
from rewards.code_rewards import percentile, sandbox_metrics
from rewards.registry import RewardFunction

NAN = float("nan")


def test_reward_metrics_by_hand():
    rewards = torch.tensor(
        [  # (B*G=4, 2): columns exec, rm
            [1.0, 2.0],  # passed; sigmoid(2) = 0.880797
            [0.0, 0.0],  # failed; sigmoid(0) = 0.5
            [0.5, -1.0],  # partial pass counts as not passed; sigmoid(-1) = 0.268941
            [NAN, 3.0],  # exec could not judge (e.g. a math row): excluded from pass rate and gap
        ]
    )
    metrics = reward_metrics(rewards, ["execution", "model"])
    assert metrics["execution/pass_rate"] == pytest.approx(1 / 3, abs=1e-7)  # 1 of 3 judged
    assert metrics["reward_model/score_mean"] == pytest.approx((2 + 0 - 1 + 3) / 4, abs=1e-7)
    # gap = mean(sigmoid(rm) - passed) over rows 0..2 = ((0.880797-1) + (0.5-0) + (0.268941-0)) / 3 = 0.216579
    assert metrics["reward_model/exec_gap"] == pytest.approx(0.216579, abs=1e-6)


def test_reward_metrics_without_execution_or_rm_columns():
    assert reward_metrics(torch.tensor([[NAN], [1.0]]), ["rule"]) == {}


def test_rm_gap_uses_the_rule_reward_where_execution_did_not_judge():
    rewards = torch.tensor([[NAN, 1.0, 0.0], [NAN, 0.0, 0.0], [1.0, NAN, 0.0]])  # columns: execution, rule, model
    metrics = reward_metrics(rewards, ["execution", "rule", "model"])
    assert metrics["execution/pass_rate"] == 1.0  # only row 2 was executed
    # passed = [1 (rule), 0 (rule), 1 (execution)]; sigmoid(0) = 0.5: gap = ((0.5-1) + 0.5 + (0.5-1)) / 3 = -1/6
    assert metrics["reward_model/exec_gap"] == pytest.approx(-1 / 6, abs=1e-7)


def test_within_prompt_auc_by_hand():
    # two prompts x G=3; columns: execution, model
    rewards = torch.tensor(
        [
            [1.0, 2.0], [0.0, 1.0], [0.0, 3.0],  # prompt 0: pass scored 2 vs fails 1, 3 -> pairs (2>1, 2<3): 0.5
            [1.0, 1.0], [1.0, 0.5], [NAN, 9.0],  # prompt 1: no fail among the judged: left out
        ]
    )  # fmt: skip
    metrics = reward_metrics(rewards, ["execution", "model"], group_size=3)
    assert metrics["reward_model/within_prompt_auc"] == 0.5 and metrics["reward_model/auc_groups"] == 1.0
    none_mixed = reward_metrics(rewards[3:], ["execution", "model"], group_size=3)
    assert none_mixed["reward_model/auc_groups"] == 0.0 and "reward_model/within_prompt_auc" not in none_mixed
    ties = torch.tensor([[1.0, 2.0], [0.0, 2.0]])  # a tie counts half
    assert reward_metrics(ties, ["execution", "model"], group_size=2)["reward_model/within_prompt_auc"] == 0.5


def test_routed_columns_of_one_kind_are_merged():
    # columns: code/rm (model), math/rm (model), code/code (execution), math/math (rule); rows 0-1 code, 2-3 math
    rewards = torch.tensor(
        [[0.9, NAN, 1.0, NAN], [0.1, NAN, 0.0, NAN], [NAN, 0.8, NAN, 1.0], [NAN, 0.2, NAN, 0.0]]
    )  # fmt: skip
    metrics = reward_metrics(rewards, ["model", "model", "execution", "rule"], group_size=2)
    assert metrics["execution/pass_rate"] == 0.5  # code rows only
    assert metrics["reward_model/score_mean"] == pytest.approx(0.5)  # all four RM scores
    assert metrics["reward_model/within_prompt_auc"] == 1.0 and metrics["reward_model/auc_groups"] == 2.0


def test_rm_gap_needs_both_signals():
    metrics = reward_metrics(torch.tensor([[0.0], [2.0]]), ["model"])
    assert metrics == {"reward_model/score_mean": 1.0}


@pytest.mark.parametrize("q", [0, 10, 50, 90, 99, 100])
def test_percentile_matches_numpy_linear(q):
    values = [0.3, 0.1, 0.9, 0.4, 0.2, 0.25, 1.7]
    assert percentile(values, q) == pytest.approx(float(np.percentile(values, q)), abs=1e-12)


def test_sandbox_metrics_throughput_and_latency():
    metrics = sandbox_metrics([0.1, 0.2, 0.3, 0.4], wall_s=2.0)
    assert metrics["sandbox/calls"] == 4
    assert metrics["sandbox/throughput_per_s"] == 2.0  # 4 executions in 2 s of reward time
    assert metrics["sandbox/latency_p50_s"] == pytest.approx(0.25)
    assert metrics["sandbox/latency_p99_s"] == pytest.approx(0.397)  # 0.3 + 0.97 * 0.1
    assert sandbox_metrics([], wall_s=1.0) == {}
    assert math.isnan(sandbox_metrics([0.1], wall_s=0.0)["sandbox/throughput_per_s"])


def test_kinds_come_from_the_registry_and_classifiers_are_reward_models():
    assert reward_kind(RewardFunction("code")) == "execution" and reward_kind(RewardFunction("math")) == "rule"
    assert reward_kind(torch.nn.Linear(2, 1)) == "model"  # TRL's loaded sequence classifier
    assert reward_kind(lambda prompts, completions, **kw: [0.0]) is None  # a user's plain function: no kind


def test_reward_metrics_inputs_survive_pickling():
    # Reward tensors cross process boundaries when TRL gathers them; the metric must not depend on identity.
    rewards = torch.tensor([[1.0], [0.0]])
    assert reward_metrics(pickle.loads(pickle.dumps(rewards)), ["execution"])["execution/pass_rate"] == 0.5


@pytest.mark.parametrize(
    "intervals, expected",
    [
        ([], 0.0),  # nothing ran
        ([(0.0, 1.0)], 1.0),
        ([(0.0, 1.0), (0.5, 2.0)], 2.0),  # overlapping runs count once: [0, 2]
        ([(0.0, 1.0), (3.0, 4.0)], 2.0),  # a gap (waiting for completions) is not sandbox time
        ([(1.0, 2.0), (1.2, 1.5), (0.0, 0.5)], 1.5),  # nested and unsorted: [0, 0.5] + [1, 2]
    ],
)
def test_sandbox_busy_time_is_the_union_of_runs(intervals, expected):
    from rewards.code_rewards import busy_time

    assert busy_time(intervals) == pytest.approx(expected)
