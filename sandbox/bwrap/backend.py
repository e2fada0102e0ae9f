"""bubblewrap backend: each step is one `bwrap` run over the shared read-only root file system, forked from the
slot's spawner (`sandbox/bwrap/spawner_server.py`).

What it isolates:
* **Namespaces**: new user, pid, ipc, uts, cgroup and mount namespaces per run. The network namespace is the
  slot's own, entered once by its spawner and shared by the slot's runs one after another (as root; without root
  every run gets a new one): no interface but a loopback, no route anywhere, nothing in it outlives a run since
  every process of the run is dead before the next starts. A private `/proc` showing only the run's processes, no
  view of host processes, sockets or the Docker socket. Further user namespaces are disabled inside
  (`--disable-userns`).
* **Users**: bwrap itself runs as an unprivileged host uid private to the slot (claimed with flock from
  `uid_base` up), mapped to uid 10001 inside; no capabilities. Test files are owned by root, mode 0444, in a
  sticky work dir, so the program can neither change nor delete them. The spawner keeps the grader's uid; it is
  neither visible nor addressable from inside (another pid namespace).
* **File system**: the root file system (`$CODEALIGN_SANDBOX_ROOTFS`, built by `sandbox/image/build.sh`) read-only;
  a per-slot tmpfs work dir `/work` (size- and inode-limited, emptied before every job, remounted when a job
  left many files); `/tmp` on the same tmpfs (one size and inode budget for both); minimal `/dev`. Nothing of the
  host's `/home`, `/root`, `/etc` or `/run` is visible.
* **Environment**: bwrap runs with an empty environment and `--clearenv`, so neither the program nor the
  sandbox's PID 1 (`/proc/1/environ`) sees the grader's variables.
* **Resources**: per-slot cgroup (v1, or v2: root, a delegated subtree or `$CODEALIGN_CGROUP`; see
  sandbox/bwrap/cgroups.py for what could and could not be tested of v2), joined once by the spawner, so every run
  is inside from its first instruction: memory = memory+swap limit and pids limit (each plus the spawner's own small
  share); rlimits for file size, core dumps, open files, processes of the slot's uid, and CPU time per process, set
  in the spawner's child before it execs bwrap; programs have oom_score_adj 1000, so the OOM killer takes them
  before the spawner. **Time**: the judged limit is CPU time of all the run's processes together (`cpu_time_s`), read
  from the slot cgroup's counter every 50 ms (cpu.stat under v2, cpuacct under v1 where it is a hierarchy of its
  own; elsewhere RLIMIT_CPU per process is the bound); the wall clock is only a backstop (`Limits.wall_timeout_s`),
  and when it ends a run, the run's threads' schedstat (time on a CPU plus time waiting for one) says whether it was
  starved by a busy machine (not judged) or idle (its timeout). A hard CPU *rate* limit (cgroup quota of `cpus`
  cores) is opt-in, `cpu_quota=True`. At a limit the pid namespace's init is SIGKILLed, the kernel kills every
  process of the namespace (daemons, `setsid` escapes, SIGTERM-ignoring loops), then bwrap is killed too. The
  spawner answers only once it has reaped bwrap *and* the namespace's init (it is a child subreaper), so the
  namespace is gone when the step ends; the cgroup is checked empty (but for the spawner) after every step.
* **Sealed files**: `Step.seal` paths (a compiled test program holding the harness's nonce) are replaced after the
  step by root-owned copies of mode 0111: the program runs, but cannot read itself.

What it does not isolate: the host kernel is shared (a kernel exploit escapes, as with Docker); timing and cache
side channels; without `cpu_quota=True` a multi-threaded program may keep every core busy until its CPU-time limit
is used up (the run is not rate-limited). Without root: no private uid, no tmpfs mount (disk bounded only by
RLIMIT_FSIZE), no sealing; cgroups only with a delegated v2 subtree, else processes are bounded only by RLIMIT_NPROC,
memory not at all and the backstop cannot tell starved from idle (it then counts as not judged): a warning is
logged.

Cost (CPU per run, measured on 2 cores with the benchmark's Python assert programs): about 7 ms over a plain
subprocess -- fork of the spawner ~1.5 ms, bwrap's namespaces and mounts ~4.5 ms, grader side ~1 ms -- against
~25 ms for the Python harness itself.
"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import json
import logging
import math
import os
import queue
import shutil
import signal
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path

from sandbox.base import Job, Limits, SandboxError, Step, StepResult, run_steps_until_failure
from sandbox.bwrap.cgroups import Layout, SlotCgroup, discover_layout
from sandbox.bwrap.process import Meter, schedstat_runnable_s, supervise
from sandbox.bwrap.spawner import Spawner
from sandbox.bwrap.workdir import BASE_DIR, SlotDir, umount

logger = logging.getLogger(__name__)

DEFAULT_ROOTFS = "/var/cache/codealign/sandbox-rootfs"
SANDBOX_UID = 10001  # the rootfs's `sandbox` user (sandbox/image/build.sh)
BUILD_HINT = "build it with `sudo bash sandbox/image/build.sh` (or `python -m sandbox.image build`)"
BASE_ENV = (("PATH", "/usr/local/bin:/usr/bin:/bin"), ("HOME", "/tmp"), ("LANG", "C.UTF-8"), ("TMPDIR", "/tmp"))
STATUS_FD = 3  # bwrap's --json-status-fd in the run (the spawner places the status pipe there)
SPAWNER_MEMORY_MB = 32  # the slot's spawner lives in the slot's memory cgroup too: headroom on top of memory_mb
SPAWNER_PIDS = 1
HOST_USERLAND = (
    ("--ro-bind", "/usr", "/usr"), ("--symlink", "usr/bin", "/bin"), ("--symlink", "usr/sbin", "/sbin"),
    ("--symlink", "usr/lib", "/lib"), ("--symlink", "usr/lib64", "/lib64"),
    ("--ro-bind", "/etc/alternatives", "/etc/alternatives"), ("--ro-bind-try", "/etc/ld.so.cache", "/etc/ld.so.cache"),
    ("--ro-bind-try", "/etc/java-17-openjdk", "/etc/java-17-openjdk"), ("--dir", "/work", ""),
)  # fmt: skip


def resolve_rootfs(rootfs: str | None) -> str | None:
    """The rootfs directory, or None for the host-userland development mode (`rootfs="host"`)."""
    if rootfs == "host":
        return None
    path = Path(rootfs or os.environ.get("CODEALIGN_SANDBOX_ROOTFS") or DEFAULT_ROOTFS)
    if not (path / "usr" / "bin" / "python3").exists():
        raise SandboxError(f"sandbox root file system not found at {path} (no usr/bin/python3); {BUILD_HINT}")
    return str(path)


class BwrapBackend:
    name = "bwrap"

    def __init__(
        self,
        rootfs: str | None = None,
        slots: int | None = None,
        uid_base: int = 61000,
        cpu_quota: bool = False,
        cgroup_layout: Layout | None = None,
    ):
        """`cgroup_layout`: where slot cgroups go (default: `discover_layout`, see sandbox/bwrap/cgroups.py)."""
        self.bwrap = shutil.which("bwrap")
        if self.bwrap is None:
            raise SandboxError("bubblewrap is not installed: `apt-get install -y bubblewrap`")
        self.rootfs = resolve_rootfs(rootfs)
        self.privileged = os.geteuid() == 0
        self.cpu_quota = cpu_quota
        self.layout: Layout | None = cgroup_layout
        if self.layout is None:
            try:
                self.layout = discover_layout(cpu_quota)
            except OSError as exc:
                logger.warning("bwrap backend without cgroups (%s): memory and pids bounded by rlimits only", exc)
        if not self.privileged:
            logger.warning("bwrap backend without root: no private uid, disk bounded by RLIMIT_FSIZE only")
        if self.privileged:
            reap_stale_slots(self.layout)
        self._pool: queue.Queue[_Slot] = queue.Queue()
        count = slots or 2 * (os.cpu_count() or 1)  # more slots than cores: a slot spends part of a run waiting
        uids = claim_uids(uid_base, count) if self.privileged else [None] * count
        self._slots = [_Slot(self, i, uid) for i, uid in enumerate(uids)]
        for slot in self._slots:
            self._pool.put(slot)
        self._closed = False
        atexit.register(self.close)
        self._self_test()

    # ------------------------------------------------------------------ Backend protocol
    def execute(self, job: Job) -> list[StepResult]:
        slot = self._pool.get()
        try:
            slot.reset(job.limits)
            job_files = list(job.files)

            def run_one(step: Step) -> StepResult:
                files = [*job_files, *step.files]
                job_files.clear()
                return slot.run_step(step, files, job.limits)

            return run_steps_until_failure(job, run_one)
        finally:
            slot.finish()
            self._pool.put(slot)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        for slot in self._slots:
            slot.close()
        atexit.unregister(self.close)

    def __enter__(self) -> BwrapBackend:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # ------------------------------------------------------------------ command line
    def bwrap_argv(self, slot: _Slot, step: Step) -> list[str]:
        argv = [self.bwrap, "--unshare-user", "--unshare-ipc", "--unshare-pid", "--unshare-uts"]
        if not slot.spawner.private_netns:
            argv.append("--unshare-net")
        argv += ["--unshare-cgroup-try", "--disable-userns", "--die-with-parent", "--new-session", "--cap-drop", "ALL"]
        argv += ["--uid", str(SANDBOX_UID), "--gid", str(SANDBOX_UID), "--hostname", "sandbox"]
        argv += ["--json-status-fd", str(STATUS_FD)]
        if self.rootfs is None:
            for flag, src, dest in HOST_USERLAND:
                argv += [flag, src, dest] if dest else [flag, src]
        else:
            argv += ["--ro-bind", self.rootfs, "/"]
        argv += ["--proc", "/proc", "--dev", "/dev", "--bind", str(slot.workdir.tmp), "/tmp"]
        argv += ["--bind", str(slot.workdir.work), "/work", "--chdir", "/work", "--clearenv"]
        for key, value in (*BASE_ENV, *step.env):
            argv += ["--setenv", key, value]
        return [*argv, "--", *step.argv]

    @property
    def use_cgroups(self) -> bool:
        return self.layout is not None

    def _self_test(self) -> None:
        probe = Job(steps=(Step(argv=("/bin/sh", "-c", "echo ok"), name="probe"),), limits=Limits(timeout_s=30))
        result = self.execute(probe)[0]
        if result.exit_code != 0 or result.stdout.strip() != b"ok":
            raise SandboxError(f"bwrap cannot start a sandbox here: exit {result.exit_code}, {result.stderr[-500:]!r}")


def claim_uids(uid_base: int, count: int) -> list[int]:
    """`count` host uids no other backend instance on this machine uses (held by flock until the process exits):
    RLIMIT_NPROC and the leftover checks are per uid, so two graders must never share one."""
    lock_dir = BASE_DIR / "uids"
    lock_dir.mkdir(parents=True, exist_ok=True)
    uids: list[int] = []
    uid = uid_base
    while len(uids) < count:
        if uid > uid_base + 4096:
            raise SandboxError(f"no free sandbox uid in {uid_base}..{uid_base + 4096}")
        fd = os.open(lock_dir / f"{uid}.lock", os.O_CREAT | os.O_RDWR, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            _UID_LOCKS.append(fd)  # held for the life of the process
            uids.append(uid)
        except BlockingIOError:
            os.close(fd)
        uid += 1
    return uids


_UID_LOCKS: list[int] = []


def reap_stale_slots(layout: Layout | None) -> None:
    """Remove work dirs and cgroups left by grader processes that died without `close()`."""
    parents = [] if layout is None else [layout.parent] if layout.parent else list(layout.v1_parents.values())
    for path in [*BASE_DIR.glob("*-slot*"), *(p for parent in parents for p in parent.glob("*-slot*"))]:
        pid = int(path.name.split("-", 1)[0]) if path.name.split("-", 1)[0].isdigit() else None
        if pid is None or _alive(pid):
            continue
        with contextlib.suppress(OSError, SandboxError):
            if os.path.ismount(path):
                umount(path)
            path.rmdir()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    return True


class _Slot:
    """One concurrency slot: a private host uid, a work-dir tmpfs and a cgroup, all reused across jobs."""

    def __init__(self, backend: BwrapBackend, index: int, uid: int | None):
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
        status = _StatusPipe()
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


class _StatusPipe:
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


def bwrap_available() -> str | None:
    """None when a bwrap backend can be built here, else the reason it cannot (for test skips)."""
    if shutil.which("bwrap") is None:
        return "bubblewrap is not installed (apt-get install -y bubblewrap)"
    try:
        subprocess.run(["bwrap", "--unshare-user", "--ro-bind", "/", "/", "true"], check=True, capture_output=True)
    except (subprocess.CalledProcessError, OSError) as exc:
        return f"bwrap cannot create namespaces here: {exc}"
    return None
