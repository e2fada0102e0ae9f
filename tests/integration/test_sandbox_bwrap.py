"""The bwrap backend against real programs: canonical tasks pass and perturbed ones fail in every language and test
kind, and every attack of tests/sandbox_attacks.py gets its verdict, leaves nothing running, leaves the host
untouched, and is followed by a clean run on the same slot.

Needs bubblewrap and the shared root file system (`bash sandbox/image/build.sh`); skips with the reason otherwise.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

import pytest

from sandbox.api import get_backend, run, run_many
from sandbox.base import Job, Limits, SandboxError, Status, Step, StepResult
from tests.sandbox_attacks import ATTACKS
from tests.sandbox_cases import (
    FIDELITY,
    HOST_CANARIES,
    PROBE,
    SECRET_ENV,
    attack_row,
    bwrap_skip_reason,
    canonical_pairs,
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


def _host_processes_of(uids: set[int], settle_s: float = 3.0) -> list[tuple]:
    """Processes of `uids` on the host, waiting `settle_s` for exiting ones to be reaped (asynchronous)."""
    deadline = time.monotonic() + settle_s
    while (found := _scan_uids(uids)) and time.monotonic() < deadline:
        time.sleep(0.05)
    return found


def _scan_uids(uids: set[int]) -> list[tuple]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            status = (entry / "status").read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        if int(fields["Uid"].split()[1]) in uids:
            found.append((int(entry.name), fields["Name"].strip(), fields["State"].strip(), int(fields["PPid"])))
    return found


def _assert_host_clean(backend) -> None:
    slot = backend._slots[0]
    assert slot.leftovers == 0, "processes outlived their sandbox and had to be killed by the backend"
    assert _host_processes_of({slot.uid}) == [], "a process of the slot's uid is still running on the host"
    assert slot.cgroup is None or slot.cgroup.pids(keep=slot.spawner.pid) == []
    for path in HOST_CANARIES:
        assert not Path(path).exists(), f"{path} was created on the host"


@pytest.mark.parametrize(
    "row,must_pass", one_per_language_and_kind(), ids=lambda v: v["id"] if isinstance(v, dict) else ""
)
def test_canonical_passes_and_perturbed_fails(backend, row, must_pass):
    result = run(row, backend)
    assert result.passed is must_pass, (result.status, result.detail)
    if not must_pass:
        assert result.status in (Status.FAILED, Status.RUNTIME_ERROR, Status.COMPILE_ERROR), result.detail


@pytest.mark.slow
def test_whole_task_set_three_times(backend):
    pairs = canonical_pairs()
    rows = [row for row, _ in pairs] * 3
    results = run_many(rows, backend, jobs=1)
    wrong = [
        (r["id"], res.status.value, res.detail[:200])
        for r, res, (_, ok) in zip(rows, results, pairs * 3)
        if res.passed is not ok
    ]
    assert wrong == []


@pytest.mark.parametrize("attack", ATTACKS, ids=lambda a: a.name)
def test_attack(backend, loopback_listener, attack):
    port, accepted = loopback_listener
    result = run(attack_row(attack, port), backend, Limits(**attack.limits))
    assert result.status.value in attack.expected, f"{attack.why}: got {result.status.value}: {result.detail}"
    _assert_host_clean(backend)
    assert accepted == [], "a sandbox reached the host's loopback"
    probe = run(PROBE, backend)
    assert probe.passed, f"the slot is not clean after {attack.name}: {probe.detail}"


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


@pytest.mark.parametrize("row", FIDELITY, ids=lambda r: r["id"])
def test_harness_fidelity(backend, row):
    """Correct HumanEval/MBPP-style programs pass through the two-process harness unchanged."""
    result = run(row, backend)
    assert result.passed, (result.status, result.detail)


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
    _assert_host_clean(backend)


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
    _assert_host_clean(backend)
