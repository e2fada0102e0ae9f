"""Model references resolve to loadable checkpoints, and bad references say what they should have been."""

import pytest
import torch

from alignment.model.loading import default_dtype, resolve_model_path


def test_local_directory_resolves_to_itself(tiny_base_model):
    assert resolve_model_path(str(tiny_base_model)) == str(tiny_base_model.resolve())


def test_directory_without_config_is_rejected(tmp_path):
    with pytest.raises(FileNotFoundError, match="no config.json"):
        resolve_model_path(str(tmp_path))


def test_missing_gguf_file_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="GGUF file .* does not exist"):
        resolve_model_path(str(tmp_path / "model.gguf"))


def test_hub_ids_pass_through_and_nonsense_is_explained():
    assert (
        resolve_model_path("deepseek-ai/DeepSeek-Coder-V2-Lite-Instruct")
        == "deepseek-ai/DeepSeek-Coder-V2-Lite-Instruct"
    )
    with pytest.raises(FileNotFoundError, match=r"give a hub id \('org/name'\)"):
        resolve_model_path("not-a-model")


def test_default_dtype_is_fp32_without_cuda():
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA: the default is bf16 there")
    assert default_dtype("auto") is torch.float32
    assert default_dtype("bfloat16") is torch.bfloat16
    with pytest.raises(ValueError, match="not one of"):
        default_dtype("fp8")
