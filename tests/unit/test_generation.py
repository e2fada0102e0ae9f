"""Generation backends: vLLM when it can run, HF generate otherwise, with a clear log line."""

from __future__ import annotations

import logging
from types import SimpleNamespace

import pytest
import torch

from alignment.model.generation import SamplingSettings, choose_backend, resolve_vllm, sample_completions

HAS_VLLM_GPU = torch.cuda.is_available() and __import__("importlib").util.find_spec("vllm") is not None
needs_vllm_gpu = pytest.mark.skipif(not HAS_VLLM_GPU, reason="needs a CUDA GPU and the vllm package")


@pytest.mark.skipif(HAS_VLLM_GPU, reason="checks the fall-back, which only happens without CUDA or vLLM")
@pytest.mark.parametrize("mode", ["colocate", "server"])
def test_vllm_request_falls_back_to_hf_with_a_warning(mode, caplog):
    args = SimpleNamespace(use_vllm=True, vllm_mode=mode)
    with caplog.at_level(logging.WARNING, logger="alignment.model.generation"):
        assert resolve_vllm(args) == "hf"
    assert args.use_vllm is False
    [record] = caplog.records
    assert f"vllm_mode={mode}" in record.message and "falling back to HF generate" in record.message


def test_hf_requested_stays_hf(caplog):
    args = SimpleNamespace(use_vllm=False, vllm_mode="colocate")
    with caplog.at_level(logging.INFO, logger="alignment.model.generation"):
        assert resolve_vllm(args) == "hf"
    assert "use_vllm is false" in caplog.text


@pytest.mark.skipif(HAS_VLLM_GPU, reason="checks the fall-back")
def test_choose_backend_without_vllm():
    assert choose_backend("auto") == "hf"
    assert choose_backend("vllm") == "hf"
    assert choose_backend("vllm-server") == "hf"
    assert choose_backend("hf") == "hf"


def _tiny_model(path):
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=300, special_tokens=["<s>", "</s>", "<pad>"], initial_alphabet=pre_tokenizers.ByteLevel.alphabet()
    )
    tokenizer.train_from_iterator(["def add(a, b): return a + b"] * 20, trainer)
    fast = PreTrainedTokenizerFast(tokenizer_object=tokenizer, bos_token="<s>", eos_token="</s>", pad_token="<pad>")
    torch.manual_seed(0)
    config = LlamaConfig(
        vocab_size=len(fast), hidden_size=16, intermediate_size=32, num_hidden_layers=1, num_attention_heads=2,
        bos_token_id=0, eos_token_id=1, pad_token_id=2,
    )  # fmt: skip
    LlamaForCausalLM(config).save_pretrained(path)
    fast.save_pretrained(path)
    return str(path)


def test_hf_sampling_shapes_and_seed(tmp_path):
    model = _tiny_model(tmp_path / "m")
    settings = SamplingSettings(n=3, max_new_tokens=5, seed=1)
    first = sample_completions(model, ["def f", "x =", "y"], settings, backend="hf", batch_size=2)
    again = sample_completions(model, ["def f", "x =", "y"], settings, backend="hf", batch_size=2)
    assert [len(group) for group in first] == [3, 3, 3]
    assert first == again  # same seed, same samples


def test_server_backend_needs_an_address(tmp_path):
    from alignment.model.generation import CompletionSampler

    sampler = CompletionSampler("m", backend="hf")  # the server path itself, whatever this machine can run
    with pytest.raises(ValueError, match="server_url"):
        sampler._sample_vllm_server(["p"], SamplingSettings())


@pytest.mark.gpu
@needs_vllm_gpu
def test_vllm_colocated_engine_samples(tmp_path):
    model = _tiny_model(tmp_path / "m")
    result = sample_completions(model, ["def f", "x ="], SamplingSettings(n=2, max_new_tokens=4), backend="vllm")
    assert [len(group) for group in result] == [2, 2]


@pytest.mark.gpu
@needs_vllm_gpu
def test_vllm_recipe_keeps_vllm_on_gpu():
    args = SimpleNamespace(use_vllm=True, vllm_mode="colocate")
    assert resolve_vllm(args) == "vllm-colocate" and args.use_vllm


@pytest.mark.skipif(HAS_VLLM_GPU, reason="checks the fall-back")
@pytest.mark.parametrize("mode", ["colocate", "server"])
def test_shipped_vllm_recipes_parse_and_fall_back_here(mode, tmp_path, caplog):
    from pathlib import Path

    from trl import GRPOConfig, ModelConfig

    from alignment.grpo import GRPOArguments
    from alignment.run.config import parse_recipe
    from alignment.run.tracking import RecordArguments

    recipe = Path(__file__).resolve().parents[2] / f"configs/grpo/deepseek_coder_v2_lite_vllm_{mode}.yaml"
    parsed = parse_recipe(
        (GRPOArguments, ModelConfig, GRPOConfig, RecordArguments),
        ["--config", str(recipe), "--output_dir", str(tmp_path)],
    )
    grpo = parsed.configs[2]
    assert grpo.use_vllm and grpo.vllm_mode == mode
    with caplog.at_level(logging.WARNING, logger="alignment.model.generation"):
        assert resolve_vllm(grpo) == "hf"
    assert not grpo.use_vllm and "falling back to HF generate" in caplog.text
