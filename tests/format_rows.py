"""Example rows of every public format, written for these tests in the data sets' published schemas (field names,
nesting and encodings as on the hub), each with what its canonical row must say and, for code, a right and a wrong
program. Shared by tests/unit/test_formats.py and tests/integration/test_formats_sandbox.py."""

from __future__ import annotations

import json

from tests.format_rows_functions import FUNCTION_ROWS, Example, lcb_private

CONTEST_ROWS = [
    Example(
        "codecontests",
        "codecontests",
        {
            "name": "9999_A. Sum of Two",
            "description": "Given two integers a and b, print a + b.\n\nInput\n\nOne line: a b.\n\nOutput\n\na + b.",
            "public_tests": {"input": ["1 2\n"], "output": ["3\n"]},
            "private_tests": {"input": ["5 7\n"], "output": ["12\n"]},
            "generated_tests": {"input": ["-3 3\n", "100 200\n"], "output": ["0\n", "300\n"]},
            "source": 2,
            "difficulty": 7,
            "solutions": {
                "language": [2, 3],
                "solution": [
                    '#include <cstdio>\nint main(){long long a,b;scanf("%lld %lld",&a,&b);printf("%lld\\n",a+b);}',
                    "a, b = map(int, input().split())\nprint(a + b)\n",
                ],
            },
            "incorrect_solutions": {"language": [3], "solution": ["print(0)\n"]},
            "cf_contest_id": 9999,
            "cf_index": "A",
            "cf_points": 500.0,
            "cf_rating": 800,
            "cf_tags": ["implementation"],
            "is_description_translated": False,
            "untranslated_description": "",
            "time_limit": {"seconds": 2, "nanos": 0},
            "memory_limit_bytes": 256000000,
            "input_file": "",
            "output_file": "",
        },
        {
            "id": "9999_A. Sum of Two",
            "tests.cases": 1,
            "hidden_tests.cases": 3,
            "tests.checker": "float",
            "tests.abs_tol": 1e-5,
            "tests.limits": {"cpu_time_s": 5.0, "memory_mb": 757},  # 2 * 2 s + 1 s; ceil(256e6 / 2**20) + 512
            "meta.source": "codeforces",
        },
        right="print(sum(map(int, input().split())))\n",
        wrong="a, b = map(int, input().split())\nprint(a - b)\n",
    ),
    Example(
        "codecontests_float",
        "codecontests",
        {
            "name": "9999_B. Half",
            "description": "Print x / 2 for the given integer x; an absolute error of 1e-5 is accepted.",
            "public_tests": {"input": ["3\n"], "output": ["1.500000\n"]},
            "private_tests": {"input": ["1\n"], "output": ["0.500000\n"]},
            "generated_tests": {"input": [], "output": []},
            "source": 2,
            "difficulty": 8,
            "solutions": {"language": [3], "solution": ["print('%.6f' % (int(input()) / 2))\n"]},
            "time_limit": {"seconds": 1, "nanos": 500000000},
            "memory_limit_bytes": 268435456,
            "input_file": "",
            "output_file": "",
        },
        {"tests.limits": {"cpu_time_s": 4.0, "memory_mb": 768}},
        right="print(int(input()) / 2)\n",  # 1.5, not 1.500000
        wrong="print(int(input()) // 2)\n",
        needs_float_checker=True,
    ),
    Example(
        "livecodebench_stdin",
        "livecodebench",
        {
            "question_title": "Sum of Squares",
            "question_content": "You are given N integers. Print the sum of their squares.\n\nInput\n\nN\nA_1 ... A_N",
            "platform": "atcoder",
            "question_id": "abc999_a",
            "contest_id": "abc999",
            "contest_date": "2024-08-03T00:00:00",
            "starter_code": "",
            "difficulty": "easy",
            "public_test_cases": json.dumps([{"input": "2\n0 2\n", "output": "4\n", "testtype": "stdin"}]),
            "private_test_cases": lcb_private(
                [
                    {"input": "3\n1 2 3\n", "output": "14\n", "testtype": "stdin"},
                    {"input": "1\n-4\n", "output": "16\n", "testtype": "stdin"},
                ]
            ),
            "metadata": "{}",
        },
        {"id": "abc999_a", "tests.checker": "tokens", "tests.cases": 1, "hidden_tests.cases": 2},
        right="input()\nprint(sum(int(t) ** 2 for t in input().split()))\n",
        wrong="input()\nprint(sum(int(t) for t in input().split()) ** 2)\n",  # right on the public case only
        wrong_passes_visible=True,
    ),
    Example(
        "livecodebench_functional",
        "livecodebench",
        {
            "question_title": "count-elements-above-k",
            "question_content": "Given an array nums and an integer k, return how many elements are greater than k.",
            "platform": "leetcode",
            "question_id": "9999",
            "contest_id": "weekly-contest-999",
            "contest_date": "2024-08-04T00:00:00",
            "starter_code": "class Solution:\n    def countAbove(self, nums: List[int], k: int) -> int:\n        ",
            "difficulty": "easy",
            "public_test_cases": json.dumps([{"input": "[1, 5, 3]\n2", "output": "2", "testtype": "functional"}]),
            "private_test_cases": lcb_private(
                [
                    {"input": "[]\n0", "output": "0", "testtype": "functional"},
                    {"input": "[7, 8, 9]\n7", "output": "2", "testtype": "functional"},
                ]
            ),
            "metadata": json.dumps({"func_name": "countAbove"}),
        },
        {"id": "9999", "tests.kind": "assert", "tests.entry_point": "countAbove", "meta.func_name": "countAbove"},
        right="class Solution:\n    def countAbove(self, nums: List[int], k: int) -> int:\n"
        "        return sum(x > k for x in nums)\n",
        wrong="class Solution:\n    def countAbove(self, nums: List[int], k: int) -> int:\n"
        "        return sum(x >= k for x in nums)\n",  # right on the public case only
        wrong_passes_visible=True,
        prompt_has=("def countAbove(self, nums: List[int], k: int) -> int:",),
    ),
    Example(
        "primeintellect_stdio",
        "primeintellect",
        {
            "source": "codeforces",
            "task_type": "verifiable_code",
            "in_source_id": "9999_D",
            "prompt": "Solve the following coding problem using the programming language python:\n\nPrint a * b for "
            "the two given integers.\n\nThe input will be stdin and you should print your solution to stdout\n\n\n"
            "Now solve the problem and return the code.",
            "gold_standard_solution": "```python\na, b = map(int, input().split())\nprint(a * b)\n```",
            "verification_info": json.dumps(
                {
                    "language": "python",
                    "test_cases": [
                        {"fn_name": None, "input": "2 3\n", "output": "6\n", "type": "stdin_stdout"},
                        {"fn_name": None, "input": "-4 5\n", "output": "-20\n", "type": "stdin_stdout"},
                    ],
                }
            ),
            "metadata": json.dumps({"difficulty": 800}),
            "problem_id": "vfc_99999",
        },
        {"id": "vfc_99999", "tests.checker": "exact", "tests.cases": 2, "language": "python"},
        right="x, y = input().split()\nprint(int(x) * int(y))\n",
        wrong="x, y = input().split()\nprint(int(x) + int(y))\n",
    ),
    Example(
        "primeintellect_call",
        "primeintellect",
        {
            "source": "codewars",
            "task_type": "verifiable_code",
            "in_source_id": "0000",
            "prompt": "Solve the following coding problem using the programming language python:\n\nReturn n + 1.\n\n"
            "The function is `add_one(n)`.",
            "gold_standard_solution": "```python\ndef add_one(n):\n    return n + 1\n```",
            "verification_info": json.dumps(
                {
                    "language": "python",
                    "test_cases": [
                        {"fn_name": "add_one", "input": [3], "output": [4], "type": "function_call"},
                        {"fn_name": "add_one", "input": [-1], "output": [0], "type": "function_call"},
                    ],
                }
            ),
            "metadata": "{}",
            "problem_id": "vfc_99998",
        },
        {"tests.kind": "assert", "tests.entry_point": "add_one", "solution": "def add_one(n):\n    return n + 1\n"},
        right="add_one = lambda n: n + 1\n",
        wrong="def add_one(n):\n    return n\n",
    ),
    Example(
        "kodcode",
        "kodcode",
        {
            "version": "v1.0",
            "style": "instruct",
            "subset": "Leetcode",
            "question_id": "Leetcode_99999_I",
            "question": "Given a list of integers `nums`, return the length of its longest strictly increasing run "
            "of consecutive elements.",
            "solution": "def longest_run(nums):\n    best = cur = 0\n    prev = None\n    for x in nums:\n"
            "        cur = cur + 1 if prev is not None and x > prev else 1\n        best = max(best, cur)\n"
            "        prev = x\n    return best\n",
            "test": "from solution import longest_run\n\ndef test_empty():\n    assert longest_run([]) == 0\n\n"
            "def test_mixed():\n    assert longest_run([1, 2, 2, 3, 4, 1]) == 3\n",
            "test_info": [
                {
                    "function_name": "longest_run",
                    "parameter_list": "(nums)",
                    "function_declaration": "def longest_run(nums):",
                    "docstring": "Length of the longest strictly increasing run.",
                }
            ],
            "gpt_pass_sequence": [1, 1, 1],
            "gpt_pass_trial_num": 3,
            "gpt_difficulty": "easy",
            "gpt_pass_percentage": 1.0,
        },
        {"id": "Leetcode_99999_I", "tests.kind": "pytest", "tests.entry_point": "longest_run"},
        right="def longest_run(nums):\n    if not nums:\n        return 0\n    runs = [1]\n"
        "    for a, b in zip(nums, nums[1:]):\n"
        "        runs.append(runs[-1] + 1 if b > a else 1)\n    return max(runs)\n",
        wrong="def longest_run(nums):\n    return len(nums)\n",
        prompt_has=("def longest_run(nums):",),
    ),
    Example(
        "code_tasks",
        "code_tasks",
        {
            "id": "py-stdio-reverse-words",
            "language": "python",
            "prompt": "Read one line; print its words in reverse order separated by single spaces.",
            "solution": "print(' '.join(reversed(input().split())))\n",
            "tests": {
                "kind": "stdio",
                "cases": [
                    {"stdin": "hello big world\n", "stdout": "world big hello\n"},
                    {"stdin": "one\n", "stdout": "one\n"},
                ],
            },
            "perturbed": ["print(' '.join(input().split()))\n", "print(input()[::-1])\n"],
        },
        {"id": "py-stdio-reverse-words", "tests.kind": "stdio", "meta.perturbed": 2},
        right="print(*input().split()[::-1])\n",
        wrong="print(input())\n",
    ),
    Example(
        "canonical",
        "canonical",
        {
            "id": "abc999_a",
            "source": "livecodebench",
            "task": "code",
            "prompt": "Print the sum of the squares of the N given integers.",
            "language": "python",
            "tests": {"kind": "stdio", "cases": [{"stdin": "2\n0 2\n", "stdout": "4\n"}], "checker": "tokens"},
            "hidden_tests": {"kind": "stdio", "cases": [{"stdin": "2\n1 2\n", "stdout": "5\n"}], "checker": "tokens"},
            "solution": None,
            "answer": None,
            "meta": {"platform": "atcoder"},
        },
        {"id": "abc999_a", "source": "livecodebench", "hidden_tests.cases": 1, "meta.platform": "atcoder"},
        right="input()\nprint(sum(int(t) ** 2 for t in input().split()))\n",
        wrong="input()\nprint(sum(int(t) for t in input().split()) ** 2)\n",
        wrong_passes_visible=True,
    ),
]

MATH = [
    Example(
        "gsm8k",
        "gsm8k",
        {
            "question": "Ann has 3 bags with 400 apples each. She sells 0 of them. How many apples does she have?",
            "answer": "3 bags of 400 apples are 3 * 400 = <<3*400=1200>>1200 apples.\n#### 1,200",
        },
        {"answer": "1200", "task": "math", "id": "gsm8k/0"},
    ),
    Example(
        "math",
        "math",
        {
            "problem": "What is $\\frac{1}{2} + \\frac{1}{3}$?",
            "solution": "The common denominator is 6, so the sum is $\\frac{3}{6} + \\frac{2}{6} = "
            "\\boxed{\\frac{5}{6}}$.",
            "level": "Level 1",
            "type": "Prealgebra",
        },
        {"answer": "\\frac{5}{6}", "meta.level": "Level 1"},
    ),
    Example(
        "math500",
        "math",
        {
            "problem": "Find the set of solutions of $x^2 = 1$.",
            "solution": "Both $x = 1$ and $x = -1$ work, so the answer is $\\boxed{\\{-1, 1\\}}$.",
            "answer": "\\{-1, 1\\}",
            "subject": "Algebra",
            "level": 2,
            "unique_id": "test/algebra/9999.json",
        },
        {"answer": "\\{-1, 1\\}", "id": "test/algebra/9999.json"},
    ),
    Example("plain_problem", "answer", {"problem": "Compute $2 + 2$.", "answer": "4"}, {"answer": "4"}),
    Example(
        "plain_question_number", "gsm8k", {"question": "How many legs has a spider?", "answer": 8}, {"answer": "8"}
    ),
    Example(
        "primeintellect_math",
        "primeintellect",
        {
            "source": "synthetic_math",
            "task_type": "verifiable_math",
            "in_source_id": "9999",
            "prompt": "What is 3 * 4?",
            "gold_standard_solution": "3 * 4 = 12, so the answer is $\\boxed{12}$.",
            "verification_info": json.dumps({"ground_truth": "12"}),
            "metadata": "{}",
            "problem_id": "synth_9999",
        },
        {"answer": "12", "task": "math", "language": None},
    ),
    Example(
        "project_math",
        "project_math",
        {
            "id": "math-04000",
            "task": "math",
            "kind": "linear",
            "question": "Solve for x: 8x + 12 = 108.",
            "answer": "12",
            "solution": "8x = 108 - 12 = 96, so x = 96/8 = 12. The answer is \\boxed{12}.",
        },
        {"answer": "12", "id": "math-04000", "meta.kind": "linear"},
    ),
]

CODE = FUNCTION_ROWS + CONTEST_ROWS
EXAMPLES = {e.name: e for e in CODE + MATH}
