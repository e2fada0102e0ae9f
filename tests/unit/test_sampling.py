"""The inverse-CDF sampler draws from softmax(scores) after HF's own warpers, and refuses what it cannot do."""

from __future__ import annotations

import pytest
import torch
from transformers import GenerationConfig

from alignment.run.sampling import InverseCDFSampler, greedy_kwargs, sampling_processors, unsupported_settings

LOGITS = torch.tensor([2.0, 1.0, 0.5, 0.0, -1.0, float("-inf")])  # the last token is masked


def _draw(processors, rows: int, seed: int = 1) -> torch.Tensor:
    """Token counts over `rows` independent draws from LOGITS (one row each)."""
    torch.manual_seed(seed)
    scores = processors(torch.zeros(rows, 1, dtype=torch.long), LOGITS.repeat(rows, 1))  # (rows, V)
    assert ((scores == 0).sum(-1) == 1).all() and (scores.isinf().sum(-1) == LOGITS.numel() - 1).all()
    return torch.bincount(scores.argmax(-1), minlength=LOGITS.numel()).double()


def _chi_square(counts: torch.Tensor, probs: torch.Tensor) -> float:
    expected = probs.double() * counts.sum()
    keep = expected > 0
    assert counts[~keep].sum() == 0, "a token of probability 0 was drawn"
    return float(((counts[keep] - expected[keep]) ** 2 / expected[keep]).sum())


# chi-square critical values at p = 0.001 by degrees of freedom (the tests fail by chance once in a thousand seeds)
CRITICAL = {1: 10.83, 2: 13.82, 3: 16.27, 4: 18.47}


def test_sampler_draws_from_the_softmax_and_never_a_masked_token():
    counts = _draw(sampling_processors(GenerationConfig(do_sample=True)), 60_000)
    assert _chi_square(counts, torch.softmax(LOGITS, -1)) < CRITICAL[4]
    # the statistic has power: a draw from the wrong temperature fails it
    assert _chi_square(counts, torch.softmax(LOGITS / 0.9, -1)) > CRITICAL[4]


def test_sampler_applies_temperature_top_k_top_p_and_min_p_in_hfs_order():
    probs = torch.softmax(LOGITS / 0.7, -1)
    counts = _draw(sampling_processors(GenerationConfig(do_sample=True, temperature=0.7)), 60_000)
    assert _chi_square(counts, probs) < CRITICAL[4]

    top3 = torch.zeros_like(probs)
    top3[:3] = probs[:3] / probs[:3].sum()  # top-k after temperature, renormalised
    counts = _draw(sampling_processors(GenerationConfig(do_sample=True, temperature=0.7, top_k=3)), 30_000)
    assert _chi_square(counts, top3) < CRITICAL[2]

    # top-p keeps the smallest set whose mass reaches p: here the first two tokens (0.70 + 0.17 >= 0.85)
    nucleus = torch.zeros_like(probs)
    kept = 3 if probs[:2].sum() < 0.85 else 2
    nucleus[:kept] = probs[:kept] / probs[:kept].sum()
    counts = _draw(sampling_processors(GenerationConfig(do_sample=True, temperature=0.7, top_p=0.85)), 30_000)
    assert _chi_square(counts, nucleus) < CRITICAL[kept - 1]

    # min-p drops tokens below min_p x the top token's probability
    floor = probs >= 0.2 * probs.max()
    minp = torch.where(floor, probs, torch.zeros_like(probs))
    counts = _draw(sampling_processors(GenerationConfig(do_sample=True, temperature=0.7, min_p=0.2)), 30_000)
    assert _chi_square(counts, minp / minp.sum()) < CRITICAL[int(floor.sum()) - 1]


def test_a_seed_fixes_the_draws_and_another_seed_changes_them():
    sampler = InverseCDFSampler()
    scores = LOGITS.repeat(64, 1)
    draws = []
    for seed in (1, 1, 2):
        torch.manual_seed(seed)
        draws.append(sampler(torch.zeros(64, 1, dtype=torch.long), scores.clone()).argmax(-1))
    assert torch.equal(draws[0], draws[1]) and not torch.equal(draws[0], draws[2])


def test_diverged_scores_are_an_error_not_a_token():
    with pytest.raises(ValueError, match="NaN or inf"):
        InverseCDFSampler()(torch.zeros(1, 1, dtype=torch.long), torch.tensor([[0.0, float("nan")]]))


@pytest.mark.parametrize(
    "settings, named",
    [({"num_beams": 2}, "num_beams=2"), ({"typical_p": 0.9}, "typical_p=0.9"), ({"eta_cutoff": 0.01}, "eta_cutoff")],
)
def test_settings_the_sampler_cannot_reproduce_are_refused_by_name(settings, named):
    config = GenerationConfig(do_sample=True, **settings)
    assert any(named in problem for problem in unsupported_settings(config))
    with pytest.raises(ValueError, match=named):
        sampling_processors(config)
    assert unsupported_settings(GenerationConfig(do_sample=True, top_p=0.9, top_k=20, temperature=0.6)) == []


def test_greedy_kwargs_validate_without_warnings(caplog):
    config = GenerationConfig(**greedy_kwargs({"max_new_tokens": 8, "temperature": 0.7, "top_p": 0.9}))
    with caplog.at_level("WARNING"):
        config.validate()
    assert not config.do_sample and config.max_new_tokens == 8 and not caplog.records
