"""Grader side of a slot's spawner (see `sandbox/bwrap/spawner_server.py` for why it exists and its protocol).

`Spawner.spawn(argv, ...)` starts one program through the slot's spawner and returns a `SpawnedProcess`, which
`sandbox.bwrap.process.supervise` drives like a `subprocess.Popen`: pipes for stdin/stdout/stderr, `poll`, `wait`, `kill`.
A spawner that dies, hangs or answers out of protocol raises `SandboxError` and is restarted on the next run.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from sandbox.base import SandboxError

SERVER = Path(__file__).with_name("spawner_server.py")
START_TIMEOUT_S = 30.0
# How long the namespace of a killed run may take to die before the spawner counts as hung: the kernel kills a big
# fork bomb one process at a time.
REAP_TIMEOUT_S = 30.0
MAX_MESSAGE = 1 << 20


class Spawner:
    """One slot's spawner process: joined to `procs_files` (the slot's cgroups) and, with `private_netns`, to a
    network namespace of its own. Not thread-safe: a slot runs one program at a time."""

    def __init__(self, procs_files: Sequence[str] = (), private_netns: bool = False):
        self.procs_files, self.private_netns = list(procs_files), private_netns
        self.proc: subprocess.Popen | None = None
        self.sock: socket.socket | None = None
        self.pid: int | None = None

    def start(self) -> None:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        argv = [sys.executable, "-I", "-S", str(SERVER), str(theirs.fileno()), "1" if self.private_netns else "0"]
        with theirs:
            self.proc = subprocess.Popen(
                [*argv, *self.procs_files], pass_fds=(theirs.fileno(),), stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd="/", env={}, start_new_session=True,
            )  # fmt: skip
        self.sock = ours
        reply, _ = self._receive(START_TIMEOUT_S)
        if "ready" not in reply:
            self.stop()
            raise SandboxError(f"the sandbox spawner failed to start: {reply.get('error', reply)}")
        self.pid = reply["ready"]

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def spawn(self, argv: Sequence[str], rlimits: Sequence[tuple[str, int]], uid: int | None, status_fd: int):
        """Start `argv` with the given rlimits (resource module names), as `uid`, with `status_fd` as its fd 3."""
        if not self.running:
            self.stop()
            self.start()
        stdin_r, stdin_w = os.pipe()
        stdout_r, stdout_w = os.pipe()
        stderr_r, stderr_w = os.pipe()
        request = json.dumps({"argv": list(argv), "rlimits": [list(r) for r in rlimits], "uid": uid}).encode()
        try:
            socket.send_fds(self.sock, [request], [stdin_r, stdout_w, stderr_w, status_fd])
            reply, fds = self._receive(START_TIMEOUT_S)
        except (OSError, SandboxError) as exc:
            for fd in (stdin_w, stdout_r, stderr_r):
                os.close(fd)
            self.stop()
            raise SandboxError(f"the sandbox spawner is gone: {exc}") from exc
        finally:
            for fd in (stdin_r, stdout_w, stderr_w):
                os.close(fd)
        if "pid" not in reply:
            for fd in (stdin_w, stdout_r, stderr_r, *fds):
                os.close(fd)
            raise SandboxError(f"the sandbox spawner could not start a run: {reply.get('error', reply)}")
        return SpawnedProcess(self, reply["pid"], fds[0] if fds else None, stdin_w, stdout_r, stderr_r)

    def _receive(self, timeout_s: float | None) -> tuple[dict, list[int]]:
        """The next message, waiting at most `timeout_s`; SandboxError on EOF, timeout or garbage."""
        if self.sock is None:
            raise SandboxError("the sandbox spawner was stopped")
        self.sock.settimeout(timeout_s)
        try:
            data, fds, _, _ = socket.recv_fds(self.sock, MAX_MESSAGE, 1)
        except (TimeoutError, BlockingIOError):  # settimeout(0) makes the socket non-blocking
            raise TimeoutError from None
        except OSError as exc:
            self.stop()
            raise SandboxError(f"the sandbox spawner is gone: {exc}") from exc
        if not data:
            code = self.proc.poll() if self.proc else None
            self.stop()
            raise SandboxError(f"the sandbox spawner exited (code {code})")
        try:
            return json.loads(data), fds
        except ValueError as exc:
            for fd in fds:
                os.close(fd)
            self.stop()
            raise SandboxError(f"the sandbox spawner sent garbage: {data[:200]!r}") from exc

    def stop(self) -> None:
        """End the spawner (closing its socket makes it kill its running child and exit)."""
        if self.sock is not None:
            self.sock.close()
            self.sock = None
        if self.proc is not None:
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            self.proc = None
        self.pid = None


class SpawnedProcess:
    """A program started by a `Spawner`, with the parts of `subprocess.Popen` that `sandbox.bwrap.process` uses."""

    def __init__(self, spawner: Spawner, pid: int, pidfd: int | None, stdin_w: int, stdout_r: int, stderr_r: int):
        self.spawner, self.pid, self.pidfd = spawner, pid, pidfd
        self.stdin = open(stdin_w, "wb", buffering=0)  # noqa: SIM115 (closed by sandbox.bwrap.process)
        self.stdout = open(stdout_r, "rb", buffering=0)  # noqa: SIM115
        self.stderr = open(stderr_r, "rb", buffering=0)  # noqa: SIM115
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None:
            with contextlib.suppress(TimeoutError):
                self._read_exit(0)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        """The exit code, once the spawner has reaped the run and its pid namespace; `subprocess.TimeoutExpired`
        after `timeout`, SandboxError after REAP_TIMEOUT_S when no timeout is given."""
        if self.returncode is None:
            try:
                self._read_exit(REAP_TIMEOUT_S if timeout is None else timeout)
            except TimeoutError:
                if timeout is not None:
                    raise subprocess.TimeoutExpired(str(self.pid), timeout) from None
                self.spawner.stop()
                self._closed()
                raise SandboxError(f"a run's sandbox did not die within {REAP_TIMEOUT_S:.0f} s of its end") from None
        return self.returncode

    def kill(self) -> None:
        """SIGKILL the program (bwrap: its pid-namespace init dies with it, and with that everything inside)."""
        if self.returncode is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            if self.pidfd is not None:
                signal.pidfd_send_signal(self.pidfd, signal.SIGKILL)
            else:
                os.kill(self.pid, signal.SIGKILL)  # not reaped before the spawner says so: still this run's pid

    def _read_exit(self, timeout_s: float) -> None:
        try:
            reply, fds = self.spawner._receive(timeout_s)
        except SandboxError:
            self._closed()  # the spawner is gone, and with it (bwrap dies with its parent) the run
            raise
        for fd in fds:
            os.close(fd)
        if "exit" not in reply:
            self.spawner.stop()
            self._closed()
            raise SandboxError(f"the sandbox spawner answered out of turn: {reply}")
        self.returncode = reply["exit"]
        self._closed()

    def _closed(self) -> None:
        if self.pidfd is not None:
            os.close(self.pidfd)
            self.pidfd = None
        if self.returncode is None:
            self.returncode = -signal.SIGKILL
