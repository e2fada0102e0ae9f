"""The registry of formats, detection from a row's columns, and `adapt_row` with errors that name the row.

Detection: a format fits when the row has (non-null) values in all of its `required` columns and, where it lists
`any_of`, in at least one of those. Of several fitting formats, one whose required columns strictly contain another's
wins (TACO's over APPS's, the project's math rows over GSM8K's); `fallback` formats count only when nothing else fits
(plain question/answer rows; sandbox task rows, whose columns canonical rows also have). Anything else is ambiguous
and must be named (`format=` / `--format`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from data.formats.base import adapt_canonical
from data.formats.contests import adapt_apps, adapt_codecontests, adapt_primeintellect
from data.formats.function_sets import (
    adapt_code_tasks,
    adapt_humaneval,
    adapt_kodcode,
    adapt_mbpp,
    adapt_mbpp_sanitized,
    humaneval_program,
)
from data.formats.livecodebench import adapt_livecodebench
from data.formats.math_sets import adapt_answer, adapt_math, adapt_project_math
from data.loading import DataError

Adapter = Callable[[Mapping, str, "int | None"], dict]


@dataclass(frozen=True)
class Format:
    name: str
    required: tuple[str, ...]
    adapter: Adapter
    task: Literal["code", "math", "code|math"]
    any_of: tuple[str, ...] = ()
    fallback: bool = False

    def fits(self, columns: frozenset[str]) -> bool:
        return set(self.required) <= columns and (not self.any_of or bool(columns & set(self.any_of)))

    def describe(self) -> str:
        need = " + ".join(self.required)
        return f"{self.name} ({need}{' + one of ' + '|'.join(self.any_of) if self.any_of else ''})"


FORMATS: dict[str, Format] = {
    f.name: f
    for f in (
        Format("humaneval", ("prompt", "test", "entry_point"), adapt_humaneval, "code"),
        Format("mbpp", ("text", "test_list"), adapt_mbpp, "code"),
        Format("mbpp_sanitized", ("prompt", "test_list"), adapt_mbpp_sanitized, "code"),
        Format("apps", ("question", "input_output"), adapt_apps, "code"),
        Format("taco", ("question", "input_output", "skill_types"), adapt_apps, "code"),
        Format("codecontests", ("description", "public_tests", "private_tests"), adapt_codecontests, "code"),
        Format("livecodebench", ("question_content", "public_test_cases"), adapt_livecodebench, "code"),
        Format("primeintellect", ("prompt", "verification_info"), adapt_primeintellect, "code|math"),
        Format("kodcode", ("question", "solution", "test"), adapt_kodcode, "code"),
        Format("code_tasks", ("id", "language", "prompt", "tests"), adapt_code_tasks, "code", fallback=True),
        Format("gsm8k", ("question", "answer"), adapt_answer, "math"),
        Format("math", ("problem", "solution"), adapt_math, "math"),
        Format("project_math", ("id", "task", "question", "answer"), adapt_project_math, "math"),
        Format("answer", ("answer",), adapt_answer, "math", any_of=("question", "problem"), fallback=True),
        Format("canonical", ("id", "source", "task", "prompt", "meta"), adapt_canonical, "code|math"),
    )
}


def present_columns(row: Mapping) -> frozenset[str]:
    """Columns with a value: hub and Parquet rows carry every column of the data set, null where a row has none."""
    return frozenset(k for k, v in row.items() if v is not None)


def _known() -> str:
    return "; ".join(f.describe() for f in FORMATS.values())


def fitting_formats(columns: Iterable[str]) -> list[str]:
    """Names of the formats `columns` fit, most specific first, after the rules in the module docstring."""
    columns = frozenset(columns)
    fits = [f for f in FORMATS.values() if f.fits(columns)]
    fits = [f for f in fits if not f.fallback] or fits
    specific = [f for f in fits if not any(set(f.required) < set(g.required) for g in fits)]
    return [f.name for f in specific]


def detect_format(columns: Iterable[str]) -> str:
    """The one format that `columns` fit; raises `DataError` naming the columns and the candidates otherwise."""
    columns = frozenset(columns)
    names = fitting_formats(columns)
    shown = ", ".join(sorted(columns)) or "(none)"
    if not names:
        raise DataError(f"no known format fits the columns {shown}; known formats: {_known()}; pick one with --format")
    if len(names) > 1:
        raise DataError(f"the columns {shown} fit several formats ({', '.join(names)}); pick one with --format")
    return names[0]


def adapt_row(
    row: Mapping[str, Any],
    format: str | None = None,
    source: str = "data",
    index: int | None = None,
    where: str | None = None,
) -> dict[str, Any]:
    """One public row as a canonical row. `format` None detects it from the row's columns. Every error is a
    `DataError` (or its subclass `UnsupportedRow`) naming the source, the row (`where`, default "row {index}") and
    id, the format tried and the columns the row has."""
    label = where or (f"{source} row {index}" if index is not None else source)
    if not isinstance(row, Mapping):
        raise DataError(f"{label}: a row must be a JSON object, got {type(row).__name__}")
    columns = present_columns(row)
    try:
        name = format or detect_format(columns)
    except DataError as exc:
        raise DataError(f"{label}: {exc}") from exc
    if name not in FORMATS:
        raise DataError(f"{label}: unknown format {name!r}; known formats: {', '.join(FORMATS)}")
    try:
        return FORMATS[name].adapter(row, name, index)
    except (DataError, KeyError, TypeError, AttributeError) as exc:
        ident = next((row[k] for k in ("task_id", "problem_id", "question_id", "id", "name") if row.get(k)), None)
        shown = f"{label}" + (f" (id={ident!r})" if ident is not None else "")
        problem = str(exc) if isinstance(exc, DataError) else f"{type(exc).__name__}: {exc}"
        kind = type(exc) if isinstance(exc, DataError) else DataError
        raise kind(
            f"{shown}: does not fit format {name!r}: {problem}; the row has columns: {', '.join(sorted(columns))}"
        ) from exc


# ---------------------------------------------------------------- what graders need from a canonical row
def program_for(row: Mapping[str, Any], completion_code: str) -> str:
    """The program to grade for a model's code: HumanEval rows complete their prompt (`humaneval_program`); rows
    whose graders put imports in front of every program (APPS, TACO, LiveCodeBench: meta["preamble"]) get them."""
    meta = row.get("meta") or {}
    if meta.get("program") == "humaneval":
        return humaneval_program(row["prompt"], completion_code, meta.get("entry_point"))
    return (meta.get("preamble") or "") + completion_code


def all_tests(row: Mapping[str, Any]) -> dict[str, Any] | None:
    """`tests` and `hidden_tests` as one tests object, for evaluation: stdio cases are concatenated (checker and
    limits are the visible tests'; limits take the larger value), assert code is run one block after the other."""
    tests, hidden = row.get("tests"), row.get("hidden_tests")
    if not hidden:
        return tests
    if tests["kind"] != hidden["kind"] or tests["kind"] == "pytest":
        raise DataError(f"row {row.get('id')!r}: cannot merge {tests['kind']} tests with {hidden['kind']} tests")
    merged = dict(tests)
    if tests["kind"] == "stdio":
        merged["cases"] = [*tests["cases"], *hidden["cases"]]
    else:
        merged["code"] = f"{tests['code']}\n\n{hidden['code']}"
    limits = {**tests.get("limits", {})}
    for key, value in hidden.get("limits", {}).items():
        limits[key] = max(value, limits.get(key, value))
    if limits:
        merged["limits"] = limits
    return merged
