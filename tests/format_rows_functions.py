"""Example rows of the function-level and APPS/TACO formats (the others: tests/format_rows.py), and the record
each example is kept in."""

from __future__ import annotations

import base64
import json
import pickle
import zlib
from dataclasses import dataclass, field
from typing import Any


def lcb_private(cases: list[dict]) -> str:
    """LiveCodeBench lite's encoding of `private_test_cases`: base64(zlib(pickle(JSON string)))."""
    return base64.b64encode(zlib.compress(pickle.dumps(json.dumps(cases)))).decode()


@dataclass
class Example:
    name: str
    format: str
    row: dict[str, Any]
    expect: dict[str, Any]  # canonical fields (or "tests.kind", "tests.checker", ...) and their values
    right: str | None = None  # code that must pass all tests (graded through program_for)
    wrong: str | None = None  # code that must fail
    needs_float_checker: bool = False
    wrong_passes_visible: bool = False  # the wrong program passes `tests` and fails only on `hidden_tests`
    prompt_has: tuple[str, ...] = field(default_factory=tuple)


SUM_STATEMENT = (
    "You are given n integers. Print their sum.\n\n-----Input-----\nn, then n integers.\n\n-----Output-----\nThe sum."
)

FUNCTION_ROWS = [
    Example(
        "humaneval",
        "humaneval",
        {
            "task_id": "HumanEval/900",
            "prompt": "from typing import List\n\n\n"
            'def running_sum(xs: List[int]) -> List[int]:\n    """ Running sums.\n'
            '    >>> running_sum([1, 2, 3])\n    [1, 3, 6]\n    """\n',
            "canonical_solution": "    out, total = [], 0\n    for x in xs:\n        total += x\n"
            "        out.append(total)\n"
            "    return out\n",
            "test": "\n\nMETADATA = {\n    'author': 'codealign',\n    'dataset': 'test'\n}\n\n\n"
            "def check(candidate):\n"
            "    assert candidate([]) == []\n    assert candidate([1, 2, 3]) == [1, 3, 6]\n"
            "    assert candidate([5, -5, 2]) == [5, 0, 2]\n",
            "entry_point": "running_sum",
        },
        {"id": "HumanEval/900", "tests.kind": "assert", "tests.entry_point": "running_sum", "hidden_tests": None},
        right="    import itertools\n    return list(itertools.accumulate(xs))\n",  # a body: completes the prompt
        wrong="def running_sum(xs: List[int]) -> List[int]:\n    return xs\n",  # a whole function, without the import
        prompt_has=("def running_sum(xs: List[int])",),
    ),
    Example(
        "mbpp",
        "mbpp",
        {
            "task_id": 9001,
            "text": "Write a function to compute the area of a circle of radius r, rounded to 2 decimals.",
            "code": "import math\r\ndef circle_area(r):\r\n  return round(math.pi * r * r, 2)",
            "test_list": [
                "assert circle_area(1) == 3.14",
                "assert circle_area(2) == 12.57",
                "assert math.isclose(circle_area(0.5), 0.79)",
            ],
            "test_setup_code": "import math",
            "challenge_test_list": ["assert circle_area(10) == 314.16"],
        },
        {"id": "9001", "tests.kind": "assert", "tests.entry_point": "circle_area", "meta.challenge_test_list": 1},
        right="import math\ndef circle_area(r):\n    return round(math.pi * r ** 2, 2)\n",
        wrong="def circle_area(r):\n    return round(3.14 * r * r, 2)\n",
        prompt_has=("Your code should pass this test:\nassert circle_area(1) == 3.14",),
    ),
    Example(
        "mbpp_sanitized",
        "mbpp_sanitized",
        {
            "source_file": "Benchmark Questions Verification V2.ipynb",
            "task_id": 9002,
            "prompt": "Write a function that counts the vowels in a string.",
            "code": "def count_vowels(s):\n    return sum(c in 'aeiouAEIOU' for c in s)",
            "test_imports": [],
            "test_list": ["assert count_vowels('banana') == 3", "assert count_vowels('xyz') == 0"],
        },
        {"id": "9002", "tests.kind": "assert", "tests.entry_point": "count_vowels"},
        right="def count_vowels(s):\n    return len([c for c in s.lower() if c in 'aeiou'])\n",
        wrong="def count_vowels(s):\n    return len(s)\n",
    ),
    Example(
        "apps_stdio",
        "apps",
        {
            "problem_id": 4001,
            "question": SUM_STATEMENT,
            "solutions": json.dumps(["n = int(input())\nprint(sum(map(int, input().split())))\n"]),
            "input_output": json.dumps({"inputs": ["3\n1 2 3\n", "1\n-5\n"], "outputs": ["6\n", "-5\n"]}),
            "difficulty": "introductory",
            "url": "https://codeforces.com/problemset/problem/9999/A",
            "starter_code": "",
        },
        {"id": "4001", "tests.kind": "stdio", "tests.checker": "float", "tests.abs_tol": 5e-4, "tests.cases": 2},
        right="input()\nprint(sum(int(t) for t in input().split()))\n",
        wrong="input()\nprint(max(int(t) for t in input().split()))\n",
        prompt_has=("standard input",),
    ),
    Example(
        "apps_float",
        "apps",
        {
            "problem_id": 4002,
            "question": "Print the mean of the n given integers.",
            "solutions": json.dumps(["n = int(input())\nprint('%.10f' % (sum(map(int, input().split())) / n))\n"]),
            "input_output": json.dumps(
                {"inputs": ["2\n1 2\n", "3\n1 1 2\n"], "outputs": ["1.5000000000\n", "1.3333333333\n"]}
            ),
            "difficulty": "introductory",
            "url": "https://codeforces.com/problemset/problem/9999/B",
            "starter_code": "",
        },
        {"tests.checker": "float"},
        right="n = int(input())\nprint(sum(map(int, input().split())) / n)\n",  # 1.5 and 1.3333333333333333
        wrong="n = int(input())\nprint(sum(map(int, input().split())) // n)\n",
        needs_float_checker=True,
    ),
    Example(
        "apps_call",
        "apps",
        {
            "problem_id": 4003,
            "question": "Return the smallest and the largest element of a non-empty list.",
            "solutions": json.dumps(["def min_max(xs):\n    return [min(xs), max(xs)]\n"]),
            "input_output": json.dumps(
                {
                    "fn_name": "min_max",
                    "inputs": [[[3, 1, 5]], [[7]], [[-2, 9, 0]]],
                    "outputs": [[[1, 5]], [[7, 7]], [[-2, 9]]],
                }
            ),
            "difficulty": "introductory",
            "url": "https://www.codewars.com/kata/0000",
            "starter_code": "def min_max(xs):\n\t",
        },
        {"tests.kind": "assert", "tests.entry_point": "min_max", "meta.fn_name": "min_max"},
        right="def min_max(xs):\n    return min(xs), max(xs)\n",  # a tuple, against the one-element-list wrapping
        wrong="def min_max(xs):\n    return [xs[0], xs[-1]]\n",
        prompt_has=("def min_max(xs):",),
    ),
    Example(
        "taco_stdio",
        "taco",
        {
            "question": SUM_STATEMENT,
            "solutions": json.dumps(["n = int(input())\nprint(sum(map(int, input().split())))\n"]),
            "starter_code": "",
            "input_output": json.dumps({"inputs": ["2\n10 20\n", "1\n0\n"], "outputs": ["30\n", "0\n"]}),
            "difficulty": "EASY",
            "raw_tags": "['Math']",
            "name": None,
            "source": "codeforces",
            "tags": "['Mathematics']",
            "skill_types": "[]",
            "url": "https://codeforces.com/problemset/problem/9999/C",
            "Expected Auxiliary Space": None,
            "time_limit": "1 second",
            "date": "2021-03-01",
            "picture_num": "0",
            "memory_limit": "256 megabytes",
            "Expected Time Complexity": None,
        },
        {"tests.checker": "tokens", "tests.limits": {"cpu_time_s": 3.0, "memory_mb": 768}, "id": "taco/0"},
        right="import sys\nn, *xs = map(int, sys.stdin.read().split())\nprint(sum(xs[:n]))\n",
        wrong="print(0)\n",
    ),
    Example(
        "taco_leetcode",
        "taco",
        {
            "question": "Given nums and target, return the indices of the two numbers that add up to target.",
            "solutions": json.dumps(
                [
                    "class Solution:\n    def twoSum(self, nums: List[int], target: int) -> List[int]:\n"
                    "        seen = {}\n        for i, x in enumerate(nums):\n            if target - x in seen:\n"
                    "                return [seen[target - x], i]\n            seen[x] = i\n"
                ]
            ),
            "starter_code": "class Solution:\n"
            "    def twoSum(self, nums: List[int], target: int) -> List[int]:\n        ",
            "input_output": json.dumps(
                {"fn_name": "twoSum", "inputs": [[[2, 7, 11, 15], 9], [[3, 2, 4], 6]], "outputs": [[0, 1], [1, 2]]}
            ),
            "difficulty": "EASY",
            "raw_tags": "['Array', 'Hash Table']",
            "name": None,
            "source": "leetcode",
            "tags": "['Data structures']",
            "skill_types": "['Data structures']",
            "url": "https://leetcode.com/problems/two-sum/",
            "Expected Auxiliary Space": None,
            "time_limit": None,
            "date": None,
            "picture_num": None,
            "memory_limit": None,
            "Expected Time Complexity": None,
        },
        {"tests.kind": "assert", "tests.entry_point": "twoSum"},
        # uses List without importing it: the graders' preamble (program_for) supplies it
        right="class Solution:\n    def twoSum(self, nums: List[int], target: int) -> List[int]:\n"
        "        for i in range(len(nums)):\n            for j in range(i + 1, len(nums)):\n"
        "                if nums[i] + nums[j] == target:\n                    return [i, j]\n",
        wrong="class Solution:\n    def twoSum(self, nums: List[int], target: int) -> List[int]:\n"
        "        return [0, 0]\n",
        prompt_has=("class Solution:",),
    ),
]
