"""Run one command with stdin fed through a pipe, capped output capture, a CPU-time limit (when the caller can
measure the run's CPU) and a wall-clock backstop, killing the whole run at either, not just the direct child. Used
by the bwrap backend (through its slot's spawner, `supervise`) and the benchmark's subprocess baseline
(`run_process`)."""

from __future__ import annotations

import contextlib
import logging
import os
import selectors
import signal
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

logger = logging.getLogger(__name__)

READ_CHUNK = 65536
DRAIN_GRACE_S = 0.5  # after the main process exits, how long leftover writers may keep the pipes open


CPU_POLL_S = 0.05  # how often a running step's CPU time is read (a cgroup counter: a few microseconds a read)


@dataclass
class RawRun:
    exit_code: int | None
    stdout: bytes
    stderr: bytes
    duration_s: float
    timed_out: bool = False  # the wall-clock backstop
    output_truncated: bool = False
    cpu_limited: bool = False
    cpu_time_s: float | None = None
    starved: bool | None = None  # at the backstop: runnable most of the time (see `Meter.runnable_s`)


@dataclass
class Meter:
    """How the caller measures a run: `cpu_s()` CPU seconds used since the run started (all its processes), and
    `runnable_s()` the seconds its live threads spent running or waiting for a CPU (schedstat), read at the
    backstop to tell a starved run from an idle one. Either may return None when it cannot tell."""

    cpu_s: Callable[[], float | None]
    runnable_s: Callable[[], float | None]
    cpu_limit_s: float

    def over_limit(self) -> float | None:
        used = self.cpu_s()
        return used if used is not None and used > self.cpu_limit_s else None


def schedstat_runnable_s(thread_ids) -> float:
    """Seconds on a CPU plus seconds waiting on a run queue, summed over threads (/proc/<tid>/schedstat)."""
    total_ns = 0
    for tid in thread_ids:
        try:
            with open(f"/proc/{tid}/schedstat") as f:
                on_cpu, waiting = f.read().split()[:2]
            total_ns += int(on_cpu) + int(waiting)
        except (OSError, ValueError):
            continue
    return total_ns / 1e9


def starved(meter: Meter | None, wall_s: float) -> bool | None:
    """A run still wanting the CPU for at least half of the backstop's wall time was starved, not idle."""
    runnable = meter.runnable_s() if meter is not None else None
    return None if runnable is None else runnable >= 0.5 * wall_s


def kill_group(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)


class _Capture:
    def __init__(self, limit_bytes: int):
        self.limit_bytes, self.buffers, self.truncated = (
            limit_bytes,
            {"stdout": bytearray(), "stderr": bytearray()},
            False,
        )

    def add(self, name: str, data: bytes) -> None:
        buf = self.buffers[name]
        room = self.limit_bytes - len(buf)
        if len(data) > room:
            self.truncated = True
        buf += data[: max(room, 0)]


def _pump(proc: subprocess.Popen, stdin: bytes, deadline: float, capture: _Capture, meter: Meter | None) -> str:
    """Feed stdin and read both pipes until they close, the deadline passes, the CPU limit is passed or output
    overflows. Returns "timeout", "cpu" or "" (ended by itself, or flooded: see capture.truncated)."""
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ, "stdout")
    sel.register(proc.stderr, selectors.EVENT_READ, "stderr")
    if stdin:
        os.set_blocking(proc.stdin.fileno(), False)
        sel.register(proc.stdin, selectors.EVENT_WRITE, "stdin")
    else:
        proc.stdin.close()
    exited_at, next_cpu_check = None, time.monotonic() + CPU_POLL_S
    try:
        while sel.get_map():
            now = time.monotonic()
            if now >= deadline:
                return "timeout"
            if meter is not None and now >= next_cpu_check:
                next_cpu_check = now + CPU_POLL_S
                if meter.over_limit() is not None:
                    return "cpu"
            if exited_at is None and proc.poll() is not None:
                exited_at = now
            if exited_at is not None and now - exited_at > DRAIN_GRACE_S:
                break  # a leftover descendant holds the pipes; the caller kills the group
            for key, _ in sel.select(timeout=min(deadline - now, CPU_POLL_S if meter else 0.1)):
                if key.data == "stdin":
                    stdin = _write_some(proc, sel, stdin)
                    continue
                data = os.read(key.fd, READ_CHUNK)
                if not data:
                    sel.unregister(key.fileobj)
                    continue
                capture.add(key.data, data)
                if capture.truncated:
                    return ""
    finally:
        sel.close()
    return ""


def _write_some(proc: subprocess.Popen, sel: selectors.BaseSelector, data: bytes) -> bytes:
    try:
        sent = os.write(proc.stdin.fileno(), data[:READ_CHUNK])
    except (BrokenPipeError, OSError):
        sent = len(data)  # the program stopped reading its stdin: the rest is not wanted
    data = data[sent:]
    if not data:
        sel.unregister(proc.stdin)
        proc.stdin.close()
    return data


def run_process(
    argv: Sequence[str],
    *,
    cwd: str,
    env: Mapping[str, str],
    stdin: bytes,
    timeout_s: float,
    output_bytes: int,
    user: int | None = None,
    group: int | None = None,
    pass_fds: Sequence[int] = (),
    meter: Meter | None = None,
) -> RawRun:
    """Run `argv` in a new session; at the backstop, the CPU limit or output overflow SIGKILL the process group."""
    start = time.monotonic()
    proc = subprocess.Popen(
        list(argv), stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=cwd, env=dict(env),
        start_new_session=True, close_fds=True, pass_fds=tuple(pass_fds), user=user, group=group,
        extra_groups=[] if user is not None else None,
    )  # fmt: skip
    return supervise(proc, start, stdin=stdin, timeout_s=timeout_s, output_bytes=output_bytes, meter=meter)


def supervise(
    proc,
    start: float,
    *,
    stdin: bytes,
    timeout_s: float,
    output_bytes: int,
    stop: Callable | None = None,
    meter: Meter | None = None,
) -> RawRun:
    """Feed and capture a started process (a `subprocess.Popen` in its own session, or anything with its `pid`,
    `stdin`/`stdout`/`stderr`, `poll`, `wait` and, instead of a process group, a `kill` method), then end it.

    `stop(proc)`, when given, is called first if the process is still running at the end: a backend that knows a
    better way to end everything (bwrap: kill the pid namespace's init, so bwrap itself reaps it) uses it."""
    capture = _Capture(output_bytes)
    ended, starved_run = "", None
    try:
        ended = _pump(proc, stdin, start + timeout_s, capture, meter)
        if ended == "timeout":
            starved_run = starved(meter, time.monotonic() - start)  # before the kill: its threads are still there
    finally:
        if stop is not None and proc.poll() is None:
            stop(proc)
        if isinstance(proc, subprocess.Popen):
            kill_group(proc.pid)  # leftovers in the group die with the run, whatever happened
        else:
            proc.kill()
        for pipe in (proc.stdin, proc.stdout, proc.stderr):
            if pipe and not pipe.closed:
                pipe.close()
        returncode = proc.wait()
    duration_s = time.monotonic() - start
    exit_code = None if ended else (128 - returncode if returncode < 0 else returncode)
    return RawRun(
        exit_code=exit_code,
        stdout=bytes(capture.buffers["stdout"]),
        stderr=bytes(capture.buffers["stderr"]),
        duration_s=duration_s,
        timed_out=ended == "timeout",
        output_truncated=capture.truncated,
        cpu_limited=ended == "cpu",
        cpu_time_s=meter.cpu_s() if meter is not None else None,
        starved=starved_run,
    )
