"""Python test harness, main program (runs inside the sandbox; stdlib only; shipped precompiled with its modules
py_wire, py_server, py_checker and py_tests, see sandbox/harness.py).

Why two processes: if the tests ran in the solution's interpreter, the solution could exit before the asserts
(`sys.exit(0)`, `os._exit(0)`, atexit, excepthook), return objects whose `__eq__` is always true, patch
`math.isclose`/builtins/pytest, or read the nonce and the expected values out of the harness's own memory. So:

* the **checker** (this process) sets itself non-dumpable (no ptrace, no /proc/<pid>/mem|fd|environ for processes
  of the same uid), forks the **server** *before* it reads anything secret, then reads the test source and the
  per-run nonce from stdin (a pipe the server closed at fork and that never touches the file system);
* the server imports `solution.py` and answers requests over two pipes (py_server.py); the solution runs only
  there. What comes back is rebuilt by the checker from plain data into exact builtin types and the tests' own
  classes, or held as references that never decide a comparison with the tests' values (py_checker.py);
* the tests run in the checker with the checker's own builtins and stdlib (py_tests.py);
* only after every test ran, and the server still answers a final ping, the checker prints
  ``CODEALIGN <nonce> <verdict> {"detail": ..., "passed": k, "total": n}`` on its stdout, which the server cannot
  write to (its fd 1 is the checker's stderr).

Python semantics the tests see, as in one interpreter: in-place changes of arguments (nested and aliased ones too),
values of every common type (Counter, defaultdict, dates, Decimal, namedtuples, dict views, ...), the solution's
classes and instances (methods, attributes, `isinstance`, `str`, operators), classes of the tests that the solution
builds or receives (ListNode/TreeNode), module globals read live, exceptions of the solution's own classes, and
functions of the tests passed into the solution. What differs (rare in benchmark tests; `python -m bench.fidelity`
measures it): `type(x)` of a solution object is the reference class, not the solution's class; an object the tests
gave the solution earlier and that the solution changes in a *later* call is not refreshed; changes the tests make
to the solution's globals are not seen by the solution.

Protocol on stdin (one JSON object): {"nonce", "kind": "assert"|"pytest", "code", "entry_point", "all_tests"}.
"""

import os
import sys

import py_checker
import py_server
import py_tests
import py_wire
from py_checker import SolutionDied


def verdict_for(exc, remote):
    if isinstance(exc, SolutionDied) or remote.dead:
        return "died"
    if isinstance(exc, SyntaxError) and not remote.loaded:
        return "compile_error"
    if isinstance(exc, AssertionError):
        return "fail"
    if isinstance(exc, MemoryError):
        return "memory"
    return "error"


def failure_detail(exc, test_lines):
    """`AssertionError at tests line 7: assert f(2) == 4` -- the deepest frame inside the test code. Walks the
    traceback by hand: `import traceback` (re, tokenize, collections, ...) costs about as much as a whole run."""
    where = ""
    tb = exc.__traceback__
    while tb is not None:
        line = tb.tb_lineno or 0
        if tb.tb_frame.f_code.co_filename == "<tests>" and 0 < line <= len(test_lines):
            where = f" at tests line {line}: {test_lines[line - 1].strip()[:200]}"
        tb = tb.tb_next
    try:
        message = str(exc)[:300]
    except Exception:
        message = ""
    return f"{type(exc).__name__}{where}" + (f" ({message})" if message else "")


def set_non_dumpable():
    """prctl(PR_SET_DUMPABLE, 0) through `_ctypes` directly: `import ctypes` costs ~3 ms of a ~25 ms run."""
    import _ctypes

    class CInt(_ctypes._SimpleCData):
        _type_ = "i"

    class CFunc(_ctypes.CFuncPtr):
        _flags_ = _ctypes.FUNCFLAG_CDECL | _ctypes.FUNCFLAG_USE_ERRNO
        _restype_ = CInt

    class Libc:
        _handle = _ctypes.dlopen(None)

    prctl = CFunc(("prctl", Libc()))
    if prctl(4, 0, 0, 0, 0) != 0:  # PR_SET_DUMPABLE = 4 (linux/prctl.h)
        raise OSError(_ctypes.get_errno(), "prctl(PR_SET_DUMPABLE, 0) failed")


def start_server():
    req_r, req_w = os.pipe()
    resp_r, resp_w = os.pipe()
    pid = os.fork()
    if pid == 0:  # server: give up stdin (the secrets) and stdout (the verdict channel) before anything else
        try:
            os.close(req_w)
            os.close(resp_r)
            os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
            os.dup2(2, 1)
            with open("/proc/self/oom_score_adj", "w") as f:
                f.write("1000")  # under memory pressure the solution dies first, not the checker
        except OSError:
            pass
        py_server.serve(req_r, resp_w)
        os._exit(0)
    os.close(req_r)
    os.close(resp_w)
    return pid, py_checker.Remote(req_w, resp_r)


def emit(nonce, verdict, detail, counts):
    passed, total = counts
    body = py_wire.dumps({"detail": detail[:2000], "passed": passed, "total": total})
    os.write(1, f"\nCODEALIGN {nonce} {verdict} {body}\n".encode())


def main():
    py_checker.set_environment()
    set_non_dumpable()
    # The first compile() builds the interpreter's ~120 AST classes (PyAST_Check): ~2 ms. Done before the fork, it
    # is paid once for both processes instead of once in each.
    compile("", "<init>", "exec")
    pid, remote = start_server()
    spec = py_wire.loads(sys.stdin.buffer.read().decode())
    os.close(0)
    verdict, detail, counts = "pass", "", (None, None)
    try:
        runner = py_tests.run_pytest if spec["kind"] == "pytest" else py_tests.run_assert
        counts = runner(remote, spec["code"], spec.get("entry_point"), bool(spec.get("all_tests")))
        if remote.request("ping", raw=True) != "pong":
            raise SolutionDied("the solution process stopped answering")
    except BaseException as exc:
        verdict = verdict_for(exc, remote)
        detail = failure_detail(exc, spec["code"].splitlines())
        counts = getattr(exc, "codealign_counts", counts)
    emit(spec["nonce"], verdict, detail, counts)
    os.kill(pid, 9)
    os._exit(0)


if __name__ == "__main__":
    main()
