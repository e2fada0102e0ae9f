"""Labels for reward-model data: did a completion pass, what fraction of the tests, and how it failed.

Code is labelled by running the completion's program against the task's tests in the sandbox with every test run
(`all_tests=True`), so the pass fraction counts all of them; math by the math checker against the gold. Outcome
classes (DSC2 §3.5.2 labels compile + test as 0/1; the classes say why a 0 is a 0):

    passed | wrong_answer | compile_error | runtime_error | timeout | memory_limit | output_limit   (code)
    no_code          the completion holds no program in the task's language
    passed | wrong_answer | no_answer                                                           (math)

A sample the machinery could not judge is labelled None, never 0: unusable tests or gold, and sandbox outcomes that
are no verdict (`ExecResult.judged` false: the wall-clock backstop). An infrastructure failure raises `SandboxError`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from rewards.code_rewards import CodeGrader, extract_code, task_for
from rewards.math_rewards import extract_answer, math_reward
from sandbox.base import ExecResult, SandboxError, Status

OUTCOME_OF_STATUS = {
    Status.PASSED: "passed",
    Status.FAILED: "wrong_answer",
    Status.COMPILE_ERROR: "compile_error",
    Status.RUNTIME_ERROR: "runtime_error",
    Status.TIMEOUT: "timeout",
    Status.MEMORY_LIMIT: "memory_limit",
    Status.OUTPUT_LIMIT: "output_limit",
}


@dataclass(frozen=True)
class Label:
    passed: bool
    pass_fraction: float  # fraction of tests passed (0/1 when the count is unknown; math: 0/1)
    outcome: str

    def as_row(self, prefix: str = "") -> dict[str, Any]:
        return {
            f"{prefix}passed": self.passed,
            f"{prefix}pass_fraction": self.pass_fraction,
            f"{prefix}outcome": self.outcome,
        }


def code_label(result: ExecResult) -> Label | None:
    """The label of one graded program; None when the outcome is no verdict about it."""
    if result.status is Status.SANDBOX_ERROR:
        raise SandboxError(f"sandbox failure while labelling: {result.detail}")
    if not result.judged:
        return None
    fraction = result.fraction_passed
    if fraction is None or result.status is Status.COMPILE_ERROR:
        fraction = 1.0 if result.passed else 0.0
    return Label(result.passed, float(fraction), OUTCOME_OF_STATUS[result.status])


def label_code(
    completions: Sequence[str], tests_list: Sequence[dict | str], languages: Sequence[str], grader: CodeGrader
) -> list[Label | None]:
    """Labels of completions against their tests (objects or JSON strings); None where they cannot be judged."""
    labels: list[Label | None] = [None] * len(completions)
    to_run = []
    for i, (completion, tests, language) in enumerate(zip(completions, tests_list, languages)):
        task = task_for(json.loads(tests) if isinstance(tests, str) else tests, language)
        if task is None:
            continue
        code = extract_code(completion, language)
        if code is None:
            labels[i] = Label(False, 0.0, "no_code")
        else:
            to_run.append((i, replace(task, solution=code)))
    results = grader.grade([t for _, t in to_run], all_tests=True) if to_run else []
    for (i, _), result in zip(to_run, results):
        labels[i] = code_label(result)
    return labels


def label_math(completions: Sequence[str], golds: Sequence[str]) -> list[Label | None]:
    """Labels of completions against their gold answers; None for an unusable gold."""
    labels: list[Label | None] = []
    for completion, gold in zip(completions, golds):
        score = math_reward(completion, gold)
        if score is None:
            labels.append(None)
        elif score == 1.0:
            labels.append(Label(True, 1.0, "passed"))
        else:
            labels.append(Label(False, 0.0, "no_answer" if extract_answer(completion) is None else "wrong_answer"))
    return labels


def usable_gold(gold: str | None) -> bool:
    """Whether the checker can judge answers against `gold` at all (it returns None for an unusable gold)."""
    return bool(gold) and math_reward("", gold) is not None
