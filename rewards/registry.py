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
* `model`: a trained reward model's score (`rm`: the checkpoint of `reward_model_path`, scored in batches by
  `rewards.model_rewards.RewardModelScorer` on its own device, with its own tokenizer and chat template);
* `shaping`: a format bonus, not in the paper.

`RewardFunction(name, context)` is the adapter: picklable (no closures), with a stable `__name__` (TRL logs
`rewards/<__name__>/mean`), judging only the rows of its task (and, when built from `reward_routes`, of its route:
see `rewards.routing`) and logging coverage and time per call. A spec may also name a `prefetch` (`code` does): the
trainer calls `RewardFunction.prefetch` on each completion as soon as it has finished generating, so the slow part
(the sandbox run) is under way before the batch is scored; the scores themselves always come from the scorer's call
over the whole batch.
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
from rewards.routing import Route, RowSelector, expand

logger = logging.getLogger(__name__)

RewardKind = Literal["rule", "execution", "model", "shaping"]


def _no_metric(name: str, value: float) -> None:
    """The default `log_metric` outside a trainer: metrics go nowhere."""


@dataclass(frozen=True)
class RewardContext:
    """What a scorer may use besides the batch; the adapter adds the step's `log_metric` to each call."""

    grader: CodeGrader | None = None  # the sandbox execution rewards grade in
    reward_model: Any = None  # a `rewards.model_rewards.RewardModelScorer` for the `rm` reward
    log_metric: Callable[[str, float], None] = field(default=_no_metric, compare=False)

    def sandbox(self) -> CodeGrader:
        if self.grader is None:
            raise ValueError("this reward runs programs, but no sandbox was given: build it with a CodeGrader")
        return self.grader

    def scorer_model(self) -> Any:
        if self.reward_model is None:
            raise ValueError("the `rm` reward needs a reward model: set `reward_model_path` in the recipe")
        return self.reward_model


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


def rm_scores(completions: list[str], context: RewardContext, prompts: list[Any]) -> list[float | None]:
    """The reward model's score of each (prompt, completion), in batches; timed for the step profile."""
    start = time.perf_counter()
    scores = context.scorer_model().score([_messages(p) for p in prompts], completions)
    context.log_metric("timing/reward_model_scoring_s", time.perf_counter() - start)
    return scores


def _messages(prompt: Any) -> list[dict]:
    """TRL passes conversational prompts as message lists and plain ones as strings."""
    return [{"role": "user", "content": prompt}] if isinstance(prompt, str) else list(prompt)


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
    "rm": RewardSpec(
        scorer=rm_scores,
        task=None,
        columns=("prompts",),
        kind="model",
        doc="the trained reward model's score of (prompt, completion) (`reward_model_path`; normalisation: "
        "`reward_model_normalize`)",
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


def needs_reward_model(names: Sequence[str]) -> bool:
    return any(REWARDS[n].kind == "model" for n in names if n in REWARDS)


def completion_text(completion: Any) -> str:
    """TRL passes strings for plain prompts and message lists for conversational ones."""
    if isinstance(completion, str):
        return completion
    if isinstance(completion, list) and completion and isinstance(completion[-1], dict):
        return str(completion[-1].get("content", ""))
    raise TypeError(f"unexpected completion type {type(completion).__name__}: {completion!r:.80}")


class RewardFunction:
    """A registry entry as a TRL reward function: picklable (no closures) with a stable `__name__` and its `kind`."""

    def __init__(
        self,
        name: str,
        context: RewardContext | None = None,
        selector: RowSelector | None = None,
        function_name: str | None = None,
    ):
        if name not in REWARDS:
            raise KeyError(f"unknown reward {name!r}; registered rewards: {', '.join(sorted(REWARDS))}")
        self.reward = name
        self.name = self.__name__ = function_name or name  # TRL logs rewards/<__name__>/mean
        self.spec = REWARDS[name]
        self.kind = self.spec.kind
        self.context = context or RewardContext()
        self.selector = selector  # a route: only its rows are judged

    def __repr__(self) -> str:
        return f"RewardFunction({self.name!r})"

    def _judges(self, task: str | None, dataset: str | None) -> bool:
        if self.spec.task is not None and task != self.spec.task:
            return False
        return self.selector is None or self.selector.selects(task, dataset)

    def _judged(self, completions: Sequence[Any], kwargs: dict[str, Any]) -> tuple[list[str], list[int]]:
        """The completions' texts and the indices of the rows this reward judges (its task, and its route's rows)."""
        texts = [completion_text(c) for c in completions]
        tasks = kwargs.get("task") or [None] * len(texts)
        datasets = kwargs.get("dataset") or [None] * len(texts)
        return texts, [i for i, (t, d) in enumerate(zip(tasks, datasets)) if self._judges(t, d)]

    @property
    def collective(self) -> bool:
        """True when scoring is a collective operation (a ZeRO-3 partitioned reward model): every process must call
        it at the same point, so it is never moved to a worker thread (alignment/run/overlap.py)."""
        return bool(getattr(self.context.reward_model, "collective", False))

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
        # A partitioned (ZeRO-3) reward model runs collectively: every process scores all of its rows, the same count.
        scored = list(range(len(texts))) if self.collective else judged
        log_metric = kwargs.get("log_metric") or _no_metric
        scores: list[float | None] = [None] * len(texts)
        elapsed_s = 0.0
        if scored:
            available = {**kwargs, "prompts": prompts}
            missing = [c for c in self.spec.columns if c not in available]
            if missing:
                raise KeyError(
                    f"reward {self.name!r} needs data set columns {missing}; the batch has {sorted(kwargs)}"
                )
            columns = {c: [available[c][i] for i in scored] for c in self.spec.columns}
            context = replace(self.context, log_metric=log_metric)
            start = time.perf_counter()
            results = self.spec.scorer([texts[i] for i in scored], context, **columns)
            elapsed_s = time.perf_counter() - start
            keep = set(judged)
            for i, value in zip(scored, results):
                scores[i] = value if i in keep else None
        _log_coverage(log_metric, self.name, scores, judged, elapsed_s)
        return scores


def _log_coverage(
    log_metric: Callable[[str, float], None], name: str, scores: list, judged: list[int], elapsed_s: float
) -> None:
    """Per-step extras beside TRL's own rewards/<name>/mean|std: how much was judged, and how fast."""
    log_metric(f"rewards/{name}/frac_applicable", len(judged) / max(len(scores), 1))  # every step, 0 included
    log_metric(f"timing/reward_{name.replace('/', '_')}_s", elapsed_s)
    if judged:  # the share of judged rows the reward could not score (unusable gold or tests)
        none = sum(1 for i in judged if scores[i] is None or (isinstance(scores[i], float) and math.isnan(scores[i])))
        log_metric(f"rewards/{name}/frac_none", none / len(judged))


def reward_context(
    names: Sequence[str], sandbox: SandboxSettings | None = None, reward_model: Any = None
) -> RewardContext:
    """One context for all of a trainer's rewards. When any of `names` is an execution reward, its sandbox is built
    from `sandbox` and started here, so a missing engine fails before training."""
    grader = CodeGrader(sandbox).open() if needs_sandbox(names) else None
    return RewardContext(grader=grader, reward_model=reward_model if needs_reward_model(names) else None)


def build_reward_functions(
    names: Sequence[str], sandbox: SandboxSettings | None = None, reward_model: Any = None
) -> list[RewardFunction]:
    """The adapters for `names` (validated by the recipe), sharing one context (one sandbox, one reward model)."""
    context = reward_context(names, sandbox, reward_model)
    return [RewardFunction(n, context) for n in names]


def build_routed_reward_functions(
    routes: Sequence[Route], sandbox: SandboxSettings | None = None, reward_model: Any = None, monitor: bool = True
) -> tuple[list[RewardFunction], list[float]]:
    """The reward functions of `reward_routes` (see `rewards.routing`) and their TRL `reward_weights`."""
    expanded = expand(routes, monitor_execution=monitor)
    context = reward_context([name for _, name, _, _ in expanded], sandbox, reward_model)
    functions = [RewardFunction(name, context, selector, fname) for fname, name, _, selector in expanded]
    return functions, [weight for _, _, weight, _ in expanded]
