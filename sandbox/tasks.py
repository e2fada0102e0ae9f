"""Graded code tasks: the input row schema of `python -m sandbox.grade`, validated with errors that name the field.

One row (JSON object)::

    {"id": "t1", "language": "python", "solution": "def f(x): ...",
     "tests": {"kind": "assert", "code": "assert f(1) == 2", "entry_point": "f"}}

Test kinds:

* ``assert`` -- ``code`` runs after the solution in the same program (HumanEval's ``check(candidate)`` with
  ``entry_point`` naming the candidate: called when ``code`` itself defines ``check``, or an MBPP-style list of
  asserts). For compiled languages ``code`` holds the test ``main``. ``entry_point`` is optional.
* ``stdio`` -- ``cases``: a non-empty list of ``{"stdin": str, "stdout": str}``; the program's stdout must equal the
  expected one apart from trailing whitespace at line ends and at the end.
* ``pytest`` -- Python only; ``code`` is a test module that does ``import solution`` / ``from solution import ...``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

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
    if errors:
        raise TaskError("; ".join(errors))
    return TestSpec(kind=kind, code=raw.get("code") or "", entry_point=entry_point, cases=cases)


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
