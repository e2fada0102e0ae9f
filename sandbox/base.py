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
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Protocol, runtime_checkable


class SandboxError(RuntimeError):
    """The sandbox machinery failed (not the program under test). Never score this as a failed program."""


class Status(str, enum.Enum):
    """Closed set of verdicts for one graded program, plus two outcomes that are no verdict at all.

    `TIMEOUT` is the program's own: it used more CPU time than `Limits.cpu_time_s` (all its processes together), or
    it sat idle (sleeping, blocked) until the wall-clock backstop. `WALL_CLOCK_BACKSTOP` is not the program's: it
    still wanted the CPU when the backstop (`Limits.wall_timeout_s`) ended it, but did not get enough of it because
    the machine was busy (the trainer and the sandbox share the cores). Like `SANDBOX_ERROR` it is **not judged**
    (`status.judged` is False): callers give such a sample no reward (None), count it and log it, and never score
    it as a failed program.
    """

    PASSED = "passed"
    FAILED = "failed"  # ran to completion, at least one test failed (or no positive evidence of passing)
    COMPILE_ERROR = "compile_error"
    RUNTIME_ERROR = "runtime_error"
    TIMEOUT = "timeout"  # CPU-time limit, or idle until the wall-clock backstop
    MEMORY_LIMIT = "memory_limit"
    OUTPUT_LIMIT = "output_limit"
    SANDBOX_ERROR = "sandbox_error"  # infrastructure failure: not a verdict about the program
    WALL_CLOCK_BACKSTOP = "wall_clock_backstop"  # starved of CPU by a busy machine: not a verdict about the program

    @property
    def judged(self) -> bool:
        """False for outcomes that say nothing about the program (reward None, counted and logged)."""
        return self not in NOT_JUDGED


NOT_JUDGED = frozenset({Status.SANDBOX_ERROR, Status.WALL_CLOCK_BACKSTOP})
MIB = 1 << 20


def default_wall_timeout_s(cpu_time_s: float) -> float:
    """The wall-clock backstop for a CPU-time limit: generous, so that a program a loaded machine slows down still
    gets its CPU time (3 runnable programs per core still finish), and an idle one does not hang a slot for long."""
    return 3.0 * cpu_time_s + 10.0


@dataclass(frozen=True)
class Limits:
    """Resource limits for one job (per step where it says so). Units are in the names.

    The judged time limit is CPU time (`cpu_time_s`, summed over the step's processes), as contest judges do: it
    does not depend on how busy the machine is. Wall clock is only a backstop (`timeout_s`, derived from the CPU
    limit when None). Defaults fit contest solutions: 256 MiB of data beyond the interpreter (768 MiB in all: the
    Python harness runs two interpreters, a JVM or V8 needs headroom beyond its heap) and 16 MiB of output.
    A task may override any field (`tests.limits`, see sandbox/tasks.py).
    """

    cpu_time_s: float = 10.0  # CPU seconds per step, all processes of the step together
    timeout_s: float | None = None  # wall-clock backstop per step; None: default_wall_timeout_s(cpu_time_s)
    memory_mb: int = 768  # memory + swap of the whole job
    pids: int = 128  # processes + threads
    cpus: float = 1.0  # cores a job may use at once (Docker's CPU quota; bwrap's only with cpu_quota=True)
    output_bytes: int = 16 * MIB  # per stream, per step; more is cut and flagged
    workdir_mb: int = 64  # size of the tmpfs work directory

    def __post_init__(self) -> None:
        problems = [f"{name} must be a positive number, got {getattr(self, name)!r}" for name in LIMIT_NUMBERS
                    if not _positive(getattr(self, name), integer=name in LIMIT_INTEGERS)]  # fmt: skip
        if self.timeout_s is not None and not _positive(self.timeout_s):
            problems.append(f"timeout_s must be a positive number or None, got {self.timeout_s!r}")
        elif self.timeout_s is not None and not problems and self.timeout_s < self.cpu_time_s / max(self.cpus, 1.0):
            problems.append(
                f"timeout_s (the wall-clock backstop, {self.timeout_s} s) is below cpu_time_s ({self.cpu_time_s} s): "
                "a busy program would always be ended by the backstop; raise timeout_s or leave it None"
            )
        if problems:
            raise ValueError("invalid Limits: " + "; ".join(problems))

    @property
    def wall_timeout_s(self) -> float:
        return self.timeout_s if self.timeout_s is not None else default_wall_timeout_s(self.cpu_time_s)

    def overridden(self, overrides: dict) -> Limits:
        """These limits with some fields replaced (a task's own `limits`). A task that sets its CPU limit but not
        the backstop gets the backstop derived from its CPU limit."""
        if not overrides:
            return self
        if "cpu_time_s" in overrides and "timeout_s" not in overrides:
            overrides = {**overrides, "timeout_s": None}
        return replace(self, **overrides)


LIMIT_NUMBERS = ("cpu_time_s", "memory_mb", "pids", "cpus", "output_bytes", "workdir_mb")
LIMIT_INTEGERS = ("memory_mb", "pids", "output_bytes", "workdir_mb")
LIMIT_FIELDS = ("cpu_time_s", "timeout_s", "memory_mb", "pids", "cpus", "output_bytes", "workdir_mb")


def _positive(value, integer: bool = False) -> bool:
    kinds = (int,) if integer else (int, float)
    return isinstance(value, kinds) and not isinstance(value, bool) and value > 0


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
    timeout_s: float | None = None  # overrides the wall-clock backstop (Limits.wall_timeout_s) for this step
    cpu_time_s: float | None = None  # overrides Limits.cpu_time_s for this step
    stop_on_failure: bool = True
    env: tuple[tuple[str, str], ...] = ()  # extra environment (the rest is a fixed, scrubbed set)
    hidden: tuple[str, ...] = ()  # work-dir paths deleted before this step (e.g. test sources once compiled)
    seal: tuple[str, ...] = ()  # work-dir files made root-owned and execute-only (mode 0111) after this step

    def wall_timeout_s(self, limits: Limits) -> float:
        if self.timeout_s is not None:
            return self.timeout_s
        if self.cpu_time_s is not None:
            return max(limits.wall_timeout_s, default_wall_timeout_s(self.cpu_time_s))
        return limits.wall_timeout_s

    def cpu_limit_s(self, limits: Limits) -> float:
        return self.cpu_time_s if self.cpu_time_s is not None else limits.cpu_time_s


@dataclass(frozen=True)
class Job:
    steps: tuple[Step, ...]
    files: tuple[File, ...] = ()  # placed once before the first step
    limits: Limits = field(default_factory=Limits)
    # Trusted-side predicate called with (step index, result) after each step; True skips the remaining steps
    # (fail-fast stdio grading: a wrong answer on case 2 need not run cases 3..100).
    stop_after: Callable[[int, StepResult], bool] | None = field(default=None, compare=False)


@dataclass
class StepResult:
    name: str
    exit_code: int | None  # None when killed (CPU limit, backstop, OOM) or never started
    stdout: bytes = b""
    stderr: bytes = b""
    duration_s: float = 0.0  # wall clock
    timed_out: bool = False  # the wall-clock backstop ended it
    oom_killed: bool = False
    output_truncated: bool = False
    skipped: bool = False  # not run because an earlier step failed with stop_on_failure (or Job.stop_after)
    cpu_time_s: float | None = None  # CPU time of all the step's processes, where the backend can measure it
    cpu_limited: bool = False  # ended for passing the step's CPU-time limit
    # With timed_out: True when the step's processes were runnable (on a CPU or waiting for one) for most of the
    # wall time -- starved by a busy machine, not idle; None when the backend cannot tell.
    starved: bool | None = None


@dataclass
class ExecResult:
    """The verdict for one graded program.

    `tests_passed` / `tests_total`: test items passed and known to exist (stdio: cases; Python `assert`: the
    statements with asserts at the top level and in HumanEval's `check`; pytest: test items; Go `testing` and Rust
    `#[test]`: test functions; None where unknown, e.g. a C++ `main` full of asserts). Fail-fast grading (the
    default) stops at the first failure, so `tests_passed` is then a lower bound, and Python `assert` tests are not
    counted at all on that path (it skips the syntax tree the counting needs): grade with `all_tests=True` for the
    fraction (see sandbox/api.py).
    """

    status: Status
    duration_s: float = 0.0
    detail: str = ""  # short, human-readable reason (first failing test, compiler message head, ...)
    stdout: str = ""  # captured, capped
    stderr: str = ""
    steps: list[StepResult] = field(default_factory=list)
    tests_passed: int | None = None
    tests_total: int | None = None
    cpu_time_s: float | None = None

    @property
    def passed(self) -> bool:
        return self.status is Status.PASSED

    @property
    def judged(self) -> bool:
        """False when the outcome says nothing about the program (sandbox failure, wall-clock backstop)."""
        return self.status.judged

    @property
    def fraction_passed(self) -> float | None:
        """tests_passed / tests_total where both are known (meaningful with all_tests=True)."""
        if self.tests_passed is None or not self.tests_total:
            return None
        return self.tests_passed / self.tests_total

    def to_row(self, task_id: str) -> dict:
        """The output row of `python -m sandbox.grade`."""
        return {
            "id": task_id,
            "passed": self.passed,
            "status": self.status.value,
            "judged": self.judged,
            "tests_passed": self.tests_passed,
            "tests_total": self.tests_total,
            "duration_s": round(self.duration_s, 4),
            "cpu_time_s": None if self.cpu_time_s is None else round(self.cpu_time_s, 4),
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


def stops_job(step: Step, result: StepResult) -> bool:
    """Whether a step's failure skips the rest of its job (`stop_on_failure`)."""
    failed = result.timed_out or result.cpu_limited or result.oom_killed or result.exit_code != 0
    return step.stop_on_failure and failed


def run_steps_until_failure(job: Job, run_one) -> list[StepResult]:
    """Shared step loop for backends: run each step with `run_one(step)`, skip the rest after a stopping failure
    or when `job.stop_after` says so."""
    results: list[StepResult] = []
    stopped = False
    for index, step in enumerate(job.steps):
        if stopped:
            results.append(StepResult(name=step.name, exit_code=None, skipped=True))
            continue
        result = run_one(step)
        results.append(result)
        stopped = stops_job(step, result) or bool(job.stop_after and job.stop_after(index, result))
    return results
