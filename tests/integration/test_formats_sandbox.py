"""Canonical rows graded in the real bwrap sandbox: HumanEval's 164 canonical solutions pass through
`humaneval_program` (as a body and as a whole function), and for every code format's example row a right program
passes and a wrong one fails, with the program built by `program_for` and graded on `all_tests`."""

from __future__ import annotations

import re

import pytest

from data.formats import adapt_row, all_tests, load_benchmark, program_for
from sandbox import tasks as sandbox_tasks
from sandbox.api import get_backend, run_many
from sandbox.base import Status
from tests.format_rows import CODE
from tests.sandbox_cases import bwrap_skip_reason

pytestmark = [pytest.mark.integration, pytest.mark.bwrap]

# The stdio `checker` key is ignored until the sandbox implements it; then TestSpec carries it.
FLOAT_CHECKER = "checker" in sandbox_tasks.TestSpec.__dataclass_fields__


@pytest.fixture(scope="module")
def bwrap():
    reason = bwrap_skip_reason()
    if reason:
        pytest.skip(reason)
    with get_backend("bwrap", slots=2) as backend:
        yield backend


def _task(row: dict, program: str, tests: dict, tag: str) -> dict:
    return {"id": f"{row['id']}#{tag}", "language": row["language"], "solution": program, "tests": tests}


def _verdicts(backend, tasks: list[dict]) -> dict[str, Status]:
    return {t["id"]: r.status for t, r in zip(tasks, run_many(tasks, backend, jobs=2))}


def test_humaneval_canonical_solutions_pass_as_bodies_and_as_whole_functions(bwrap):
    rows = load_benchmark("humaneval")
    tasks = []
    for row in rows:
        canonical = row["solution"][len(row["prompt"]) :]
        tasks.append(_task(row, program_for(row, canonical), row["tests"], "body"))
        # the same solution answered as a whole function: from the entry point's `def` to the end
        entry = row["tests"]["entry_point"]
        start = [m.start() for m in re.finditer(rf"^def {entry}\(", row["solution"], re.MULTILINE)][-1]
        tasks.append(_task(row, program_for(row, row["solution"][start:]), row["tests"], "function"))
    verdicts = _verdicts(bwrap, tasks)
    failed = {k: v.value for k, v in verdicts.items() if v is not Status.PASSED}
    assert len(verdicts) == 2 * 164 and not failed


def _example_params():
    for example in CODE:
        marks = []
        if example.needs_float_checker:
            marks.append(pytest.mark.xfail(not FLOAT_CHECKER, reason="needs the stdio float checker", strict=True))
        yield pytest.param(example, id=example.name, marks=marks)


@pytest.mark.parametrize("example", _example_params())
def test_right_program_passes_and_wrong_program_fails(bwrap, example):
    row = adapt_row(example.row, source="examples", index=0)
    tests = all_tests(row)
    tasks = [
        _task(row, program_for(row, example.right), tests, "right"),
        _task(row, program_for(row, example.wrong), tests, "wrong"),
        _task(row, program_for(row, example.wrong), row["tests"], "wrong-visible"),
    ]
    if row["solution"]:
        tasks.append(_task(row, row["solution"], tests, "reference"))  # a reference runs as it is
    verdicts = _verdicts(bwrap, tasks)
    assert verdicts[f"{row['id']}#wrong"] is Status.FAILED
    assert verdicts[f"{row['id']}#wrong-visible"] is (Status.PASSED if example.wrong_passes_visible else Status.FAILED)
    if row["solution"]:
        assert verdicts[f"{row['id']}#reference"] is Status.PASSED
    assert verdicts[f"{row['id']}#right"] is Status.PASSED
