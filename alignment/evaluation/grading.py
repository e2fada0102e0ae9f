"""Verdicts for a problem's completions: math through the checker, code through the sandbox.

Each sample gets a verdict (solved or not) and an outcome class, the vocabulary of the collection rows
(CONTRACTS.md): passed | wrong_answer | compile_error | runtime_error | timeout | memory_limit | output_limit |
no_code | no_answer. Math samples also get their extracted answer and an answer class for majority voting: class 0
holds every correct sample, the wrong answers are grouped by the checker's own equivalence (`verify`, so `1/2`,
`0.5` and `\\frac{1}{2}` are one answer; string equality would split the vote), None marks a sample without answer.

Infrastructure failures are never outcomes. A `SandboxError`, `Status.SANDBOX_ERROR`, or any status that is not
a verdict about the program (a status the sandbox may add for "not judged", say) raises `SandboxError` and stops
the evaluation; the problems finished before it stay in the results file, and a rerun continues from there.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, fields, replace
from typing import Any

from alignment.evaluation.prompts import Problem
from data.formats import all_tests, program_for
from sandbox.base import Backend, Limits, SandboxError

logger = logging.getLogger(__name__)

# Sandbox statuses that are verdicts about the program, and their outcome classes. Anything else is infrastructure.
CODE_OUTCOMES: dict[str, str] = {
    "passed": "passed",
    "failed": "wrong_answer",
    "compile_error": "compile_error",
    "runtime_error": "runtime_error",
    "timeout": "timeout",
    "memory_limit": "memory_limit",
    "output_limit": "output_limit",
}


@dataclass
class Graded:
    """Per-sample results of one problem (lists in sample order)."""

    verdicts: list[bool]
    outcomes: list[str]
    answers: list[str | None] | None = None  # math: the extracted final answers
    classes: list[int | None] | None = None  # math: answer classes (0 = correct, None = no answer)
    details: list[str] | None = None  # code: the sandbox's short reason per sample

    def as_row(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name) is not None}


# ---------------------------------------------------------------- math
def math_gold(row: dict[str, Any]) -> str:
    return row["answer"] if row.get("answer") is not None else row["solution"]


def usable_gold(row: dict[str, Any]) -> bool:
    """Whether the checker can judge answers against this row's gold (it returns None for an unusable gold)."""
    from rewards.math_rewards import math_reward

    gold = math_gold(row)
    return gold is not None and math_reward(gold, gold) is not None


def grade_math(gold: str, completions: Sequence[str]) -> Graded:
    """Checker verdicts, outcomes, extracted answers and answer classes for one problem's samples."""
    from rewards.math_rewards import extract_answer, math_reward, verify

    verdicts, outcomes, answers, classes = [], [], [], []
    representatives: list[str] = []  # one answer per wrong-answer class, class id = index + 1
    for completion in completions:
        score = math_reward(completion, gold)
        if score is None:
            raise ValueError(f"the math checker cannot judge against the gold {gold!r}; exclude the problem first")
        answer = extract_answer(completion)
        verdicts.append(score == 1.0)
        answers.append(answer)
        if score == 1.0:
            outcomes.append("passed")
            classes.append(0)
        elif answer is None:
            outcomes.append("no_answer")
            classes.append(None)
        else:
            outcomes.append("wrong_answer")
            match = next((i for i, rep in enumerate(representatives) if verify(rep, answer)), None)
            if match is None:
                representatives.append(answer)
                match = len(representatives) - 1
            classes.append(match + 1)
    return Graded(verdicts, outcomes, answers, classes)


# ---------------------------------------------------------------- code
def row_limits(row: dict[str, Any], base: Limits) -> Limits:
    """The sandbox limits for a row: `base` with the row's published limits (tests["limits"]) on top."""
    published = (all_tests(row) or {}).get("limits") or {}
    known = {f.name for f in fields(Limits)}
    return replace(base, **{k: v for k, v in published.items() if k in known})


def grade_code(
    problems: Sequence[Problem], completions: Sequence[Sequence[str]], backend: Backend, jobs: int, base: Limits
) -> list[Graded]:
    """Grade every sample of every problem in the sandbox, `jobs` at a time; raises `SandboxError` on any
    infrastructure failure (see the module docstring)."""
    from sandbox.api import run_many

    graded = [Graded([False] * len(c), ["no_code"] * len(c), details=[""] * len(c)) for c in completions]
    by_limits: dict[Limits, list[tuple[int, int, dict]]] = {}
    for p, (problem, samples) in enumerate(zip(problems, completions)):
        limits = row_limits(problem.row, base)
        for s, completion in enumerate(samples):
            code = problem.code(completion)
            if code is None:
                continue
            task = {
                "id": f"{problem.id}#{s}",
                "language": problem.row["language"] or "python",
                "solution": program_for(problem.row, code),
                "tests": all_tests(problem.row),
            }
            by_limits.setdefault(limits, []).append((p, s, task))
    for limits, items in by_limits.items():
        results = run_many([task for _, _, task in items], backend, jobs=jobs, limits=limits)
        for (p, s, task), result in zip(items, results):
            status = result.status.value
            if status not in CODE_OUTCOMES:
                raise SandboxError(
                    f"sandbox status {status!r} for {task['id']} is not a verdict about the program "
                    f"({result.detail[:300]}); the evaluation stops rather than count it as a failure"
                )
            graded[p].verdicts[s] = result.passed
            graded[p].outcomes[s] = CODE_OUTCOMES[status]
            graded[p].details[s] = result.detail[:300]
    return graded


def grade(
    problems: Sequence[Problem],
    completions: Sequence[Sequence[str]],
    backend: Backend | None,
    jobs: int = 4,
    limits: Limits | None = None,
) -> tuple[list[Graded], float]:
    """Grades for every problem (math and code rows may mix) and the seconds spent grading."""
    start = time.perf_counter()
    graded: list[Graded | None] = [None] * len(problems)
    code = [i for i, p in enumerate(problems) if p.task == "code"]
    for i, problem in enumerate(problems):
        if problem.task == "math":
            graded[i] = grade_math(math_gold(problem.row), completions[i])
    if code:
        if backend is None:
            raise ValueError("code problems need a sandbox backend to be graded")
        code_grades = grade_code(
            [problems[i] for i in code], [completions[i] for i in code], backend, jobs, limits or Limits()
        )
        for i, g in zip(code, code_grades):
            graded[i] = g
    return graded, time.perf_counter() - start
