"""The graders' rules the adapters reproduce: call-based comparisons (APPS/TACO vs LiveCodeBench), limits parsed
and scaled from the published fields, MATH's boxed answer, GSM8K's final answer."""

from __future__ import annotations

import pytest

from data.formats.base import contest_limits, output_limit, stdio_tests
from data.formats.calls import call_tests
from data.formats.contests import taco_memory_bytes, taco_time_s
from data.formats.function_sets import mbpp_entry_point
from data.formats.math_sets import gsm8k_gold, last_boxed


def _passes(rule: str, solution: str, cases: list, fn: str = "f") -> bool:
    """Run the generated test code the way the sandbox's checker does (exec after the solution's globals), here on
    trusted one-line solutions from the table below."""
    namespace: dict = {}
    exec(solution, namespace)
    try:
        exec(call_tests(fn, cases, rule)["code"], namespace)
    except AssertionError:
        return False
    return True


@pytest.mark.parametrize(
    "rule, solution, cases, passes",
    [
        ("apps", "def f(x): return x + 1", [[[2], [3]]], True),  # expected wrapped in a one-element list
        ("apps", "def f(x): return x + 1", [[[2], 3]], True),  # ... or not
        ("apps", "def f(x): return x + 1", [[[2], [4]]], False),
        ("apps", "def f(xs): return min(xs), max(xs)", [[[[3, 1]], [[1, 3]]]], True),  # tuple == list
        ("apps", "def f(xs): return [(x, x) for x in xs]", [[[[1, 2]], [[[1, 1], [2, 2]]]]], True),  # tuples in list
        ("apps", "def f(d): return d[1]", [[[{"1": "a"}], ["a"]]], True),  # JSON's string keys become ints
        ("apps", "def f(): return {2: 'b'}", [[[], {"2": "b"}]], True),
        ("apps", "def f(a, b): return a * b", [[[3, 4], [12]], [[0, 5], [0]]], True),  # several arguments
        ("apps", "def f(a, b): return a * b", [[[3, 4], [12]], [[2, 5], [7]]], False),  # the second case fails
        ("lcb", "def f(x): return x + 1", [[[2], 3]], True),
        ("lcb", "def f(x): return x + 1", [[[2], [3]]], False),  # LiveCodeBench never unwraps
        ("lcb", "def f(xs): return tuple(xs)", [[[[1, 2]], [1, 2]]], True),  # but a tuple still counts as a list
        ("lcb", "class Solution:\n    def f(self, x): return -x", [[[2], -2]], True),  # LeetCode's class
        ("apps", "def f(x): return x\nclass Solution:\n    def f(self, x): return -x", [[[2], -2]], True),
    ],
)
def test_call_based_comparison_rules(rule, solution, cases, passes):
    assert _passes(rule, solution, cases) is passes


def test_call_tests_name_a_missing_function():
    with pytest.raises(NameError, match="defines neither a function 'f' nor a class Solution"):
        _passes("apps", "def g(x): return x", [[[1], 1]])


@pytest.mark.parametrize(
    "text, seconds",
    [("1 second", 1.0), ("2.5 seconds", 2.5), ("500 ms", 0.5), ("3", 3.0), ("None", None), (None, None)],
)
def test_taco_time_limit(text, seconds):
    assert taco_time_s(text) == seconds


@pytest.mark.parametrize(
    "text, size",
    [("256 megabytes", 256 * 2**20), ("64 MB", 64 * 2**20), ("1024 kilobytes", 2**20), ("1 GB", 2**30), ("x", None)],
)
def test_taco_memory_limit(text, size):
    assert taco_memory_bytes(text) == size


def test_contest_limits_scale_time_and_add_interpreter_memory():
    # 2 x 1.5 s + 1 s of start-up; 256 MiB + the 32 MiB CodeContests' tester allows for the interpreter
    assert contest_limits(1.5, 256 * 2**20) == {"cpu_time_s": 4.0, "memory_mb": 768}
    assert contest_limits(None, None) == {} and contest_limits(0, 0) == {}


def test_large_expected_output_raises_the_output_cap():
    small = [{"stdin": "", "stdout": "x" * 1000}]
    large = [{"stdin": "", "stdout": "x" * 9_000_000}]  # over half of the sandbox's 16 MiB default
    assert output_limit(small) == {} and output_limit(large) == {"output_bytes": 2 * 9_000_000 + 4096}
    tests = stdio_tests(large, checker="exact", limits={"cpu_time_s": 3.0})
    assert tests["limits"] == {"cpu_time_s": 3.0, "output_bytes": 18_004_096} and "abs_tol" not in tests


@pytest.mark.parametrize(
    "first_test, code, expected",
    [
        ("assert remove_odd([1, 2]) == [2]", None, "remove_odd"),
        ("assert set(similar((3, 4), (4, 5))) == set((4,))", None, "similar"),  # builtins are skipped
        ("assert math.isclose(area(1), 3.14)", None, "area"),
        ("assert sum(3, 4) == 7", "def sum(a, b):\n    return a + b", "sum"),  # the reference defines it
        ("assert sorted(x) == [1]", None, "sorted"),  # only builtins: the first call
    ],
)
def test_mbpp_entry_point(first_test, code, expected):
    assert mbpp_entry_point(first_test, code) == expected


@pytest.mark.parametrize(
    "solution, gold",
    [
        ("so $\\boxed{5}$.", "5"),
        ("$\\boxed{\\frac{1}{2}}$", "\\frac{1}{2}"),  # nested braces
        ("first \\boxed{1}, finally \\boxed{2}", "2"),  # the last one
        ("$\\boxed{\\{1, 2\\}}$", "\\{1, 2\\}"),  # escaped braces are content
        ("\\fbox{7}", "7"),
        ("the answer is $\\boxed 9$", "9"),
        ("\\boxed{unclosed", None),
        ("no box at all", None),
    ],
)
def test_last_boxed(solution, gold):
    assert last_boxed(solution) == gold


@pytest.mark.parametrize(
    "answer, gold",
    [
        ("3 + 4 = <<3+4=7>>7\n#### 7", ("7", True)),
        ("#### 1,600", ("1600", True)),  # thousands separators go
        ("#### 3,5", ("3,5", True)),  # not a thousands separator: kept for the math checker to judge
        ("#### -2.5", ("-2.5", True)),
        (" 42 ", ("42", False)),  # a bare gold
    ],
)
def test_gsm8k_gold(answer, gold):
    assert gsm8k_gold(answer) == gold
