"""What only the bwrap backend has: its slot's spawner (killed, lost mid-run), the slot's network namespace, several
slots at once, and a clear error for a missing root file system. The cases every backend shares (tasks, attacks,
fidelity) are in test_sandbox_backends.py.

Needs bubblewrap and the shared root file system (`bash sandbox/image/build.sh`); skips with the reason otherwise.
"""

from __future__ import annotations

import os
import signal
import threading
import time

import pytest

from sandbox.api import get_backend, run, run_many
from sandbox.base import Job, Limits, SandboxError, Step, StepResult
from tests.integration.sandbox_helpers import assert_bwrap_host_clean
from tests.sandbox_cases import (
    PROBE,
    SECRET_ENV,
    bwrap_skip_reason,
    one_per_language_and_kind,
)

pytestmark = [pytest.mark.integration, pytest.mark.bwrap]


@pytest.fixture(scope="module")
def backend():
    reason = bwrap_skip_reason()
    if reason:
        pytest.skip(reason)
    os.environ[SECRET_ENV] = "hunter2"  # in the grader's environment: must never be visible inside
    b = get_backend("bwrap", slots=1)  # one slot: the probe after an attack runs where the attack ran
    yield b
    b.close()
    os.environ.pop(SECRET_ENV, None)


def test_missing_rootfs_is_a_clear_error(tmp_path):
    if bwrap_skip_reason():
        pytest.skip(bwrap_skip_reason())
    with pytest.raises(SandboxError, match="build.sh"):
        get_backend("bwrap", rootfs=str(tmp_path))


def test_concurrent_slots_agree(backend):
    """Two slots at once (the `run_many` path) give the same verdicts as one."""
    rows = [row for row, _ in one_per_language_and_kind() if row["language"] == "python"]
    with get_backend("bwrap", slots=2) as two:
        parallel = run_many(rows * 2, two, jobs=2)
    sequential = run_many(rows * 2, backend, jobs=1)
    assert [r.status for r in parallel] == [r.status for r in sequential]


def _raw_run(backend, code: str, timeout_s: float = 30) -> StepResult:
    """One Python program through the backend directly (no harness), as the sandbox's user."""
    step = Step(argv=("/usr/bin/python3", "-I", "-S", "-c", code), name="raw")
    return backend.execute(Job(steps=(step,), limits=Limits(timeout_s=timeout_s)))[0]


def test_runs_get_a_private_network_with_a_working_loopback(backend):
    """Runs share their slot's network namespace (entered once by the spawner), never the host's; inside it only
    `lo` exists and is up, as with Docker's `none` network."""
    code = (
        "import os, socket\n"
        "print(os.readlink('/proc/self/ns/net'))\n"
        "print(sorted(n for _, n in socket.if_nameindex()))\n"
        "server = socket.create_server(('127.0.0.1', 0))\n"
        "client = socket.create_connection(server.getsockname())\n"
        "conn, _ = server.accept()\n"
        "client.sendall(b'ping')\n"
        "print(conn.recv(4).decode())\n"
    )
    first, second = _raw_run(backend, code), _raw_run(backend, code)
    assert first.exit_code == 0, first.stderr
    netns, interfaces, echoed = first.stdout.decode().split("\n")[:3]
    assert netns != os.readlink("/proc/self/ns/net")
    assert (interfaces, echoed) == ("['lo']", "ping")
    assert second.stdout == first.stdout  # the same slot: the same namespace, nothing left over in it


def test_killed_spawner_is_restarted_for_the_next_run(backend):
    slot = backend._slots[0]
    old_pid = slot.spawner.pid
    os.kill(old_pid, signal.SIGKILL)
    slot.spawner.proc.wait(timeout=10)
    assert run(PROBE, backend).passed
    assert slot.spawner.pid not in (None, old_pid)
    assert_bwrap_host_clean(backend)


def test_spawner_lost_mid_run_is_a_sandbox_error_not_a_verdict(backend):
    """The infrastructure failing under a running program raises SandboxError (never a failed program), takes
    the program down with it, and the slot serves the next run."""
    slot = backend._slots[0]
    outcome = {}

    def grade():
        try:
            outcome["result"] = _raw_run(backend, "import time\nprint('up', flush=True)\ntime.sleep(60)")
        except SandboxError as exc:
            outcome["error"] = exc

    worker = threading.Thread(target=grade)
    worker.start()
    deadline = time.monotonic() + 20
    while slot.cgroup is not None and len(slot.cgroup.pids(keep=slot.spawner.pid)) < 3:
        assert time.monotonic() < deadline, "the program never started"
        time.sleep(0.05)
    os.kill(slot.spawner.pid, signal.SIGKILL)
    worker.join(timeout=30)
    assert not worker.is_alive()
    assert "error" in outcome, outcome
    assert "spawner" in str(outcome["error"])
    assert run(PROBE, backend).passed
    assert_bwrap_host_clean(backend)
