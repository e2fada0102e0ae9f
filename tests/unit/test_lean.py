"""`lean_activations`: the same forward bits, the same gradients up to rounding, fewer tensors kept for backward."""

from __future__ import annotations

import copy
import logging

import pytest
import torch
from transformers import LlamaConfig, LlamaForCausalLM
from transformers.models.llama.modeling_llama import LlamaRMSNorm

from alignment.run.lean import lean_activations


def tiny_llama(**overrides) -> LlamaForCausalLM:
    torch.manual_seed(0)
    config = dict(vocab_size=101, hidden_size=64, intermediate_size=160, num_hidden_layers=2, num_attention_heads=4,
                  num_key_value_heads=2)  # fmt: skip
    return LlamaForCausalLM(LlamaConfig(**{**config, **overrides}))


def loss_and_grads(model, tokens, autocast: bool):
    model.zero_grad()
    with torch.autocast("cpu", dtype=torch.bfloat16, enabled=autocast):
        loss = model(tokens, labels=tokens).loss
    loss.backward()
    return loss.detach(), [param.grad.clone() for param in model.parameters()]


def saved_bytes(model, tokens) -> int:
    """Bytes of the distinct non-parameter storages autograd keeps for the backward of one forward."""
    params = {param.untyped_storage().data_ptr() for param in model.parameters()}
    storages: dict[int, int] = {}

    def pack(tensor):
        storage = tensor.untyped_storage()
        if storage.data_ptr() not in params:
            storages[storage.data_ptr()] = storage.nbytes()
        return tensor

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda tensor: tensor):
        model(tokens, labels=tokens)
    return sum(storages.values())


@pytest.mark.parametrize("mlp_bias", [False, True])
@pytest.mark.parametrize("autocast", [False, True], ids=["fp32", "bf16-autocast"])
def test_lean_modules_give_the_same_loss_and_gradients(mlp_bias, autocast):
    plain = tiny_llama(mlp_bias=mlp_bias)
    lean = copy.deepcopy(plain)
    switched = lean_activations(lean)
    assert switched == {"LlamaRMSNorm": 5, "LlamaMLP": 2}  # two per layer and the final norm; one MLP per layer
    tokens = torch.randint(0, 101, (3, 17), generator=torch.Generator().manual_seed(1))
    plain_loss, plain_grads = loss_and_grads(plain, tokens, autocast)
    lean_loss, lean_grads = loss_and_grads(lean, tokens, autocast)
    assert torch.equal(plain_loss, lean_loss)  # the forward runs the same operations: the same bits
    # bf16 rounds the backward's intermediate products at different points than autograd's chain
    tolerance = 3e-2 if autocast else 1e-5
    for (name, param), expected, got in zip(plain.named_parameters(), plain_grads, lean_grads, strict=True):
        assert got.dtype == param.dtype == expected.dtype, name
        scale = expected.abs().max().clamp(min=1e-12)
        assert ((got - expected).abs().max() / scale).item() < tolerance, name


def test_lean_modules_keep_fewer_tensors_for_the_backward():
    plain = tiny_llama(hidden_size=128, intermediate_size=512)
    lean = copy.deepcopy(plain)
    lean_activations(lean)
    tokens = torch.randint(0, 101, (4, 64), generator=torch.Generator().manual_seed(2))
    before, after = saved_bytes(plain, tokens), saved_bytes(lean, tokens)
    # per token and layer: two intermediate-wide products of the MLP and one normalised value per norm go
    tokens_layers = 4 * 64 * 2
    assert before - after >= tokens_layers * (2 * 512 + 2 * 128) * 4 * 0.9, (before, after)


class OffsetRMSNorm(LlamaRMSNorm):
    """Gemma's form: scales by 1 + weight, which the lean norm does not compute."""

    def forward(self, hidden_states):
        variance = hidden_states.float().pow(2).mean(-1, keepdim=True)
        return (1 + self.weight) * (hidden_states * torch.rsqrt(variance + self.variance_epsilon))


def test_modules_that_compute_something_else_keep_their_forward(caplog):
    model = tiny_llama(hidden_act="gelu")  # an MLP with gate, up and down, but not SiLU
    model.model.norm = OffsetRMSNorm(64)
    with torch.no_grad():
        model.model.norm.weight.normal_()
    mlp_forward, norm_forward = model.model.layers[0].mlp.forward, model.model.norm.forward
    with caplog.at_level(logging.INFO, logger="alignment.run.lean"):
        switched = lean_activations(model)
    assert switched == {"LlamaRMSNorm": 4}
    assert model.model.layers[0].mlp.forward == mlp_forward and model.model.norm.forward == norm_forward
    assert "LlamaMLP computes something else" in caplog.text and "OffsetRMSNorm computes something else" in caplog.text


def test_partitioned_parameters_are_left_alone():
    model = tiny_llama()
    for param in model.model.layers[1].parameters():
        param.ds_id = 0  # how DeepSpeed ZeRO-3 marks a partitioned parameter
    switched = lean_activations(model)
    assert switched == {"LlamaRMSNorm": 3, "LlamaMLP": 1}
