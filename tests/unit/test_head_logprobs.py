"""The dense head's log-prob function: autograd's values, its gradients up to rounding, one (N, V) tensor kept."""

from __future__ import annotations

import pytest
import torch
from torch.utils import _pytree as pytree
from torch.utils._python_dispatch import TorchDispatchMode

from alignment.run import precision
from alignment.run.precision import _score_tokens

N, H, V = 150, 32, 1000  # more rows than precision.HEAD_ROWS: several chunks, the last one short


def autograd_scores(hidden, weight, targets, temperature):
    """The plain autograd formulation the function replaces."""
    logits = torch.nn.functional.linear(hidden, weight).float() / temperature
    logp = torch.log_softmax(logits, dim=-1)
    target = logp.gather(-1, targets[:, None]).squeeze(-1)
    with torch.no_grad():
        entropy = -(logp.exp() * logp).sum(-1)
    return target, entropy


def inputs(seed=0):
    generator = torch.Generator().manual_seed(seed)
    hidden = torch.randn(N, H, generator=generator)
    head = torch.nn.Linear(H, V, bias=False)
    with torch.no_grad():
        head.weight.copy_(torch.randn(V, H, generator=generator) / H**0.5)
    targets = torch.randint(0, V, (N,), generator=generator)
    upstream = torch.randn(N, generator=generator)  # a loss weighting each token differently
    return hidden, head, targets, upstream


@pytest.mark.parametrize("temperature", [1.0, 0.7])
@pytest.mark.parametrize("autocast", [False, True], ids=["fp32", "bf16-autocast"])
def test_same_log_probs_and_entropy_bits_and_gradients_to_rounding(temperature, autocast):
    hidden, head, targets, upstream = inputs()
    results = {}
    for name in ("autograd", "function"):
        head.zero_grad()
        x = hidden.clone().requires_grad_()
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=autocast):
            if name == "autograd":
                target, entropy = autograd_scores(x, head.weight, targets, temperature)
            else:
                target, entropy = _score_tokens(head, x, targets, temperature, entropy_grad=False)
                assert target.grad_fn.name().endswith("_HeadLogProbsBackward")  # the function ran, not autograd's
        (target * upstream).sum().backward()
        results[name] = target.detach(), entropy, x.grad, head.weight.grad.clone()
    (t_a, e_a, gx_a, gw_a), (t_f, e_f, gx_f, gw_f) = results["autograd"], results["function"]
    assert torch.equal(t_a, t_f) and torch.equal(e_a, e_f)
    assert not e_f.requires_grad
    for expected, got in ((gx_a, gx_f), (gw_a, gw_f)):
        assert got.dtype == expected.dtype == torch.float32
        assert (got - expected).abs().max() / expected.abs().max() < 1e-5


def test_chunking_does_not_change_the_bits(monkeypatch):
    hidden, head, targets, upstream = inputs(seed=3)
    runs = []
    for rows in (N, 7):
        monkeypatch.setattr(precision, "HEAD_ROWS", rows)
        x = hidden.clone().requires_grad_()
        target, entropy = _score_tokens(head, x, targets, 1.0, entropy_grad=False)
        (target * upstream).sum().backward()
        runs.append((target.detach(), entropy, x.grad))
    for one, chunked in zip(*runs, strict=True):
        assert torch.equal(one, chunked)


def test_entropy_bonus_biased_heads_and_no_grad_keep_the_autograd_path():
    hidden, head, targets, _ = inputs()
    x = hidden.clone().requires_grad_()
    target, entropy = _score_tokens(head, x, targets, 1.0, entropy_grad=True)
    assert entropy.requires_grad and "HeadLogProbs" not in target.grad_fn.name()
    biased = torch.nn.Linear(H, V, bias=True)
    target, _ = _score_tokens(biased, x, targets, 1.0, entropy_grad=False)
    assert "HeadLogProbs" not in target.grad_fn.name()
    with torch.no_grad():
        target, _ = _score_tokens(head, hidden, targets, 1.0, entropy_grad=False)
    assert target.grad_fn is None


class NewVocabularyTensors(TorchDispatchMode):
    """Counts the ops that return a fresh (not in-place, not a view) tensor of at least `numel` elements."""

    def __init__(self, numel: int):
        super().__init__()
        self.numel, self.count = numel, 0

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        inputs = {t.untyped_storage().data_ptr() for t in pytree.tree_leaves((args, kwargs)) if torch.is_tensor(t)}
        for t in pytree.tree_leaves(out):
            if torch.is_tensor(t) and t.numel() >= self.numel and t.untyped_storage().data_ptr() not in inputs:
                self.count += 1
        return out


def test_the_backward_builds_no_vocabulary_wide_tensor():
    """In fp32 autograd's backward builds the log-probs' gradient (a scatter into zeros) and the logits' gradient,
    each (N, V), next to the weight's gradient; the function writes the logits' gradient over the saved logits."""
    hidden, head, targets, _ = inputs()
    built = {}
    for name in ("autograd", "function"):
        x = hidden.clone().requires_grad_()
        if name == "autograd":
            target, _ = autograd_scores(x, head.weight, targets, 0.7)
        else:
            target, _ = _score_tokens(head, x, targets, 0.7, entropy_grad=False)
        with NewVocabularyTensors(N * V) as mode:
            target.sum().backward()
        built[name] = mode.count
    assert V * H < N * V  # the weight's (V, H) gradient is not counted
    assert built["function"] == 0
    assert built["autograd"] >= 2  # 4 with torch 2.13: zeros, the scatter, log_softmax's and the division's


def test_a_second_backward_through_the_graph_is_refused():
    hidden, head, targets, _ = inputs()
    target, _ = _score_tokens(head, hidden.clone().requires_grad_(), targets, 1.0, entropy_grad=False)
    target.sum().backward(retain_graph=True)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        target.sum().backward()
