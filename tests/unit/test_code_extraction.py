"""extract_code: last fenced block of the task's language, alias-tolerant; one case per line, why in the comment."""

from __future__ import annotations

import pickle
from concurrent.futures import ThreadPoolExecutor

import pytest

from rewards.code_rewards import CodeGrader, code_rewards_batch, extract_code
from sandbox.tasks import TaskError

CASES = [
    ("```python\nx = 1\n```", "python", "x = 1\n"),  # plain python block
    ("```py\nx = 1\n```", "python", "x = 1\n"),  # py alias
    ("```Python3\nx = 1\n```", "python", "x = 1\n"),  # python3 alias, tag case-insensitive
    ("```python\nx = 1\n```\ntext\n```python\nx = 2\n```", "python", "x = 2\n"),  # the LAST block wins
    (
        "```python\nx = 1\n```\n```cpp\nint x;\n```",
        "python",
        "x = 1\n",
    ),  # a later block of another language is skipped
    ("```cpp\nint x;\n```\n```python\nx = 1\n```", "cpp", "int x;\n"),  # and the other way round
    ("```c++\nint x;\n```", "cpp", "int x;\n"),  # c++ alias
    ("```cc\nint x;\n```", "c++", "int x;\n"),  # both sides aliased
    ("```js\nlet x;\n```", "javascript", "let x;\n"),  # js alias
    ("```golang\npackage main\n```", "go", "package main\n"),  # golang alias
    ("```rs\nfn main() {}\n```", "rust", "fn main() {}\n"),  # rs alias
    ("```\nx = 1\n```", "python", "x = 1\n"),  # untagged block taken when no tagged one exists
    ("```\nx = 0\n```\n```python\nx = 1\n```\n```\nx = 2\n```", "python", "x = 1\n"),  # tagged beats a later untagged
    ("```python {title=a.py}\nx = 1\n```", "python", "x = 1\n"),  # info string after the tag
    ("  ```python\n  x = 1\n  ```", "python", "  x = 1\n"),  # indented fences (inside a list item)
    ("```python\nx = 1\n", "python", "x = 1\n"),  # truncated completion: no closing fence
    ("```python\n\n```\n", "python", None),  # empty block is no program
    ("no code here", "python", None),  # nothing fenced
    ("```java\nclass A {}\n```", "python", None),  # only another language
    ("", "python", None),  # empty completion
    ("```python\ns = '```'\n```", "python", "s = '```'\n"),  # inline backticks inside the code are kept
]


@pytest.mark.parametrize("completion,language,expected", CASES)
def test_extract_code(completion, language, expected):
    assert extract_code(completion, language) == expected


def test_unknown_language_is_a_clear_error():
    with pytest.raises(TaskError, match="unknown language 'cobol'"):
        extract_code("```cobol\nx\n```", "cobol")


def test_unusable_tests_are_not_judged():
    # None (cannot judge) before any sandbox is touched: the grader never starts its backend for these
    grader = CodeGrader()
    tests = [{"kind": "nope"}, {"kind": "assert", "code": "assert ("}, {"kind": "pytest", "code": "def test(): pass"}]
    code = "```python\nx = 1\n```"
    assert code_rewards_batch([code] * 3, tests, ["python", "python", "cpp"], grader) == [None, None, None]
    assert grader._backend is None


def test_extraction_is_thread_safe_and_picklable():
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda case: extract_code(case[0], case[1]), CASES))
    assert results == [expected for _, _, expected in CASES]
    assert pickle.loads(pickle.dumps(extract_code))("```py\nx\n```", "python") == "x\n"
