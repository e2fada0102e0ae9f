"""bf16 on CPU: generating inside one autocast region samples exactly what per-forward autocast samples, and a
reference stored in bf16 gives exactly the reference log-probs of the fp32 one under autocast."""

from __future__ import annotations

import pytest
import torch
from trl import GRPOTrainer

from tests.integration.throughput_helpers import half_fixed_rows, make_trainer, prompt_token_ids, trainer_with

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def policy(tmp_path_factory):
    from alignment.model.tiny import build_tiny_model

    return build_tiny_model(tmp_path_factory.mktemp("policy"), hidden_size=64, num_layers=2, num_heads=2)


def test_generation_in_one_autocast_region_samples_the_same_tokens(policy, tmp_path):
    trainer = make_trainer(policy, tmp_path, half_fixed_rows(), None, bf16=True)
    prompt_ids = prompt_token_ids(trainer)
    torch.manual_seed(3)
    ours, _ = trainer._generate_single_turn(prompt_ids, None, {}, 1)
    torch.manual_seed(3)
    trls, _ = GRPOTrainer._generate_single_turn(trainer, prompt_ids, None, {}, 1)  # per-forward autocast only
    assert ours == trls
    assert any(len(ids) > 1 for ids in ours)


def test_bf16_reference_gives_the_same_log_probs_with_less_memory(policy, tmp_path):
    exact = make_trainer(policy, tmp_path / "fp32", half_fixed_rows(), None, bf16=True)
    small = make_trainer(
        policy, tmp_path / "bf16", half_fixed_rows(), None, trainer_with(bf16_reference=True), bf16=True
    )
    reference = small.accelerator.unwrap_model(small.ref_model)
    assert reference.model.layers[0].mlp.up_proj.weight.dtype == torch.bfloat16
    assert reference.model.embed_tokens.weight.dtype == torch.float32  # looked up in fp32 under autocast
    ids = torch.tensor([p + [5, 6, 7, 8] for p in prompt_token_ids(small)[:1]] * 2)  # (2, P+4)
    mask = torch.ones_like(ids)
    with torch.no_grad():
        logps = [t._get_per_token_logps_and_entropies(t.ref_model, ids, mask, 4)[0] for t in (exact, small)]
    assert torch.equal(logps[0], logps[1])  # (2, 4)
    fp32_bytes = sum(p.numel() * p.element_size() for p in exact.ref_model.parameters())
    assert sum(p.numel() * p.element_size() for p in reference.parameters()) < fp32_bytes


@pytest.mark.parametrize("bf16", [False, True])
def test_dense_logprob_head_matches_trls_fused_head_and_its_gradients(policy, tmp_path, bf16):
    trls = make_trainer(policy, tmp_path / "trl", half_fixed_rows(), None, bf16=bf16)
    dense = make_trainer(
        policy, tmp_path / "dense", half_fixed_rows(), None, trainer_with(dense_logprobs=True), bf16=bf16
    )
    assert dense.model.forward.__code__ is not trls.model.forward.__code__  # the dense head is the one called
    prompt = prompt_token_ids(dense)[0]
    ids = torch.tensor([[0] * 3 + prompt + [5, 6, 7, 8, 9], prompt + [5, 6, 7, 8, 9] + [0] * 3])  # (2, P+8)
    mask = torch.ones_like(ids)
    mask[0, :3] = 0  # left-padded prompt
    mask[1, -3:] = 0  # right-padded completion
    results = []
    for trainer in (trls, dense):
        trainer.model.zero_grad()
        logps, entropy, _ = trainer._get_per_token_logps_and_entropies(
            trainer.model, ids, mask, 8, compute_entropy=True
        )
        (logps * mask[:, -8:]).sum().backward()
        grads = [p.grad.clone() for p in trainer.model.parameters()]
        with torch.no_grad():
            ref = trainer._get_per_token_logps_and_entropies(trainer.ref_model, ids, mask, 8)[0]
        results.append((logps.detach(), entropy, ref, grads))
    (lp_t, ent_t, ref_t, g_t), (lp_d, ent_d, ref_d, g_d) = results
    tol = {"atol": 2e-2, "rtol": 2e-2} if bf16 else {"atol": 1e-5, "rtol": 1e-4}
    torch.testing.assert_close(lp_d * mask[:, -8:], lp_t * mask[:, -8:], **tol)
    torch.testing.assert_close(ent_d * mask[:, -8:], ent_t * mask[:, -8:], **tol)
    torch.testing.assert_close(ref_d * mask[:, -8:], ref_t * mask[:, -8:], **tol)
    for dense_grad, trl_grad in zip(g_d, g_t, strict=True):
        scale = trl_grad.abs().max().clamp(min=1e-6)
        assert (dense_grad - trl_grad).abs().max() / scale < (5e-2 if bf16 else 1e-4)
    assert lp_d.shape == lp_t.shape == (2, 8) and (lp_d[:, :5] < 0).all()


def test_bf16_generation_samples_from_bf16_weights_and_gives_the_fp32_ones_back(policy, tmp_path):
    trainer = make_trainer(
        policy, tmp_path, half_fixed_rows(), None, trainer_with(bf16_generation=True), bf16=True,
        cache_implementation="static",
    )  # fmt: skip
    model = trainer.accelerator.unwrap_model(trainer.model)
    before = [p.detach().clone() for p in model.parameters()]
    seen = []
    hook = model.model.layers[0].mlp.up_proj.register_forward_hook(lambda m, i, o: seen.append(m.weight.dtype))
    prompt_ids = prompt_token_ids(trainer)
    torch.manual_seed(3)
    ours, _ = trainer._generate_single_turn(prompt_ids, None, {}, 1)
    hook.remove()
    assert set(seen) == {torch.bfloat16}
    assert all(p.dtype == torch.float32 for p in model.parameters())
    assert all(torch.equal(a, p) for a, p in zip(before, model.parameters(), strict=True))
    # the same tokens as generating from a model cast to bf16 outright
    bf16_model = type(model).from_pretrained(str(policy), dtype=torch.bfloat16)
    bf16_model.load_state_dict({k: v.to(torch.bfloat16) for k, v in model.state_dict().items()})
    trainer.model, original = bf16_model, trainer.model
    torch.manual_seed(3)
    theirs, _ = GRPOTrainer._generate_single_turn(trainer, prompt_ids, None, {}, 1)
    trainer.model = original
    assert ours == theirs and any(len(ids) > 1 for ids in ours)


def _rows(trainer, n: int) -> tuple[torch.Tensor, torch.Tensor]:
    """`n` rows of one prompt and 6 completion tokens, some left-padded and some right-padded: (n, P+8) each."""
    prompt = prompt_token_ids(trainer)[0]
    ids, masks = [], []
    for i in range(n):
        left, right = (2, 0) if i % 2 else (0, 2)
        ids.append([0] * left + prompt + [5 + i, 6, 7, 8, 9, 10] + [0] * right)
        masks.append([0] * left + [1] * (len(prompt) + 6) + [0] * right)
    return torch.tensor(ids), torch.tensor(masks)


def test_no_grad_batch_size_runs_fewer_reference_forwards_with_the_same_log_probs(policy, tmp_path):
    trls = make_trainer(policy, tmp_path / "trl", half_fixed_rows(), None, trainer_with(dense_logprobs=True))
    wide = make_trainer(
        policy, tmp_path / "wide", half_fixed_rows(), None, trainer_with(dense_logprobs=True, no_grad_batch_size=8)
    )
    ids, mask = _rows(wide, 8)
    results = []
    for trainer in (trls, wide):
        rows = []
        base = trainer.accelerator.unwrap_model(trainer.ref_model).model
        hook = base.register_forward_pre_hook(lambda m, a, kw, rows=rows: rows.append(1), with_kwargs=True)
        with torch.no_grad():
            logps = trainer._get_per_token_logps_and_entropies(trainer.ref_model, ids, mask, 8, batch_size=2)[0]
        hook.remove()
        results.append((logps, len(rows)))
    (logps_trl, forwards_trl), (logps_wide, forwards_wide) = results
    assert (forwards_trl, forwards_wide) == (4, 1)
    torch.testing.assert_close(logps_wide * mask[:, -8:], logps_trl * mask[:, -8:], atol=1e-5, rtol=1e-4)
    # with gradients the training micro-batch is kept as TRL sized it
    calls = []
    hook = wide.accelerator.unwrap_model(wide.model).model.register_forward_pre_hook(lambda *a: calls.append(1))
    wide._get_per_token_logps_and_entropies(wide.model, ids, mask, 8, batch_size=2)
    hook.remove()
    assert len(calls) == 4


def test_dense_head_in_chunks_without_gradients_gives_the_one_gemm_result(policy, tmp_path, monkeypatch):
    from alignment.run import precision

    trainer = make_trainer(policy, tmp_path, half_fixed_rows(), None, trainer_with(dense_logprobs=True))
    ids, mask = _rows(trainer, 3)
    whole = trainer._get_per_token_logps_and_entropies(trainer.model, ids, mask, 8, compute_entropy=True)
    monkeypatch.setattr(precision, "NO_GRAD_HEAD_TOKENS", 5)  # 3 rows x 6-8 scored tokens: five chunks
    with torch.no_grad():
        chunked = trainer._get_per_token_logps_and_entropies(trainer.model, ids, mask, 8, compute_entropy=True)
    for one, many in zip(whole[:2], chunked[:2], strict=True):
        torch.testing.assert_close(many * mask[:, -8:], one.detach() * mask[:, -8:], atol=1e-6, rtol=1e-5)
    assert (chunked[0] * mask[:, -8:]).abs().sum() > 0


def test_tied_embedding_gradient_is_added_sparsely_with_the_dense_one_value(policy, tmp_path):
    """With the dense head the tied embedding looks up with `sparse=True`; over two accumulated backwards the
    weight's `.grad` stays a dense tensor equal to the dense backward's."""
    trainer = make_trainer(policy, tmp_path, half_fixed_rows(), None, trainer_with(dense_logprobs=True))
    model = trainer.model
    embedding = model.get_input_embeddings()
    assert embedding.sparse and embedding.weight is model.get_output_embeddings().weight
    prompt = prompt_token_ids(trainer)[0]
    batches = [torch.tensor([prompt + [5, 6, 7, 8], prompt + [9, 10, 11, 12]]), torch.tensor([prompt + [3] * 4] * 2)]
    grads = {}
    for sparse in (True, False):
        embedding.sparse = sparse
        model.zero_grad(set_to_none=True)
        for ids in batches:
            logps, _, _ = trainer._get_per_token_logps_and_entropies(model, ids, torch.ones_like(ids), 4)
            logps.sum().backward()
        assert embedding.weight.grad.layout == torch.strided
        grads[sparse] = {name: p.grad.clone() for name, p in model.named_parameters()}
    for name, grad in grads[False].items():
        torch.testing.assert_close(grads[True][name], grad, atol=1e-6, rtol=1e-5, msg=name)
    assert grads[True]["model.embed_tokens.weight"][prompt[0]].abs().sum() > 0


def test_untied_embedding_keeps_its_dense_gradient(tmp_path):
    from transformers import AutoModelForCausalLM

    from alignment.model.tiny import build_tiny_model
    from alignment.run.precision import sparse_tied_embedding_grad

    path = build_tiny_model(tmp_path / "untied", hidden_size=32, num_layers=1, num_heads=2)
    model = AutoModelForCausalLM.from_pretrained(path, tie_word_embeddings=False)
    assert not sparse_tied_embedding_grad(model) and not model.get_input_embeddings().sparse
