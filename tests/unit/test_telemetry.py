"""GRPO telemetry maths: reward metrics by hand, percentiles, sandbox stats from worker threads."""

from __future__ import annotations

import math
import pickle
import threading

import numpy as np
import pytest
import torch

from alignment.sandbox_stats import SandboxStats, percentile, sandbox_metrics
from alignment.telemetry import reward_metrics

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
    metrics = reward_metrics(rewards, ["exec", "rm"], execution="exec", reward_model="rm")
    assert metrics["execution/pass_rate"] == pytest.approx(1 / 3, abs=1e-7)  # 1 of 3 judged
    assert metrics["reward_model/score_mean"] == pytest.approx((2 + 0 - 1 + 3) / 4, abs=1e-7)
    # gap = mean(sigmoid(rm) - passed) over rows 0..2 = ((0.880797-1) + (0.5-0) + (0.268941-0)) / 3 = 0.216579
    assert metrics["reward_model/exec_gap"] == pytest.approx(0.216579, abs=1e-6)


def test_reward_metrics_without_execution_or_rm_names():
    assert reward_metrics(torch.tensor([[NAN], [1.0]]), ["math"], execution=None, reward_model="absent") == {}


def test_rm_gap_needs_both_signals():
    metrics = reward_metrics(torch.tensor([[0.0], [2.0]]), ["rm"], execution=None, reward_model="rm")
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


def test_sandbox_stats_from_worker_threads_and_drain():
    stats = SandboxStats()
    threads = [threading.Thread(target=lambda: [stats.record(0.01) for _ in range(500)]) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(stats.drain()) == 4000
    assert stats.drain() == []


def test_reward_metrics_inputs_survive_pickling():
    # Reward tensors cross process boundaries when TRL gathers them; the metric must not depend on identity.
    rewards = torch.tensor([[1.0], [0.0]])
    assert reward_metrics(pickle.loads(pickle.dumps(rewards)), ["e"], "e", None)["execution/pass_rate"] == 0.5
