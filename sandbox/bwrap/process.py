"""Run one command with stdin fed through a pipe, capped output capture, and a wall-clock limit that kills the
whole process group (a new session), not just the direct child. Shared by the bwrap backend (through its slot's
spawner, `supervise`) and the subprocess backend (`run_process`)."""

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


@dataclass
class RawRun:
    exit_code: int | None
    stdout: bytes
    stderr: bytes
    duration_s: float
    timed_out: bool = False
    output_truncated: bool = False


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


def _pump(proc: subprocess.Popen, stdin: bytes, deadline: float, capture: _Capture) -> bool:
    """Feed stdin and read both pipes until they close, the deadline passes or output overflows. True on timeout."""
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ, "stdout")
    sel.register(proc.stderr, selectors.EVENT_READ, "stderr")
    if stdin:
        os.set_blocking(proc.stdin.fileno(), False)
        sel.register(proc.stdin, selectors.EVENT_WRITE, "stdin")
    else:
        proc.stdin.close()
    exited_at = None
    try:
        while sel.get_map():
            now = time.monotonic()
            if now >= deadline:
                return True
            if exited_at is None and proc.poll() is not None:
                exited_at = now
            if exited_at is not None and now - exited_at > DRAIN_GRACE_S:
                break  # a leftover descendant holds the pipes; the caller kills the group
            for key, _ in sel.select(timeout=min(deadline - now, 0.1)):
                if key.data == "stdin":
                    stdin = _write_some(proc, sel, stdin)
                    continue
                data = os.read(key.fd, READ_CHUNK)
                if not data:
                    sel.unregister(key.fileobj)
                    continue
                capture.add(key.data, data)
                if capture.truncated:
                    return False
    finally:
        sel.close()
    return False


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
) -> RawRun:
    """Run `argv` in a new session; on timeout or output overflow SIGKILL the whole process group."""
    start = time.monotonic()
    proc = subprocess.Popen(
        list(argv), stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=cwd, env=dict(env),
        start_new_session=True, close_fds=True, pass_fds=tuple(pass_fds), user=user, group=group,
        extra_groups=[] if user is not None else None,
    )  # fmt: skip
    return supervise(proc, start, stdin=stdin, timeout_s=timeout_s, output_bytes=output_bytes)


def supervise(
    proc,
    start: float,
    *,
    stdin: bytes,
    timeout_s: float,
    output_bytes: int,
    stop: Callable | None = None,
) -> RawRun:
    """Feed and capture a started process (a `subprocess.Popen` in its own session, or anything with its `pid`,
    `stdin`/`stdout`/`stderr`, `poll`, `wait` and, instead of a process group, a `kill` method), then end it.

    `stop(proc)`, when given, is called first if the process is still running at the end: a backend that knows a
    better way to end everything (bwrap: kill the pid namespace's init, so bwrap itself reaps it) uses it."""
    capture = _Capture(output_bytes)
    try:
        timed_out = _pump(proc, stdin, start + timeout_s, capture)
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
    exit_code = None if timed_out else (128 - returncode if returncode < 0 else returncode)
    return RawRun(
        exit_code=exit_code,
        stdout=bytes(capture.buffers["stdout"]),
        stderr=bytes(capture.buffers["stderr"]),
        duration_s=duration_s,
        timed_out=timed_out,
        output_truncated=capture.truncated,
    )
