"""Per-slot control groups for the bwrap backend (memory+swap, pids, optionally a CPU quota), cgroup v1 or v2.

The CPU quota is opt-in: with the cpu controller, a loaded host schedules each slot group as one entity and bwrap
throughput halved in our measurement (9.8 vs 20.7 programs/s at load average 10, 2 cores, same programs); the
default CPU bound is RLIMIT_CPU per process plus the wall-clock limit (see sandbox/bwrap/backend.py).

One group per concurrency slot is created once and reused: the slot's spawner (sandbox/bwrap/spawner_server.py) joins it
once and every run is forked from the spawner, so every process of a run is inside from its start without a
per-run write to `cgroup.procs` (under cgroup v1 that write takes a lock that stalls every fork on the machine).
The limits are rewritten per job when they change, and the OOM-kill counter is read before and after. Creating a
group per run would cost a mkdir/rmdir and several writes per program for no extra guarantee: the pid namespace
already kills every leftover at the end.
"""

from __future__ import annotations

import contextlib
import logging
import os
import time
from pathlib import Path

logger = logging.getLogger(__name__)

CGROUP_ROOT = Path("/sys/fs/cgroup")
V1_CONTROLLERS = ("memory", "pids", "cpu")
CPU_PERIOD_US = 100_000


def _write(path: Path, value: str) -> None:
    path.write_text(value)


def _oom_kills(events_file: Path) -> int:
    for line in events_file.read_text().splitlines():
        key, _, value = line.partition(" ")
        if key == "oom_kill":
            return int(value)
    return 0


class SlotCgroup:
    """The control group(s) of one slot. `procs_files` are what the slot's spawner writes its pid into."""

    def __init__(self, name: str, cpu_quota: bool = False):
        self.name, self.cpu_quota = name, cpu_quota
        self.v2 = (CGROUP_ROOT / "cgroup.controllers").exists()
        self.dirs = self._create()
        self._limits: tuple[int, int, float] | None = None

    def _create(self) -> dict[str, Path]:
        if self.v2:
            parent = CGROUP_ROOT / "codealign-bwrap"
            parent.mkdir(exist_ok=True)
            for level in (CGROUP_ROOT, parent):
                _write(level / "cgroup.subtree_control", "+memory +pids" + (" +cpu" if self.cpu_quota else ""))
            dirs = {"unified": parent / self.name}
        else:
            controllers = V1_CONTROLLERS if self.cpu_quota else V1_CONTROLLERS[:2]
            dirs = {c: CGROUP_ROOT / c / "codealign-bwrap" / self.name for c in controllers}
        for path in dirs.values():
            path.mkdir(parents=True, exist_ok=True)
        return dirs

    @property
    def procs_files(self) -> list[str]:
        return [str(p / "cgroup.procs") for p in self.dirs.values()]

    def set_limits(self, memory_mb: int, pids: int, cpus: float) -> None:
        if self._limits == (memory_mb, pids, cpus):
            return  # unchanged since the last job: four file writes saved per run
        self._limits = (memory_mb, pids, cpus)
        memory = str(memory_mb * 1024 * 1024)
        quota = str(max(1000, int(cpus * CPU_PERIOD_US)))
        if self.v2:
            d = self.dirs["unified"]
            _write(d / "memory.max", memory)
            if (d / "memory.swap.max").exists():
                _write(d / "memory.swap.max", "0")
            _write(d / "pids.max", str(pids))
            if self.cpu_quota:
                _write(d / "cpu.max", f"{quota} {CPU_PERIOD_US}")
            return
        mem = self.dirs["memory"]
        swap_file = mem / "memory.memsw.limit_in_bytes"
        # memsw must stay >= limit: lower it last when shrinking, raise it first when growing.
        if swap_file.exists():
            try:
                _write(swap_file, memory)
                _write(mem / "memory.limit_in_bytes", memory)
            except OSError:
                _write(mem / "memory.limit_in_bytes", memory)
                _write(swap_file, memory)
        else:
            _write(mem / "memory.limit_in_bytes", memory)
        _write(self.dirs["pids"] / "pids.max", str(pids))
        if self.cpu_quota:
            _write(self.dirs["cpu"] / "cpu.cfs_period_us", str(CPU_PERIOD_US))
            _write(self.dirs["cpu"] / "cpu.cfs_quota_us", quota)

    def oom_kills(self) -> int:
        if self.v2:
            return _oom_kills(self.dirs["unified"] / "memory.events")
        return _oom_kills(self.dirs["memory"] / "memory.oom_control")

    def pids(self, keep: int | None = None) -> list[int]:
        path = next(iter(self.dirs.values())) / "cgroup.procs"
        return [int(p) for p in path.read_text().split() if int(p) != keep]

    def kill_all(self, keep: int | None = None, settle_s: float = 2.0, wait_s: float = 2.0) -> list[int]:
        """Every process of the group but `keep` (the slot's spawner): wait `settle_s` for them to end by themselves
        (a dying pid namespace takes a moment), then SIGKILL what is left and wait until none is; returns the pids
        that had to be killed."""
        deadline = time.monotonic() + settle_s
        while (found := self.pids(keep)) and time.monotonic() < deadline:
            time.sleep(0.002)
        deadline = time.monotonic() + wait_s
        while (left := self.pids(keep)) and time.monotonic() < deadline:
            for pid in left:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, 9)
            time.sleep(0.01)
        return found

    def remove(self) -> None:
        for path in self.dirs.values():
            try:
                path.rmdir()
            except OSError as exc:
                logger.warning("could not remove cgroup %s: %s", path, exc)


def cgroups_usable() -> bool:
    """Root and a writable cgroup tree (v1 memory+pids+cpu, or v2)."""
    if os.geteuid() != 0:
        return False
    if (CGROUP_ROOT / "cgroup.controllers").exists():
        return os.access(CGROUP_ROOT, os.W_OK)
    return all(os.access(CGROUP_ROOT / c, os.W_OK) for c in V1_CONTROLLERS)
