"""One concurrency slot of the bwrap backend: a private host uid, a work-dir tmpfs, a cgroup and a spawner, reused
across jobs; one step of a job is one bwrap run forked by the spawner (see sandbox/bwrap/backend.py for what is
isolated and how)."""

from __future__ import annotations

import contextlib
import json
import logging
import math
import os
import signal
import subprocess
import time
from collections.abc import Sequence

from sandbox.base import Limits, SandboxError, Step, StepResult
from sandbox.bwrap.cgroups import SlotCgroup
from sandbox.bwrap.process import Meter, schedstat_runnable_s, supervise
from sandbox.bwrap.spawner import Spawner
from sandbox.bwrap.workdir import SlotDir

logger = logging.getLogger(__name__)

STATUS_FD = 3  # bwrap's --json-status-fd in the run (the spawner places the status pipe there)
SPAWNER_MEMORY_MB = 32  # the slot's spawner lives in the slot's memory cgroup too: headroom on top of memory_mb
SPAWNER_PIDS = 1


class Slot:
    """One concurrency slot: a private host uid, a work-dir tmpfs and a cgroup, all reused across jobs."""

    def __init__(self, backend, index: int, uid: int | None):
        self.backend, self.index, self.uid = backend, index, uid
        name = f"{os.getpid()}-{id(backend):x}-slot{index}"  # unique per backend instance, pid first (stale reaping)
        self.workdir = SlotDir(name, owner_uid=uid, mount_tmpfs=backend.privileged)
        self.cgroup = None
        if backend.layout is not None:
            try:
                self.cgroup = SlotCgroup(name, backend.layout)
            except OSError as exc:
                backend.layout = None
                logger.warning("no per-slot cgroup (%s): memory and pids bounded by rlimits only", exc)
        self.leftovers = 0  # processes found alive after a step (should stay 0: the pid namespace kills them)
        procs_files = self.cgroup.procs_files if self.cgroup else []
        self.spawner = Spawner(procs_files, private_netns=backend.privileged)
        self.spawner.start()

    def reset(self, limits: Limits) -> None:
        self.workdir.reset(limits.workdir_mb)
        if self.cgroup:
            self.cgroup.set_limits(limits.memory_mb + SPAWNER_MEMORY_MB, limits.pids + SPAWNER_PIDS, limits.cpus)

    def rlimits(self, limits: Limits, cpu_limit_s: float) -> list[tuple[str, int]]:
        """Per-process limits of the run (set by the spawner's child before it execs bwrap). RLIMIT_CPU bounds each
        process by the step's CPU limit also where the cgroup cannot count CPU for the whole run."""
        found = [
            ("RLIMIT_CORE", 0), ("RLIMIT_NOFILE", 1024), ("RLIMIT_FSIZE", limits.workdir_mb << 20),
            ("RLIMIT_CPU", math.ceil(cpu_limit_s) + 1),
        ]  # fmt: skip
        if self.uid is not None:  # counts the slot uid's tasks, bwrap's own included; the grader's uid has others
            found.append(("RLIMIT_NPROC", limits.pids + 8))
        return found

    def meter(self, cpu_limit_s: float) -> Meter | None:
        """CPU time of the step's processes from the slot cgroup (the spawner's share is a few ms per run)."""
        if self.cgroup is None or not self.backend.layout.cpu_accounting:
            return None
        cgroup, start = self.cgroup, self.cgroup.cpu_usage_s()
        return Meter(
            cpu_s=lambda: cgroup.cpu_usage_s() - start,
            runnable_s=lambda: schedstat_runnable_s(cgroup.threads(keep=self.spawner.pid)),
            cpu_limit_s=cpu_limit_s,
        )

    def run_step(self, step: Step, files: Sequence, limits: Limits) -> StepResult:
        self.workdir.hide(step.hidden)
        self.workdir.place(files)
        oom_before = self.cgroup.oom_kills() if self.cgroup else 0
        status = StatusPipe()
        timeout_s, cpu_limit_s = step.wall_timeout_s(limits), step.cpu_limit_s(limits)
        try:
            meter = self.meter(cpu_limit_s)
            start = time.monotonic()
            proc = self.spawner.spawn(
                self.backend.bwrap_argv(self, step), self.rlimits(limits, cpu_limit_s), self.uid, status.write_fd
            )
            raw = supervise(
                proc, start, stdin=step.stdin, timeout_s=timeout_s, output_bytes=limits.output_bytes,
                stop=status.kill_namespace, meter=meter,
            )  # fmt: skip
            started = status.finish()
        except SandboxError:
            self._recover()
            raise
        finally:
            status.close()
        oom = bool(self.cgroup) and self.cgroup.oom_kills() > oom_before
        self._check_empty()
        if not started and not raw.timed_out:
            detail = raw.stderr.decode(errors="replace")[-500:]
            raise SandboxError(f"bwrap failed to start the sandbox (exit {raw.exit_code}): {detail}")
        if step.seal and raw.exit_code == 0:
            self.workdir.seal(step.seal)
        cpu_limited = raw.cpu_limited or raw.exit_code == 128 + signal.SIGXCPU  # RLIMIT_CPU of one process
        killed = (oom and raw.exit_code in (None, 137)) or cpu_limited
        return StepResult(
            name=step.name, exit_code=None if killed else raw.exit_code, stdout=raw.stdout, stderr=raw.stderr,
            duration_s=raw.duration_s, timed_out=raw.timed_out and not cpu_limited, oom_killed=oom,
            output_truncated=raw.output_truncated, cpu_time_s=raw.cpu_time_s, cpu_limited=cpu_limited,
            starved=raw.starved,
        )  # fmt: skip

    def _check_empty(self) -> None:
        if self.cgroup is None:
            return
        found = self.cgroup.kill_all(keep=self.spawner.pid)
        if found:
            self.leftovers += len(found)
            logger.warning("slot %d: %d processes outlived their sandbox; killed", self.index, len(found))
        if self.cgroup.pids(keep=self.spawner.pid):
            raise SandboxError(f"slot {self.index}: processes survive SIGKILL in the sandbox cgroup")

    def _recover(self) -> None:
        """After a spawner failure: nothing of the run may outlive it (the next run restarts the spawner)."""
        if self.cgroup is not None:
            self.cgroup.kill_all(keep=self.spawner.pid if self.spawner.running else None)

    def finish(self) -> None:
        """Nothing to undo here: `reset` empties the work dir before the next job (and `close` at the end)."""

    def close(self) -> None:
        self.spawner.stop()
        self.workdir.close()
        if self.cgroup:
            self.cgroup.kill_all()
            self.cgroup.remove()


def _parent_of(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return int(f.read().rsplit(")", 1)[1].split()[1])
    except (OSError, ValueError, IndexError):
        return None


class StatusPipe:
    """bwrap's `--json-status-fd`: `{"child-pid": N}` once the sandbox exists (N is the pid namespace's init as the
    host sees it), `{"exit-code": N}` at the end. No child-pid means bwrap failed before the program started."""

    def __init__(self):
        self.read_fd, self.write_fd = os.pipe()
        os.set_blocking(self.read_fd, False)
        self.data = b""

    def _drain(self) -> None:
        while True:
            try:
                chunk = os.read(self.read_fd, 65536)
            except BlockingIOError:
                return
            if not chunk:
                return
            self.data += chunk

    def child_pid(self) -> int | None:
        self._drain()
        for line in self.data.splitlines():
            with contextlib.suppress(ValueError, AttributeError):
                pid = json.loads(line).get("child-pid")
                if isinstance(pid, int):
                    return pid
        return None

    def kill_namespace(self, proc: subprocess.Popen) -> None:
        """SIGKILL the namespace's init: the kernel kills every process in it, bwrap reaps init and exits, and
        nothing is left for the host's PID 1 to reap (killing bwrap first would orphan the init as a zombie)."""
        pid = self.child_pid()
        if pid is not None and _parent_of(pid) == proc.pid:  # never signal a pid that is not bwrap's own child
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=10)  # the kernel kills a big fork bomb one process at a time

    def finish(self) -> bool:
        os.close(self.write_fd)
        self.write_fd = -1
        return self.child_pid() is not None

    def close(self) -> None:
        for fd in (self.read_fd, self.write_fd):
            if fd >= 0:
                os.close(fd)
