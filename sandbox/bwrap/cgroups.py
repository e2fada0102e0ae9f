"""Per-slot control groups for the bwrap backend: memory+swap, pids, CPU-time accounting and optionally a CPU quota,
under cgroup v1 or v2.

One group per concurrency slot is created once and reused: the slot's spawner (sandbox/bwrap/spawner_server.py)
joins it once and every run is forked from the spawner, so every process of a run is inside from its start without a
per-run write to `cgroup.procs` (under v1 that write takes a lock that stalls every fork on the machine). The
limits are rewritten per job when they change; the OOM-kill and CPU counters are read before and after each step.

Where the slot groups live (`discover_layout`):

* **v1** (memory, pids, cpuacct hierarchies, as root): `<controller>/codealign-bwrap/<slot>`. CPU time is read
  from cpuacct only where it is mounted apart from the cpu controller: joining a co-mounted `cpu,cpuacct` group
  would make each slot one entity of the CPU scheduler, which halved bwrap throughput in our measurement (9.8 vs
  20.7 programs/s at load average 10, 2 cores); there the CPU limit is RLIMIT_CPU per process alone.
* **v2** (the unified hierarchy, the default of current Ubuntu, Debian and Fedora), first that works of:
  1. `$CODEALIGN_CGROUP`: a delegated subtree given by the user (e.g. the cgroup of
     `systemd-run --user --scope -p Delegate=yes ...`, or a directory root made and chowned);
  2. as root, the hierarchy's root: `/sys/fs/cgroup/codealign-bwrap` (the root is exempt from the rule that a
     group with processes cannot enable controllers for its children);
  3. the grader's own cgroup when it may write it (a delegated systemd unit, a container's private cgroup
     namespace): the processes in it are first moved to a leaf `<own>/grader` (v2's "no internal processes"
     rule), then `<own>/codealign-bwrap/<slot>`.
  Controllers memory and pids are enabled along the way (`cgroup.subtree_control`); CPU time comes from
  `cpu.stat`, which every v2 group has without the cpu controller.

Tested here: v1 in full; v2 on the real cgroup2 hierarchy this machine mounts beside v1 (at
/sys/fs/cgroup/unified), which has no memory or pids controller: group creation, joining, evacuation to a leaf,
controller enabling (with the controllers it has), CPU accounting, thread lists and killing are exercised there;
memory.max, memory.events and pids.max under v2 could not be (see tests/integration/test_sandbox_cgroups.py).
"""

from __future__ import annotations

import contextlib
import logging
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

logger = logging.getLogger(__name__)

CGROUP_ROOT = Path("/sys/fs/cgroup")
GROUP_DIR = "codealign-bwrap"
CPU_PERIOD_US = 100_000
V2_CONTROLLERS = ("memory", "pids")


def _write(path: Path, value: str) -> None:
    path.write_text(value)


def _counter(path: Path, key: str) -> int:
    for line in path.read_text().splitlines():
        name, _, value = line.partition(" ")
        if name == key:
            return int(value)
    return 0


@dataclass
class Layout:
    """Where slot groups are made. v2: `parent` holds them; v1: `v1_parents` per controller."""

    version: int
    parent: Path | None = None
    v1_parents: dict[str, Path] = field(default_factory=dict)
    cpu_quota: bool = False

    @property
    def cpu_accounting(self) -> bool:
        return self.version == 2 or "cpuacct" in self.v1_parents


def own_cgroup_v2(root: Path = CGROUP_ROOT) -> Path:
    """This process's v2 group (the `0::` line of /proc/self/cgroup) as a directory under `root`."""
    for line in Path("/proc/self/cgroup").read_text().splitlines():
        if line.startswith("0::"):
            return root / line[3:].strip().lstrip("/")
    raise OSError("no cgroup v2 entry in /proc/self/cgroup")


def enable_controllers(group: Path, controllers: tuple[str, ...], root: Path) -> None:
    """Enable `controllers` for the children of `group`; a non-root group holding processes is first emptied into
    a leaf `grader` child (v2 allows controllers only on groups without processes of their own)."""
    missing = set(controllers) - set((group / "cgroup.controllers").read_text().split())
    if missing:
        raise OSError(f"cgroup {group} lacks the controller(s) {sorted(missing)} (not delegated to it)")
    request = " ".join(f"+{c}" for c in controllers)
    if not request:
        return
    try:
        _write(group / "cgroup.subtree_control", request)
    except OSError as exc:
        if group == root or exc.errno != 16:  # EBUSY: processes in a non-root group
            raise
        evacuate(group)
        _write(group / "cgroup.subtree_control", request)


def evacuate(group: Path, leaf: str = "grader") -> None:
    """Move every process of `group` into `group/leaf` (this grader's, and any other the delegated group holds)."""
    target = group / leaf
    target.mkdir(exist_ok=True)
    for _ in range(10):  # processes may fork while being moved
        pids = (group / "cgroup.procs").read_text().split()
        if not pids:
            return
        for pid in pids:
            with contextlib.suppress(ProcessLookupError, OSError):
                _write(target / "cgroup.procs", pid)
    raise OSError(f"could not move the processes of {group} into {target}")


def discover_v2(
    cpu_quota: bool = False, root: Path = CGROUP_ROOT, controllers: tuple[str, ...] = V2_CONTROLLERS
) -> Layout:
    """The v2 layout (see the module docstring for the order); OSError naming every attempt when none works."""
    wanted = controllers + (("cpu",) if cpu_quota else ())
    candidates = []
    if os.environ.get("CODEALIGN_CGROUP"):
        given = Path(os.environ["CODEALIGN_CGROUP"])
        candidates.append(
            given if given.is_absolute() and given.is_relative_to(root) else root / str(given).lstrip("/")
        )
    if os.geteuid() == 0:
        candidates.append(root)
    with contextlib.suppress(OSError):
        candidates.append(own_cgroup_v2(root))
    problems = []
    for base in dict.fromkeys(candidates):
        try:
            enable_controllers(base, wanted, root)
            parent = base / GROUP_DIR
            parent.mkdir(exist_ok=True)
            enable_controllers(parent, wanted, root)
            return Layout(version=2, parent=parent, cpu_quota=cpu_quota)
        except OSError as exc:
            problems.append(f"{base}: {exc}")
    raise OSError("no usable cgroup v2 subtree: " + "; ".join(problems) + " (set CODEALIGN_CGROUP to a delegated one)")


def discover_v1(cpu_quota: bool = False, root: Path = CGROUP_ROOT) -> Layout:
    controllers = ["memory", "pids"]
    if cpu_quota:
        controllers.append("cpu")
    cpuacct = root / "cpuacct"
    if cpuacct.is_dir() and os.path.realpath(cpuacct) != os.path.realpath(root / "cpu"):
        controllers.append("cpuacct")  # a hierarchy of its own: accounting without CPU scheduling groups
    parents = {c: root / c / GROUP_DIR for c in controllers}
    for path in parents.values():
        path.mkdir(parents=True, exist_ok=True)
    return Layout(version=1, v1_parents=parents, cpu_quota=cpu_quota)


def discover_layout(cpu_quota: bool = False) -> Layout:
    """v2 when the unified hierarchy is mounted at /sys/fs/cgroup, else v1 (also on hybrid hosts: their unified
    hierarchy at /sys/fs/cgroup/unified holds no controllers). Raises OSError when neither can be used."""
    if (CGROUP_ROOT / "cgroup.controllers").exists():
        return discover_v2(cpu_quota)
    if os.geteuid() != 0:
        raise OSError("cgroup v1 needs root")
    return discover_v1(cpu_quota)


class SlotCgroup:
    """The control group(s) of one slot. `procs_files` are what the slot's spawner writes its pid into."""

    def __init__(self, name: str, layout: Layout):
        self.name, self.layout, self.v2 = name, layout, layout.version == 2
        if self.v2:
            self.dirs = {"unified": layout.parent / name}
        else:
            self.dirs = {c: parent / name for c, parent in layout.v1_parents.items()}
        for path in self.dirs.values():
            path.mkdir(exist_ok=True)
        self._limits: tuple[int, int, float] | None = None

    @property
    def procs_files(self) -> list[str]:
        return [str(p / "cgroup.procs") for p in self.dirs.values()]

    def _file(self, controller: str, name: str) -> Path:
        return self.dirs["unified" if self.v2 else controller] / name

    def set_limits(self, memory_mb: int, pids: int, cpus: float) -> None:
        if self._limits == (memory_mb, pids, cpus):
            return  # unchanged since the last job: four file writes saved per run
        self._limits = (memory_mb, pids, cpus)
        memory, quota = str(memory_mb * 1024 * 1024), str(max(1000, int(cpus * CPU_PERIOD_US)))
        if self.v2:
            d = self.dirs["unified"]
            for name, value in (("memory.max", memory), ("memory.swap.max", "0"), ("pids.max", str(pids))):
                if (d / name).exists():
                    _write(d / name, value)
            if self.layout.cpu_quota:
                _write(d / "cpu.max", f"{quota} {CPU_PERIOD_US}")
            return
        self._set_v1_memory(memory)
        _write(self.dirs["pids"] / "pids.max", str(pids))
        if self.layout.cpu_quota:
            _write(self.dirs["cpu"] / "cpu.cfs_period_us", str(CPU_PERIOD_US))
            _write(self.dirs["cpu"] / "cpu.cfs_quota_us", quota)

    def _set_v1_memory(self, memory: str) -> None:
        mem = self.dirs["memory"]
        swap_file = mem / "memory.memsw.limit_in_bytes"
        if not swap_file.exists():
            _write(mem / "memory.limit_in_bytes", memory)
            return
        try:  # memsw must stay >= limit: lower it last when shrinking, raise it first when growing
            _write(swap_file, memory)
            _write(mem / "memory.limit_in_bytes", memory)
        except OSError:
            _write(mem / "memory.limit_in_bytes", memory)
            _write(swap_file, memory)

    def oom_kills(self) -> int:
        if self.v2:
            events = self.dirs["unified"] / "memory.events"
            return _counter(events, "oom_kill") if events.exists() else 0
        return _counter(self.dirs["memory"] / "memory.oom_control", "oom_kill")

    def cpu_usage_s(self) -> float | None:
        """CPU time of everything that ever ran in the group (None without an accounting hierarchy)."""
        if self.v2:
            return _counter(self.dirs["unified"] / "cpu.stat", "usage_usec") / 1e6
        if "cpuacct" in self.dirs:
            return int((self.dirs["cpuacct"] / "cpuacct.usage").read_text()) / 1e9
        return None

    def pids(self, keep: int | None = None) -> list[int]:
        path = next(iter(self.dirs.values())) / "cgroup.procs"
        return [int(p) for p in path.read_text().split() if int(p) != keep]

    def threads(self, keep: int | None = None) -> list[int]:
        """Thread ids of the group's processes but `keep`'s (for schedstat)."""
        path = next(iter(self.dirs.values())) / ("cgroup.threads" if self.v2 else "tasks")
        keep_threads = set(os.listdir(f"/proc/{keep}/task")) if keep is not None else set()
        return [int(t) for t in path.read_text().split() if t not in keep_threads]

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
