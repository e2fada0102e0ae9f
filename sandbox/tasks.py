"""Graded code tasks: the input row schema of `python -m sandbox.grade`, validated with errors that name the field.

One row (JSON object)::

    {"id": "t1", "language": "python", "solution": "def f(x): ...",
     "tests": {"kind": "assert", "code": "assert f(1) == 2", "entry_point": "f"}}

Test kinds:

* ``assert`` -- ``code`` tests the solution's functions (HumanEval's ``check(candidate)`` with ``entry_point``
  naming the candidate: called when ``code`` itself defines ``check``, or an MBPP-style list of asserts). For C,
  C++, Java, JavaScript, Go and Rust ``code`` holds the test ``main``; Go tests may instead be ``func TestX(t
  *testing.T)`` functions (the `testing` package, as HumanEval-X writes them) and Rust tests a ``#[cfg(test)] mod
  tests`` of ``#[test]`` functions. ``entry_point`` is optional.
* ``stdio`` -- ``cases``: a non-empty list of ``{"stdin": str, "stdout": str}``; each case is one run of the
  program, its stdout judged by the task's checker.
* ``pytest`` -- Python only; ``code`` is a test module that does ``import solution`` / ``from solution import ...``.

Optional keys of ``tests`` (rows without them keep working):

* ``"checker": "exact" | "tokens" | "float"`` (``stdio`` only; default ``"float"``), with ``"abs_tol"`` and
  ``"rel_tol"`` (numbers >= 0, default 1e-6 each; ``float`` only). What each accepts, and why ``float`` is the
  default, is in sandbox/checkers.py.
* ``"limits": {...}`` (any kind): a subset of `sandbox.base.Limits`' fields -- ``cpu_time_s`` (the judged time
  limit, CPU seconds per run), ``timeout_s`` (wall-clock backstop; derived from ``cpu_time_s`` when absent),
  ``memory_mb``, ``pids``, ``cpus``, ``output_bytes``, ``workdir_mb`` -- overriding, field by field, whatever limits
  the caller grades with. Format adapters set them from a data set's own limits (CodeContests'
  ``time_limit``/``memory_limit_bytes``). An unknown key is a `TaskError` naming it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from sandbox.base import LIMIT_FIELDS, Limits
from sandbox.checkers import CHECKERS, DEFAULT_CHECKER, DEFAULT_TOLERANCE

TestKind = Literal["assert", "stdio", "pytest"]
TEST_KINDS: tuple[str, ...] = ("assert", "stdio", "pytest")

# Fence tags and spellings users write, mapped to the canonical language name (see sandbox.languages).
LANGUAGE_ALIASES: dict[str, str] = {
    "python": "python", "py": "python", "python3": "python", "py3": "python",
    "c": "c",
    "cpp": "cpp", "c++": "cpp", "cxx": "cpp", "cc": "cpp",
    "java": "java",
    "javascript": "javascript", "js": "javascript", "node": "javascript", "nodejs": "javascript",
    "go": "go", "golang": "go",
    "rust": "rust", "rs": "rust",
}  # fmt: skip
LANGUAGES: tuple[str, ...] = tuple(dict.fromkeys(LANGUAGE_ALIASES.values()))


class TaskError(ValueError):
    """An input row is malformed. The message names the row, the field and how to fix it."""


@dataclass(frozen=True)
class StdioCase:
    stdin: str
    stdout: str


@dataclass(frozen=True)
class TestSpec:
    kind: TestKind
    code: str = ""
    entry_point: str | None = None
    cases: tuple[StdioCase, ...] = ()
    checker: str | None = None  # stdio; None: DEFAULT_CHECKER
    abs_tol: float | None = None  # float checker; None: DEFAULT_TOLERANCE
    rel_tol: float | None = None
    limits: dict[str, Any] = field(default_factory=dict, compare=False)  # overrides of Limits fields

    @property
    def checker_name(self) -> str:
        return self.checker or DEFAULT_CHECKER

    @property
    def tolerances(self) -> tuple[float, float]:
        return (
            DEFAULT_TOLERANCE if self.abs_tol is None else self.abs_tol,
            DEFAULT_TOLERANCE if self.rel_tol is None else self.rel_tol,
        )


@dataclass(frozen=True)
class CodeTask:
    id: str
    language: str  # canonical name, one of LANGUAGES
    solution: str
    tests: TestSpec
    extra: dict[str, Any] = field(default_factory=dict, compare=False)  # unknown row keys, kept for the caller


def normalize_language(name: str) -> str:
    """Canonical language name for `name` (case-insensitive, aliases allowed); raises `TaskError` if unknown."""
    key = str(name).strip().lower()
    if key not in LANGUAGE_ALIASES:
        raise TaskError(
            f"unknown language {name!r}; use one of {sorted(LANGUAGES)} (aliases: {sorted(LANGUAGE_ALIASES)})"
        )
    return LANGUAGE_ALIASES[key]


def _parse_cases(raw: Any, where: str) -> tuple[tuple[StdioCase, ...], list[str]]:
    errors: list[str] = []
    if not isinstance(raw, list) or not raw:
        return (), [f"{where}.cases must be a non-empty list of {{'stdin': str, 'stdout': str}}, got {raw!r:.80}"]
    cases = []
    for i, case in enumerate(raw):
        if not isinstance(case, Mapping):
            errors.append(f"{where}.cases[{i}] must be an object with 'stdin' and 'stdout', got {type(case).__name__}")
            continue
        for key in ("stdin", "stdout"):
            if not isinstance(case.get(key), str):
                errors.append(f"{where}.cases[{i}].{key} must be a string, got {case.get(key)!r:.60}")
        if not errors:
            cases.append(StdioCase(stdin=case["stdin"], stdout=case["stdout"]))
    return tuple(cases), errors


def _parse_checker(raw: Mapping, kind: str, where: str) -> tuple[dict[str, Any], list[str]]:
    errors: list[str] = []
    checker = raw.get("checker")
    if checker is not None and kind != "stdio":
        errors.append(f"{where}.checker applies to kind 'stdio' only; kind is {kind!r}")
    elif checker is not None and checker not in CHECKERS:
        errors.append(f"{where}.checker must be one of {list(CHECKERS)}, got {checker!r}")
    found: dict[str, Any] = {"checker": checker}
    for key in ("abs_tol", "rel_tol"):
        value = raw.get(key)
        found[key] = value
        if value is None:
            continue
        if (checker or DEFAULT_CHECKER) != "float" or kind != "stdio":
            errors.append(f"{where}.{key} applies to the 'float' checker of stdio tests only")
        elif not isinstance(value, (int, float)) or isinstance(value, bool) or value < 0:
            errors.append(f"{where}.{key} must be a number >= 0, got {value!r}")
    return found, errors


def parse_limits(raw: Any, where: str = "tests.limits") -> tuple[dict[str, Any], list[str]]:
    """A task's limit overrides, validated: known field names only, values Limits accepts."""
    if raw is None:
        return {}, []
    if not isinstance(raw, Mapping):
        return {}, [f"{where} must be an object of limit overrides, got {type(raw).__name__}"]
    unknown = [key for key in raw if key not in LIMIT_FIELDS]
    if unknown:
        return {}, [f"{where} has unknown key(s) {unknown}; valid keys are {list(LIMIT_FIELDS)}"]
    overrides = dict(raw)
    try:
        Limits().overridden(overrides)
    except (ValueError, TypeError) as exc:
        return {}, [f"{where}: {exc}"]
    return overrides, []


def parse_tests(raw: Any, language: str, where: str = "tests") -> TestSpec:
    """Validate a `tests` object for `language`; raises `TaskError` listing every problem at once."""
    if not isinstance(raw, Mapping):
        raise TaskError(f"{where} must be an object with a 'kind' field, got {type(raw).__name__}")
    kind = raw.get("kind")
    if kind not in TEST_KINDS:
        raise TaskError(f"{where}.kind must be one of {list(TEST_KINDS)}, got {kind!r}")
    errors: list[str] = []
    cases: tuple[StdioCase, ...] = ()
    if kind == "stdio":
        cases, errors = _parse_cases(raw.get("cases"), where)
    else:
        code = raw.get("code")
        if not isinstance(code, str) or not code.strip():
            errors.append(f"{where}.code must be a non-empty string of test code for kind {kind!r}")
    if kind == "pytest" and language != "python":
        errors.append(f"{where}.kind 'pytest' is for Python only; language is {language!r} (use 'assert' or 'stdio')")
    if language == "python" and not errors and kind != "stdio":
        try:
            compile(raw["code"], f"<{where}.code>", "exec", dont_inherit=True)
        except SyntaxError as exc:
            errors.append(f"{where}.code is not valid Python ({exc.msg}, line {exc.lineno}); fix the task's tests")
    entry_point = raw.get("entry_point")
    if entry_point is not None and (not isinstance(entry_point, str) or not entry_point.isidentifier()):
        errors.append(f"{where}.entry_point must be an identifier naming the solution's function, got {entry_point!r}")
    checking, checker_errors = _parse_checker(raw, kind, where)
    limits, limit_errors = parse_limits(raw.get("limits"), f"{where}.limits")
    errors += checker_errors + limit_errors
    if errors:
        raise TaskError("; ".join(errors))
    return TestSpec(
        kind=kind, code=raw.get("code") or "", entry_point=entry_point, cases=cases, limits=limits, **checking
    )


def parse_task(row: Any, index: int | None = None) -> CodeTask:
    """Validate one input row (a dict) into a `CodeTask`; raises `TaskError` naming the row and every bad field."""
    label = f"row {index}" if index is not None else "task"
    if not isinstance(row, Mapping):
        raise TaskError(f"{label}: must be a JSON object with id, language, solution, tests; got {type(row).__name__}")
    if "id" in row:
        label += f" (id={row['id']!r})"
    errors: list[str] = []
    if not isinstance(row.get("id"), (str, int)) or isinstance(row.get("id"), bool):
        errors.append(f"'id' must be a string, got {row.get('id')!r}")
    language = None
    try:
        language = normalize_language(row.get("language", ""))
    except TaskError as exc:
        errors.append(f"'language': {exc}")
    if not isinstance(row.get("solution"), str):
        errors.append(f"'solution' must be a string of source code, got {type(row.get('solution')).__name__}")
    tests = None
    if "tests" not in row:
        errors.append("'tests' is missing; give {'kind': 'assert'|'stdio'|'pytest', ...}")
    elif language is not None:
        try:
            tests = parse_tests(row["tests"], language)
        except TaskError as exc:
            errors.append(str(exc))
    if errors:
        raise TaskError(f"{label}: " + "; ".join(errors))
    extra = {k: v for k, v in row.items() if k not in ("id", "language", "solution", "tests")}
    return CodeTask(id=str(row["id"]), language=language, solution=row["solution"], tests=tests, extra=extra)


def task_to_row(task: CodeTask) -> dict[str, Any]:
    """Inverse of `parse_task` (the CLI schema)."""
    tests: dict[str, Any] = {"kind": task.tests.kind}
    if task.tests.kind == "stdio":
        tests["cases"] = [{"stdin": c.stdin, "stdout": c.stdout} for c in task.tests.cases]
    else:
        tests["code"] = task.tests.code
    if task.tests.entry_point:
        tests["entry_point"] = task.tests.entry_point
    for key in ("checker", "abs_tol", "rel_tol"):
        if getattr(task.tests, key) is not None:
            tests[key] = getattr(task.tests, key)
    if task.tests.limits:
        tests["limits"] = dict(task.tests.limits)
    return {"id": task.id, "language": task.language, "solution": task.solution, "tests": tests, **task.extra}


def iter_jsonl_tasks(path: str | Path) -> Iterator[CodeTask]:
    """Yield validated tasks from a JSONL file; a bad line raises `TaskError` with its line number."""
    with open(path, encoding="utf-8") as f:
        for lineno, line in enumerate(f, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise TaskError(f"{path}:{lineno}: not valid JSON ({exc})") from exc
            try:
                yield parse_task(row)
            except TaskError as exc:
                raise TaskError(f"{path}:{lineno}: {exc}") from exc
