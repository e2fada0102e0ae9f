"""The one entry point for grading: `run(task, backend) -> ExecResult`, `run_many(...)`, `get_backend(name)`.

    from sandbox.api import get_backend, run_many
    with get_backend("bwrap") as backend:
        verdicts = run_many(tasks, backend, jobs=4)

Fail-fast by default: grading stops at the first failed stdio case or test item, which is all a pass/fail reward
needs. `all_tests=True` runs every case and test item, so that `result.tests_passed / result.tests_total`
(`result.fraction_passed`) is the fraction passed -- what labelling reward-model data needs. Counts are known for
stdio cases, Python `assert` items and pytest items, Go `testing` and Rust `#[test]` functions; None elsewhere (and
for Python `assert` tests graded fail-fast, whose hot path does not parse the tests).

Outcomes that are no verdict (`result.judged` is False): `Status.SANDBOX_ERROR` (infrastructure failure) and
`Status.WALL_CLOCK_BACKSTOP` (the program was starved of CPU by a busy machine until the wall-clock backstop; see
sandbox/base.py). `SandboxError` propagates from `run`; `run_many` re-raises the first one after the batch unless
`errors="status"`, which records it as `Status.SANDBOX_ERROR` for that task; a backstop is returned as its status
and logged. Neither is ever a failed program: callers give it no reward (None) and count it.

`BACKEND_NAMES` is the list of backends users may choose (configs and CLIs validate against it).
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Literal

from sandbox.base import Backend, ExecResult, Limits, SandboxError, Status
from sandbox.harness import prepare
from sandbox.tasks import CodeTask, parse_task
from sandbox.verdicts import judge

logger = logging.getLogger(__name__)

BACKENDS: dict[str, tuple[str, str]] = {
    "bwrap": ("sandbox.bwrap.backend", "BwrapBackend"),
    "docker": ("sandbox.docker.backend", "DockerBackend"),
}
BACKEND_NAMES: tuple[str, ...] = tuple(BACKENDS)  # the names users may choose (configs, CLIs): one list, here


def get_backend(name: str, **kwargs: Any) -> Backend:
    """Build the backend called `name` (one of BACKEND_NAMES); imported lazily, never substituted."""
    if name not in BACKENDS:
        raise ValueError(f"unknown sandbox backend {name!r}; choose one of {sorted(BACKENDS)}")
    module_name, class_name = BACKENDS[name]
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        hint = " (install the extra: pip install 'codealign[docker]')" if name == "docker" else ""
        raise SandboxError(f"cannot load the {name!r} backend: {exc}{hint}") from exc
    return getattr(module, class_name)(**kwargs)


def _as_task(task: CodeTask | dict) -> CodeTask:
    return task if isinstance(task, CodeTask) else parse_task(task)


def run(task: CodeTask | dict, backend: Backend, limits: Limits | None = None, all_tests: bool = False) -> ExecResult:
    """Grade one task under `limits` (the task's own `tests.limits` override them field by field). Raises
    `TaskError` for a malformed task and `SandboxError` for an infrastructure failure."""
    task = _as_task(task)
    try:
        prepared = prepare(task, limits, all_tests)
    except ValueError as exc:
        return ExecResult(Status.COMPILE_ERROR, detail=f"cannot assemble the test program: {exc}")
    result = judge(prepared, backend.execute(prepared.job))
    if result.status is Status.WALL_CLOCK_BACKSTOP:
        logger.warning("task %s not judged: %s", task.id, result.detail)
    return result


def run_many(
    tasks: Sequence[CodeTask | dict],
    backend: Backend,
    jobs: int = 4,
    limits: Limits | None = None,
    errors: Literal["raise", "status"] = "raise",
    all_tests: bool = False,
) -> list[ExecResult]:
    """Grade `tasks` with at most `jobs` running at once; results in input order."""
    parsed = [_as_task(t) for t in tasks]

    def one(task: CodeTask) -> ExecResult:
        try:
            return run(task, backend, limits, all_tests)
        except SandboxError as exc:
            if errors == "raise":
                raise
            logger.error("sandbox failure on task %s: %s", task.id, exc)
            return ExecResult(Status.SANDBOX_ERROR, detail=str(exc)[:500])

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        return list(pool.map(one, parsed))
