"""Token-budget arithmetic: the paper's batch is 1M tokens per step and 1B tokens in total (DSC2 §3.5.1)."""

import pytest

from alignment.sft import token_budget


def test_paper_budget_on_64_gpus():
    # 64 GPUs x 4 sequences x 4096 tokens = 1,048,576 tokens per micro step: already ~1M, so no accumulation.
    b = token_budget(1_000_000, world=64, micro_batch=4, seq_len=4096, total_tokens=1_000_000_000)
    assert b.gradient_accumulation_steps == 1
    assert b.tokens_per_step == 1_048_576
    assert b.max_steps == 954  # ceil(1e9 / 1,048,576) = ceil(953.67)
    assert b.relative_error == pytest.approx(0.048576)


def test_budget_on_8_gpus_accumulates():
    # 8 x 2 x 4096 = 65,536 per micro step; 1e6 / 65,536 = 15.26 -> 15 steps -> 983,040 tokens (-1.7%).
    b = token_budget(1_000_000, world=8, micro_batch=2, seq_len=4096, total_tokens=1_000_000_000)
    assert b.gradient_accumulation_steps == 15
    assert b.tokens_per_step == 983_040
    assert b.max_steps == 1018  # ceil(1e9 / 983,040) = ceil(1017.25)
    assert b.relative_error == pytest.approx(-0.01696)


def test_budget_smaller_than_one_micro_step_still_accumulates_once():
    b = token_budget(1_000, world=2, micro_batch=8, seq_len=512)
    assert b.gradient_accumulation_steps == 1 and b.tokens_per_step == 8192 and b.max_steps is None


@pytest.mark.parametrize("field", ["tokens_per_batch", "world", "micro_batch", "seq_len"])
def test_non_positive_inputs_are_rejected(field):
    kwargs = dict(tokens_per_batch=1000, world=1, micro_batch=1, seq_len=10)
    kwargs[field] = 0
    with pytest.raises(ValueError, match=field):
        token_budget(**kwargs)


def test_description_states_the_derivation():
    b = token_budget(1_000_000, world=8, micro_batch=2, seq_len=4096)
    text = b.describe(1_000_000, 8, 2, 4096)
    assert "8 process(es) x 2 sequences x 4096 tokens x 15 accumulation steps = 983,040" in text
