"""Shared pieces of the format adapters: the canonical row, field readers, prompts, limits and test builders.

Adapters raise `DataError` (or `UnsupportedRow`) with only the problem; `registry.adapt_row` adds the source, the
row, the format tried and the columns the row has.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Mapping, Sequence
from typing import Any, Literal

from data.loading import DataError

Checker = Literal["exact", "tokens", "float"]

# The sandbox's default output cap per stream per step (sandbox.base.Limits.output_bytes); data/ does not import
# sandbox/, so the number is repeated here. An expected output near it needs a larger cap or a correct program fails.
SANDBOX_OUTPUT_BYTES = 16 * 1024 * 1024
# Contest limits are CPU time on the judge, tuned for C++; the sandbox judges CPU time too (`cpu_time_s`, its
# wall-clock backstop derived from it), including the interpreter's start-up, so a Python run gets twice the
# limit plus one second.
CONTEST_TIME_FACTOR = 2.0
CONTEST_TIME_SLACK_S = 1.0
# The sandbox's memory limit covers the whole job: its default (sandbox.base.Limits.memory_mb, 768 MiB) is 256 MiB of
# data plus 512 MiB for the interpreters the Python harness runs (two) or a runtime's own heap headroom. A problem's
# own memory limit replaces the 256 MiB of data; the allowance stays. (CodeContests' tester adds only 32 MiB "for the
# interpreter / binary itself", execution/tester_sandboxer.cc, for one process under an address-space limit.)
INTERPRETER_MEMORY_MB = 512

# What the APPS, TACO and LiveCodeBench graders put in front of every candidate program before running it: the
# LeetCode-style starter code they ship uses `List[int]` and friends without importing them. Ours is the typing
# names plus the standard modules those headers import (numpy is not in the sandbox and is left out).
GRADER_PREAMBLE = (
    "import bisect, collections, functools, heapq, itertools, math, random, re, string, sys\nfrom typing import *\n"
)


class UnsupportedRow(DataError):
    """A well-formed row the sandbox cannot grade (file I/O problems, no tests, another language's call tests).
    `load_rows(..., skip_unsupported=True)` skips and counts these; malformed rows always raise."""


# ---------------------------------------------------------------- the canonical row
def canonical_row(
    *,
    id: str,
    source: str,
    task: Literal["code", "math"],
    prompt: str,
    language: str | None = None,
    tests: dict | None = None,
    hidden_tests: dict | None = None,
    solution: str | None = None,
    answer: str | None = None,
    meta: dict | None = None,
) -> dict[str, Any]:
    """Every canonical row has all ten keys (None where they do not apply), so data sets of mixed formats share
    one set of columns."""
    return {
        "id": str(id),
        "source": source,
        "task": task,
        "prompt": prompt,
        "language": language if task == "code" else None,
        "tests": tests,
        "hidden_tests": hidden_tests,
        "solution": solution,
        "answer": answer,
        "meta": {k: v for k, v in (meta or {}).items() if v is not None},
    }


def adapt_canonical(row: Mapping, fmt: str, index: int | None) -> dict[str, Any]:
    """Canonical rows (e.g. written by `python -m data.formats`) read back as they are, after a shape check."""
    if row.get("task") not in ("code", "math") or not isinstance(row.get("meta"), Mapping):
        raise DataError(f"a canonical row needs task 'code' or 'math' and a meta object, got task {row.get('task')!r}")
    if row["task"] == "code" and not isinstance(row.get("tests"), Mapping):
        raise DataError(f"a canonical code row needs a tests object, got {row.get('tests')!r:.60}")
    fields = {k: row.get(k) for k in ("language", "tests", "hidden_tests", "solution", "answer")}
    return canonical_row(
        id=row["id"], source=row["source"], task=row["task"], prompt=row["prompt"], meta=dict(row["meta"]), **fields
    )


def row_id(row: Mapping, fmt: str, index: int | None, keys: Sequence[str]) -> str:
    """The row's own id (first of `keys` present), else `fmt/index`, else a digest of the row (stable across runs)."""
    for key in keys:
        if row.get(key) not in (None, ""):
            return str(row[key])
    if index is not None:
        return f"{fmt}/{index}"
    digest = hashlib.sha1(json.dumps(row, sort_keys=True, default=str).encode()).hexdigest()[:12]
    return f"{fmt}/{digest}"


# ---------------------------------------------------------------- field readers
def text_field(row: Mapping, column: str, required: bool = True) -> str | None:
    value = row.get(column)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise DataError(f"column {column!r} must be a non-empty string, got {value!r:.60}")
        return None
    if not isinstance(value, str):
        raise DataError(f"column {column!r} must be a string, got {type(value).__name__}")
    return value


def json_field(row: Mapping, column: str, default: Any = None) -> Any:
    """A column that data sets publish as a JSON string (or that a loader already decoded)."""
    value = row.get(column)
    if value is None or value == "":
        return default
    if not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except json.JSONDecodeError as exc:
        raise DataError(f"column {column!r} is a string but not valid JSON ({exc.msg} at char {exc.pos})") from exc


def identifier(value: Any, what: str) -> str:
    if not isinstance(value, str) or not value.isidentifier():
        raise DataError(f"{what} must be a Python identifier naming the function under test, got {value!r:.60}")
    return value


def as_text(value: Any, what: str) -> str:
    """Test inputs/outputs: a string, or a list of lines (APPS and TACO publish both; their graders join lines)."""
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return "\n".join(value)
    raise DataError(f"{what} must be a string or a list of lines, got {type(value).__name__}: {value!r:.60}")


_FENCED = re.compile(r"^[ \t]*```[^\n]*\n(.*?)^[ \t]*```[ \t]*$", re.MULTILINE | re.DOTALL)


def strip_fence(text: str | None) -> str | None:
    """The last fenced code block of `text`, or `text` itself when it has none (reference solutions in chat data
    sets are often published inside a markdown fence)."""
    if not text:
        return None
    blocks = _FENCED.findall(text)
    return blocks[-1] if blocks else text


# ---------------------------------------------------------------- prompts
STDIO_NOTE = "Your program reads the input from standard input and writes the answer to standard output."


def code_prompt(statement: str, starter: str | None = None, fn_name: str | None = None) -> str:
    """The statement plus what the grader needs from the program: the starter code to complete (call-based tasks,
    where the grader calls `fn_name`), or the stdin/stdout note."""
    statement = statement.rstrip()
    if starter and starter.strip():
        return f"{statement}\n\nComplete this starter code:\n```python\n{starter.rstrip()}\n```"
    if fn_name:
        return f"{statement}\n\nWrite a Python function `{fn_name}`; the tests call it with each test's arguments."
    return f"{statement}\n\n{STDIO_NOTE}"


# ---------------------------------------------------------------- limits
def contest_limits(time_limit_s: float | None, memory_limit_bytes: int | None) -> dict[str, Any]:
    """Sandbox limits from a contest problem's own limits (either may be missing)."""
    limits: dict[str, Any] = {}
    if time_limit_s and time_limit_s > 0:
        limits["cpu_time_s"] = round(CONTEST_TIME_FACTOR * time_limit_s + CONTEST_TIME_SLACK_S, 3)
    if memory_limit_bytes and memory_limit_bytes > 0:
        limits["memory_mb"] = math.ceil(memory_limit_bytes / 2**20) + INTERPRETER_MEMORY_MB
    return limits


def output_limit(cases: Sequence[Mapping[str, str]]) -> dict[str, int]:
    """`output_bytes` when an expected output would not fit twice into the sandbox's default cap (a correct program
    may print a little more: trailing spaces, a longer float spelling); else nothing, so run-wide settings apply."""
    largest = max((len(c["stdout"].encode()) for c in cases), default=0)
    if 2 * largest <= SANDBOX_OUTPUT_BYTES:
        return {}
    return {"output_bytes": 2 * largest + 4096}


# ---------------------------------------------------------------- tests objects
def stdio_tests(
    cases: Sequence[Mapping[str, str]],
    checker: Checker,
    abs_tol: float | None = None,
    rel_tol: float | None = None,
    limits: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """A sandbox `stdio` tests object; tolerances only with the float checker; limits only when there are any."""
    if not cases:
        raise UnsupportedRow("the row has no test cases")
    tests: dict[str, Any] = {"kind": "stdio", "cases": [dict(c) for c in cases], "checker": checker}
    if checker == "float":
        tests["abs_tol"], tests["rel_tol"] = abs_tol, rel_tol
    limits = {**(limits or {}), **output_limit(cases)}
    if limits:
        tests["limits"] = limits
    return tests


def stdio_case(stdin: Any, stdout: Any, where: str) -> dict[str, str]:
    return {"stdin": as_text(stdin, f"{where} input"), "stdout": as_text(stdout, f"{where} output")}


def split_tests(visible: list, hidden: list, build) -> tuple[dict, dict | None]:
    """`tests` from the visible cases and `hidden_tests` from the rest; a row with no visible cases trains on the
    hidden ones (then there is nothing hidden left)."""
    if not visible and not hidden:
        raise UnsupportedRow("the row has no test cases")
    if not visible:
        return build(hidden), None
    return build(visible), (build(hidden) if hidden else None)
