"""Trusted side of grading: a `CodeTask` becomes a `Job`; the backend's raw `StepResult`s become a verdict.

What decides a pass (never an exit code alone):

* `assert` / `pytest`: a line ``CODEALIGN <nonce> pass`` printed by the harness after every test ran, with a fresh
  random nonce per run that the solution never sees (Python: delivered over a pipe to a separate checker process,
  see `sandbox/guest/py_harness.py`; other languages: read from stdin only after the tests returned), and exit code 0.
* `stdio`: every case's stdout equals the expected one apart from trailing whitespace; the expected outputs stay
  here, outside the sandbox, and the comparison is done here.
"""

from __future__ import annotations

import importlib.util
import json
import marshal
import secrets
from dataclasses import dataclass
from pathlib import Path

from sandbox.base import ExecResult, File, Job, Limits, Status, Step, StepResult
from sandbox.languages import build_program
from sandbox.tasks import CodeTask

PY_HARNESS_FILE = "_harness.py"
PY_HARNESS_SOURCE = (Path(__file__).parent / "guest" / "py_harness.py").read_bytes()
# Compiling the ~600-line harness costs more than the rest of a short test run, and a main script is never cached
# as .pyc: ship it precompiled (marshal, with the interpreter's magic number) plus the source as a fallback for a
# sandbox Python of another version. The loader below is all that gets compiled per run.
PY_HARNESS_CODE = importlib.util.MAGIC_NUMBER + marshal.dumps(compile(PY_HARNESS_SOURCE, "_harness_main.py", "exec"))
PY_HARNESS_LOADER = b"""import marshal, sys  # run with the work dir as cwd (both backends do)
magic = sys.modules["_frozen_importlib_external"].MAGIC_NUMBER
with open("_harness_code.bin", "rb") as f:
    data = f.read()
if data.startswith(magic):
    code = marshal.loads(data[len(magic):])
else:
    with open("_harness_main.py", "rb") as f:
        code = compile(f.read(), "_harness_main.py", "exec")
exec(code, {"__name__": "__main__", "__file__": __file__, "__builtins__": __builtins__})
"""
PY_HARNESS_FILES = (
    File(PY_HARNESS_FILE, PY_HARNESS_LOADER),
    File("_harness_code.bin", PY_HARNESS_CODE),
    File("_harness_main.py", PY_HARNESS_SOURCE),
)
COMPILE_TIMEOUT_S = 60.0  # javac/rustc on a loaded 2-core machine; the run steps use Limits.timeout_s
DETAIL_CHARS = 500


@dataclass(frozen=True)
class PreparedJob:
    """A job plus what the trusted side needs to judge it (kept outside the sandbox)."""

    task: CodeTask
    job: Job
    nonce: str


def prepare(task: CodeTask, limits: Limits | None = None) -> PreparedJob:
    """Build the job for `task` with a fresh nonce. Raises `ValueError` when the task's tests cannot be assembled."""
    limits = limits or Limits()
    nonce = secrets.token_hex(16)
    kind = task.tests.kind
    if task.language == "python" and kind in ("assert", "pytest"):
        spec = {"nonce": nonce, "kind": kind, "code": task.tests.code, "entry_point": task.tests.entry_point}
        argv = (
            ("/usr/bin/python3", "-I", PY_HARNESS_FILE)
            if kind == "pytest"
            else ("/usr/bin/python3", "-I", "-S", PY_HARNESS_FILE)
        )
        files = (File("solution.py", task.solution.encode()), *PY_HARNESS_FILES)
        step = Step(argv=argv, name="tests", stdin=json.dumps(spec).encode(), files=files)
        return PreparedJob(task, Job(steps=(step,), limits=limits), nonce)
    tests = task.tests.code if kind == "assert" else None
    build = build_program(task.language, task.solution, tests, limits.memory_mb)
    steps: list[Step] = []
    if build.compile_argv:
        timeout_s = max(COMPILE_TIMEOUT_S, limits.timeout_s)
        steps.append(
            Step(argv=build.compile_argv, name="compile", files=build.files, timeout_s=timeout_s, env=build.env)
        )
    first_files = () if build.compile_argv else build.files
    if kind == "assert":
        stdin = nonce.encode() + b"\n"
        hidden = build.hide_after_compile
        steps.append(Step(build.run_argv, name="tests", stdin=stdin, files=first_files, env=build.env, hidden=hidden))
    else:
        for i, case in enumerate(task.tests.cases):
            files = first_files if i == 0 else ()
            steps.append(
                Step(argv=build.run_argv, name=f"case{i}", stdin=case.stdin.encode(), files=files, env=build.env)
            )
    return PreparedJob(task, Job(steps=tuple(steps), limits=limits), nonce)


def normalize_output(text: str) -> str:
    """Trailing whitespace of every line and of the whole output is not significant; everything else is."""
    return "\n".join(line.rstrip() for line in text.rstrip().splitlines())


def _text(data: bytes, limit: int = DETAIL_CHARS) -> str:
    return data.decode("utf-8", errors="replace")[-limit:]


def _limit_status(result: StepResult) -> ExecResult | None:
    """Resource verdicts, which take precedence over whatever the program printed."""
    if result.oom_killed:
        return ExecResult(Status.MEMORY_LIMIT, detail=f"{result.name}: memory limit exceeded")
    if result.timed_out:
        return ExecResult(Status.TIMEOUT, detail=f"{result.name}: wall-clock limit exceeded")
    if result.output_truncated:
        return ExecResult(Status.OUTPUT_LIMIT, detail=f"{result.name}: output limit exceeded")
    return None


def find_evidence(stdout: bytes, nonce: str) -> tuple[str, str] | None:
    """The harness's verdict line (`CODEALIGN <nonce> <verdict> <json detail>`), or None when there is none."""
    prefix = f"CODEALIGN {nonce} "
    found = None
    for line in stdout.decode("utf-8", errors="replace").splitlines():
        if line.startswith(prefix):
            verdict, _, detail = line[len(prefix) :].partition(" ")
            try:
                detail = json.loads(detail) if detail else ""
            except json.JSONDecodeError:
                detail = detail[:DETAIL_CHARS]
            found = (verdict, str(detail))
    return found


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


def _out_of_memory(result: StepResult) -> str | None:
    """The runtime's out-of-memory line from a failed step's stderr, or None."""
    if result.exit_code == 0:
        return None
    for line in result.stderr.splitlines():
        if any(marker in line for marker in OUT_OF_MEMORY_MARKERS):
            return line.decode("utf-8", errors="replace").strip()[:200]
    return None


def _judge_tests_step(result: StepResult, nonce: str) -> ExecResult:
    evidence = find_evidence(result.stdout, nonce)
    out_of_memory = _out_of_memory(result) if evidence is None or evidence[0] in ("error", "died") else None
    if out_of_memory:
        return ExecResult(Status.MEMORY_LIMIT, detail=f"{result.name}: {out_of_memory}")
    if evidence is not None:
        verdict, detail = evidence
        status = EVIDENCE_STATUS.get(verdict, Status.FAILED)
        if status is Status.PASSED and result.exit_code != 0:
            return ExecResult(Status.RUNTIME_ERROR, detail=f"exit code {result.exit_code} after the tests passed")
        if verdict == "died":
            detail = "the solution exited or was killed before the tests finished" + (f" ({detail})" if detail else "")
        return ExecResult(status, detail=detail[:DETAIL_CHARS])
    stderr = _text(result.stderr)
    if result.exit_code == 0:
        return ExecResult(Status.FAILED, detail="exited before the tests finished (no evidence from the harness)")
    # The last marker line that is not a stack frame, wherever it is: Node and the JVM print frames after it.
    lines = [line.strip() for line in result.stderr.decode("utf-8", errors="replace").splitlines()]
    marked = [line for line in lines if any(m in line for m in ASSERTION_MARKERS) and not line.startswith("at ")]
    marked = marked[-1] if marked else None
    if marked is not None:
        return ExecResult(Status.FAILED, detail=f"assertion failed (exit code {result.exit_code}): {marked[:300]}")
    return ExecResult(Status.RUNTIME_ERROR, detail=f"exit code {result.exit_code}: {stderr[-300:]}")


def _judge_case(result: StepResult, expected: str, index: int) -> ExecResult | None:
    out_of_memory = _out_of_memory(result)
    if out_of_memory:
        return ExecResult(Status.MEMORY_LIMIT, detail=f"case {index}: {out_of_memory}")
    if result.exit_code != 0:
        stderr = _text(result.stderr, 300)
        return ExecResult(Status.RUNTIME_ERROR, detail=f"case {index}: exit code {result.exit_code}: {stderr}")
    got = normalize_output(result.stdout.decode("utf-8", errors="replace"))
    if got != normalize_output(expected):
        return ExecResult(Status.FAILED, detail=f"case {index}: expected {expected[:120]!r}, got {got[:120]!r}")
    return None


def judge(prepared: PreparedJob, results: list[StepResult]) -> ExecResult:
    """Turn the backend's per-step facts into the verdict for the task."""
    verdict = _judge_steps(prepared, results)
    verdict.steps = results
    verdict.duration_s = sum(r.duration_s for r in results)
    ran = [r for r in results if not r.skipped]
    if ran:
        verdict.stdout, verdict.stderr = _text(ran[-1].stdout, 4000), _text(ran[-1].stderr, 4000)
    return verdict


def _judge_steps(prepared: PreparedJob, results: list[StepResult]) -> ExecResult:
    if len(results) != len(prepared.job.steps):
        return ExecResult(
            Status.SANDBOX_ERROR, detail=f"backend returned {len(results)} results for {len(prepared.job.steps)} steps"
        )
    case_index = 0
    for step, result in zip(prepared.job.steps, results):
        if result.skipped:
            continue
        limited = _limit_status(result)
        if step.name == "compile":
            if limited is not None:
                return (
                    limited
                    if limited.status is not Status.OUTPUT_LIMIT
                    else ExecResult(Status.COMPILE_ERROR, detail="compiler output flood")
                )
            if result.exit_code != 0:
                return ExecResult(Status.COMPILE_ERROR, detail=_text(result.stderr or result.stdout))
            continue
        if limited is not None:
            return limited
        if step.name == "tests":
            return _judge_tests_step(result, prepared.nonce)
        failure = _judge_case(result, prepared.task.tests.cases[case_index].stdout, case_index)
        if failure is not None:
            return failure
        case_index += 1
    if case_index == len(prepared.task.tests.cases) and case_index > 0:
        return ExecResult(Status.PASSED, detail=f"{case_index} cases passed")
    return ExecResult(Status.SANDBOX_ERROR, detail="no step produced a verdict")
