"""The one sandbox interface: what a backend executes and what the grader gets back.

Two layers, kept apart on purpose:

* **Backends** (`sandbox.bwrap.backend`, `sandbox.docker.backend`, ...) know how to run a `Job` (a list of `Step`s in
  a fresh, isolated work directory) under `Limits` and report raw facts per step (`StepResult`: exit code, captured
  output, timed out, OOM-killed). They know nothing of tests or languages.
* **The grader** (trusted code outside the sandbox) turns a task into a `Job`, and turns the raw facts into a verdict
  (`ExecResult` with a `Status`). A pass needs positive evidence written by the harness after every test ran, never
  only an exit code.

A backend raises `SandboxError` for an infrastructure failure (engine down, container lost, reset failed). That is
never a verdict about the program: callers must not turn it into a reward of 0.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable


class SandboxError(RuntimeError):
    """The sandbox machinery failed (not the program under test). Never score this as a failed program."""


class Status(str, enum.Enum):
    """Closed set of verdicts for one graded program."""

    PASSED = "passed"
    FAILED = "failed"  # ran to completion, at least one test failed (or no positive evidence of passing)
    COMPILE_ERROR = "compile_error"
    RUNTIME_ERROR = "runtime_error"
    TIMEOUT = "timeout"
    MEMORY_LIMIT = "memory_limit"
    OUTPUT_LIMIT = "output_limit"
    SANDBOX_ERROR = "sandbox_error"  # infrastructure failure: not a verdict about the program


@dataclass(frozen=True)
class Limits:
    """Resource limits for one job. Units are in the names."""

    timeout_s: float = 10.0  # wall clock per step
    memory_mb: int = 512  # memory + swap
    pids: int = 128  # processes + threads
    cpus: float = 1.0
    output_bytes: int = 64 * 1024  # per stream, per step; more is cut and flagged
    workdir_mb: int = 64  # size of the tmpfs work directory


@dataclass(frozen=True)
class File:
    """A file placed in the job's work directory (path relative to it)."""

    path: str
    content: bytes
    readonly: bool = True
    executable: bool = False


@dataclass(frozen=True)
class Step:
    """One command run inside the sandbox, in the work directory.

    `files` are (re)created right before this step runs, so a previous step cannot have tampered with them.
    `hidden` names files of earlier steps to delete before this step (e.g. test sources once compiled).
    When `stop_on_failure` is set and the step exits non-zero or times out, later steps are skipped.
    """

    argv: tuple[str, ...]
    name: str = "run"
    stdin: bytes = b""
    files: tuple[File, ...] = ()
    timeout_s: float | None = None  # overrides Limits.timeout_s for this step
    stop_on_failure: bool = True
    env: tuple[tuple[str, str], ...] = ()  # extra environment (the rest is a fixed, scrubbed set)
    hidden: tuple[str, ...] = ()  # work-dir paths deleted before this step (e.g. test sources once compiled)


@dataclass(frozen=True)
class Job:
    steps: tuple[Step, ...]
    files: tuple[File, ...] = ()  # placed once before the first step
    limits: Limits = field(default_factory=Limits)


@dataclass
class StepResult:
    name: str
    exit_code: int | None  # None when killed (timeout, OOM) or never started
    stdout: bytes = b""
    stderr: bytes = b""
    duration_s: float = 0.0
    timed_out: bool = False
    oom_killed: bool = False
    output_truncated: bool = False
    skipped: bool = False  # not run because an earlier step failed with stop_on_failure


@dataclass
class ExecResult:
    """The verdict for one graded program."""

    status: Status
    duration_s: float = 0.0
    detail: str = ""  # short, human-readable reason (first failing test, compiler message head, ...)
    stdout: str = ""  # captured, capped
    stderr: str = ""
    steps: list[StepResult] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return self.status is Status.PASSED

    def to_row(self, task_id: str) -> dict:
        """The output row of `python -m sandbox.grade`."""
        return {
            "id": task_id,
            "passed": self.passed,
            "status": self.status.value,
            "duration_s": round(self.duration_s, 4),
            "detail": self.detail,
        }


@runtime_checkable
class Backend(Protocol):
    """Runs jobs in isolation. Implementations document exactly what they isolate and what they do not."""

    name: str

    def execute(self, job: Job) -> list[StepResult]:
        """Run `job` in a fresh work directory; one result per step. Raises `SandboxError` on infrastructure failure."""
        ...

    def close(self) -> None: ...


def run_steps_until_failure(steps: Sequence[Step], run_one) -> list[StepResult]:
    """Shared step loop for backends: run each step with `run_one(step)`, skip the rest after a stopping failure."""
    results: list[StepResult] = []
    stopped = False
    for step in steps:
        if stopped:
            results.append(StepResult(name=step.name, exit_code=None, skipped=True))
            continue
        result = run_one(step)
        results.append(result)
        if step.stop_on_failure and (result.timed_out or result.oom_killed or result.exit_code != 0):
            stopped = True
    return results
