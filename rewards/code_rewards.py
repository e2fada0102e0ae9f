"""Code reward: extract the program from a completion, run it against the task's tests in a sandbox, 1.0 or 0.0.

`None` means the sample cannot be judged (no usable tests); an infrastructure failure raises `SandboxError` and is
never scored 0. The default backend is bwrap, built once per process on first use (`set_default_backend` swaps it).
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from sandbox.api import get_backend, run, run_many
from sandbox.base import Backend, ExecResult, Limits, SandboxError, Status
from sandbox.tasks import LANGUAGE_ALIASES, CodeTask, TaskError, normalize_language, parse_tests

logger = logging.getLogger(__name__)

# ```lang\n ... ``` blocks; the closing fence may be missing at the very end of a truncated completion.
_FENCE = re.compile(r"^[ \t]*```[ \t]*([\w+#.-]*)[^\n]*\n(.*?)(?:^[ \t]*```[ \t]*$|\Z)", re.MULTILINE | re.DOTALL)

_default_backend: Backend | None = None
_default_lock = threading.Lock()


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


def set_default_backend(backend: Backend | None) -> None:
    global _default_backend
    with _default_lock:
        _default_backend = backend


def default_backend() -> Backend:
    global _default_backend
    with _default_lock:
        if _default_backend is None:
            _default_backend = get_backend("bwrap")
        return _default_backend


def _task(tests: dict[str, Any], language: str) -> CodeTask | None:
    """The task for `tests` with an empty solution, or None (logged) when the tests are unusable."""
    try:
        lang = normalize_language(language)
        return CodeTask(id="reward", language=lang, solution="", tests=parse_tests(tests, lang))
    except TaskError as exc:
        logger.warning("unusable tests, sample not judged: %s", exc)
        return None


def _score(result: ExecResult) -> float:
    if result.status is Status.SANDBOX_ERROR:
        raise SandboxError(f"sandbox failure while grading: {result.detail}")
    return 1.0 if result.passed else 0.0


def code_reward(
    completion: str,
    tests: dict[str, Any],
    language: str = "python",
    backend: Backend | None = None,
    limits: Limits | None = None,
) -> float | None:
    """1.0 if the completion's program passes `tests`, 0.0 if not (or no program found), None if `tests` is unusable."""
    task = _task(tests, language)
    if task is None:
        return None
    code = extract_code(completion, language)
    if code is None:
        return 0.0
    return _score(run(replace(task, solution=code), backend or default_backend(), limits))


def code_rewards_batch(
    completions: Sequence[str],
    tests_list: Sequence[dict[str, Any]],
    languages: Sequence[str] | str = "python",
    backend: Backend | None = None,
    jobs: int = 4,
    limits: Limits | None = None,
) -> list[float | None]:
    """`code_reward` for a batch, graded concurrently with `run_many`; raises `SandboxError` on any sandbox failure."""
    langs = [languages] * len(completions) if isinstance(languages, str) else list(languages)
    if not len(completions) == len(tests_list) == len(langs):
        raise ValueError(
            f"batch sizes differ: {len(completions)} completions, {len(tests_list)} tests, {len(langs)} languages"
        )
    rewards: list[float | None] = [None] * len(completions)
    to_run: list[tuple[int, CodeTask]] = []
    for i, (completion, tests, lang) in enumerate(zip(completions, tests_list, langs)):
        task = _task(tests, lang)
        if task is None:
            continue
        code = extract_code(completion, lang)
        if code is None:
            rewards[i] = 0.0
            continue
        to_run.append((i, replace(task, solution=code)))
    results = run_many([t for _, t in to_run], backend or default_backend(), jobs=jobs, limits=limits)
    for (i, _), result in zip(to_run, results):
        rewards[i] = _score(result)
    return rewards
