"""Docker backend against the real engine: one attack per test, each with the outcome it must get, then a check
that the next run on the same pool slot is clean and that nothing is left running on the host.

The pool has one slot, so "the next run" always lands where the attack ran (or in its replacement).
Needs `sandbox/image/start_docker.sh` and `sandbox/image/build.sh`; skips with the reason otherwise.
"""

from __future__ import annotations

import json
import uuid

import pytest

from sandbox.base import File, Job, Limits, SandboxError, Step
from tests.integration.sandbox_helpers import (
    assert_slot_clean,
    docker_or_skip,
    host_pids_with,
    pool_containers,
    run_one,
    sandbox_program_pids,
    wait_for,
)

pytestmark = [pytest.mark.integration, pytest.mark.docker]


@pytest.fixture(scope="module")
def pool():
    from sandbox.docker.backend import DockerBackend

    client = docker_or_skip()
    backend = DockerBackend(pool_size=1, limits=Limits())
    yield backend
    backend.close()
    assert wait_for(lambda: not pool_containers(client, backend.pool_label)), "pool containers left after close()"


@pytest.fixture
def marker() -> str:
    return f"codealign-attack-{uuid.uuid4().hex[:12]}"


def assert_aftermath(pool, marker: str, recycled_before: int | None = None) -> None:
    """Next run on the slot is clean; no attack process on the host; the pool still has exactly one container."""
    assert_slot_clean(pool)
    assert wait_for(lambda: not host_pids_with(marker)), f"attack processes still on the host: {marker}"
    assert wait_for(lambda: not sandbox_program_pids()), f"sandbox programs left on the host: {sandbox_program_pids()}"
    assert wait_for(lambda: len(pool_containers(pool.client, pool.pool_label)) == 1)
    if recycled_before is not None:
        assert pool.recycled == recycled_before + 1, "the slot must be replaced after this attack"


def test_programs_run_unprivileged_without_capabilities(pool):
    source = "import os\nprint(os.getuid(), os.getgid(), os.getgroups())\nprint(open('/proc/self/status').read())"
    result = run_one(pool, source)
    first, status = result.stdout.decode().split("\n", 1)
    assert first == "10001 10001 []"
    fields = dict(line.split(":\t", 1) for line in status.splitlines() if ":\t" in line)
    assert fields["CapEff"] == fields["CapPrm"] == fields["CapInh"] == fields["CapAmb"] == "0000000000000000"
    assert fields["NoNewPrivs"] == "1"


def test_fork_bomb_is_contained_and_slot_replaced(pool, marker):
    before = pool.recycled
    source = "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass\n"
    result = run_one(pool, source, timeout_s=3, marker=marker)
    assert result.timed_out and result.exit_code is None
    assert_aftermath(pool, marker, before)


def test_thread_bomb_hits_the_pids_limit(pool, marker):
    source = (
        "import threading, time\nn = 0\ntry:\n    while True:\n"
        "        threading.Thread(target=time.sleep, args=(60,), daemon=True).start()\n        n += 1\n"
        "except RuntimeError:\n    print('stopped at', n)\n"
    )
    result = run_one(pool, source, timeout_s=10, marker=marker)
    assert result.exit_code == 0 and result.stdout.startswith(b"stopped at")
    assert int(result.stdout.split()[-1]) < Limits().pids + 8  # the pids cgroup stopped it, not memory
    assert_aftermath(pool, marker)


def test_memory_bomb_is_oom_killed_and_slot_replaced(pool, marker):
    before = pool.recycled
    source = "chunks = []\nwhile True:\n    chunks.append(b'x' * (32 << 20))\n"
    result = run_one(pool, source, timeout_s=20, marker=marker)
    assert result.oom_killed and result.exit_code is None and not result.timed_out
    assert_aftermath(pool, marker, before)


def test_output_flood_is_cut_at_the_cap(pool, marker):
    before = pool.recycled
    result = run_one(pool, "while True:\n    print('x' * 1000)\n", timeout_s=20, marker=marker)
    assert result.output_truncated and not result.timed_out
    assert len(result.stdout) == Limits().output_bytes
    assert result.duration_s < 10  # killed at the cap, not at the deadline
    assert_aftermath(pool, marker, before)


def test_disk_fill_is_bounded_and_wiped(pool, marker):
    source = (
        "import errno\nfor path in ('/work/fill', '/tmp/fill', '/dev/shm/fill'):\n"
        "    try:\n        with open(path, 'wb') as f:\n            while True:\n"
        "                f.write(b'x' * (1 << 20))\n                f.flush()\n"
        "    except OSError as exc:\n        print(path, exc.errno in (errno.ENOSPC, errno.EFBIG))\n"
    )
    result = run_one(pool, source, timeout_s=20, marker=marker)
    assert result.stdout.decode().split() == ["/work/fill", "True", "/tmp/fill", "True", "/dev/shm/fill", "True"]
    assert_aftermath(pool, marker)


def test_many_files_hit_the_inode_limit_and_are_wiped(pool, marker):
    source = (
        "import os\nn = 0\ntry:\n    while True:\n        open(f'/work/f{n}', 'w').close()\n        n += 1\n"
        "except OSError as exc:\n    print(exc.errno, n)\n"
    )
    result = run_one(pool, source, timeout_s=20, marker=marker)
    errno_seen, count = result.stdout.split()
    assert int(errno_seen) == 28 and int(count) < 20000  # ENOSPC from the tmpfs inode cap
    assert_aftermath(pool, marker)


def test_sigterm_ignoring_loop_is_killed_at_the_deadline(pool, marker):
    before = pool.recycled
    source = "import signal\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\nwhile True:\n    pass\n"
    result = run_one(pool, source, timeout_s=1.5, marker=marker)
    assert result.timed_out and result.exit_code is None
    assert 1.5 <= result.duration_s < 4.0
    assert_aftermath(pool, marker, before)


def test_daemon_that_outlives_the_run_is_killed(pool, marker):
    before = pool.recycled
    source = (
        "import os, time\nif os.fork() == 0:\n    os.setsid()\n    if os.fork() == 0:\n"
        "        time.sleep(1.5)\n        open('/tmp/daemon-was-here', 'w').write('x')\n"
        "        time.sleep(600)\n    os._exit(0)\nprint('parent done')\n"
    )
    result = run_one(pool, source, marker=marker)
    assert result.exit_code == 0 and result.stdout == b"parent done\n"
    assert_aftermath(pool, marker, before)
    import time

    time.sleep(2.0)  # the daemon would have written its file by now
    assert_slot_clean(pool)


def test_writes_outside_the_work_dir_fail(pool, marker):
    source = (
        "for path in ('/etc/passwd', '/usr/bin/python3', '/root/x', '/var/tmp/x', '/x', '/proc/sys/kernel/x'):\n"
        "    try:\n        open(path, 'a').write('pwned')\n        print(path, 'WRITTEN')\n"
        "    except OSError as exc:\n        print(path, type(exc).__name__)\n"
    )
    result = run_one(pool, source, marker=marker)
    assert b"WRITTEN" not in result.stdout and result.stdout.count(b"\n") == 6
    assert_aftermath(pool, marker)


def test_host_environment_and_supervisor_environ_are_invisible(pool, monkeypatch):
    from sandbox.docker.container import BASE_ENV

    monkeypatch.setenv("CODEALIGN_TEST_SECRET", "hunter2")
    source = (
        "import json, os\ntry:\n    environ1 = open('/proc/1/environ').read()\nexcept OSError as exc:\n"
        "    environ1 = type(exc).__name__\nprint(json.dumps({'env': dict(os.environ), 'pid1': environ1}))\n"
    )
    result = run_one(pool, source)
    seen = json.loads(result.stdout)
    assert seen["env"] == BASE_ENV
    assert seen["pid1"] == "PermissionError"
    assert b"hunter2" not in result.stdout


def test_network_is_off_even_towards_host_loopback(pool):
    import socket

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    port = listener.getsockname()[1]
    source = (
        "import socket\nprint(sorted(l.split(':')[0].strip() for l in open('/proc/net/dev').readlines()[2:]))\n"
        "inner = socket.socket(); inner.bind(('127.0.0.1', 0)); inner.listen(1)\n"
        "socket.create_connection(inner.getsockname(), timeout=2).close(); print('own loopback ok')\n"
        f"try:\n    socket.create_connection(('127.0.0.1', {port}), timeout=2)\n    print('HOST REACHED')\n"
        "except OSError as exc:\n    print('host loopback', type(exc).__name__)\n"
    )
    try:
        result = run_one(pool, source)
    finally:
        listener.close()
    assert result.stdout.decode().splitlines() == ["['lo']", "own loopback ok", "host loopback ConnectionRefusedError"]


def test_docker_socket_is_absent(pool):
    source = (
        "import os\nprint([p for p in ('/var/run/docker.sock', '/run/docker.sock', '/run/containerd') "
        "if os.path.exists(p)])\n"
    )
    assert run_one(pool, source).stdout == b"[]\n"


def test_killing_the_supervisor_is_refused(pool, marker):
    before = pool.recycled
    container_before = [c.id for c in pool_containers(pool.client, pool.pool_label)]
    source = (
        "import os, signal\nfor sig in (signal.SIGKILL, signal.SIGTERM, signal.SIGSTOP):\n"
        "    try:\n        os.kill(1, sig)\n        print('SIGNALLED', sig)\n"
        "    except PermissionError:\n        print('refused')\n"
        "try:\n    os.kill(-1, signal.SIGKILL)\nexcept ProcessLookupError:\n    print('no victims')\n"
        "import sys; sys.stdout.flush(); os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    result = run_one(pool, source, marker=marker)
    assert result.stdout == b"refused\nrefused\nrefused\nno victims\n"  # kill(-1) spares PID 1 and the caller
    assert result.exit_code == 128 + 9
    assert pool.recycled == before
    assert [c.id for c in pool_containers(pool.client, pool.pool_label)] == container_before
    assert_aftermath(pool, marker)


def test_sandbox_error_when_the_engine_is_unreachable(monkeypatch, tmp_path):
    from sandbox.docker.backend import DockerBackend

    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/no-such-docker.sock")
    with pytest.raises(SandboxError, match="start_docker.sh"):
        DockerBackend(pool_size=1)


def test_disk_filled_before_a_later_step_fails_that_step_not_the_sandbox(pool, marker):
    fill = "f = open('/work/fill', 'wb')\ntry:\n    while True:\n        f.write(b'x' * (1 << 20))\nexcept OSError:\n    pass\n"
    steps = (
        Step(argv=("python3", "-c", fill, marker), name="fill"),
        Step(argv=("python3", "tests.py"), name="tests", files=(File("tests.py", b"print('x' * 4096)\n" * 64),)),
    )
    fill_result, tests_result = pool.execute(Job(steps=steps))
    assert fill_result.exit_code == 0
    assert tests_result.exit_code is None and b"could not prepare step files" in tests_result.stderr
    assert_aftermath(pool, marker)


def test_supervisor_memory_fds_and_ptrace_are_out_of_reach(pool, marker):
    source = (
        "import ctypes, os\nlibc = ctypes.CDLL(None, use_errno=True)\n"
        "print('ptrace', libc.ptrace(16, 1, None, None), ctypes.get_errno())\n"  # PTRACE_ATTACH -> -1, EPERM
        "for path in ('/proc/1/mem', '/proc/1/environ', '/proc/1/fd/0', '/proc/1/fd/1'):\n"
        "    try:\n        open(path, 'rb').read(1)\n        print(path, 'OPENED')\n"
        "    except OSError as exc:\n        print(path, type(exc).__name__)\n"
    )
    result = run_one(pool, source, marker=marker)
    assert result.stdout.decode().splitlines() == [
        "ptrace -1 1",
        "/proc/1/mem PermissionError",
        "/proc/1/environ PermissionError",
        "/proc/1/fd/0 PermissionError",
        "/proc/1/fd/1 PermissionError",
    ]
    assert_aftermath(pool, marker)


def test_sysv_ipc_left_behind_forces_a_fresh_container(pool, marker):
    before = pool.recycled
    source = "import ctypes\nprint(ctypes.CDLL(None).shmget(0, 4096, 0o1600) >= 0)\n"  # IPC_PRIVATE | IPC_CREAT
    result = run_one(pool, source, marker=marker)
    assert result.stdout == b"True\n"
    assert_aftermath(pool, marker, before)
    assert run_one(pool, "print(open('/proc/sysvipc/shm').read().count(chr(10)))").stdout == b"1\n"  # header only


def test_deep_directory_tree_is_wiped_or_the_slot_replaced(pool, marker):
    source = (
        "import os\nfor _ in range(3000):\n    os.mkdir('d')\n    os.chdir('d')\n"
        "open('leaf', 'w').write('x')\nprint('deep')\n"
    )
    result = run_one(pool, source, marker=marker)
    assert result.exit_code == 0 and result.stdout == b"deep\n"
    assert_aftermath(pool, marker)
