"""`fast_sampling: true` in the trainer: HF generation draws from the policy's own (warped) next-token distribution
through the inverse-CDF sampler, and leaves TRL's generation settings as it found them."""

from __future__ import annotations

import pytest
import torch
from scipy.stats import chi2

from tests.integration.throughput_helpers import half_fixed_rows, make_trainer, trainer_with

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def policy(tmp_path_factory):
    from alignment.model.tiny import build_tiny_model

    return build_tiny_model(tmp_path_factory.mktemp("policy"), hidden_size=64, num_layers=2, num_heads=2)


def _fast(**flags):
    return trainer_with(fast_sampling=True, **flags)


def _first_tokens(trainer, rows: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Counts of the first sampled token over `rows` generations of one prompt, and the policy's next-token
    logits at the end of that prompt: (V,) each."""
    tokenizer = trainer.processing_class
    text = tokenizer.apply_chat_template(half_fixed_rows(1)[0]["prompt"], tokenize=False, add_generation_prompt=True)
    prompt = tokenizer(text, add_special_tokens=False)["input_ids"]
    torch.manual_seed(seed)
    completions, _ = trainer._generate_single_turn([prompt] * rows, None, {}, 1)
    model = trainer.accelerator.unwrap_model(trainer.model)
    with torch.no_grad():
        logits = model(input_ids=torch.tensor([prompt])).logits[0, -1].float()
    first = torch.tensor([ids[0] for ids in completions])
    return torch.bincount(first, minlength=logits.numel()).double(), logits


def _chi_square_p(counts: torch.Tensor, probs: torch.Tensor) -> float:
    """p-value of `counts` under `probs`, tokens expected fewer than 20 times merged into one bin."""
    expected = probs.double() * counts.sum()
    big = expected >= 20
    observed = torch.cat([counts[big], counts[~big].sum().view(1)])
    expected = torch.cat([expected[big], expected[~big].sum().view(1)])
    stat = float(((observed - expected) ** 2 / expected.clamp(min=1e-12)).sum())
    return float(chi2.sf(stat, len(observed) - 1))


def test_fast_sampling_draws_from_the_policys_tempered_distribution(policy, tmp_path):
    trainer = make_trainer(
        policy, tmp_path, half_fixed_rows(), None, _fast(), max_completion_length=1, temperature=0.05
    )  # a sharp temperature: the tiny random policy's logits are nearly flat
    config_before = trainer.generation_config.to_dict()
    model = trainer.accelerator.unwrap_model(trainer.model)
    counts, logits = _first_tokens(trainer, 3000, seed=1)
    assert _chi_square_p(counts, torch.softmax(logits / 0.05, -1)) > 1e-3
    assert _chi_square_p(counts, torch.softmax(logits / 0.07, -1)) < 1e-6  # the test tells temperatures apart
    assert (counts > 0).sum() >= 5  # a real spread, not one token
    assert trainer.generation_config.to_dict() == config_before and trainer.generation_config.do_sample
    assert "generate" not in model.__dict__  # the class's own `generate` again


def test_fast_sampling_keeps_trls_top_k_and_a_seed_fixes_the_samples(policy, tmp_path):
    trainer = make_trainer(policy, tmp_path, half_fixed_rows(), None, _fast(), max_completion_length=1, top_k=3)
    counts, logits = _first_tokens(trainer, 600, seed=2)
    assert set(counts.nonzero().flatten().tolist()) == set(logits.topk(3).indices.tolist())
    again, _ = _first_tokens(trainer, 600, seed=2)
    assert torch.equal(counts, again)
    # the sampler drew them: TRL's own path (torch.multinomial) draws other tokens from the same seed
    from trl import GRPOTrainer

    fast = trainer._generate_single_turn
    trainer._generate_single_turn = lambda *args: GRPOTrainer._generate_single_turn(trainer, *args)
    theirs, _ = _first_tokens(trainer, 600, seed=2)
    trainer._generate_single_turn = fast
    assert set(theirs.nonzero().flatten().tolist()) == set(counts.nonzero().flatten().tolist())
    assert not torch.equal(theirs, counts)


def test_sampling_the_sampler_cannot_reproduce_stops_the_trainer_by_name(policy, tmp_path):
    with pytest.raises(ValueError, match="typical_p=0.9"):
        make_trainer(policy, tmp_path, half_fixed_rows(), None, _fast(), generation_kwargs={"typical_p": 0.9})


def test_fast_sampling_with_bf16_generation_and_a_static_cache(policy, tmp_path):
    trainer = make_trainer(
        policy, tmp_path, half_fixed_rows(), None, _fast(bf16_generation=True), bf16=True,
        cache_implementation="static", max_completion_length=6,
    )  # fmt: skip
    counts, _ = _first_tokens(trainer, 64, seed=3)
    again, _ = _first_tokens(trainer, 64, seed=3)
    assert counts.sum() == 64 and torch.equal(counts, again) and (counts > 0).sum() > 1
    model = trainer.accelerator.unwrap_model(trainer.model)
    assert all(p.dtype == torch.float32 for p in model.parameters()) and "generate" not in model.__dict__
