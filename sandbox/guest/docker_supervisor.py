"""Trusted supervisor that runs as PID 1 inside each warm sandbox container (standard library only).

Started by `sandbox.docker.backend` as `python3 -I -S -c <this file's source>`, so the image never needs
rebuilding when this file changes. It reads jobs from stdin and writes results to stdout, both as frames of a 4-byte
big-endian length followed by UTF-8 JSON (bytes fields base64). For each job it places the files, runs every step in
its own session with a wall-clock deadline, then kills every other process in the container, wipes the writable
directories and checks that the container is clean before it replies. The host recycles the container when the reply
says it is not clean, or after any timeout, OOM kill, output flood or leftover process.

Why a program cannot tamper with it: the container runs it as root with every capability dropped except SETUID,
SETGID and KILL (no DAC_OVERRIDE, FOWNER, CHOWN, SYS_ADMIN, ...), and each program runs as uid 10001 with no
capabilities at all (setuid from root clears them; no-new-privileges stops any regain). So a program:
* cannot signal, ptrace or read the memory, fds or /proc/1/environ of the supervisor (another uid; the supervisor
  is also non-dumpable, and as PID 1 of the pid namespace it ignores SIGKILL/SIGSTOP from inside anyway);
* cannot modify or delete the root-owned, mode 0444 files the supervisor places (the work dir is sticky, 1777);
* is picked first by the OOM killer (oom_score_adj=1000 on every program).
The supervisor keeps nothing in the writable directories, and removes what programs made there by forking a
child that drops to uid 10001 (so a mode-000 directory cannot stop the wipe without DAC_OVERRIDE).

One file on purpose (longer than the house limit): it is passed whole to `python3 -c` and cannot import siblings.
"""

import base64
import contextlib
import ctypes
import json
import os
import resource
import selectors
import signal
import stat
import struct
import subprocess
import sys
import time

WORKDIR = "/work"
WIPE_DIRS = ("/work", "/tmp", "/dev/shm")
SANDBOX_UID = 10001  # programs run as this uid; the supervisor is root with only SETUID, SETGID and KILL
PR_SET_DUMPABLE = 4
KILL_ROUNDS = 50  # kill(-1) passes before a fork bomb is declared unkillable and the container recycled
READ_CHUNK = 65536
CPU_POLL_S = 0.05  # how often a running step's CPU time is read
LINGER_GRACE_S = 0.05


def lock_down():
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)
    for sig in signal.Signals:
        if sig not in (signal.SIGKILL, signal.SIGSTOP, signal.SIGCHLD):
            with contextlib.suppress(OSError, ValueError):
                signal.signal(sig, signal.SIG_IGN)


def read_frame(stream):
    header = stream.read(4)
    if len(header) < 4:
        return None
    (size,) = struct.unpack(">I", header)
    return json.loads(stream.read(size))


def write_frame(stream, obj):
    data = json.dumps(obj).encode()
    stream.write(struct.pack(">I", len(data)) + data)
    stream.flush()


def other_pids():
    return [int(name) for name in os.listdir("/proc") if name.isdigit() and int(name) != 1]


def reap():
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def count_lingering(grace_s):
    """Processes other than PID 1 still alive after up to grace_s (zombies are reaped as they appear)."""
    deadline = time.monotonic() + grace_s
    while True:
        reap()
        pids = other_pids()
        if not pids or time.monotonic() >= deadline:
            return len(pids)
        time.sleep(0.002)


def kill_everything():
    """SIGKILL every process but PID 1 (kill(-1) spares the caller and init); True when none is left."""
    for _ in range(KILL_ROUNDS):
        with contextlib.suppress(ProcessLookupError):
            os.kill(-1, signal.SIGKILL)
        reap()
        if not other_pids():
            return True
        time.sleep(0.002)
        reap()
    return not other_pids()


def remove_owned(path, uid, keep_top):
    """Remove the entries under `path` (and `path` itself unless keep_top) that `uid` owns, descending everywhere.

    Run once as the sandbox user (it owns what programs made, maybe with mode 000, and may chmod it) and once as
    root without DAC_OVERRIDE (it owns what this supervisor placed); together they empty any tree.
    """
    st = os.lstat(path)
    if stat.S_ISDIR(st.st_mode):
        if st.st_uid == uid and not keep_top:
            os.chmod(path, 0o700)
        for name in os.listdir(path):
            remove_owned(os.path.join(path, name), uid, keep_top=False)
    if keep_top or st.st_uid != uid:
        return
    if stat.S_ISDIR(st.st_mode):
        os.rmdir(path)
    else:
        os.unlink(path)


def as_sandbox_user(fn, *args):
    """Run fn(*args) in a child that dropped to the sandbox uid; True when it succeeded."""
    pid = os.fork()
    if pid == 0:
        try:
            os.setgroups([])
            os.setgid(SANDBOX_UID)
            os.setuid(SANDBOX_UID)
            fn(*args)
            os._exit(0)
        except BaseException:
            os._exit(1)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status) == 0


def purge(path, keep_top):
    """Remove a tree whatever the program did to it; `keep_top` keeps `path` itself (a mount point)."""
    if not os.path.lexists(path):
        return
    as_sandbox_user(remove_owned, path, SANDBOX_UID, keep_top)
    if os.path.lexists(path):  # the sandbox user's pass may have removed all of it
        remove_owned(path, os.getuid(), keep_top)


def dirty_reasons():
    reasons = []
    if other_pids():
        reasons.append(f"processes left: {other_pids()[:5]}")
    for path in WIPE_DIRS + ("/dev/mqueue",):
        if os.path.isdir(path) and os.listdir(path):
            reasons.append(f"{path} not empty")
    for kind in ("shm", "sem", "msg"):
        try:
            with open("/proc/sysvipc/" + kind) as f:
                if len(f.read().splitlines()) > 1:
                    reasons.append(f"SysV {kind} objects left")
        except OSError:
            pass
    return reasons


def reset():
    """Kill everything, wipe the writable dirs, verify; returns the reasons the container is not clean."""
    kill_everything()
    used = [path for path in WIPE_DIRS if os.listdir(path)]
    try:
        if used:  # one child for all dirs: this runs after every job
            as_sandbox_user(lambda: [remove_owned(path, SANDBOX_UID, True) for path in used])
        for path in used:  # the dirs themselves are root-owned tmpfs mounts (mode 1777): kept
            remove_owned(path, os.getuid(), keep_top=True)
    except Exception as exc:  # e.g. RecursionError on a hostile 10k-deep tree: the host recycles the container
        return [f"wipe failed: {type(exc).__name__}: {exc}"]
    return dirty_reasons()


def oom_kills():
    """The container cgroup's OOM-kill counter (cgroup v2 memory.events, else v1 memory.oom_control)."""
    for path in ("/sys/fs/cgroup/memory.events", "/sys/fs/cgroup/memory/memory.oom_control"):
        try:
            with open(path) as f:
                for line in f:
                    key, _, value = line.partition(" ")
                    if key == "oom_kill":
                        return int(value)
        except OSError:
            continue
    return None


def cgroup_cpu_s():
    """CPU time of everything in this container's cgroup (v2 cpu.stat, else v1 cpuacct), or None."""
    try:
        with open("/sys/fs/cgroup/cpu.stat") as f:
            for line in f:
                key, _, value = line.partition(" ")
                if key == "usage_usec":
                    return int(value) / 1e6
    except OSError:
        pass
    try:
        with open("/sys/fs/cgroup/cpuacct/cpuacct.usage") as f:
            return int(f.read()) / 1e9
    except (OSError, ValueError):
        return None


def own_cpu_s():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class CpuMeter:
    """CPU seconds of a step's processes: the container's counter less this supervisor's own CPU since the start."""

    def __init__(self):
        self.start, self.own = cgroup_cpu_s(), own_cpu_s()

    def used_s(self):
        now = cgroup_cpu_s()
        if now is None or self.start is None:
            return None
        return max(0.0, (now - self.start) - (own_cpu_s() - self.own))


def runnable_s():
    """Seconds the programs' live threads spent on a CPU or waiting for one (schedstat), for the backstop."""
    total_ns = 0
    for pid in other_pids():
        try:
            tids = os.listdir(f"/proc/{pid}/task")
        except OSError:
            continue
        for tid in tids:
            try:
                with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
                    on_cpu, waiting = f.read().split()[:2]
                total_ns += int(on_cpu) + int(waiting)
            except (OSError, ValueError):
                continue
    return total_ns / 1e9


def seal_file(rel_path):
    """Replace a file the program built by a root-owned copy of mode 0111: it runs, but cannot be read."""
    full = os.path.join(WORKDIR, rel_path)
    fd = os.open(full, os.O_RDONLY | os.O_NOFOLLOW)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(f"{rel_path} is not a regular file")
        chunks = []
        while chunk := os.read(fd, 1 << 20):
            chunks.append(chunk)
    finally:
        os.close(fd)
    purge(full, keep_top=False)
    fd = os.open(full, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o111)
    with os.fdopen(fd, "wb") as f:
        f.write(b"".join(chunks))
    os.chmod(full, 0o111)


def safe_parent(rel_path):
    """Make the parent dirs of rel_path under WORKDIR root-owned real dirs, replacing whatever the program planted.

    Mode 1777 like /work itself: programs may add files (build outputs) but not remove or replace ours.
    """
    current = WORKDIR
    for part in rel_path.split("/")[:-1]:
        current = os.path.join(current, part)
        st = os.lstat(current) if os.path.lexists(current) else None
        if st is not None and not (stat.S_ISDIR(st.st_mode) and st.st_uid == os.getuid()):
            purge(current, keep_top=False)
            st = None
        if st is None:
            os.mkdir(current)
            os.chmod(current, 0o1777)
    return current


def place_file(spec):
    """(Re)create one file owned by root: programs can neither modify nor delete a read-only one."""
    full = os.path.join(safe_parent(spec["path"]), os.path.basename(spec["path"]))
    purge(full, keep_top=False)
    fd = os.open(full, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(base64.b64decode(spec["content"]))
    mode = 0o555 if spec.get("executable") else 0o444
    if not spec.get("readonly", True):
        mode |= 0o222  # writable, still not removable (sticky dir, owned by root)
    os.chmod(full, mode)


def child_setup(fsize_bytes, cpu_limit_s):
    def setup():
        ctypes.CDLL(None).prctl(PR_SET_DUMPABLE, 1, 0, 0, 0)  # so the child may write its own oom_score_adj
        with open("/proc/self/oom_score_adj", "w") as f:
            f.write("1000")
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        resource.setrlimit(resource.RLIMIT_FSIZE, (fsize_bytes, fsize_bytes))
        cpu = int(cpu_limit_s) + 2  # per process, also where the container's counter cannot be read
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu))
        for sig in signal.Signals:  # undo our SIG_IGN: ignored dispositions survive execve
            if sig not in (signal.SIGKILL, signal.SIGSTOP):
                with contextlib.suppress(OSError, ValueError):
                    signal.signal(sig, signal.SIG_DFL)

    return setup


def exit_notifier(pid):
    """A pidfd for `pid` (Linux >= 5.3), or None where the kernel or seccomp profile refuses it."""
    try:
        return os.pidfd_open(pid)
    except (AttributeError, OSError):
        return None


class StepRun:
    """One step: feed stdin, collect capped output, stop at exit, deadline or output flood."""

    def __init__(self, step, job):
        limits = job["limits"]
        self.cap = int(limits["output_bytes"])
        self.out = {"stdout": bytearray(), "stderr": bytearray()}
        self.truncated = False
        self.timed_out = False
        self.stdin = base64.b64decode(step.get("stdin", ""))
        self.timeout_s = float(step["timeout_s"])  # the wall-clock backstop (the host derives it)
        self.cpu_limit_s = float(step["cpu_time_s"])
        self.cpu_limited, self.starved, self.meter = False, None, CpuMeter()
        env = dict(job["env"])
        env.update(dict(step.get("env", ())))
        self.proc = subprocess.Popen(
            step["argv"],
            cwd=WORKDIR,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
            close_fds=True,
            user=SANDBOX_UID,
            group=SANDBOX_UID,
            extra_groups=[],
            preexec_fn=child_setup(int(limits["workdir_mb"]) * 1024 * 1024, self.cpu_limit_s),
        )

    def collect(self):
        sel = selectors.DefaultSelector()
        sel.register(self.proc.stdout, selectors.EVENT_READ, "stdout")
        sel.register(self.proc.stderr, selectors.EVENT_READ, "stderr")
        if self.stdin:
            os.set_blocking(self.proc.stdin.fileno(), False)
            sel.register(self.proc.stdin, selectors.EVENT_WRITE, "stdin")
        else:
            self.proc.stdin.close()
        pidfd = exit_notifier(self.proc.pid)  # readable when the program exits: no polling delay
        if pidfd is not None:
            sel.register(pidfd, selectors.EVENT_READ, "exit")
        started = time.monotonic()
        deadline = started + self.timeout_s
        while self.proc.poll() is None and not self.truncated:
            left = deadline - time.monotonic()
            if left <= 0:
                self.timed_out = True
                self.starved = runnable_s() >= 0.5 * (time.monotonic() - started)  # before the kill
                break
            used = self.meter.used_s()
            if used is not None and used > self.cpu_limit_s:
                self.cpu_limited = True
                break
            for key, _ in sel.select(min(left, CPU_POLL_S if pidfd is not None else 0.01)):  # no pidfd: poll exits
                if key.data == "stdin":
                    self.feed(sel, key.fileobj)
                elif key.data != "exit":
                    self.read(sel, key)
        if not (self.timed_out or self.truncated or self.cpu_limited):
            self.drain(sel)
        sel.close()
        if pidfd is not None:
            os.close(pidfd)

    def feed(self, sel, pipe):
        try:
            sent = os.write(pipe.fileno(), self.stdin[:READ_CHUNK])
        except BlockingIOError:
            return
        except BrokenPipeError:
            sent = len(self.stdin)  # the program stopped reading: the rest of stdin is not wanted
        self.stdin = self.stdin[sent:]
        if not self.stdin:
            sel.unregister(pipe)
            pipe.close()

    def read(self, sel, key):
        try:
            data = os.read(key.fileobj.fileno(), READ_CHUNK)
        except BlockingIOError:
            return False
        if not data:
            sel.unregister(key.fileobj)
            return False
        buf = self.out[key.data]
        buf += data
        if len(buf) > self.cap:
            del buf[self.cap :]
            self.truncated = True
        return True

    def drain(self, sel):
        """Read what the exited step left in its pipes without waiting for descendants that hold them open."""
        for key in list(sel.get_map().values()):
            if key.data in ("stdout", "stderr"):
                os.set_blocking(key.fileobj.fileno(), False)
                while not self.truncated and self.read(sel, key):
                    pass

    def result(self, name, started, oom_before):
        exit_code = self.proc.poll()
        oom_after = oom_kills()
        oom = oom_before is not None and oom_after is not None and oom_after > oom_before
        if exit_code == -signal.SIGXCPU:
            self.cpu_limited = True  # RLIMIT_CPU of one process
        if self.timed_out or oom or self.cpu_limited:
            exit_code = None  # killed by us or by the kernel: there is no exit status of the program's own
        elif exit_code is not None and exit_code < 0:
            exit_code = 128 - exit_code  # killed by a signal: the shell's convention
        return {
            "name": name,
            "exit_code": exit_code,
            "stdout": base64.b64encode(bytes(self.out["stdout"])).decode(),
            "stderr": base64.b64encode(bytes(self.out["stderr"])).decode(),
            "duration_s": time.monotonic() - started,
            "timed_out": self.timed_out and not self.cpu_limited,
            "oom_killed": oom,
            "output_truncated": self.truncated,
            "cpu_time_s": self.meter.used_s(),
            "cpu_limited": self.cpu_limited,
            "starved": self.starved,
        }


def run_step(step, job):
    try:
        for rel_path in step.get("hidden", ()):
            purge(os.path.join(WORKDIR, rel_path), keep_top=False)
        for spec in step.get("files", ()):
            place_file(spec)
    except Exception as exc:  # e.g. an earlier step filled the work dir: the program's doing, so a failed step
        message = f"sandbox: could not prepare step files: {exc}"
        return {"name": step["name"], "exit_code": None, "stderr": base64.b64encode(message.encode()).decode()}, 1
    started = time.monotonic()
    oom_before = oom_kills()
    try:
        run = StepRun(step, job)
    except OSError as exc:  # e.g. the binary a compile step should have produced does not exist
        return {"name": step["name"], "exit_code": 127, "stderr": base64.b64encode(str(exc).encode()).decode()}, 0
    run.collect()
    if run.proc.poll() is None:
        os.killpg(run.proc.pid, signal.SIGKILL)
    run.proc.wait()
    result = run.result(step["name"], started, oom_before)
    # Everything still alive after a short grace outlived its step (daemons, setsid escapees): counted, then
    # killed. The grace lets helpers that exit on their parent's EOF (e.g. a harness's server) finish by themselves.
    leftovers = count_lingering(LINGER_GRACE_S)
    for pipe in (run.proc.stdout, run.proc.stderr, run.proc.stdin):
        pipe.close()
    return result, leftovers


def run_job(job, stdin=None, stdout=None):
    """Run a job's steps. With "stream", each step's result goes to the host at once, and the host answers
    {"op": "next"} or {"op": "stop"} (its fail-fast decision: the verdict is made there, outside the sandbox)."""
    results, leftovers, stopped = [], 0, False
    for spec in job.get("files", ()):
        place_file(spec)
    for step in job["steps"]:
        if stopped:
            results.append({"name": step["name"], "exit_code": None, "skipped": True})
            continue
        result, left = run_step(step, job)
        leftovers += left
        kill_everything()
        if result.get("exit_code") == 0 and step.get("seal"):
            try:
                for rel_path in step["seal"]:
                    seal_file(rel_path)
            except OSError as exc:
                result["exit_code"], result["stderr"] = (
                    1,
                    base64.b64encode(f"sandbox: seal failed: {exc}".encode()).decode(),
                )
        results.append(result)
        failed = (
            result.get("timed_out")
            or result.get("cpu_limited")
            or result.get("oom_killed")
            or result.get("exit_code") != 0
        )
        stopped = bool(step.get("stop_on_failure", True) and failed)
        if job.get("stream") and not stopped:
            write_frame(stdout, {"ok": True, "step": result})
            answer = read_frame(stdin)
            stopped = answer is None or answer.get("op") != "next"
    return {"ok": True, "results": results, "leftovers": leftovers, "dirty": reset()}


def main():
    if os.getpid() != 1:  # kill(-1) below would hit every process of the machine outside a pid namespace
        sys.exit("docker_supervisor: refusing to run outside a container (must be PID 1 of its own pid namespace)")
    lock_down()
    os.chdir("/")
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    write_frame(stdout, {"ok": True, "ready": True, "dirty": reset()})
    while True:
        request = read_frame(stdin)
        if request is None:
            return
        if request.get("op") == "ping":
            write_frame(stdout, {"ok": True, "dirty": dirty_reasons()})
            continue
        try:
            reply = run_job(request, stdin, stdout)
        except Exception as exc:  # reported to the host, which recycles this container
            reply = {"ok": False, "error": f"{type(exc).__name__}: {exc}", "dirty": ["supervisor error"]}
        write_frame(stdout, reply)


if __name__ == "__main__":
    main()
