"""share_prompt_prefix: each distinct prompt of a forward runs once, and micro-batches hold whole prompt groups,
with TRL's log-probs, entropies and gradients (and, over whole steps, TRL's weights)."""

from __future__ import annotations

import pytest
import torch

from tests.integration.throughput_helpers import half_fixed_rows, make_trainer, prompt_token_ids, trainer_with

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def policy(tmp_path_factory):
    from alignment.model.tiny import build_tiny_model

    return build_tiny_model(tmp_path_factory.mktemp("policy"), hidden_size=64, num_layers=2, num_heads=2)


def _batch(trainer, pad: int = 0):
    """Six rows in TRL's layout (left-padded prompts, right-padded completions of 8 columns): rows 0, 2, 5 share
    prompt A, rows 1, 3 prompt B (longer question, so A is left-padded), row 4 prompt C; the last 2 columns are
    padding in every row."""
    prompts = prompt_token_ids(trainer, 12)
    a, b, c = prompts[1], prompts[10], prompts[2]
    width = max(map(len, (a, b, c)))
    rows, masks = [], []
    for i, prompt in enumerate([a, b, a, b, c, a]):
        completion = [5 + i, 6, 7, 8, 9, 10][: 6 - i % 3]
        left, right = width - len(prompt), 8 - len(completion)
        rows.append([pad] * left + prompt + completion + [pad] * right)
        masks.append([0] * left + [1] * (len(prompt) + len(completion)) + [0] * right)
    assert len(a) < len(b)
    return torch.tensor(rows), torch.tensor(masks)


def _seen_tokens(trainer, model):
    """Counts the (rows x columns) every forward of `model`'s decoder was given."""
    seen = []
    base = trainer.accelerator.unwrap_model(model).model
    hook = base.register_forward_pre_hook(lambda m, a, kw: seen.append(kw["input_ids"].numel()), with_kwargs=True)
    return seen, hook


@pytest.mark.parametrize("bf16", [False, True])
def test_shared_prompt_forward_gives_the_full_forwards_log_probs_and_gradients(policy, tmp_path, bf16):
    full = make_trainer(
        policy, tmp_path / "full", half_fixed_rows(), None, trainer_with(dense_logprobs=True), bf16=bf16
    )
    shared = make_trainer(
        policy, tmp_path / "shared", half_fixed_rows(), None,
        trainer_with(dense_logprobs=True, share_prompt_prefix=True), bf16=bf16,
    )  # fmt: skip
    ids, mask = _batch(shared)
    results = []
    for trainer in (full, shared):
        trainer.model.zero_grad()
        seen, hook = _seen_tokens(trainer, trainer.model)
        logps, entropy, _ = trainer._get_per_token_logps_and_entropies(
            trainer.model, ids, mask, 8, compute_entropy=True
        )
        hook.remove()
        (logps * mask[:, -8:]).sum().backward()
        grads = [p.grad.clone() for p in trainer.model.parameters()]
        with torch.no_grad():
            ref = trainer._get_per_token_logps_and_entropies(trainer.ref_model, ids, mask, 8)[0]
        results.append((logps.detach(), entropy, ref, grads, sum(seen)))
    (lp_f, ent_f, ref_f, g_f, seen_f), (lp_s, ent_s, ref_s, g_s, seen_s) = results
    tol = {"atol": 2e-2, "rtol": 2e-2} if bf16 else {"atol": 1e-5, "rtol": 1e-4}
    scored = mask[:, -8:]
    for ours, theirs in ((lp_s, lp_f), (ent_s, ent_f), (ref_s, ref_f)):
        assert ours.shape == theirs.shape == (6, 8)
        torch.testing.assert_close(ours * scored, theirs * scored, **tol)
    assert (lp_s[scored.bool()] < 0).all() and (lp_s[~scored.bool()] == 0).all()
    for ours, theirs in zip(g_s, g_f, strict=True):
        scale = theirs.abs().max().clamp(min=1e-6)
        assert (ours - theirs).abs().max() / scale < (5e-2 if bf16 else 1e-4)
    prompt_columns = ids.size(1) - 8
    # three distinct prompts once, six completions of 6 columns (the 2 all-padding ones dropped)
    assert seen_s == 3 * prompt_columns + 6 * 6
    assert seen_f == 6 * (ids.size(1) - 2) > seen_s


def test_rows_of_distinct_prompts_run_the_full_forward(policy, tmp_path):
    shared = make_trainer(
        policy, tmp_path, half_fixed_rows(), None, trainer_with(dense_logprobs=True, share_prompt_prefix=True)
    )
    ids, mask = _batch(shared)
    distinct = [1, 4, 5]  # prompts B, C, A: nothing to share
    seen, hook = _seen_tokens(shared, shared.model)
    with torch.no_grad():
        logps = shared._get_per_token_logps_and_entropies(shared.model, ids[distinct], mask[distinct], 8)[0]
    hook.remove()
    assert seen == [3 * (ids.size(1) - 3)]  # one forward of every row; completions of 5, 5, 4: 3 columns trimmed
    assert (logps[mask[distinct, -8:].bool()] < 0).all()


def test_share_prompt_prefix_needs_the_dense_head_and_no_activation_checkpointing(policy, tmp_path):
    with pytest.raises(ValueError, match="dense_logprobs"):
        make_trainer(policy, tmp_path, half_fixed_rows(), None, trainer_with(share_prompt_prefix=True))
    with pytest.raises(ValueError, match="activation checkpointing"):
        make_trainer(
            policy, tmp_path, half_fixed_rows(), None, trainer_with(dense_logprobs=True, share_prompt_prefix=True),
            gradient_checkpointing=True,
        )  # fmt: skip


def _micro_batches(trainer) -> list[dict]:
    """The first step's micro-batches as the trainer buffers them."""
    trainer.model.train()
    batch = next(iter(trainer.get_train_dataloader()))
    trainer._step, trainer._buffered_inputs = 0, None
    trainer._prepare_inputs(batch)
    return trainer._buffered_inputs


def _prompt_keys(chunk: dict) -> list[tuple]:
    return [tuple(ids[m.bool()].tolist()) for ids, m in zip(chunk["prompt_ids"], chunk["prompt_mask"], strict=True)]


def _rows(chunks: list[dict]) -> list[tuple]:
    return sorted(
        (key, tuple(c.tolist()), round(float(a), 6))
        for chunk in chunks
        for key, c, a in zip(_prompt_keys(chunk), chunk["completion_ids"], chunk["advantages"], strict=True)
    )


@pytest.mark.parametrize(("loss_type", "grouped"), [("grpo", True), ("dr_grpo", True), ("bnpo", False)])
def test_micro_batches_hold_whole_prompt_groups_where_the_loss_allows(policy, tmp_path, loss_type, grouped):
    settings = dict(per_device_train_batch_size=2, gradient_accumulation_steps=4, num_generations=4,
                    loss_type=loss_type)  # fmt: skip
    trls = make_trainer(
        policy, tmp_path / "trl", half_fixed_rows(), None, trainer_with(dense_logprobs=True), **settings
    )
    ours = make_trainer(
        policy, tmp_path / "ours", half_fixed_rows(), None,
        trainer_with(dense_logprobs=True, share_prompt_prefix=True), **settings,
    )  # fmt: skip
    torch.manual_seed(5)
    theirs_chunks = _micro_batches(trls)
    torch.manual_seed(5)
    our_chunks = _micro_batches(ours)
    assert len(our_chunks) == 4 and all(len(c["prompt_ids"]) == 2 for c in our_chunks)
    assert _rows(our_chunks) == _rows(theirs_chunks)  # the same rows, only placed differently
    one_prompt = [len(set(_prompt_keys(c))) == 1 for c in our_chunks]
    assert all(one_prompt) == grouped
    if not grouped:
        assert [_prompt_keys(c) for c in our_chunks] == [_prompt_keys(c) for c in theirs_chunks]
    # TRL's own split mixes groups: two rows share a prompt about a third of the time (2 prompts of 4 rows each)
    assert not all(len(set(_prompt_keys(c))) == 1 for c in theirs_chunks)


def test_training_with_shared_prompts_ends_with_trls_weights(policy, tmp_path):
    settings = dict(
        per_device_train_batch_size=4,
        gradient_accumulation_steps=2,
        num_generations=4,
        max_steps=3,
        optim="sgd",
        learning_rate=0.5,
    )  # SGD: Adam would magnify rounding where a gradient is ~0
    weights, seen = [], []
    for name, flags in (("full", {}), ("shared", {"share_prompt_prefix": True})):
        trainer = make_trainer(
            policy, tmp_path / name, half_fixed_rows(), None, trainer_with(dense_logprobs=True, **flags), **settings
        )
        tokens, hook = _seen_tokens(trainer, trainer.model)
        trainer.train()
        hook.remove()
        weights.append([p.detach().clone() for p in trainer.model.parameters()])
        seen.append(sum(tokens))
    start = [p for p in type(trainer.model).from_pretrained(str(policy)).parameters()]
    moved = sum((w - s).abs().sum() for w, s in zip(weights[0], start, strict=True))
    assert moved > 0
    for shared, full in zip(weights[1], weights[0], strict=True):
        torch.testing.assert_close(shared, full, atol=1e-5, rtol=1e-4)
    assert seen[1] < seen[0]


def test_distinct_prefixes_in_order_of_first_appearance_and_a_batch_with_nothing_scored(policy, tmp_path):
    from alignment.run.prefix import distinct_prefixes

    ids = torch.tensor([[3, 4, 9], [1, 2, 9], [3, 4, 8], [1, 2, 7]])
    mask = torch.ones_like(ids)
    first, index = distinct_prefixes(ids, mask, 2)
    assert first.tolist() == [0, 1] and index.tolist() == [0, 1, 0, 1]
    mask[2, 0] = 0  # same tokens, other mask: another prefix
    first, index = distinct_prefixes(ids, mask, 2)
    assert first.tolist() == [0, 1, 2] and index.tolist() == [0, 1, 2, 1]
    shared = make_trainer(
        policy, tmp_path, half_fixed_rows(), None, trainer_with(dense_logprobs=True, share_prompt_prefix=True)
    )
    ids, mask = _batch(shared)
    mask[:, -8:] = 0  # every completion empty
    with torch.no_grad():
        logps = shared._get_per_token_logps_and_entropies(shared.model, ids, mask, 8)[0]
    assert logps.shape == (6, 8) and (logps == 0).all()
