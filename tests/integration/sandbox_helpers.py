"""Shared helpers for the sandbox backend tests: engine/image detection, a clean-slot probe, host process checks."""

from __future__ import annotations

import json
import os
import time

import pytest

from sandbox.base import File, Job, Limits, SandboxError, Step, StepResult

# Runs inside the sandbox as the program under test would: reports processes, writable dirs and the environment.
PROBE_SOURCE = r"""
import json, os
pids = sorted(int(p) for p in os.listdir("/proc") if p.isdigit())
listing = {d: sorted(os.listdir(d)) for d in ("/work", "/tmp", "/dev/shm")}
vfs = os.statvfs("/work")
print(json.dumps({"pids": pids, "self": os.getpid(), "listing": listing, "uid": os.getuid(),
                  "work_free_blocks": vfs.f_bfree, "work_blocks": vfs.f_blocks}))
"""


def docker_or_skip():
    """A pinged Docker client with the sandbox image present, or skip with the reason."""
    from sandbox.docker.container import DEFAULT_IMAGE, docker_client

    try:
        client = docker_client()
    except SandboxError as exc:
        pytest.skip(f"no Docker engine: {exc}")
    try:
        client.images.get(DEFAULT_IMAGE)
    except Exception:
        pytest.skip(f"sandbox image {DEFAULT_IMAGE} missing: run `sudo bash sandbox/image/build.sh`")
    return client


def python_job(source: str, timeout_s: float | None = None, stdin: bytes = b"", marker: str = "") -> Job:
    """One step running `source` as /work/main.py, with `marker` as argv[1] so the host can look for it."""
    argv = ("python3", "main.py", marker) if marker else ("python3", "main.py")
    step = Step(argv=argv, files=(File("main.py", source.encode()),), stdin=stdin, timeout_s=timeout_s)
    return Job(steps=(step,), limits=Limits())


def run_one(backend, source: str, **kw) -> StepResult:
    (result,) = backend.execute(python_job(source, **kw))
    return result


def probe(backend) -> dict:
    """Run the probe in the backend and return what it saw."""
    result = run_one(backend, PROBE_SOURCE)
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def assert_slot_clean(backend) -> None:
    """The next run sees a fresh slot: only PID 1 and itself, empty writable dirs, an empty work dir tmpfs."""
    seen = probe(backend)
    assert seen["pids"] == sorted([1, seen["self"]]), f"leftover processes: {seen['pids']}"
    assert seen["listing"] == {"/work": ["main.py"], "/tmp": [], "/dev/shm": []}
    assert seen["work_free_blocks"] >= seen["work_blocks"] - 4  # the disk filler's bytes are gone
    assert seen["uid"] == 10001


def host_pids_with(marker: str) -> list[int]:
    """Host processes whose command line contains `marker` (containers' processes are visible on the host)."""
    return [pid for pid, cmdline in _processes("cmdline") if marker.encode() in cmdline and pid != os.getpid()]


def _processes(name: str):
    """(pid, bytes of /proc/<pid>/<name>) for every process that still exists while it is read."""
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/{name}", "rb") as f:
                    yield int(entry), f.read()
            except OSError:
                continue


def _status_fields(status: bytes) -> dict[str, str]:
    return dict(line.split(":", 1) for line in status.decode(errors="replace").splitlines() if ":" in line)


def pool_containers(client, pool_label: str, filters: dict | None = None) -> list:
    from sandbox.docker.container import LABEL

    # sparse: listing must not inspect each container, which races with the engine's auto-removal (NotFound)
    labels = {"label": f"{LABEL}.pool={pool_label}", **(filters or {})}
    return client.containers.list(all=True, sparse=True, filters=labels)


def wait_for(predicate, timeout_s: float = 15.0) -> bool:
    """Poll `predicate` (container removal is asynchronous) until true or the timeout passes."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return predicate()


def sandbox_program_pids(uid: int = 10001) -> list[int]:
    """Host processes running as the sandbox program uid inside a Docker container (the supervisors are root)."""
    found = []
    for pid, status in _processes("status"):
        try:
            with open(f"/proc/{pid}/cgroup") as f:
                in_docker = "docker" in f.read()
        except OSError:
            continue
        if int(_status_fields(status)["Uid"].split()[1]) == uid and in_docker:
            found.append(pid)
    return found


def host_processes_of(uids: set[int], settle_s: float = 3.0) -> list[tuple]:
    """Processes of `uids` on the host, waiting `settle_s` for exiting ones to be reaped (asynchronous)."""
    deadline = time.monotonic() + settle_s
    while (found := _scan_uids(uids)) and time.monotonic() < deadline:
        time.sleep(0.05)
    return found


def _scan_uids(uids: set[int]) -> list[tuple]:
    found = []
    for pid, status in _processes("status"):
        fields = _status_fields(status)
        if int(fields["Uid"].split()[1]) in uids:
            found.append((pid, fields["Name"].strip(), fields["State"].strip(), int(fields["PPid"])))
    return found


def assert_bwrap_host_clean(backend) -> None:
    """Nothing of a one-slot bwrap backend's runs is left: no process of the slot's uid, an empty slot cgroup."""
    slot = backend._slots[0]
    assert slot.leftovers == 0, "processes outlived their sandbox and had to be killed by the backend"
    assert host_processes_of({slot.uid}) == [], "a process of the slot's uid is still running on the host"
    assert slot.cgroup is None or slot.cgroup.pids(keep=slot.spawner.pid) == []
