"""Trusted side of grading, part one: a `CodeTask` becomes a `Job` (its verdict is made by sandbox/verdicts.py).

What decides a pass (never an exit code alone):

* `assert` / `pytest`: a line ``CODEALIGN <nonce> pass ...`` printed by the harness after every test ran, with a
  fresh random nonce per run that the solution never sees (Python: delivered over a pipe to a separate checker
  process, sandbox/guest/py_harness.py; other languages: see sandbox/languages.py), and exit code 0;
* `stdio`: every case's stdout accepted by the task's checker (sandbox/checkers.py); the expected outputs stay
  here, outside the sandbox, and the comparison is done here.

Limits: the caller's `Limits` (or the defaults), overridden field by field by the task's own `tests.limits`.
Fail-fast by default (a GRPO reward needs only pass/fail); `all_tests=True` runs every case / test item so that
`tests_passed / tests_total` is the fraction passed.
"""

from __future__ import annotations

import importlib.util
import json
import marshal
import secrets
from dataclasses import dataclass
from pathlib import Path

from sandbox.base import File, Job, Limits, Step, StepResult
from sandbox.languages import build_program
from sandbox.tasks import CodeTask

GUEST_DIR = Path(__file__).parent / "guest"
# The Python harness's modules, dependencies first, its main program last.
PY_HARNESS_MODULES = ("py_wire", "py_checker", "py_server", "py_tests", "py_harness")
PY_HARNESS_FILE = "_harness.py"
PY_HARNESS_SOURCES = [(name, (GUEST_DIR / f"{name}.py").read_bytes()) for name in PY_HARNESS_MODULES]
# Compiling ~1,500 lines of harness costs more than the rest of a short test run, and a main script is never cached
# as .pyc: ship them precompiled (marshal, with the interpreter's magic number) plus the sources as a fallback for a
# sandbox Python of another version. The loader below is all that gets compiled per run.
# optimize=2 drops the harness's docstrings: a smaller blob to unmarshal in every run (the tests' own asserts are
# compiled in the sandbox without it).
PY_HARNESS_CODE = importlib.util.MAGIC_NUMBER + marshal.dumps(
    [
        (name, compile(source, f"{name}.py", "exec", dont_inherit=True, optimize=2))
        for name, source in PY_HARNESS_SOURCES
    ]
)
PY_HARNESS_LOADER = b"""import marshal, sys  # run with the work dir as cwd (both backends do)
magic = sys.modules["_frozen_importlib_external"].MAGIC_NUMBER
with open("_harness_code.bin", "rb") as f:
    data = f.read()
if data.startswith(magic):
    modules = marshal.loads(data[len(magic):])
else:
    with open("_harness_src.bin", "rb") as f:
        modules = [(name, compile(src, name + ".py", "exec")) for name, src in marshal.loads(f.read())]
for name, code in modules[:-1]:
    module = type(sys)(name)
    sys.modules[name] = module
    exec(code, vars(module))
exec(modules[-1][1], {"__name__": "__main__", "__file__": __file__, "__builtins__": __builtins__})
"""
PY_HARNESS_FILES = (
    File(PY_HARNESS_FILE, PY_HARNESS_LOADER),
    File("_harness_code.bin", PY_HARNESS_CODE),
    File("_harness_src.bin", marshal.dumps(PY_HARNESS_SOURCES)),
)
COMPILE_CPU_S = 60.0  # javac/rustc/go of a big program; the run steps use Limits.cpu_time_s


@dataclass(frozen=True)
class PreparedJob:
    """A job plus what the trusted side needs to judge it (kept outside the sandbox)."""

    task: CodeTask
    job: Job
    nonce: str
    all_tests: bool = False
    counts_tests: bool = False  # the evidence carries passed/total (Python, Go `testing`, Rust `#[test]`)


def effective_limits(task: CodeTask, limits: Limits | None) -> Limits:
    return (limits or Limits()).overridden(task.tests.limits)


def prepare(task: CodeTask, limits: Limits | None = None, all_tests: bool = False) -> PreparedJob:
    """Build the job for `task` with a fresh nonce. Raises `ValueError` when the task's tests cannot be assembled."""
    limits = effective_limits(task, limits)
    nonce = secrets.token_hex(16)
    kind = task.tests.kind
    if task.language == "python" and kind in ("assert", "pytest"):
        spec = {"nonce": nonce, "kind": kind, "code": task.tests.code, "entry_point": task.tests.entry_point,
                "all_tests": all_tests}  # fmt: skip
        flags = ("-I",) if kind == "pytest" else ("-I", "-S")
        files = (File("solution.py", task.solution.encode()), *PY_HARNESS_FILES)
        step = Step(argv=("/usr/bin/python3", *flags, PY_HARNESS_FILE), name="tests", stdin=json.dumps(spec).encode(),
                    files=files)  # fmt: skip
        return PreparedJob(task, Job(steps=(step,), limits=limits), nonce, all_tests, counts_tests=True)
    tests = task.tests.code if kind == "assert" else None
    build = build_program(task.language, task.solution, tests, limits.memory_mb, nonce, all_tests)
    steps: list[Step] = []
    if build.compile_argv:
        cpu_s = max(COMPILE_CPU_S, limits.cpu_time_s)
        steps.append(Step(argv=build.compile_argv, name="compile", files=build.files, cpu_time_s=cpu_s, env=build.env,
                          seal=build.seal_after_compile))  # fmt: skip
    first_files = () if build.compile_argv else build.files
    if kind == "assert":
        hidden = build.hide_after_compile
        steps.append(Step(build.run_argv, name="tests", stdin=build.run_stdin, files=first_files, env=build.env,
                          hidden=hidden))  # fmt: skip
        return PreparedJob(task, Job(steps=tuple(steps), limits=limits), nonce, all_tests, build.counts_tests)
    offset = len(steps)
    for i, case in enumerate(task.tests.cases):
        files = first_files if i == 0 else ()
        steps.append(Step(argv=build.run_argv, name=f"case{i}", stdin=case.stdin.encode(), files=files,
                          env=build.env, stop_on_failure=not all_tests))  # fmt: skip
    stop_after = None if all_tests else _stop_at_first_wrong_case(task, offset)
    return PreparedJob(task, Job(steps=tuple(steps), limits=limits, stop_after=stop_after), nonce, all_tests)


def _stop_at_first_wrong_case(task: CodeTask, offset: int):
    """Fail-fast stdio: the job stops after the first case that is not accepted (judged here, on the host)."""
    from sandbox.verdicts import case_failure

    def stop_after(index: int, result: StepResult) -> bool:
        if index < offset:
            return False
        case = index - offset
        return case_failure(result, task.tests.cases[case].stdout, case, task.tests) is not None

    return stop_after
