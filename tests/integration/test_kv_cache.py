"""HF generation on a preallocated KV cache: the keys and values attention sees are the concatenated ones, and the
trainer's generation samples the same tokens as TRL's own."""

from __future__ import annotations

import pytest
import torch
from transformers.cache_utils import DynamicLayer
from trl import GRPOTrainer

from alignment.run.kv_cache import PreallocatedLayer, preallocated_cache
from tests.integration.throughput_helpers import half_fixed_rows, make_trainer, prompt_token_ids, trainer_with

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def policy(tmp_path_factory):
    from alignment.model.tiny import build_tiny_model

    return build_tiny_model(tmp_path_factory.mktemp("policy"), hidden_size=64, num_layers=2, num_heads=2)


def _states(batch: int, length: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(seed)
    return tuple(torch.randn(batch, 2, length, 8, generator=generator) for _ in range(2))


def test_layer_returns_what_concatenation_returns_through_growth_crop_and_batch_selection():
    ours, theirs = PreallocatedLayer(reserve=3), DynamicLayer()
    steps = [(4, 5)] + [(4, 1)] * 5  # a prompt of 5, then single tokens past the reserve of 3
    for seed, (batch, length) in enumerate(steps):
        keys, values = _states(batch, length, seed)
        for got, want in zip(ours.update(keys, values), theirs.update(keys, values), strict=True):
            assert torch.equal(got, want)
    assert ours.get_seq_length() == theirs.get_seq_length() == 10
    for layer in (ours, theirs):
        layer.crop(-2)
        layer.batch_select_indices(torch.tensor([0, 2]))
    keys, values = _states(2, 1, 99)
    for got, want in zip(ours.update(keys, values), theirs.update(keys, values), strict=True):
        assert torch.equal(got, want) and got.shape == (2, 2, 9, 8)
    ours.reset()
    keys, values = _states(3, 4, 7)
    assert torch.equal(ours.update(keys, values)[0], keys)


def test_a_prompt_and_its_reserve_take_one_allocation():
    layer = PreallocatedLayer(reserve=4)
    keys, values = _states(2, 6, 0)
    layer.update(keys, values)
    buffer = layer._key_buffer
    for seed in range(4):
        layer.update(*_states(2, 1, seed + 1))
        assert layer._key_buffer is buffer and layer.keys.data_ptr() == buffer.data_ptr()
    assert buffer.shape[-2] == 10


@pytest.mark.parametrize("fast_sampling", [False, True])
def test_trainer_generation_on_the_preallocated_cache_samples_trls_tokens(policy, tmp_path, fast_sampling):
    ours = make_trainer(policy, tmp_path / "ours", half_fixed_rows(), None, trainer_with(fast_sampling=fast_sampling))
    model = ours.accelerator.unwrap_model(ours.model)
    seen = []

    def spy(module, args, kwargs):
        cache = kwargs.get("past_key_values")
        seen.append(cache is not None and all(isinstance(layer, PreallocatedLayer) for layer in cache.layers))

    handle = model.register_forward_pre_hook(spy, with_kwargs=True)
    prompt_ids = prompt_token_ids(ours)
    torch.manual_seed(5)
    got, _ = ours._generate_single_turn(prompt_ids, None, {}, 1)
    handle.remove()
    assert seen and all(seen)
    assert "generate" not in model.__dict__  # the class's method again
    torch.manual_seed(5)
    if fast_sampling:  # the sampler's draw on HF's dynamic cache
        want, _ = _fast_on_dynamic_cache(ours, prompt_ids)
    else:
        want, _ = GRPOTrainer._generate_single_turn(ours, prompt_ids, None, {}, 1)
    assert got == want
    assert any(len(ids) > 1 for ids in got)


def _fast_on_dynamic_cache(trainer, prompt_ids):
    """The fast sampler's generation with HF's own dynamic cache: the sampler's context around TRL's call."""
    with trainer._sampled_generation():
        return GRPOTrainer._generate_single_turn(trainer, prompt_ids, None, {}, 1)


def test_models_with_other_cache_layers_keep_hfs_cache(tmp_path):
    from transformers import AutoModelForCausalLM, Qwen2Config

    config = Qwen2Config(
        vocab_size=64, hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=2,
        num_key_value_heads=1, use_sliding_window=True, sliding_window=8, max_window_layers=0,
        layer_types=["sliding_attention", "sliding_attention"],
    )  # fmt: skip
    assert preallocated_cache(AutoModelForCausalLM.from_config(config), 4) is None
