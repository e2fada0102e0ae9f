"""The reward registry: the names a recipe may list in `reward_funcs`, and the one adapter that hands them to TRL.

`REWARDS` maps each name to a `RewardSpec` holding the scorer *function itself*, the task it judges, the data set
columns it reads and its kind. A scorer is a batch function

    scorer(completions: list[str], context: RewardContext, **columns) -> list[float | None]

over the rows of the task it judges. `None` means "cannot judge this sample" (TRL turns it into NaN and leaves the
sample out of that reward's mean; a row every reward leaves out gets advantage 0); a wrong answer is 0.0; an
infrastructure failure raises. `RewardContext` is what a scorer may use besides the batch — the sandbox it grades in
(a `CodeGrader`, built from the recipe's sandbox settings) and the step's `log_metric` — so no scorer reaches for a
global. Kinds:

* `rule`: decided by a checker from the reference (the math checker);
* `execution`: decided by running the program against tests in the sandbox (its pass rate is logged every step);
* `model`: a trained reward model's score;
* `shaping`: a format bonus, not in the paper.

`RewardFunction(name, context)` is the adapter: picklable (no closures), with a stable `__name__` (TRL logs
`rewards/<__name__>/mean`), routing rows by their `task` column and logging coverage and time per call. A spec may
also name a `prefetch` (`code` does): the trainer calls `RewardFunction.prefetch` on each completion as soon as it
has finished generating, so the slow part (the sandbox run) is under way before the batch is scored; the scores
themselves always come from the scorer's call over the whole batch.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from rewards.code_rewards import CodeGrader, SandboxSettings, code_rewards_batch, prefetch_code_batch
from rewards.format_rewards import boxed_format_batch
from rewards.math_rewards import math_rewards_batch

logger = logging.getLogger(__name__)

RewardKind = Literal["rule", "execution", "model", "shaping"]


def _no_metric(name: str, value: float) -> None:
    """The default `log_metric` outside a trainer: metrics go nowhere."""


@dataclass(frozen=True)
class RewardContext:
    """What a scorer may use besides the batch; the adapter adds the step's `log_metric` to each call."""

    grader: CodeGrader | None = None  # the sandbox execution rewards grade in
    log_metric: Callable[[str, float], None] = field(default=_no_metric, compare=False)

    def sandbox(self) -> CodeGrader:
        if self.grader is None:
            raise ValueError("this reward runs programs, but no sandbox was given: build it with a CodeGrader")
        return self.grader


def math_scores(completions: list[str], context: RewardContext, solution: list[str]) -> list[float | None]:
    """In-process: most verdicts take microseconds, far less than starting a process pool per step; the checker
    bounds each case's symbolic work by its own wall-clock budget (rewards/math_rewards.py)."""
    return math_rewards_batch(completions, solution, max_workers=0)


def code_scores(
    completions: list[str], context: RewardContext, tests: list[str | dict], language: list[str | None]
) -> list[float | None]:
    return code_rewards_batch(completions, tests, language, context.sandbox(), context.log_metric)


def code_prefetch(completions: list[str], context: RewardContext, tests: list[str | dict], language: list) -> None:
    prefetch_code_batch(completions, tests, language, context.sandbox())


def boxed_format_scores(completions: list[str], context: RewardContext) -> list[float | None]:
    return boxed_format_batch(completions)


@dataclass(frozen=True)
class RewardSpec:
    scorer: Callable[..., list[float | None]]  # (completions, context, **columns) -> scores
    task: str | None  # rows whose `task` column differs get None; None judges every row
    columns: tuple[str, ...]  # data set columns the scorer reads, passed by name
    kind: RewardKind
    doc: str
    # (completions, context, **columns) -> None: start the slow part early for rows whose completion is done (the
    # later scorer call over the whole batch takes its results; alignment/run/overlap.py calls it).
    prefetch: Callable[..., None] | None = None


REWARDS: dict[str, RewardSpec] = {
    "math": RewardSpec(
        scorer=math_scores,
        task="math",
        columns=("solution",),
        kind="rule",
        doc="1.0 when the final answer equals the gold (sympy-backed checker), else 0.0; None for an unusable gold",
    ),
    "code": RewardSpec(
        scorer=code_scores,
        task="code",
        columns=("tests", "language"),
        kind="execution",
        doc="1.0 when the last fenced program passes every test in the sandbox, else 0.0",
        prefetch=code_prefetch,
    ),
    "boxed_format": RewardSpec(
        scorer=boxed_format_scores,
        task=None,
        columns=(),
        kind="shaping",
        doc="1.0 when the completion states a final answer in \\boxed{}, else 0.0 (a shaping term, not in the paper)",
    ),
}


def unknown_rewards(names: Sequence[str]) -> list[str]:
    """Problems for the recipe validation: each name that is not in the registry, with the registered names."""
    return [
        f"unknown reward {name!r} in `reward_funcs`; registered: {', '.join(sorted(REWARDS))}"
        for name in names
        if name not in REWARDS
    ]


def needs_sandbox(names: Sequence[str]) -> bool:
    return any(REWARDS[n].kind == "execution" for n in names if n in REWARDS)


def completion_text(completion: Any) -> str:
    """TRL passes strings for plain prompts and message lists for conversational ones."""
    if isinstance(completion, str):
        return completion
    if isinstance(completion, list) and completion and isinstance(completion[-1], dict):
        return str(completion[-1].get("content", ""))
    raise TypeError(f"unexpected completion type {type(completion).__name__}: {completion!r:.80}")


class RewardFunction:
    """A registry entry as a TRL reward function: picklable (no closures) with a stable `__name__` and its `kind`."""

    def __init__(self, name: str, context: RewardContext | None = None):
        if name not in REWARDS:
            raise KeyError(f"unknown reward {name!r}; registered rewards: {', '.join(sorted(REWARDS))}")
        self.name = self.__name__ = name  # TRL logs rewards/<__name__>/mean
        self.spec = REWARDS[name]
        self.kind = self.spec.kind
        self.context = context or RewardContext()

    def __repr__(self) -> str:
        return f"RewardFunction({self.name!r})"

    def _judged(self, completions: Sequence[Any], kwargs: dict[str, Any]) -> tuple[list[str], list[int]]:
        """The completions' texts and the indices of the rows this reward judges (by their `task` column)."""
        texts = [completion_text(c) for c in completions]
        tasks = kwargs.get("task") or [None] * len(texts)
        return texts, [i for i, t in enumerate(tasks) if self.spec.task is None or t == self.spec.task]

    def prefetch(self, completions: Sequence[Any], **kwargs: Any) -> None:
        """Start the slow part of scoring these rows now (for `code`: their programs in the sandbox); the call over
        the whole batch scores them as usual, reusing that work. Does nothing for rewards without it."""
        if self.spec.prefetch is None or any(c not in kwargs for c in self.spec.columns):
            return  # the call itself reports missing columns
        texts, judged = self._judged(completions, kwargs)
        if judged:
            columns = {c: [kwargs[c][i] for i in judged] for c in self.spec.columns}
            self.spec.prefetch([texts[i] for i in judged], self.context, **columns)

    def __call__(self, prompts: Sequence[Any], completions: Sequence[Any], **kwargs: Any) -> list[float | None]:
        texts, judged = self._judged(completions, kwargs)
        log_metric = kwargs.get("log_metric") or _no_metric
        scores: list[float | None] = [None] * len(texts)
        elapsed_s = 0.0
        if judged:
            missing = [c for c in self.spec.columns if c not in kwargs]
            if missing:
                raise KeyError(
                    f"reward {self.name!r} needs data set columns {missing}; the batch has {sorted(kwargs)}"
                )
            columns = {c: [kwargs[c][i] for i in judged] for c in self.spec.columns}
            context = replace(self.context, log_metric=log_metric)
            start = time.perf_counter()
            results = self.spec.scorer([texts[i] for i in judged], context, **columns)
            elapsed_s = time.perf_counter() - start
            for i, value in zip(judged, results):
                scores[i] = value
        _log_coverage(log_metric, self.name, scores, judged, elapsed_s)
        return scores


def _log_coverage(
    log_metric: Callable[[str, float], None], name: str, scores: list, judged: list[int], elapsed_s: float
) -> None:
    """Per-step extras beside TRL's own rewards/<name>/mean|std: how much was judged, and how fast."""
    log_metric(f"rewards/{name}/frac_applicable", len(judged) / max(len(scores), 1))  # every step, 0 included
    log_metric(f"timing/reward_{name}_s", elapsed_s)
    if judged:  # the share of judged rows the reward could not score (unusable gold or tests)
        none = sum(1 for i in judged if scores[i] is None or (isinstance(scores[i], float) and math.isnan(scores[i])))
        log_metric(f"rewards/{name}/frac_none", none / len(judged))


def build_reward_functions(names: Sequence[str], sandbox: SandboxSettings | None = None) -> list[RewardFunction]:
    """The adapters for `names` (validated by the recipe), sharing one context. When any of them is an execution
    reward, its sandbox is built from `sandbox` and started here, so a missing engine fails before training."""
    grader = CodeGrader(sandbox).open() if needs_sandbox(names) else None
    return [RewardFunction(n, RewardContext(grader=grader)) for n in names]
