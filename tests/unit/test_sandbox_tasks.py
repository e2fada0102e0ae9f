"""Trusted-side grading logic without a sandbox: row validation, job assembly, and the verdict from step results."""

from __future__ import annotations

import json

import pytest

from sandbox.base import Limits, Status, StepResult
from sandbox.harness import find_evidence, judge, normalize_output, prepare
from sandbox.languages import c_family_assert_source
from sandbox.tasks import TaskError, parse_task

GOOD = {
    "id": "t",
    "language": "python",
    "solution": "def f(): return 1",
    "tests": {"kind": "assert", "code": "assert f() == 1"},
}

BAD_ROWS = [
    ([], "must be a JSON object"),  # not a dict
    ({**GOOD, "id": None}, "'id' must be a string"),  # missing id
    ({**GOOD, "language": "cobol"}, "unknown language 'cobol'"),  # unsupported language
    ({**GOOD, "solution": 3}, "'solution' must be a string"),  # solution not text
    ({k: v for k, v in GOOD.items() if k != "tests"}, "'tests' is missing"),  # no tests
    ({**GOOD, "tests": {"kind": "unit"}}, "tests.kind must be one of"),  # unknown kind
    ({**GOOD, "tests": {"kind": "assert", "code": ""}}, "tests.code must be a non-empty string"),  # empty code
    ({**GOOD, "tests": {"kind": "assert", "code": "assert ("}}, "not valid Python"),  # broken Python tests
    ({**GOOD, "tests": {"kind": "stdio", "cases": []}}, "tests.cases must be a non-empty list"),  # no cases
    ({**GOOD, "tests": {"kind": "stdio", "cases": [{"stdin": "1"}]}}, r"tests.cases\[0\].stdout must be a string"),
    ({**GOOD, "language": "c", "tests": {"kind": "pytest", "code": "x"}}, "'pytest' is for Python only"),
    ({**GOOD, "tests": {**GOOD["tests"], "entry_point": "not an id"}}, "entry_point must be an identifier"),
]


@pytest.mark.parametrize("row,message", BAD_ROWS)
def test_bad_rows_name_the_field(row, message):
    with pytest.raises(TaskError, match=message):
        parse_task(row, index=3)


def test_all_problems_reported_at_once():
    with pytest.raises(TaskError) as info:
        parse_task({"id": "x", "language": "cobol", "solution": 1, "tests": {}}, index=0)
    assert "language" in str(info.value) and "solution" in str(info.value) and "row 0 (id='x')" in str(info.value)


def test_language_aliases_and_extra_fields():
    task = parse_task({**GOOD, "language": "Py3", "prompt": "p"})
    assert task.language == "python" and task.extra == {"prompt": "p"}


def test_python_secrets_travel_only_through_stdin():
    prepared = prepare(parse_task({**GOOD, "tests": {"kind": "assert", "code": "assert f() == 48271"}}))
    (step,) = prepared.job.steps
    spec = json.loads(step.stdin)
    assert spec["nonce"] == prepared.nonce and "48271" in spec["code"]
    assert all(b"48271" not in f.content and prepared.nonce.encode() not in f.content for f in step.files)
    assert all(f.readonly for f in step.files)
    assert prepared.nonce != prepare(parse_task(GOOD)).nonce  # fresh per run


def test_compiled_tests_are_hidden_before_the_program_runs():
    row = {
        "id": "c",
        "language": "c",
        "solution": "int f(void){return 1;}",
        "tests": {"kind": "assert", "code": "int main() { assert(f() == 1); }"},
    }
    compile_step, run_step = prepare(parse_task(row)).job.steps
    assert compile_step.name == "compile" and run_step.hidden == ("main.c",) and run_step.files == ()


def test_c_guard_undefines_solution_macros_used_by_tests():
    source = c_family_assert_source(
        "#define assert(x) ((void)0)\n#define unrelated 1\nint f(void){return 1;}", "int main() { assert(f() == 2); }"
    )
    guard = source.index("#undef assert")
    assert guard < source.index("#include <assert.h>")  # undefined before assert.h is re-read
    assert "#undef unrelated" not in source and "int codealign_tests_main(void)" in source


def _result(stdout: bytes = b"", exit_code: int | None = 0, **kw) -> StepResult:
    return StepResult(name="tests", exit_code=exit_code, stdout=stdout, **kw)


def _verdict(stdout: bytes, exit_code: int | None = 0, **kw) -> Status:
    prepared = prepare(parse_task(GOOD))
    out = stdout.replace(b"NONCE", prepared.nonce.encode())
    return judge(prepared, [_result(out, exit_code, **kw)]).status


VERDICTS = [
    (b'\nCODEALIGN NONCE pass ""\n', 0, {}, Status.PASSED),  # harness evidence + exit 0
    (b'\nCODEALIGN NONCE pass ""\n', 1, {}, Status.RUNTIME_ERROR),  # evidence but a non-zero exit
    (b"", 0, {}, Status.FAILED),  # exit 0 alone is no evidence
    (b'CODEALIGN 00000000000000000000000000000000 pass ""\n', 0, {}, Status.FAILED),  # wrong nonce
    (b'all good CODEALIGN NONCE pass ""\n', 0, {}, Status.FAILED),  # evidence must start the line
    (b'\nCODEALIGN NONCE fail "AssertionError"\n', 0, {}, Status.FAILED),  # harness saw a failed assert
    (b'\nCODEALIGN NONCE died ""\n', 0, {}, Status.RUNTIME_ERROR),  # solution process exited mid-test
    (b'\nCODEALIGN NONCE compile_error ""\n', 0, {}, Status.COMPILE_ERROR),  # SyntaxError at load
    (b'\nCODEALIGN NONCE pass ""\n', None, {"timed_out": True}, Status.TIMEOUT),  # limits beat evidence
    (b'\nCODEALIGN NONCE pass ""\n', None, {"oom_killed": True}, Status.MEMORY_LIMIT),
    (b'\nCODEALIGN NONCE pass ""\n', 0, {"output_truncated": True}, Status.OUTPUT_LIMIT),
    (b"", 134, {}, Status.RUNTIME_ERROR),  # killed without evidence
    (b"", 1, {"stderr": b'Exception in thread "main" java.lang.OutOfMemoryError: Java heap space\n'},
     Status.MEMORY_LIMIT),  # a runtime's own heap cap is the memory limit
    (b'\nCODEALIGN NONCE error "OutOfMemoryError"\n', 1, {"stderr": b"java.lang.OutOfMemoryError\n"},
     Status.MEMORY_LIMIT),  # caught by the harness: still out of memory
    (b'\nCODEALIGN NONCE fail "AssertionError"\n', 1, {"stderr": b"std::bad_alloc\n"},
     Status.FAILED),  # a failed assert stays a failed assert
    (b'\nCODEALIGN NONCE pass ""\n', 0, {"stderr": b"std::bad_alloc\n"}, Status.PASSED),  # exit 0: no failure
]  # fmt: skip


@pytest.mark.parametrize("stdout,exit_code,flags,expected", VERDICTS)
def test_verdict_from_step_results(stdout, exit_code, flags, expected):
    assert _verdict(stdout, exit_code, **flags) is expected


def test_stdio_compared_outside_strictly_but_trailing_whitespace():
    row = {
        "id": "s",
        "language": "python",
        "solution": "",
        "tests": {"kind": "stdio", "cases": [{"stdin": "", "stdout": "1\n2\n"}]},
    }
    prepared = prepare(parse_task(row))
    assert all(b"1\n2" not in f.content for step in prepared.job.steps for f in step.files)
    for out, expected in [
        (b"1\n2\n", Status.PASSED),
        (b"1  \n2\n\n\n", Status.PASSED),
        (b"1\n2\n3\n", Status.FAILED),
        (b" 1\n2", Status.FAILED),
        (b"ans: 1\n2", Status.FAILED),
    ]:
        assert judge(prepared, [StepResult(name="case0", exit_code=0, stdout=out)]).status is expected, out
    heap = StepResult(name="case0", exit_code=134, stderr=b"FATAL ERROR: Reached heap limit Allocation failed - "
                      b"JavaScript heap out of memory\n 1: 0x7f node::Abort()\n")  # fmt: skip
    verdict = judge(prepared, [heap])
    assert verdict.status is Status.MEMORY_LIMIT and "JavaScript heap out of memory" in verdict.detail


def test_normalize_output_and_evidence_parsing():
    assert normalize_output("a \r\nb\t\n\n") == "a\nb"
    assert find_evidence(b'x\nCODEALIGN n1 fail "bad"\nCODEALIGN n1 pass ""\n', "n1") == ("pass", "")
    assert find_evidence(b"CODEALIGN n2 pass", "n1") is None


def test_wrong_number_of_results_is_a_sandbox_error():
    prepared = prepare(parse_task(GOOD), Limits())
    assert judge(prepared, []).status is Status.SANDBOX_ERROR
