"""The reward registry: names a recipe may list in `reward_funcs`, and the adapter that hands them to TRL.

A scorer is a plain batch function `(completions: list[str], **columns) -> list[float | None]` over the rows of the
task it judges. `None` means "cannot judge this sample" (TRL turns it into NaN and leaves the sample out of that
reward's mean; a row that every reward leaves out gets advantage 0). A wrong answer is 0.0. An infrastructure failure
raises. Entries name their functions by import path so that the registry stays cheap to import and picklable.
"""

from __future__ import annotations

import importlib
import logging
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RewardSpec:
    batch_fn: str  # "module:function" with signature (completions, **columns) -> list[float | None]
    task: str | None  # rows whose `task` column differs get None; None judges every row
    columns: tuple[str, ...]  # data set columns the function reads, passed by name
    doc: str


REWARDS: dict[str, RewardSpec] = {
    "math": RewardSpec(
        batch_fn="rewards.registry:math_batch",
        task="math",
        columns=("solution",),
        doc="1.0 when the final answer equals the gold (sympy-backed checker), else 0.0; None for an unusable gold",
    ),
    "code": RewardSpec(
        batch_fn="rewards.registry:code_batch",
        task="code",
        columns=("tests", "language"),
        doc="1.0 when the last fenced program passes every test in the sandbox, else 0.0",
    ),
    "boxed_format": RewardSpec(
        batch_fn="rewards.format_rewards:boxed_format_batch",
        task=None,
        columns=(),
        doc="1.0 when the completion states a final answer in \\boxed{}, else 0.0 (a shaping term, not in the paper)",
    ),
}


def _resolve(path: str) -> Callable[..., list[float | None]]:
    module, _, name = path.partition(":")
    return getattr(importlib.import_module(module), name)


def completion_text(completion: Any) -> str:
    """TRL passes strings for plain prompts and message lists for conversational ones."""
    if isinstance(completion, str):
        return completion
    if isinstance(completion, list) and completion and isinstance(completion[-1], dict):
        return str(completion[-1].get("content", ""))
    raise TypeError(f"unexpected completion type {type(completion).__name__}: {completion!r:.80}")


class RewardFunction:
    """A registry entry as a TRL reward function: picklable (no closures) with a stable `__name__`."""

    def __init__(self, name: str):
        if name not in REWARDS:
            raise KeyError(f"unknown reward {name!r}; registered rewards: {', '.join(sorted(REWARDS))}")
        self.name = name
        self.__name__ = name  # TRL logs rewards/<__name__>/mean

    def __repr__(self) -> str:
        return f"RewardFunction({self.name!r})"

    def __call__(self, prompts: Sequence[Any], completions: Sequence[Any], **kwargs: Any) -> list[float | None]:
        spec = REWARDS[self.name]
        texts = [completion_text(c) for c in completions]
        tasks = kwargs.get("task") or [None] * len(texts)
        judged = [i for i, t in enumerate(tasks) if spec.task is None or t == spec.task]
        scores: list[float | None] = [None] * len(texts)
        if judged:
            missing = [c for c in spec.columns if c not in kwargs]
            if missing:
                raise KeyError(
                    f"reward {self.name!r} needs data set columns {missing}; the batch has {sorted(kwargs)}"
                )
            columns = {c: [kwargs[c][i] for i in judged] for c in spec.columns}
            start = time.perf_counter()
            results = _resolve(spec.batch_fn)([texts[i] for i in judged], **columns)
            elapsed_s = time.perf_counter() - start
            for i, value in zip(judged, results):
                scores[i] = value
            _log(kwargs.get("log_metric"), self.name, scores, judged, elapsed_s)
        return scores


def _log(
    log_metric: Callable[[str, float], None] | None, name: str, scores: list, judged: list[int], elapsed_s: float
) -> None:
    """Per-step extras beside TRL's own rewards/<name>/mean|std: how much was judged, and how fast."""
    if log_metric is None:
        return
    none = sum(1 for i in judged if scores[i] is None or (isinstance(scores[i], float) and math.isnan(scores[i])))
    log_metric(f"rewards/{name}/frac_none", none / max(len(judged), 1))
    log_metric(f"rewards/{name}/frac_applicable", len(judged) / max(len(scores), 1))
    log_metric(f"timing/reward_{name}_s", elapsed_s)


def math_batch(completions: list[str], solution: list[str]) -> list[float | None]:
    """The `math` entry. In-process: most verdicts take microseconds, far less than starting a process pool per
    step; the checker bounds each case's symbolic work by its own wall-clock budget (rewards/math_rewards.py)."""
    from rewards.math_rewards import math_rewards_batch

    return math_rewards_batch(completions, solution, max_workers=0)


def code_batch(completions: list[str], tests: list[str | dict], language: list[str | None]) -> list[float | None]:
    """The `code` entry: data sets store tests as JSON strings (one Arrow type for every row); decode and grade."""
    import json

    from rewards.code_rewards import code_rewards_batch

    decoded = [json.loads(t) if isinstance(t, str) else t for t in tests]
    return code_rewards_batch(completions, decoded, [lang or "python" for lang in language])


def build_reward_functions(names: Sequence[str]) -> list[RewardFunction]:
    unknown = [n for n in names if n not in REWARDS]
    if unknown:
        raise KeyError(
            f"unknown reward(s) {unknown} in reward_funcs; registered rewards: {', '.join(sorted(REWARDS))}"
        )
    return [RewardFunction(n) for n in names]
