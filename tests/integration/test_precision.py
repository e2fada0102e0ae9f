"""bf16 on CPU: generating inside one autocast region samples exactly what per-forward autocast samples, and a
reference stored in bf16 gives exactly the reference log-probs of the fp32 one under autocast."""

from __future__ import annotations

import pytest
import torch
from trl import GRPOTrainer

from tests.integration.throughput_helpers import half_fixed_rows, make_trainer

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def policy(tmp_path_factory):
    from alignment.model.tiny import build_tiny_model

    return build_tiny_model(tmp_path_factory.mktemp("policy"), hidden_size=64, num_layers=2, num_heads=2)


def _prompt_ids(trainer) -> list[list[int]]:
    tokenizer = trainer.processing_class
    texts = [
        tokenizer.apply_chat_template(row["prompt"], tokenize=False, add_generation_prompt=True)
        for row in half_fixed_rows(4)
    ]
    return [tokenizer(text, add_special_tokens=False)["input_ids"] for text in texts]


def test_generation_in_one_autocast_region_samples_the_same_tokens(policy, tmp_path):
    trainer = make_trainer(policy, tmp_path, half_fixed_rows(), None, bf16=True)
    prompt_ids = _prompt_ids(trainer)
    torch.manual_seed(3)
    ours, _ = trainer._generate_single_turn(prompt_ids, None, {}, 1)
    torch.manual_seed(3)
    trls, _ = GRPOTrainer._generate_single_turn(trainer, prompt_ids, None, {}, 1)  # per-forward autocast only
    assert ours == trls
    assert any(len(ids) > 1 for ids in ours)


def test_bf16_reference_gives_the_same_log_probs_with_less_memory(policy, tmp_path):
    exact = make_trainer(policy, tmp_path / "fp32", half_fixed_rows(), None, bf16=True)
    from alignment.trainers import CodealignGRPOTrainer

    class Trainer(CodealignGRPOTrainer):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, bf16_reference=True, **kwargs)

    small = make_trainer(policy, tmp_path / "bf16", half_fixed_rows(), None, Trainer, bf16=True)
    reference = small.accelerator.unwrap_model(small.ref_model)
    assert reference.model.layers[0].mlp.up_proj.weight.dtype == torch.bfloat16
    assert reference.model.embed_tokens.weight.dtype == torch.float32  # looked up in fp32 under autocast
    ids = torch.tensor([p + [5, 6, 7, 8] for p in _prompt_ids(small)[:1]] * 2)  # (2, P+4)
    mask = torch.ones_like(ids)
    with torch.no_grad():
        logps = [t._get_per_token_logps_and_entropies(t.ref_model, ids, mask, 4)[0] for t in (exact, small)]
    assert torch.equal(logps[0], logps[1])  # (2, 4)
    fp32_bytes = sum(p.numel() * p.element_size() for p in exact.ref_model.parameters())
    assert sum(p.numel() * p.element_size() for p in reference.parameters()) < fp32_bytes
