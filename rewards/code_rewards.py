"""Code reward: extract the program from a completion, run it against the task's tests in a sandbox, 1.0 or 0.0.

`None` means the sample cannot be judged (no usable tests, or a sandbox outcome that is no verdict about the program:
the wall-clock backstop of a starved machine, logged as `sandbox/not_judged`); an infrastructure failure raises
`SandboxError` and is never scored 0. The sandbox is not found through any global: a `CodeGrader` is built from
`SandboxSettings` (backend name, limits, concurrency) when the reward is built, owns its backend (started on first use, or at once with
`open()`), and is handed to the scorer. Every graded batch reports its sandbox statistics to the caller's
`log_metric` (`sandbox/calls`, `timing/sandbox_s`, `sandbox/throughput_per_s`, `sandbox/latency_{p50,p90,p99}_s`).

Programs may start before the batch is scored: `prefetch_code_batch` (called as each completion finishes
generating, alignment/run/overlap.py) hands them to the grader, whose `grade` then takes those runs' results.
The sandbox's time for a batch (`timing/sandbox_s`) is the time during which at least one of its programs was
running, prefetched or not; `sandbox/throughput_per_s` is programs over that time.
"""

from __future__ import annotations

import json
import logging
import math
import re
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, replace
from typing import Any

from sandbox.api import BACKEND_NAMES, get_backend, run
from sandbox.base import Backend, ExecResult, Limits, SandboxError, Status
from sandbox.tasks import LANGUAGE_ALIASES, CodeTask, TaskError, normalize_language, parse_tests

logger = logging.getLogger(__name__)

# ```lang\n ... ``` blocks; the closing fence may be missing at the very end of a truncated completion.
_FENCE = re.compile(r"^[ \t]*```[ \t]*([\w+#.-]*)[^\n]*\n(.*?)(?:^[ \t]*```[ \t]*$|\Z)", re.MULTILINE | re.DOTALL)


def extract_code(completion: str, language: str) -> str | None:
    """The last fenced block tagged with `language` (any alias: py, python3, cpp, c++, js, ...); failing that, the
    last untagged block; None when there is none. Blocks tagged with another language are never taken."""
    wanted = normalize_language(language)
    tagged, untagged = None, None
    for match in _FENCE.finditer(completion or ""):
        tag, body = match.group(1).strip().lower(), match.group(2)
        if not body.strip():
            continue
        if not tag:
            untagged = body
        elif LANGUAGE_ALIASES.get(tag) == wanted:
            tagged = body
    code = tagged if tagged is not None else untagged
    return code.rstrip() + "\n" if code is not None else None


@dataclass(frozen=True)
class SandboxSettings:
    """Which sandbox a code reward grades in: backend name (`sandbox.api.BACKEND_NAMES`), limits, concurrency."""

    backend: str = "bwrap"
    jobs: int = 4
    limits: Limits | None = None

    def problems(self) -> list[str]:
        problems = []
        if self.backend not in BACKEND_NAMES:
            problems.append(f"`sandbox_backend` {self.backend!r} is not one of {', '.join(BACKEND_NAMES)}")
        if self.jobs < 1:
            problems.append(f"`sandbox_jobs` must be at least 1, got {self.jobs}")
        return problems


class CodeGrader:
    """A sandbox backend for grading completions, built from `SandboxSettings` once per process.

    Picklable (the live backend is not part of its state and is rebuilt where it is unpickled) and thread-safe.
    """

    def __init__(self, settings: SandboxSettings | None = None, backend: Backend | None = None) -> None:
        self.settings = settings or SandboxSettings()
        self._backend = backend
        self._lock = threading.Lock()
        self._pool: ThreadPoolExecutor | None = None
        self._early: dict[CodeTask, list[Future]] = {}  # prefetched runs not yet claimed by `grade`

    def open(self) -> CodeGrader:
        """Start the backend now, so a missing engine fails before training rather than at the first reward."""
        self.backend()
        return self

    def backend(self) -> Backend:
        with self._lock:
            if self._backend is None:
                self._backend = get_backend(self.settings.backend)
            return self._backend

    def close(self) -> None:
        with self._lock:
            if self._pool is not None:
                self._pool.shutdown(wait=True)
                self._pool, self._early = None, {}
            if self._backend is not None:
                self._backend.close()
                self._backend = None

    def __getstate__(self) -> dict[str, Any]:
        return {"settings": self.settings}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["settings"])

    def prefetch(self, tasks: Sequence[CodeTask]) -> None:
        """Start grading `tasks` in the background; the next `grade` of the same tasks takes these runs' results
        instead of running them again. Each prefetched run serves one occurrence of its task, so a program is run
        exactly as often as on a grader without prefetching."""
        if not tasks:
            return
        backend = self.backend()
        with self._lock:
            for task in tasks:
                self._early.setdefault(task, []).append(self._workers().submit(_timed_run, task, backend, self.limits))

    def grade(self, tasks: Sequence[CodeTask], all_tests: bool = False) -> list[ExecResult]:
        """Grade tasks concurrently (`jobs` at a time; every test with `all_tests`, else up to the first failure);
        raises `SandboxError` on any infrastructure failure."""
        return self.grade_timed(tasks, all_tests)[0]

    def grade_timed(self, tasks: Sequence[CodeTask], all_tests: bool = False) -> tuple[list[ExecResult], float]:
        """`grade`, plus the sandbox's busy time for the batch: the wall time during which at least one of these
        runs (prefetched ones included) was in progress. Prefetched runs stop at the first failure, so a grade
        with `all_tests` runs every task afresh."""
        if not tasks:
            return [], 0.0  # nothing to run: the backend need not start
        backend = self.backend()
        with self._lock:
            early, self._early = self._early, {}  # runs for other batches are not kept: nobody will ask again
            if all_tests:
                early = {}  # prefetched runs stopped at the first failure
            futures = [
                early[t].pop(0)
                if early.get(t)
                else self._workers().submit(_timed_run, t, backend, self.limits, all_tests)
                for t in tasks
            ]
        wait(futures)
        timed = [f.result() for f in futures]  # re-raises the first infrastructure failure, in task order
        return [r for r, _, _ in timed], busy_time([(start, end) for _, start, end in timed])

    @property
    def limits(self) -> Limits | None:
        return self.settings.limits

    def _workers(self) -> ThreadPoolExecutor:
        """One pool for prefetched and requested runs, so at most `jobs` programs run at once (called locked)."""
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=self.settings.jobs, thread_name_prefix="codealign-grade")
        return self._pool


def busy_time(intervals: Sequence[tuple[float, float]]) -> float:
    """Length of the union of (start, end) intervals: time during which at least one of them was running."""
    total, reach = 0.0, float("-inf")
    for start, end in sorted(intervals):
        if end > reach:
            total += end - max(start, reach)
            reach = end
    return total


def _timed_run(
    task: CodeTask, backend: Backend, limits: Limits | None, all_tests: bool = False
) -> tuple[ExecResult, float, float]:
    start = time.perf_counter()
    result = run(task, backend, limits, all_tests)
    return result, start, time.perf_counter()


def task_for(tests: dict[str, Any], language: str) -> CodeTask | None:
    """The task for `tests` with an empty solution, or None (logged) when the tests are unusable."""
    try:
        lang = normalize_language(language)
        return CodeTask(id="reward", language=lang, solution="", tests=parse_tests(tests, lang))
    except TaskError as exc:
        logger.warning("unusable tests, sample not judged: %s", exc)
        return None


def _score(result: ExecResult) -> float | None:
    """1.0 / 0.0 for a verdict; None for an outcome that is no verdict about the program (the wall-clock backstop
    of a starved machine), which the caller counts; an infrastructure failure raises."""
    if result.status is Status.SANDBOX_ERROR:
        raise SandboxError(f"sandbox failure while grading: {result.detail}")
    if not result.judged:
        return None
    return 1.0 if result.passed else 0.0


def _programs(
    completions: Sequence[str], tests_list: Sequence[dict[str, Any] | str], languages: Sequence[str | None] | str
) -> tuple[list[float | None], list[tuple[int, CodeTask]]]:
    """Rewards known without running anything (0.0: no program; None: unusable tests) and the tasks to run."""
    langs = [languages] * len(completions) if isinstance(languages, str) else [x or "python" for x in languages]
    if not len(completions) == len(tests_list) == len(langs):
        raise ValueError(
            f"batch sizes differ: {len(completions)} completions, {len(tests_list)} tests, {len(langs)} languages"
        )
    rewards: list[float | None] = [None] * len(completions)
    to_run: list[tuple[int, CodeTask]] = []
    for i, (completion, tests, lang) in enumerate(zip(completions, tests_list, langs)):
        task = task_for(json.loads(tests) if isinstance(tests, str) else tests, lang)
        if task is None:
            continue
        code = extract_code(completion, lang)
        if code is None:
            rewards[i] = 0.0
            continue
        to_run.append((i, replace(task, solution=code)))
    return rewards, to_run


def prefetch_code_batch(
    completions: Sequence[str],
    tests_list: Sequence[dict[str, Any] | str],
    languages: Sequence[str | None] | str,
    grader: CodeGrader,
) -> None:
    """Start running these completions' programs now (as each completion finishes generating); the later
    `code_rewards_batch` over the whole batch takes their results."""
    _, to_run = _programs(completions, tests_list, languages)
    grader.prefetch([t for _, t in to_run])


def code_rewards_batch(
    completions: Sequence[str],
    tests_list: Sequence[dict[str, Any] | str],
    languages: Sequence[str | None] | str,
    grader: CodeGrader,
    log_metric: Callable[[str, float], None] | None = None,
) -> list[float | None]:
    """1.0 if a completion's program passes its tests, 0.0 if not (or no program found), None if the tests are
    unusable. `tests_list` holds sandbox tests objects or their JSON strings (data sets store them as strings)."""
    rewards, to_run = _programs(completions, tests_list, languages)
    results, busy_s = grader.grade_timed([t for _, t in to_run])
    for (i, _), result in zip(to_run, results):
        rewards[i] = _score(result)
    if log_metric is not None:
        for key, value in sandbox_metrics([r.duration_s for r in results], busy_s).items():
            log_metric(key, value)
        if results:  # programs the sandbox could not judge: no reward, counted (never a 0)
            log_metric("sandbox/not_judged", float(sum(not r.judged for r in results)))
    return rewards


def percentile(values: Sequence[float], q: float) -> float:
    """Linear-interpolated percentile (numpy's default method), q in [0, 100]."""
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def sandbox_metrics(latencies_s: Sequence[float], wall_s: float) -> dict[str, float]:
    """Per-batch sandbox statistics: calls, the batch's wall time in the sandbox, throughput over it, latency
    percentiles."""
    if not latencies_s:
        return {}
    return {
        "sandbox/calls": float(len(latencies_s)),
        "timing/sandbox_s": wall_s,
        "sandbox/throughput_per_s": len(latencies_s) / wall_s if wall_s > 0 else float("nan"),
        "sandbox/latency_p50_s": percentile(latencies_s, 50),
        "sandbox/latency_p90_s": percentile(latencies_s, 90),
        "sandbox/latency_p99_s": percentile(latencies_s, 99),
    }
