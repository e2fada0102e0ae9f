"""Trusted-side grading logic without a sandbox: row validation (with the optional checker and limits keys), job
assembly, and the verdict from step results."""

from __future__ import annotations

import json

import pytest

from sandbox.assembly import c_family_assert_source
from sandbox.base import Limits, Status, StepResult
from sandbox.checkers import normalize_output
from sandbox.harness import prepare
from sandbox.tasks import TaskError, parse_task, task_to_row
from sandbox.verdicts import find_evidence, judge

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
    ({**GOOD, "tests": {**GOOD["tests"], "checker": "tokens"}}, "checker applies to kind 'stdio' only"),
    ({**GOOD, "tests": {"kind": "stdio", "cases": [{"stdin": "", "stdout": ""}], "checker": "fuzzy"}},
     "checker must be one of"),  # a checker nobody implements
    ({**GOOD, "tests": {"kind": "stdio", "cases": [{"stdin": "", "stdout": ""}], "checker": "tokens",
      "abs_tol": 1e-3}}, "abs_tol applies to the 'float' checker"),  # a tolerance the checker ignores
    ({**GOOD, "tests": {"kind": "stdio", "cases": [{"stdin": "", "stdout": ""}], "rel_tol": -1}}, "rel_tol must be"),
    ({**GOOD, "tests": {**GOOD["tests"], "limits": {"time_limit": 2}}}, r"unknown key\(s\) \['time_limit'\]"),
    ({**GOOD, "tests": {**GOOD["tests"], "limits": {"memory_mb": 0}}}, "memory_mb must be a positive number"),
    ({**GOOD, "tests": {**GOOD["tests"], "limits": {"cpu_time_s": 5, "timeout_s": 1}}}, "below cpu_time_s"),
    ({**GOOD, "tests": {**GOOD["tests"], "limits": [2]}}, "must be an object of limit overrides"),
]  # fmt: skip


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


def test_new_keys_parse_round_trip_and_override_the_callers_limits():
    row = {**GOOD, "tests": {"kind": "stdio", "cases": [{"stdin": "", "stdout": "1"}], "checker": "float",
                             "abs_tol": 1e-3, "limits": {"cpu_time_s": 2, "memory_mb": 256}}}  # fmt: skip
    task = parse_task(row)
    assert (task.tests.checker_name, task.tests.tolerances) == ("float", (1e-3, 1e-6))
    assert task_to_row(task)["tests"] == row["tests"]
    limits = prepare(task, Limits(cpu_time_s=20, timeout_s=90, output_bytes=1 << 20)).job.limits
    assert (limits.cpu_time_s, limits.memory_mb, limits.output_bytes) == (2, 256, 1 << 20)  # task wins field by field
    assert limits.wall_timeout_s == 3 * 2 + 10  # the caller's backstop was for its own CPU limit: derived again
    plain = parse_task({**GOOD, "tests": {"kind": "stdio", "cases": [{"stdin": "", "stdout": "1"}]}})
    assert (plain.tests.checker, plain.tests.checker_name, plain.tests.limits) == (None, "float", {})  # defaults


def test_default_limits_fit_contest_solutions():
    limits = Limits()
    assert limits.output_bytes >= 16 << 20 and limits.memory_mb - 256 >= 256  # 16 MiB out, 256 MiB of data
    assert limits.wall_timeout_s > 2 * limits.cpu_time_s  # wall clock is only a generous backstop
    with pytest.raises(ValueError, match="timeout_s .* is below cpu_time_s"):
        Limits(cpu_time_s=10, timeout_s=3)


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
        "#define assert(x) ((void)0)\n#define unrelated 1\nint f(void){return 1;}",
        "#include <assert.h>\nint main() { assert(f() == 2); }",
        "ab" * 16,
    )
    guard = source.index("#undef assert")
    assert guard < source.index("#include <assert.h>")  # undefined before assert.h is re-read
    assert "#undef unrelated" not in source and "int codealign_tests_main(void)" in source
    tests_include = source.rindex("#include <assert.h>")  # the tests' own include brings glibc's assert back ...
    assert source.index("#define assert(e)", tests_include) < source.index("codealign_tests_main(void)")  # ... undone


def test_compiled_nonce_is_split_and_the_binary_sealed():
    row = {"id": "c", "language": "cpp", "solution": "int f(){return 1;}",
           "tests": {"kind": "assert", "code": "int main() { assert(f() == 1); }"}}  # fmt: skip
    prepared = prepare(parse_task(row))
    compile_step, run_step = prepared.job.steps
    source = compile_step.files[0].content
    assert prepared.nonce.encode() not in source  # only its two XOR halves, under random names
    assert compile_step.seal == ("prog",) and run_step.stdin == b""  # nothing to read on stdin
    assert prepare(parse_task(row)).job.steps[0].files[0].content != source  # halves and names are per run


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
    (b'\nCODEALIGN NONCE pass ""\n', None, {"cpu_limited": True}, Status.TIMEOUT),  # limits beat evidence
    (b"", None, {"timed_out": True, "starved": False}, Status.TIMEOUT),  # idle until the backstop: the program's
    (b"", None, {"timed_out": True, "starved": True}, Status.WALL_CLOCK_BACKSTOP),  # starved by a busy machine
    (b"", None, {"timed_out": True}, Status.WALL_CLOCK_BACKSTOP),  # cannot tell: not judged either
    (b'\nCODEALIGN NONCE fail {"detail": "x", "passed": 2, "total": 5}\n', 0, {}, Status.FAILED),  # with counts
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
    assert expected.judged is (expected not in (Status.SANDBOX_ERROR, Status.WALL_CLOCK_BACKSTOP))


def _stdio(checker: str | None, expected: str, **extra) -> object:
    tests = {"kind": "stdio", "cases": [{"stdin": "", "stdout": expected}], **extra}
    if checker:
        tests["checker"] = checker
    return prepare(parse_task({"id": "s", "language": "python", "solution": "", "tests": tests}))


def test_stdio_compared_outside_by_the_tasks_checker():
    prepared = _stdio(None, "1\n2\n")
    assert all(b"1\n2" not in f.content for step in prepared.job.steps for f in step.files)
    for checker, out, expected in [
        ("exact", b"1\n2\n", Status.PASSED),
        ("exact", b"1  \n2\n\n\n", Status.PASSED),  # trailing whitespace is forgiven
        ("exact", b"1 2\n", Status.FAILED),  # lines matter
        (None, b"1 2", Status.PASSED),  # the default checker compares tokens
        (None, b"1\n2\n3\n", Status.FAILED),
        (None, b"ans: 1\n2", Status.FAILED),
    ]:
        result = judge(_stdio(checker, "1\n2\n"), [StepResult(name="case0", exit_code=0, stdout=out)])
        assert result.status is expected, (checker, out)
        assert (result.tests_passed, result.tests_total) == (int(expected is Status.PASSED), 1)
    heap = StepResult(name="case0", exit_code=134, stderr=b"FATAL ERROR: Reached heap limit Allocation failed - "
                      b"JavaScript heap out of memory\n 1: 0x7f node::Abort()\n")  # fmt: skip
    verdict = judge(prepared, [heap])
    assert verdict.status is Status.MEMORY_LIMIT and "JavaScript heap out of memory" in verdict.detail


def test_stdio_all_cases_counted_and_fail_fast_by_default():
    row = {"id": "s", "language": "python", "solution": "",
           "tests": {"kind": "stdio", "cases": [{"stdin": "", "stdout": str(i)} for i in range(3)]}}  # fmt: skip
    fail_fast, every = prepare(parse_task(row)), prepare(parse_task(row), all_tests=True)
    wrong = StepResult(name="case1", exit_code=0, stdout=b"7")
    assert fail_fast.job.stop_after(1, wrong) and not fail_fast.job.stop_after(0, StepResult("case0", 0, b"0"))
    assert every.job.stop_after is None and not any(s.stop_on_failure for s in every.job.steps)
    outs = [StepResult(name=f"case{i}", exit_code=0, stdout=o) for i, o in enumerate((b"0", b"7", b"2"))]
    result = judge(every, outs)
    assert (result.status, result.tests_passed, result.tests_total) == (Status.FAILED, 2, 3)


def test_normalize_output_and_evidence_parsing():
    assert normalize_output("a \r\nb\t\n\n") == "a\nb"
    assert find_evidence(b'x\nCODEALIGN n1 fail "bad"\nCODEALIGN n1 pass ""\n', "n1") == ("pass", "", None, None)
    assert find_evidence(b'CODEALIGN n1 fail {"detail": "d", "passed": 1, "total": 4}', "n1") == ("fail", "d", 1, 4)
    assert find_evidence(b'CODEALIGN n1 pass {"passed": 9, "total": 4}', "n1")[2:] == (None, None)  # not sound
    assert find_evidence(b"CODEALIGN n2 pass", "n1") is None
