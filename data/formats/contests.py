"""Adapters for contest-style data sets: APPS, TACO, CodeContests and PrimeIntellect's `verification_info` rows.

Output checkers, each set to judge as the data set's own grader does (the nearest sandbox checker; differences noted):

* APPS (`eval/testing_util.py`): after exact and per-line stripped comparisons it accepts numbers within
  `np.allclose` (rel 1e-5) and, last, numbers equal after rounding to 3 decimals -> ``float`` with rel_tol 1e-5 and
  abs_tol 5e-4 (half a unit of the third decimal). Its final fallbacks compare *unordered sets* of tokens, which
  accept wrong answers (permuted lines); not reproduced.
* TACO (`metrics/testing_util.py`, "modified from APPS to fix some evaluation bugs"): it runs the program as a
  process and compares the whole stdout text, so its float step iterates characters and never applies; what is
  left is stripped equality plus unordered token-set fallbacks -> ``tokens`` (sets not reproduced).
* CodeContests (`execution/tester_sandboxer.cc`, `OutputsMatch`): whitespace-separated tokens, lower-cased; a pair
  where either side is a float must be within 1e-5 absolute -> ``float`` with abs_tol 1e-5, rel_tol 0. Lower-casing
  is not reproduced (a "yes" for "YES" fails here).
* PrimeIntellect stdin_stdout cases (graded in open-r1's `code_reward` by comparing stripped lines) -> ``exact``
  (trailing whitespace ignored; leading whitespace on a line counts here, not there).

Limits: CodeContests' `time_limit` {seconds, nanos} and `memory_limit_bytes`, TACO's `time_limit` ("1 second")
and `memory_limit` ("256 megabytes") become `limits` on stdio tests, scaled by `base.contest_limits`. Call-based
tests run every case in one sandbox step, so no per-case time limit is set on them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from data.formats.base import (
    GRADER_PREAMBLE,
    UnsupportedRow,
    canonical_row,
    code_prompt,
    contest_limits,
    identifier,
    json_field,
    row_id,
    split_tests,
    stdio_case,
    stdio_tests,
    strip_fence,
    text_field,
)
from data.formats.calls import call_cases, call_tests
from data.loading import DataError

CHECKERS: dict[str, dict[str, Any]] = {
    "apps": {"checker": "float", "abs_tol": 5e-4, "rel_tol": 1e-5},
    "taco": {"checker": "tokens"},
    "codecontests": {"checker": "float", "abs_tol": 1e-5, "rel_tol": 0.0},
    "primeintellect": {"checker": "exact"},
}
CODECONTESTS_SOURCES = {1: "codechef", 2: "codeforces", 3: "hackerearth", 4: "codejam", 6: "atcoder", 7: "aizu"}
CODECONTESTS_PYTHON3 = (3, "PYTHON3")  # contest_problem.proto: Solution.Language.PYTHON3 = 3
_TIME = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|milliseconds?|s|secs?|seconds?)?\s*$", re.IGNORECASE)
_MEMORY = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(bytes?|b|kb|kilobytes?|mb|megabytes?|gb|gigabytes?)?\s*$", re.I)
_MEMORY_SCALE = {"b": 1, "k": 2**10, "m": 2**20, "g": 2**30}


# ---------------------------------------------------------------- APPS / TACO
def taco_time_s(text: Any) -> float | None:
    """'1 second', '2.5 seconds', '500 ms' -> seconds; anything else (TACO also has 'None') -> None."""
    match = _TIME.match(str(text)) if text is not None else None
    if not match:
        return None
    unit = (match.group(2) or "s").lower()
    return float(match.group(1)) / (1000 if unit.startswith("m") else 1)


def taco_memory_bytes(text: Any) -> int | None:
    """'256 megabytes', '64 MB', '1024 kilobytes' -> bytes; anything else -> None."""
    match = _MEMORY.match(str(text)) if text is not None else None
    if not match:
        return None
    unit = (match.group(2) or "megabytes").lower()
    return int(float(match.group(1)) * _MEMORY_SCALE[unit[0]])


def _apps_tests(row: Mapping, fmt: str, limits: dict) -> tuple[dict, str | None]:
    in_outs = json_field(row, "input_output")
    if not in_outs:
        raise UnsupportedRow("column 'input_output' is empty: the row has no tests")
    if not isinstance(in_outs, Mapping) or not isinstance(in_outs.get("inputs"), list):
        raise DataError(f"column 'input_output' must be an object with 'inputs' and 'outputs' lists: {in_outs!r:.80}")
    inputs, outputs = in_outs["inputs"], in_outs.get("outputs")
    if not isinstance(outputs, list) or len(outputs) != len(inputs):
        raise DataError(f"input_output has {len(inputs)} inputs but outputs {outputs!r:.60}")
    fn_name = in_outs.get("fn_name")
    if fn_name:
        fn_name = identifier(fn_name, "input_output.fn_name")
        return call_tests(fn_name, call_cases(inputs, outputs, "input_output"), "apps"), fn_name
    cases = [stdio_case(i, o, f"input_output case {k}") for k, (i, o) in enumerate(zip(inputs, outputs))]
    return stdio_tests(cases, **CHECKERS[fmt], limits=limits), None


def _first_solution(row: Mapping) -> str | None:
    solutions = json_field(row, "solutions", default=[])
    if isinstance(solutions, str):
        solutions = [solutions]
    found = next((s for s in solutions if isinstance(s, str) and s.strip()), None) if solutions else None
    return GRADER_PREAMBLE + found if found else None


def adapt_apps(row: Mapping, fmt: str, index: int | None) -> dict[str, Any]:
    """APPS (`problem_id`, `question`, `solutions`, `input_output`, `starter_code`, `difficulty`, `url`) and TACO
    (the same plus `time_limit`, `memory_limit`, `skill_types`, `tags`, `source`, ...). Call-based rows
    (`input_output.fn_name`) get assert tests, the others stdio tests. Neither splits public from hidden tests."""
    limits = {}
    if fmt == "taco":
        limits = contest_limits(taco_time_s(row.get("time_limit")), taco_memory_bytes(row.get("memory_limit")))
    tests, fn_name = _apps_tests(row, fmt, limits)
    statement = text_field(row, "question")
    keys = ("problem_id", "difficulty", "url", "name", "source", "skill_types", "tags", "time_limit", "memory_limit")
    return canonical_row(
        id=row_id(row, fmt, index, ("problem_id", "id")),
        source=fmt,
        task="code",
        prompt=code_prompt(statement, row.get("starter_code"), fn_name),
        language="python",
        tests=tests,
        solution=_first_solution(row),
        meta={**{k: row.get(k) for k in keys}, "fn_name": fn_name, "preamble": GRADER_PREAMBLE},
    )


# ---------------------------------------------------------------- CodeContests
def _contest_cases(value: Any, column: str) -> list[dict[str, str]]:
    """Hub rows hold tests as {"input": [...], "output": [...]}; JSON exports of the protos as [{input, output}]."""
    if value is None:
        return []
    if isinstance(value, Mapping):
        inputs, outputs = value.get("input") or [], value.get("output") or []
        if len(inputs) != len(outputs):
            raise DataError(f"column {column!r} has {len(inputs)} inputs but {len(outputs)} outputs")
        pairs = list(zip(inputs, outputs))
    elif isinstance(value, list) and all(isinstance(t, Mapping) for t in value):
        pairs = [(t.get("input"), t.get("output")) for t in value]
    else:
        raise DataError(f"column {column!r} must be {{'input': [...], 'output': [...]}}, got {value!r:.80}")
    return [stdio_case(i, o, f"{column} case {k}") for k, (i, o) in enumerate(pairs)]


def _contest_python_solution(value: Any) -> str | None:
    if isinstance(value, Mapping):
        pairs = zip(value.get("language") or [], value.get("solution") or [])
    elif isinstance(value, list):
        pairs = ((s.get("language"), s.get("solution")) for s in value if isinstance(s, Mapping))
    else:
        return None
    return next((code for lang, code in pairs if lang in CODECONTESTS_PYTHON3 and code), None)


def _contest_time_s(value: Any) -> float | None:
    if isinstance(value, Mapping):
        return float(value.get("seconds") or 0) + float(value.get("nanos") or 0) / 1e9
    return float(value) if isinstance(value, (int, float)) else None


def adapt_codecontests(row: Mapping, fmt: str, index: int | None) -> dict[str, Any]:
    """CodeContests: `name`, `description`, `public_tests` (visible: `tests`), `private_tests` + `generated_tests`
    (`hidden_tests`), `solutions` (a PYTHON3 one becomes `solution`), `time_limit`, `memory_limit_bytes`."""
    if row.get("input_file") or row.get("output_file"):
        raise UnsupportedRow(f"the problem reads/writes files ({row.get('input_file')!r}, {row.get('output_file')!r})")
    limits = contest_limits(_contest_time_s(row.get("time_limit")), row.get("memory_limit_bytes"))
    public = _contest_cases(row.get("public_tests"), "public_tests")
    hidden = _contest_cases(row.get("private_tests"), "private_tests")
    hidden += _contest_cases(row.get("generated_tests"), "generated_tests")
    tests, hidden_tests = split_tests(public, hidden, lambda c: stdio_tests(c, **CHECKERS[fmt], limits=limits))
    keys = ("name", "difficulty", "cf_rating", "cf_tags", "cf_contest_id", "cf_index", "time_limit")
    meta = {k: row.get(k) for k in keys}
    meta["source"] = CODECONTESTS_SOURCES.get(row.get("source"), row.get("source"))
    return canonical_row(
        id=row_id(row, fmt, index, ("name",)),
        source=fmt,
        task="code",
        prompt=code_prompt(text_field(row, "description")),
        language="python",
        tests=tests,
        hidden_tests=hidden_tests,
        solution=_contest_python_solution(row.get("solutions")),
        meta=meta,
    )


# ---------------------------------------------------------------- PrimeIntellect verification_info
def _prime_code_tests(info: Mapping, language: str) -> dict:
    cases = info.get("test_cases")
    if not isinstance(cases, list) or not cases or not all(isinstance(c, Mapping) for c in cases):
        raise DataError(f"verification_info.test_cases must be a non-empty list of objects, got {cases!r:.80}")
    kinds = {c.get("type") for c in cases}
    if kinds == {"stdin_stdout"}:
        stdio = [stdio_case(c.get("input"), c.get("output"), f"test_cases[{k}]") for k, c in enumerate(cases)]
        return stdio_tests(stdio, **CHECKERS["primeintellect"])
    if kinds != {"function_call"}:
        raise DataError(f"verification_info.test_cases mix or use unknown types {sorted(map(str, kinds))}")
    if language != "python":
        raise UnsupportedRow(f"function_call tests in {language!r}: only Python call tests can be graded")
    fn_name = identifier(cases[0].get("fn_name"), "test_cases[0].fn_name")
    args = [json_field(c, "input") for c in cases]
    return call_tests(fn_name, call_cases(args, [c.get("output") for c in cases], "test_cases"), "apps")


def adapt_primeintellect(row: Mapping, fmt: str, index: int | None) -> dict[str, Any]:
    """PrimeIntellect (SYNTHETIC-1, verifiable-coding-problems): `prompt` (complete instructions), `problem_id`,
    `gold_standard_solution`, `verification_info` = {"language", "test_cases": [{type, input, output, fn_name}]}
    for code, or {"ground_truth": ...} for math."""
    info = json_field(row, "verification_info")
    if not isinstance(info, Mapping):
        raise DataError(f"column 'verification_info' must be a JSON object, got {info!r:.80}")
    common = {
        "id": row_id(row, fmt, index, ("problem_id", "in_source_id")),
        "source": fmt,
        "prompt": text_field(row, "prompt"),
        "meta": {k: row.get(k) for k in ("source", "task_type", "in_source_id")},
    }
    reference = text_field(row, "gold_standard_solution", required=False)
    if "ground_truth" in info:
        return canonical_row(**common, task="math", answer=str(info["ground_truth"]).strip(), solution=reference)
    language = str(info.get("language") or "python").strip().lower()
    tests = _prime_code_tests(info, language)
    return canonical_row(**common, task="code", language=language, tests=tests, solution=strip_fence(reference))
