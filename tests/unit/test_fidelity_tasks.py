"""Benchmark rows for `python -m bench.fidelity`: conversion of the release formats, entry points, perturbations and
the reference program. The data here is made up in the benchmarks' formats; the real files are not in the repo."""

from __future__ import annotations

import gzip
import json

import pytest

from bench.fidelity_tasks import (
    humaneval_rows,
    mbpp_entry_point,
    mbpp_rows,
    mutants,
    reference_program,
    returns_none,
)
from sandbox.tasks import parse_task

SOLUTION = 'def double(x):\n    """Twice x."""\n    return x * 2 + 0\n'


@pytest.mark.parametrize(
    "code, first_test, expected",
    [
        ("def f(a):\n    return a\n", "assert f(1) == 1", "f"),  # the function the test calls
        ("def g(a):\n    return a\n\ndef f(a):\n    return g(a)\n", "assert set(f([1])) == {1}", "f"),  # not `set`
        ("def helper():\n    pass\n\ndef main():\n    pass\n", "assert 1 == 1", "main"),  # none called: the last one
        ("class P:\n    pass\n\ndef chain(p):\n    pass\n", "assert chain([P()]) == 1", "chain"),  # outer call first
        ("x = 1\n", "assert x == 1", None),  # nothing to call
        ("def f(:\n", "assert f(1)", None),  # does not parse
    ],
)
def test_mbpp_entry_point(code, first_test, expected):
    assert mbpp_entry_point(code, first_test) == expected


def test_mbpp_rows_join_setup_tests_and_challenge_tests(tmp_path):
    problem = {
        "task_id": 7,
        "text": "Double a number.",
        "code": "def double(x):\r\n    return 2 * x",  # the release's CRLF line ends are kept
        "test_setup_code": "BASE = 3",
        "test_list": ["assert double(1) == 2", "assert double(BASE) == 6"],
        "challenge_test_list": ["assert double(0) == 0"],
    }
    path = tmp_path / "mbpp.jsonl"
    path.write_text(json.dumps(problem) + "\n")
    (row,) = mbpp_rows(path)
    assert row["id"] == "MBPP/7" and row["solution"] == problem["code"]
    assert row["tests"] == {
        "kind": "assert",
        "code": "BASE = 3\nassert double(1) == 2\nassert double(BASE) == 6\nassert double(0) == 0\n",
        "entry_point": "double",
    }
    parse_task(row)  # valid input for the grader


def test_humaneval_rows_from_the_release_format(tmp_path):
    problem = {
        "task_id": "HumanEval/0",
        "prompt": 'def double(x):\n    """Twice x."""\n',
        "canonical_solution": "    return 2 * x\n",
        "test": "def check(candidate):\n    assert candidate(2) == 4\n",
        "entry_point": "double",
    }
    path = tmp_path / "HumanEval.jsonl.gz"
    with gzip.open(path, "wt") as f:
        f.write(json.dumps(problem) + "\n")
    (row,) = humaneval_rows(path)
    assert row["solution"] == problem["prompt"] + problem["canonical_solution"]
    assert row["tests"] == {"kind": "assert", "code": problem["test"], "entry_point": "double"}


def test_returns_none_keeps_the_docstring_and_nothing_else():
    wrong = returns_none(SOLUTION, "double")
    namespace = {}
    exec(wrong, namespace)
    assert namespace["double"](3) is None
    assert namespace["double"].__doc__ == "Twice x."
    assert returns_none(SOLUTION, "missing") is None


def test_mutants_change_one_operator_or_constant_each():
    results = []
    for source in mutants(SOLUTION, "double"):
        namespace = {}
        exec(source, namespace)
        results.append(namespace["double"](3))
    # breadth first: `x * 2 + 0` -> `x * 2 - 0` (6); `x * 2` -> `x + 2` (5); 0 -> 1 (7); 2 -> 3 (9)
    assert results == [6, 5, 7, 9]


def test_reference_program_calls_check_only_when_the_tests_define_it():
    humaneval = {
        "solution": SOLUTION,
        "tests": {"code": "def check(c):\n    assert c(1) == 2\n", "entry_point": "double"},
    }
    assert "check(double)\n" in reference_program(humaneval)
    mbpp = {
        "solution": "def check(n):\n    return n > 0\n",
        "tests": {"code": "assert check(1)\n", "entry_point": "check"},
    }
    assert "check(check)" not in reference_program(mbpp)


def test_mutants_swap_builtin_calls_string_methods_and_string_constants():
    solution = "def shout(s):\n    return '-'.join(sorted(s.upper()))\n"
    results = []
    for source in mutants(solution, "shout"):
        namespace = {}
        exec(source, namespace)
        results.append(namespace["shout"]("ba"))
    # original "A-B"; breadth first: sorted -> list, '-' -> '-x', upper -> lower
    assert results == ["B-A", "A-xB", "a-b"]
