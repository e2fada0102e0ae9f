"""A slot's spawner for the bwrap backend (standard library only): `python -I -S spawner_server.py SOCKET_FD NETNS
[CGROUP_PROCS_FILE ...]`, started once per slot by `sandbox.bwrap.spawner.Spawner`.

Why it exists: every bwrap run used to join the slot's control groups itself (writing a pid into `cgroup.procs`
takes a kernel lock that stalls every fork on the machine under cgroup v1) and created and tore down a network
namespace of its own. Together with the shell and `setpriv` that did the joining and the uid drop, that was about a
third of the cost of a short Python test run. The spawner joins the groups once and, as root, enters a private
network namespace once (empty: only a loopback, brought up as bwrap would); each run is then a plain fork of this
small process, which inherits both, sets the run's rlimits, drops to the slot's uid and execs bwrap.

Protocol: one JSON object per SOCK_SEQPACKET message.

* grader -> spawner: ``{"argv": [...], "rlimits": [[name, value], ...], "uid": int | null}`` with four fds attached
  (stdin, stdout, stderr, bwrap's status pipe), which become the child's fds 0, 1, 2 and 3;
* spawner -> grader: ``{"ready": pid}`` once set up; ``{"pid": N}`` once the child is forked, with a pidfd of it
  attached where the kernel has pidfds; ``{"exit": code}`` (negative: killed by that signal) once the child *and* everything reparented to the
  spawner (it is a child subreaper: bwrap's pid-namespace init, which outlives bwrap by a moment) are reaped, so the
  sandbox's pid namespace no longer exists when the grader reads it; ``{"error": text}`` when it cannot serve.

EOF on the socket (the grader closed it or died) kills the running child and ends the spawner. The spawner runs with
the grader's privileges and is out of the programs' reach: they live in their own pid namespace, where its pid and
`/proc` entry do not exist, and under another uid.
"""

import ctypes
import json
import os
import resource
import select
import signal
import socket
import struct
import sys
import traceback

PR_SET_CHILD_SUBREAPER = 36  # <linux/prctl.h>
CLONE_NEWNET = 0x40000000  # <linux/sched.h>
SIOCGIFFLAGS, SIOCSIFFLAGS, IFF_UP = 0x8913, 0x8914, 0x1  # <linux/sockios.h>, <net/if.h>
CHILD_FDS = 4
MAX_MESSAGE = 1 << 20
LAUNCH_FAILED = 97  # the child could not exec bwrap (the grader reports it as a sandbox failure)

libc = ctypes.CDLL(None, use_errno=True)


def check(result, what):
    if result != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def loopback_up():
    import fcntl

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        request = struct.pack("16sH22x", b"lo", 0)
        flags = struct.unpack("16sH22x", fcntl.ioctl(s, SIOCGIFFLAGS, request))[1]
        fcntl.ioctl(s, SIOCSIFFLAGS, struct.pack("16sH22x", b"lo", flags | IFF_UP))


def set_up(new_netns, procs_files):
    for path in procs_files:
        with open(path, "w") as f:
            f.write(str(os.getpid()))
    if new_netns:
        check(libc.unshare(CLONE_NEWNET), "unshare(CLONE_NEWNET)")
        loopback_up()
    check(libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0), "prctl(PR_SET_CHILD_SUBREAPER)")


def send(sock, obj, fds=()):
    data = json.dumps(obj).encode()
    if fds:
        socket.send_fds(sock, [data], list(fds))
    else:
        sock.send(data)


def child(request, fds):
    """In the forked child: become the run's bwrap. Never returns."""
    try:
        os.setsid()
        for name, value in request["rlimits"]:
            resource.setrlimit(getattr(resource, name), (value, value))
        with open("/proc/self/oom_score_adj", "w") as f:
            f.write("1000")  # the OOM killer takes a program before the spawner
        uid = request.get("uid")
        if uid is not None:
            os.setgroups([])
            os.setgid(uid)
            os.setuid(uid)
        high = [os.dup(fd) for fd in fds]  # above every target number, so no dup2 below clobbers a source
        for target, fd in enumerate(high):
            os.dup2(fd, target)
        os.closerange(CHILD_FDS, os.sysconf("SC_OPEN_MAX"))
        for sig in (signal.SIGPIPE, signal.SIGXFSZ):  # Python ignores them, and exec keeps an ignored signal
            signal.signal(sig, signal.SIG_DFL)
        argv = request["argv"]
        os.execve(argv[0], argv, {})
    except BaseException as exc:  # noqa: BLE001 (anything here means the run could not start)
        with open(2, "w", closefd=False) as err:
            err.write(f"spawner: cannot start {request.get('argv', ['?'])[0]}: {exc}\n")
    os._exit(LAUNCH_FAILED)


def open_pidfd(pid):
    """A pidfd for `pid` (Linux >= 5.3), or None where the kernel refuses it (then waits poll every 10 ms)."""
    try:
        return os.pidfd_open(pid)
    except (OSError, AttributeError):
        return None


def reap_all(sock, pid, pidfd):
    """Wait for `pid`, then for everything else reparented here; returns `pid`'s exit code. EOF on `sock` while
    waiting means the grader is gone: kill the child and end."""
    poller = select.poll()
    poller.register(sock.fileno(), select.POLLIN)
    if pidfd is not None:
        poller.register(pidfd, select.POLLIN)
    code = None
    while code is None:
        for fd, _ in poller.poll(None if pidfd is not None else 10):
            if fd == sock.fileno():
                os.kill(pid, signal.SIGKILL)  # not reaped yet: the pid is still this child's
                os.waitpid(pid, 0)
                sys.exit(0)
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            code = os.waitstatus_to_exitcode(status)
    while True:  # bwrap's pid-namespace init, reparented here: the namespace is gone once it is reaped
        try:
            os.waitpid(-1, 0)
        except ChildProcessError:
            return code


def serve(sock):
    while True:
        try:
            data, fds, _, _ = socket.recv_fds(sock, MAX_MESSAGE, CHILD_FDS)
        except ConnectionResetError:
            return
        if not data:
            return
        try:
            request = json.loads(data)
            if len(fds) != CHILD_FDS:
                raise ValueError(f"expected {CHILD_FDS} fds, got {len(fds)}")
            pid = os.fork()
            if pid == 0:
                child(request, fds)
        except Exception as exc:  # noqa: BLE001 (reported to the grader, which raises SandboxError)
            send(sock, {"error": f"{type(exc).__name__}: {exc}"})
            continue
        finally:
            for fd in fds:
                os.close(fd)
        pidfd = open_pidfd(pid)
        try:
            send(sock, {"pid": pid}, [pidfd] if pidfd is not None else ())
            code = reap_all(sock, pid, pidfd)
        finally:
            if pidfd is not None:
                os.close(pidfd)
        send(sock, {"exit": code})


def main():
    sock = socket.socket(fileno=int(sys.argv[1]))
    try:
        set_up(sys.argv[2] == "1", sys.argv[3:])
    except Exception:  # noqa: BLE001
        send(sock, {"error": traceback.format_exc(limit=3)})
        return
    send(sock, {"ready": os.getpid()})
    serve(sock)


if __name__ == "__main__":
    main()
