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
import logging
import os
import queue
import shutil
import subprocess
from pathlib import Path

from sandbox.base import Job, Limits, SandboxError, Step, StepResult, run_steps_until_failure
from sandbox.bwrap.cgroups import Layout, discover_layout
from sandbox.bwrap.slot import STATUS_FD, Slot
from sandbox.bwrap.workdir import BASE_DIR, umount

logger = logging.getLogger(__name__)

DEFAULT_ROOTFS = "/var/cache/codealign/sandbox-rootfs"
SANDBOX_UID = 10001  # the rootfs's `sandbox` user (sandbox/image/build.sh)
BUILD_HINT = "build it with `sudo bash sandbox/image/build.sh` (or `python -m sandbox.image build`)"
BASE_ENV = (("PATH", "/usr/local/bin:/usr/bin:/bin"), ("HOME", "/tmp"), ("LANG", "C.UTF-8"), ("TMPDIR", "/tmp"))
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
        self._pool: queue.Queue[Slot] = queue.Queue()
        count = slots or 2 * (os.cpu_count() or 1)  # more slots than cores: a slot spends part of a run waiting
        uids = claim_uids(uid_base, count) if self.privileged else [None] * count
        self._slots = [Slot(self, i, uid) for i, uid in enumerate(uids)]
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
    def bwrap_argv(self, slot: Slot, step: Step) -> list[str]:
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


def bwrap_available() -> str | None:
    """None when a bwrap backend can be built here, else the reason it cannot (for test skips)."""
    if shutil.which("bwrap") is None:
        return "bubblewrap is not installed (apt-get install -y bubblewrap)"
    try:
        subprocess.run(["bwrap", "--unshare-user", "--ro-bind", "/", "/", "true"], check=True, capture_output=True)
    except (subprocess.CalledProcessError, OSError) as exc:
        return f"bwrap cannot create namespaces here: {exc}"
    return None


def bwrap_unavailable_reason() -> str | None:
    """None when this machine can grade with bwrap (bubblewrap works and the shared rootfs is found), else why not."""
    reason = bwrap_available()
    if reason:
        return reason
    try:
        resolve_rootfs(None)
    except SandboxError as exc:
        return str(exc)
    return None
