"""The overlap's pieces by hand: which rows the generation watcher calls finished, and replayed logging order."""

from __future__ import annotations

import torch

from alignment.run.overlap import _FinishWatcher, _Ready, _Recorder

EOS, PAD = 2, 0


def test_watcher_reports_each_row_once_at_its_first_end_token():
    events = []
    watcher = _FinishWatcher([EOS], lambda rows, tokens: events.append((rows, tokens)))
    watcher(None, (), {"input_ids": torch.tensor([[1, 1], [1, 1], [1, 1]])})  # the prompt pass: nothing sampled yet
    for step in ([5, EOS, 7], [9, PAD, 7], [EOS, PAD, 7], [PAD, PAD, 7]):  # each call feeds the last sampled tokens
        watcher(None, (), {"input_ids": torch.tensor(step).unsqueeze(1)})  # (B, 1) with a KV cache
    assert events == [([1], [[EOS]]), ([0], [[5, 9, EOS]])]  # row 2 never ends: graded with the whole batch


def test_watcher_reads_the_last_column_without_a_cache():
    events = []
    watcher = _FinishWatcher([EOS, 3], lambda rows, tokens: events.append(rows))
    watcher(None, (torch.tensor([[1, 1]]),), {})  # positional input_ids
    watcher(None, (torch.tensor([[1, 1, 3]]),), {})  # (B, P+1): the whole sequence is fed again
    assert events == [[0]]  # any of several end tokens ends a row


def test_replayed_logging_keeps_the_workers_order():
    recorder, seen = _Recorder(), []
    recorder.metric("sandbox/calls", 3.0)
    recorder.extra("outcome", ["passed"])
    recorder.metric("timing/sandbox_s", 0.5)
    ready = _Ready(type("Reward", (), {"__name__": "code", "kind": "execution"})(), [1.0], recorder)
    result = ready(
        prompts=["p"],
        completions=["c"],
        log_metric=lambda k, v: seen.append(("metric", k, v)),
        log_extra=lambda k, v: seen.append(("extra", k, v)),
    )
    assert result == [1.0] and ready.__name__ == "code" and ready.kind == "execution"
    assert seen == [
        ("metric", "sandbox/calls", 3.0),
        ("extra", "outcome", ["passed"]),
        ("metric", "timing/sandbox_s", 0.5),
    ]


def test_a_collective_reward_stays_on_the_main_thread():
    """A reward model partitioned under ZeRO-3 scores collectively: it must not move to a worker thread."""
    from alignment.run.overlap import OverlappedRewardsMixin
    from rewards.registry import RewardContext, RewardFunction

    class Partitioned:
        collective = True

    class Step(OverlappedRewardsMixin):
        def __init__(self, funcs):
            self.overlap_rewards, self.rollout_func = True, None
            self.reward_funcs = funcs

    plain, code = RewardFunction("math"), RewardFunction("code")
    rm = RewardFunction("rm", RewardContext(reward_model=Partitioned()))
    assert rm.collective and not plain.collective
    assert Step([plain, rm, code, torch.nn.Linear(1, 1)])._overlappable() == [0, 2]
    assert Step([plain, RewardFunction("rm")])._overlappable() == [0, 1]  # an unpartitioned RM overlaps
