"""What a stage checks in the world before any model loads or any sandbox is used for training.

`input_problems(configs)` is the `check_inputs=True` part of `alignment.run.config.check_recipe`: the model reference
(`ModelConfig.model_name_or_path`: a local checkpoint, a GGUF file with the GGUF magic, the SmolLM2 alias, or a hub id
of the right form), the output directory (`TrainingArguments.output_dir` can be created and written), and every
dataclass's own `input_problems(configs)` (the data mixture's files and rows in `alignment.args`, the GRPO stage's
reward model and sandbox engine). Everything is gathered and reported together with the recipe's problems.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from alignment.model.loading import model_reference_problem
from alignment.run.config import find_config

DEFAULT_OUTPUT_DIR = "trainer_output"  # transformers' TrainingArguments when output_dir is None


def input_problems(configs: Sequence[Any]) -> list[str]:
    problems: list[str] = []
    model = find_config(configs, "ModelConfig")
    if model is not None:
        problems += model_problems(model.model_name_or_path, "model_name_or_path")
    training = find_config(configs, "TrainingArguments")
    if training is not None:
        problems += output_dir_problems(training.output_dir or DEFAULT_OUTPUT_DIR)
    for cfg in configs:
        if hasattr(cfg, "input_problems"):
            problems += cfg.input_problems(configs)
    return problems


def model_problems(name_or_path: str | None, key: str) -> list[str]:
    problem = model_reference_problem(name_or_path)
    return [f"`{key}`: {problem}"] if problem else []


def output_dir_problems(output_dir: str, key: str = "output_dir") -> list[str]:
    """The directory exists and takes a file, or can be created under its nearest existing parent."""
    path = Path(output_dir).expanduser()
    if path.exists() and not path.is_dir():
        return [f"`{key}` {output_dir!r} is a file, not a directory: choose another path"]
    probe = path
    while not probe.exists():
        probe = probe.parent
    if not probe.is_dir():
        return [f"`{key}` {output_dir!r} cannot be created: {str(probe)!r} is a file, not a directory"]
    try:
        with tempfile.TemporaryFile(dir=probe):
            pass
    except OSError as exc:
        reason = exc.strerror or str(exc)
        return [f"`{key}` {output_dir!r} is not writable ({probe}: {reason.lower()}); choose a writable directory"]
    return []


def sandbox_problems(backend: str, key: str = "sandbox_backend") -> list[str]:
    """Start the backend with one slot and close it again: an engine that is down is named now, not at step 1."""
    from sandbox.api import get_backend
    from sandbox.base import SandboxError

    one_slot = {"docker": {"pool_size": 1}, "bwrap": {"slots": 1}}.get(backend, {})
    try:
        get_backend(backend, **one_slot).close()
    except SandboxError as exc:
        return [f"`{key}: {backend}` cannot start: {exc}"]
    return []
