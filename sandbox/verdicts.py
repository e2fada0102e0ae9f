"""Trusted side of grading, part two: the backend's raw `StepResult`s become the verdict (`ExecResult`).

Order of precedence per step: resources first (out of memory, CPU-time limit, the wall-clock backstop, output
flood), then what the program showed: the harness's evidence line for `assert`/`pytest` tests, the checker's
comparison for `stdio` cases. The wall-clock backstop is a verdict (`TIMEOUT`) only when the program was idle; a
program that was runnable but starved of CPU by a busy machine gets `WALL_CLOCK_BACKSTOP`, which is no verdict.
"""

from __future__ import annotations

import json

from sandbox.base import ExecResult, Status, StepResult
from sandbox.checkers import compare
from sandbox.harness import PreparedJob
from sandbox.tasks import TestSpec

DETAIL_CHARS = 500
KEPT_OUTPUT_BYTES = 64 * 1024  # of each step's stdout/stderr, kept in ExecResult.steps (a flood is 16 MiB)
EVIDENCE_STATUS = {
    "pass": Status.PASSED,
    "fail": Status.FAILED,
    "error": Status.RUNTIME_ERROR,
    "died": Status.RUNTIME_ERROR,
    "compile_error": Status.COMPILE_ERROR,
    "memory": Status.MEMORY_LIMIT,  # MemoryError in the solution (an allocation the limit or the heap refused)
}
ASSERTION_MARKERS = ("Assertion", "assertion", "AssertionError", "assert!", "assert_eq!")
# What a runtime prints when its own heap cap (set from Limits.memory_mb, below the sandbox's limit: see
# sandbox/languages.py) or the allocator refuses memory: the program ran out of its memory budget, the same verdict
# as the kernel's OOM kill. A program that prints one itself gains nothing: it is a failure either way.
OUT_OF_MEMORY_MARKERS = (
    b"java.lang.OutOfMemoryError",  # JVM, -Xmx
    b"JavaScript heap out of memory",  # V8, --max-old-space-size
    b"fatal error: runtime: out of memory",  # Go
    b"memory allocation of ",  # Rust's default alloc error handler: "memory allocation of N bytes failed"
    b"std::bad_alloc",  # C++ operator new
)


def _text(data: bytes, limit: int = DETAIL_CHARS) -> str:
    return data.decode("utf-8", errors="replace")[-limit:]


def limit_status(result: StepResult) -> ExecResult | None:
    """Resource verdicts, which take precedence over whatever the program printed."""
    used = "" if result.cpu_time_s is None else f" after {result.cpu_time_s:.2f} s of CPU"
    if result.oom_killed:
        return ExecResult(Status.MEMORY_LIMIT, detail=f"{result.name}: memory limit exceeded")
    if result.cpu_limited:
        return ExecResult(Status.TIMEOUT, detail=f"{result.name}: CPU time limit exceeded{used}")
    if result.timed_out and result.starved is False:
        return ExecResult(
            Status.TIMEOUT, detail=f"{result.name}: idle (sleeping or blocked) until the wall-clock limit{used}"
        )
    if result.timed_out:
        why = "starved of CPU by a busy machine" if result.starved else "the backend cannot tell idle from starved"
        return ExecResult(Status.WALL_CLOCK_BACKSTOP, detail=f"{result.name}: wall-clock backstop hit{used} ({why})")
    if result.output_truncated:
        return ExecResult(Status.OUTPUT_LIMIT, detail=f"{result.name}: output limit exceeded")
    return None


def find_evidence(stdout: bytes, nonce: str) -> tuple[str, str, int | None, int | None] | None:
    """The harness's verdict line (`CODEALIGN <nonce> <verdict> <json>`) as (verdict, detail, passed, total);
    the json is a detail string or {"detail", "passed", "total"}. None when there is no such line."""
    prefix = f"CODEALIGN {nonce} "
    found = None
    for line in stdout.decode("utf-8", errors="replace").splitlines():
        if line.startswith(prefix):
            verdict, _, raw = line[len(prefix) :].partition(" ")
            try:
                body = json.loads(raw) if raw else ""
            except json.JSONDecodeError:
                body = raw[:DETAIL_CHARS]
            if not isinstance(body, dict):
                body = {"detail": str(body)}
            passed, total = body.get("passed"), body.get("total")
            counts_ok = all(isinstance(n, int) and not isinstance(n, bool) for n in (passed, total))
            counts = (passed, total) if counts_ok and 0 <= passed <= total else (None, None)
            found = (verdict, str(body.get("detail", "")), *counts)
    return found


def out_of_memory(result: StepResult) -> str | None:
    """The runtime's out-of-memory line from a failed step's stderr, or None."""
    if result.exit_code == 0:
        return None
    for line in result.stderr.splitlines():
        if any(marker in line for marker in OUT_OF_MEMORY_MARKERS):
            return line.decode("utf-8", errors="replace").strip()[:200]
    return None


def judge_tests_step(result: StepResult, prepared: PreparedJob) -> ExecResult:
    evidence = find_evidence(result.stdout, prepared.nonce)
    memory = out_of_memory(result) if evidence is None or evidence[0] in ("error", "died") else None
    if memory:
        return ExecResult(Status.MEMORY_LIMIT, detail=f"{result.name}: {memory}")
    if evidence is not None:
        verdict, detail, passed, total = evidence
        status = EVIDENCE_STATUS.get(verdict, Status.FAILED)
        if status is Status.PASSED and result.exit_code != 0:
            return ExecResult(Status.RUNTIME_ERROR, detail=f"exit code {result.exit_code} after the tests passed")
        if verdict == "died":
            detail = "the solution exited or was killed before the tests finished" + (f" ({detail})" if detail else "")
        if status is Status.FAILED and not detail:
            detail = _assertion_line(result) or _test_failure_line(result) or "a test failed"
        return ExecResult(status, detail=detail[:DETAIL_CHARS], tests_passed=passed, tests_total=total)
    if result.exit_code == 0:
        return ExecResult(Status.FAILED, detail="exited before the tests finished (no evidence from the harness)")
    marked = _assertion_line(result)
    if marked is not None:
        return ExecResult(Status.FAILED, detail=f"assertion failed (exit code {result.exit_code}): {marked[:300]}")
    return ExecResult(Status.RUNTIME_ERROR, detail=f"exit code {result.exit_code}: {_text(result.stderr, 300)}")


def _assertion_line(result: StepResult) -> str | None:
    """The last assertion message on stderr that is not a stack frame (Node and the JVM print frames after it)."""
    lines = [line.strip() for line in result.stderr.decode("utf-8", errors="replace").splitlines()]
    marked = [line for line in lines if any(m in line for m in ASSERTION_MARKERS) and not line.startswith("at ")]
    return marked[-1] if marked else None


def _test_failure_line(result: StepResult) -> str | None:
    """Go's `--- FAIL: TestX` and the message line before it (the testing package reports on stdout)."""
    lines = [line.strip() for line in result.stdout.decode("utf-8", errors="replace").splitlines()]
    for i, line in enumerate(lines):
        if line.startswith("--- FAIL"):
            return " ".join(lines[i : i + 2])[:300]
    return None


def case_failure(result: StepResult, expected: str, index: int, tests: TestSpec) -> ExecResult | None:
    """The verdict of a failed stdio case, or None when the case passed."""
    limited = limit_status(result)
    if limited is not None:
        return limited
    memory = out_of_memory(result)
    if memory:
        return ExecResult(Status.MEMORY_LIMIT, detail=f"case {index}: {memory}")
    if result.exit_code != 0:
        stderr = _text(result.stderr, 300)
        return ExecResult(Status.RUNTIME_ERROR, detail=f"case {index}: exit code {result.exit_code}: {stderr}")
    got = result.stdout.decode("utf-8", errors="replace")
    abs_tol, rel_tol = tests.tolerances
    reason = compare(got, expected, tests.checker_name, abs_tol, rel_tol)
    if reason is not None:
        return ExecResult(Status.FAILED, detail=f"case {index} ({tests.checker_name} checker): {reason}")
    return None


def judge(prepared: PreparedJob, results: list[StepResult]) -> ExecResult:
    """Turn the backend's per-step facts into the verdict for the task."""
    verdict = _judge_steps(prepared, results)
    ran = [r for r in results if not r.skipped]
    if ran:
        verdict.stdout, verdict.stderr = _text(ran[-1].stdout, 4000), _text(ran[-1].stderr, 4000)
    for r in results:  # a caller that keeps thousands of results must not keep 16 MiB floods with them
        r.stdout, r.stderr = r.stdout[-KEPT_OUTPUT_BYTES:], r.stderr[-KEPT_OUTPUT_BYTES:]
    verdict.steps = results
    verdict.duration_s = sum(r.duration_s for r in results)
    cpu = [r.cpu_time_s for r in ran]
    verdict.cpu_time_s = sum(cpu) if cpu and None not in cpu else None
    return verdict


def _judge_steps(prepared: PreparedJob, results: list[StepResult]) -> ExecResult:
    if len(results) != len(prepared.job.steps):
        return ExecResult(
            Status.SANDBOX_ERROR, detail=f"backend returned {len(results)} results for {len(prepared.job.steps)} steps"
        )
    tests = prepared.task.tests
    cases, passed, failures = 0, 0, []
    for step, result in zip(prepared.job.steps, results):
        if step.name == "compile":
            failed = _compile_failure(result)
            if failed is not None:
                return failed
            continue
        if step.name == "tests":
            limited = limit_status(result)
            return limited if limited is not None else judge_tests_step(result, prepared)
        if result.skipped:
            continue
        failure = case_failure(result, tests.cases[cases].stdout, cases, tests)
        cases += 1
        passed += failure is None
        if failure is not None:
            failures.append(failure)
    total = len(tests.cases)
    # A case the program failed decides the verdict even if another case was not judged (a wrong answer is wrong).
    first_failure = next((f for f in failures if f.judged), failures[0] if failures else None)
    if first_failure is not None:
        first_failure.tests_passed, first_failure.tests_total = passed, total
        return first_failure
    if cases == total and total > 0:
        return ExecResult(Status.PASSED, detail=f"{cases} cases passed", tests_passed=passed, tests_total=total)
    return ExecResult(Status.SANDBOX_ERROR, detail="no step produced a verdict")


def _compile_failure(result: StepResult) -> ExecResult | None:
    limited = limit_status(result)
    if limited is not None:
        return (
            limited
            if limited.status is not Status.OUTPUT_LIMIT
            else ExecResult(Status.COMPILE_ERROR, detail="compiler output flood")
        )
    if result.exit_code != 0:
        return ExecResult(Status.COMPILE_ERROR, detail=_text(result.stderr or result.stdout))
    return None
