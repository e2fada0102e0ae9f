"""The sympy fallback, run in a persistent child process with a wall-clock budget and no signals.

Why a process: sympy's `simplify` can run for minutes on adversarial input and cannot be interrupted from
Python. Math-Verify bounds it with `signal.alarm`, which only works in the main thread and replaces the caller's
own SIGALRM handler. Here the parent sends the two parsed ASTs (plain tuples; no string is ever sympified) over a
pipe and waits with `Connection.poll(timeout_s)`; when the budget runs out the child is killed and a fresh one is
started on the next request. One worker per parent process, guarded by a lock (thread-safe), re-created after
`fork` (the child never inherits the parent's pipe), started with the `spawn` method (no inherited locks).
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
import time
from fractions import Fraction
from multiprocessing.connection import Connection

__all__ = ["SympyWorker", "WORKER"]

logger = logging.getLogger(__name__)

STARTUP_TIMEOUT_S = 60.0  # for an explicit warm-up: importing sympy takes ~1 s, longer on a loaded 2-core box


class SympyWorker:
    """Handle on one sympy child process; `equal(gold_ast, pred_ast, timeout_s)` -> True/False/None (timeout)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._process: multiprocessing.process.BaseProcess | None = None
        self._conn: Connection | None = None
        self._ready = False
        self._owner_pid = os.getpid()

    def _reset_after_fork(self) -> None:
        """In a forked child the parent's pipe and process handle are not ours: forget them (never kill them)."""
        self._lock = threading.Lock()
        self._process, self._conn, self._ready, self._owner_pid = None, None, False, os.getpid()

    def start(self, timeout_s: float = STARTUP_TIMEOUT_S) -> bool:
        """Start the child if needed and wait up to `timeout_s` for it to be ready; True when it is."""
        with self._lock:
            return self._ready_within(time.monotonic() + timeout_s)

    def _ready_within(self, deadline: float) -> bool:
        """Launch the child without blocking, then wait for its "ready" until `deadline` (it keeps starting after)."""
        if self._owner_pid != os.getpid():
            self._reset_after_fork()
        if self._process is not None and not self._process.is_alive():
            self._kill()
        if self._process is None:
            context = multiprocessing.get_context("spawn")
            parent_conn, child_conn = context.Pipe()
            process = context.Process(target=_serve, args=(child_conn,), name="math-sympy-worker", daemon=True)
            process.start()
            child_conn.close()
            self._process, self._conn, self._ready = process, parent_conn, False
        if not self._ready:
            assert self._conn is not None
            if not self._conn.poll(max(0.0, deadline - time.monotonic())):
                return False
            self._conn.recv()
            self._ready = True
        return True

    def equal(self, gold: tuple, pred: tuple, timeout_s: float) -> bool | None:
        """Ask sympy whether gold - pred simplifies to 0; None when `timeout_s` ran out (a busy child is killed).

        The time to start the child counts against the budget too, so a call never blocks longer than
        `timeout_s`; a child still importing sympy is left to finish starting for the next call.
        """
        deadline = time.monotonic() + timeout_s
        # Waiting for another thread's comparison counts against this call's budget too.
        if not self._lock.acquire(timeout=max(0.0, timeout_s)):
            return None
        try:
            if not self._ready_within(deadline):
                return None
            return self._ask(gold, pred, deadline)
        finally:
            self._lock.release()

    def _ask(self, gold: tuple, pred: tuple, deadline: float) -> bool | None:
        assert self._conn is not None
        try:
            self._conn.send(("equal", gold, pred))
            if self._conn.poll(max(0.0, deadline - time.monotonic())):
                status, value = self._conn.recv()
                if status == "error":
                    logger.debug("sympy worker could not compare: %s", value)
                    return False
                return bool(value)
        except (EOFError, BrokenPipeError, ConnectionResetError) as err:
            self._kill()
            raise RuntimeError("sympy worker died while comparing; it will be restarted") from err
        self._kill()
        return None

    def _kill(self) -> None:
        if self._process is not None:
            self._process.kill()
            self._process.join(timeout=5)
        if self._conn is not None:
            self._conn.close()
        self._process, self._conn, self._ready = None, None, False

    def stop(self) -> None:
        with self._lock:
            self._kill()


WORKER = SympyWorker()
os.register_at_fork(after_in_child=WORKER._reset_after_fork)


# --- child side ---------------------------------------------------------------------------------------------------
def _serve(conn: Connection) -> None:
    import sympy

    conn.send(("ready", os.getpid()))
    while True:
        try:
            request = conn.recv()
        except EOFError:
            return
        started = time.monotonic()
        try:
            _, gold, pred = request
            difference = _to_sympy(sympy, gold) - _to_sympy(sympy, pred)
            equal = sympy.simplify(difference) == 0
            conn.send(("ok", bool(equal)))
        except Exception as err:  # noqa: BLE001 - any sympy failure is a "cannot show equal" verdict
            conn.send(("error", f"{type(err).__name__}: {err} after {time.monotonic() - started:.3f} s"))


def _to_sympy(sympy, node: tuple):  # noqa: ANN001, ANN202 - sympy is imported lazily in the child only
    kind = node[0]
    if kind == "num":
        value: Fraction = node[1]
        return sympy.Rational(value.numerator, value.denominator)
    if kind == "sym":
        return sympy.Symbol(node[1])
    if kind == "const":
        return {"pi": sympy.pi, "e": sympy.E, "i": sympy.I, "oo": sympy.oo}[node[1]]
    if kind in ("add", "mul"):
        args = [_to_sympy(sympy, child) for child in node[1]]
        return sympy.Add(*args) if kind == "add" else sympy.Mul(*args)
    if kind == "neg":
        return -_to_sympy(sympy, node[1])
    if kind == "div":
        return _to_sympy(sympy, node[1]) / _to_sympy(sympy, node[2])
    if kind == "pow":
        return sympy.Pow(_to_sympy(sympy, node[1]), _to_sympy(sympy, node[2]))
    if kind == "pct":
        return _to_sympy(sympy, node[1]) / 100
    if kind == "fact":
        return sympy.factorial(_to_sympy(sympy, node[1]))
    if kind == "base":
        return sympy.Integer(int(node[1], node[2]))
    if kind == "call":
        return sympy.Function(node[1])(*[_to_sympy(sympy, child) for child in node[2]])
    if kind == "fn":
        return _function(sympy, node[1], [_to_sympy(sympy, child) for child in node[2]])
    raise ValueError(f"no sympy form for {kind}")


def _function(sympy, name: str, args: list):  # noqa: ANN001, ANN202
    table = {
        "sin": sympy.sin, "cos": sympy.cos, "tan": sympy.tan, "sec": sympy.sec, "csc": sympy.csc,
        "cot": sympy.cot, "arcsin": sympy.asin, "arccos": sympy.acos, "arctan": sympy.atan, "asin": sympy.asin,
        "acos": sympy.acos, "atan": sympy.atan, "sinh": sympy.sinh, "cosh": sympy.cosh, "tanh": sympy.tanh,
        "ln": sympy.log, "log": sympy.log, "exp": sympy.exp, "sqrt": sympy.sqrt, "abs": sympy.Abs,
        "floor": sympy.floor, "ceil": sympy.ceiling, "gcd": sympy.gcd, "lcm": sympy.lcm, "max": sympy.Max,
        "min": sympy.Min, "binom": sympy.binomial,
    }  # fmt: skip
    if name not in table:
        raise ValueError(f"no sympy function for {name}")
    return table[name](*args)
