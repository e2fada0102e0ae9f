"""Dynamic sampling's pieces by hand: which groups have spread, refill draws, merging scored batches, recipe checks."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import torch

from alignment.run.dynamic_sampling import dynamic_sampling_problems, group_spread, merge_batches, refill_indices

NAN = float("nan")


@pytest.mark.parametrize(
    "rewards, weights, expected",
    [
        ([[1.0], [1.0], [0.0], [0.0]], [1.0], [False, False]),  # G=2: each group ties
        ([[1.0], [0.0], [1.0], [1.0]], [1.0], [True, False]),  # only the first group differs
        ([[NAN], [NAN], [1.0], [0.5]], [1.0], [False, True]),  # all None: nothing to learn from
        ([[NAN], [1.0], [0.0], [0.0]], [1.0], [False, False]),  # one judged completion: std undefined
        ([[1.0, 0.0], [0.0, 1.0]], [1.0, 1.0], [False]),  # totals 1 and 1 tie
        ([[1.0, 0.0], [0.0, 1.0]], [1.0, 0.5], [True]),  # totals 1 and 0.5
        ([[NAN, 1.0], [NAN, 1.0]], [1.0, 1.0], [False]),  # a None column is skipped (nansum), totals tie
        ([[0.3], [0.1 + 0.2]], [1.0], [False]),  # 0.3 vs 0.30000000000000004: TRL's isclose calls it zero std
    ],
)
def test_group_spread(rewards, weights, expected):
    assert group_spread(torch.tensor(rewards), torch.tensor(weights), 2).tolist() == expected


def test_refill_draws_are_deterministic_and_shard_one_permutation():
    shards = [refill_indices(10, 3, seed=0, step=5, round_=1, world=2, rank=r) for r in (0, 1)]
    assert shards == [refill_indices(10, 3, seed=0, step=5, round_=1, world=2, rank=r) for r in (0, 1)]
    assert len(set(shards[0] + shards[1])) == 6, "ranks draw different prompts (one permutation, two slices)"
    assert shards[0] != refill_indices(10, 3, seed=0, step=6, round_=1, world=2, rank=0)  # next step: new draw
    assert shards[0] != refill_indices(10, 3, seed=0, step=5, round_=2, world=2, rank=0)  # next round: new draw


def test_refill_from_a_small_data_set_repeats_prompts():
    drawn = refill_indices(3, 5, seed=1, step=0, round_=1, world=1, rank=0)
    assert len(drawn) == 5 and set(drawn) <= {0, 1, 2}


def test_merge_batches_repads_and_keeps_the_chosen_rows_in_order():
    first = {
        "prompt_ids": torch.tensor([[7, 1], [8, 2]]),  # (2, P=2), left-padded
        "prompt_mask": torch.tensor([[1, 1], [1, 1]]),
        "completion_ids": torch.tensor([[3, 4, 5], [6, 0, 0]]),  # (2, C=3), right-padded
        "completion_mask": torch.tensor([[1, 1, 1], [1, 0, 0]]),
        "ref_per_token_logps": torch.tensor([[-1.0, -2.0, -3.0], [-4.0, 0.0, 0.0]]),
        "advantages": torch.tensor([0.5, -0.5]),
        "num_items_in_batch": torch.tensor(4),
    }
    second = {
        "prompt_ids": torch.tensor([[9, 9, 9]]),  # P=3
        "prompt_mask": torch.tensor([[1, 1, 1]]),
        "completion_ids": torch.tensor([[2]]),  # C=1
        "completion_mask": torch.tensor([[1]]),
        "ref_per_token_logps": torch.tensor([[-0.5]]),
        "advantages": torch.tensor([1.0]),
        "num_items_in_batch": torch.tensor(1),
    }
    merged = merge_batches([(first, torch.tensor([1])), (second, torch.tensor([0]))], pad_token_id=0)
    assert merged["prompt_ids"].tolist() == [[0, 8, 2], [9, 9, 9]]  # pad on the left
    assert merged["prompt_mask"].tolist() == [[0, 1, 1], [1, 1, 1]]
    assert merged["completion_ids"].tolist() == [[6, 0, 0], [2, 0, 0]]  # pad on the right
    assert merged["completion_mask"].tolist() == [[1, 0, 0], [1, 0, 0]]
    assert merged["ref_per_token_logps"].tolist() == [[-4.0, 0.0, 0.0], [-0.5, 0.0, 0.0]]
    assert merged["advantages"].tolist() == [-0.5, 1.0]
    assert "num_items_in_batch" not in merged  # counted over all ranks by the trainer
    assert merge_batches([(second, torch.tensor([0]))], 0, pad_to_multiple_of=4)["prompt_ids"].tolist() == [
        [0, 9, 9, 9]
    ]


def test_merge_batches_refuses_what_it_cannot_pad():
    batch = {"advantages": torch.zeros(1), "pixel_values": torch.zeros(1, 3)}
    with pytest.raises(ValueError, match=r"pixel_values.*turn `dynamic_sampling` off"):
        merge_batches([(batch, torch.tensor([0]))], 0)


def _args(**overrides):
    base = dict(
        scale_rewards="group", multi_objective_aggregation="sum_then_normalize", per_device_train_batch_size=8,
        steps_per_generation=1, num_generations=4,
    )  # fmt: skip
    return SimpleNamespace(**{**base, **overrides})


@pytest.mark.parametrize(
    "enabled, oversample, overrides, expected",
    [
        (True, 3.0, {}, []),  # DAPO's setting: fine
        (False, 3.0, {"scale_rewards": "batch"}, []),  # off: nothing to check
        (True, 0.5, {}, ["must be >= 1"]),  # cannot generate fewer prompts than it trains on
        (True, 3.0, {"scale_rewards": "batch"}, ["per-group advantages"]),
        (True, 3.0, {"multi_objective_aggregation": "normalize_then_sum"}, ["sum_then_normalize"]),
        (True, 3.0, {"per_device_train_batch_size": 6}, ["not a multiple of num_generations = 4"]),  # 6 rows
        (True, 3.0, {"per_device_train_batch_size": 2, "steps_per_generation": 2}, []),  # 4 rows: one group
    ],
)
def test_dynamic_sampling_problems(enabled, oversample, overrides, expected):
    problems = dynamic_sampling_problems(enabled, oversample, _args(**overrides))
    assert len(problems) == len(expected)
    for problem, fragment in zip(problems, expected):
        assert fragment in problem
