"""cgroup v2 support of the bwrap backend (sandbox/bwrap/cgroups.py) on a real cgroup2 hierarchy.

Machines that mount only v1 controllers (this project's CI host among them: a hybrid v1 host) still mount the unified
v2 hierarchy, without controllers, at /sys/fs/cgroup/unified. On it these tests exercise what v2 support does besides
setting limits: discovery of a delegated subtree (`CODEALIGN_CGROUP`), moving the processes of a delegated group
into a leaf so that it may enable controllers (with whichever controller that hierarchy has), creating slot groups,
the spawner joining one, CPU-time accounting from `cpu.stat` (so the CPU-time limit of a multi-process program is
enforced), thread lists from `cgroup.threads` for the backstop's idle-or-starved test, and killing what is left.
What needs the memory and pids controllers under v2 (memory.max, memory.events' oom_kill, pids.max) cannot be run
on such a host; on a pure v2 host (`/sys/fs/cgroup/cgroup.controllers`) the shared backend suites cover them, since
the backend then discovers a v2 layout by itself.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from sandbox.base import Limits, Status
from sandbox.bwrap.cgroups import GROUP_DIR, SlotCgroup, discover_v2
from tests.sandbox_cases import bwrap_skip_reason

pytestmark = [pytest.mark.integration, pytest.mark.bwrap]
ROOT = Path(__file__).resolve().parents[2]


def v2_root() -> Path:
    """A mounted cgroup2 hierarchy we may write to, or skip."""
    if os.geteuid() != 0:
        pytest.skip("needs root to create groups in the cgroup2 hierarchy")
    for line in Path("/proc/mounts").read_text().splitlines():
        _, mount_point, fstype, *_ = line.split()
        if fstype == "cgroup2" and os.access(mount_point, os.W_OK):
            return Path(mount_point)
    pytest.skip("no writable cgroup2 hierarchy is mounted here")


@pytest.fixture
def delegated(monkeypatch):
    """A fresh group standing in for a delegated subtree (`CODEALIGN_CGROUP`), removed afterwards."""
    root = v2_root()
    group = root / f"codealign-test-{uuid.uuid4().hex[:8]}"
    group.mkdir()
    monkeypatch.setenv("CODEALIGN_CGROUP", str(group))
    yield root, group
    remove_tree(group)


def remove_tree(group: Path) -> None:
    if not group.exists():
        return
    for path in sorted((p for p in group.rglob("*") if p.is_dir()), key=lambda p: -len(p.parts)):
        path.rmdir()
    group.rmdir()


EVACUATION = r"""
import json, os, sys
from pathlib import Path
from sandbox.bwrap.cgroups import discover_v2
root, group = Path(sys.argv[1]), Path(sys.argv[2])
(group / "cgroup.procs").write_text(str(os.getpid()))  # this process now lives in the delegated group
controllers = tuple((root / "cgroup.controllers").read_text().split()[:1])
layout = discover_v2(root=root, controllers=controllers)
where = [line for line in Path("/proc/self/cgroup").read_text().splitlines() if line.startswith("0::")][0]
print(json.dumps({"parent": str(layout.parent), "cgroup": where, "controllers": controllers,
                  "enabled": (group / "cgroup.subtree_control").read_text().split()}))
(root / "cgroup.procs").write_text(str(os.getpid()))  # back out, so the test can remove the groups
"""


@pytest.fixture
def delegated_controller(delegated):
    """Delegate one controller of the hierarchy to the test group, as systemd's `Delegate=yes` would (enabled in
    the root's subtree_control); disabled again afterwards if it was off."""
    root, group = delegated
    available = (root / "cgroup.controllers").read_text().split()
    if not available:
        pytest.skip("this cgroup2 hierarchy has no controller at all: nothing to delegate")
    controller, control = available[0], root / "cgroup.subtree_control"
    was_on = controller in control.read_text().split()
    control.write_text(f"+{controller}")
    yield root, group
    remove_tree(group)  # first: a controller in use below cannot be turned off
    if not was_on:
        control.write_text(f"-{controller}")


def test_delegated_group_holding_processes_is_emptied_into_a_leaf(delegated_controller):
    root, group = delegated_controller
    proc = subprocess.run([sys.executable, "-c", EVACUATION, str(root), str(group)], capture_output=True, text=True,
                          cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=60)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    seen = json.loads(proc.stdout)
    assert seen["parent"] == str(group / GROUP_DIR)
    assert seen["cgroup"].endswith(f"/{group.name}/grader")  # v2: no processes beside enabled controllers
    assert seen["controllers"][0] in seen["enabled"]


def test_discovery_names_every_attempt_when_nothing_is_usable(monkeypatch, tmp_path):
    monkeypatch.setenv("CODEALIGN_CGROUP", str(tmp_path / "nowhere"))
    with pytest.raises(OSError, match="CODEALIGN_CGROUP") as info:
        discover_v2(root=tmp_path, controllers=("memory", "pids"))
    assert "nowhere" in str(info.value)


def test_slot_group_counts_cpu_lists_threads_and_kills(delegated):
    root, group = delegated
    layout = discover_v2(root=root, controllers=())
    slot = SlotCgroup("slot0", layout)
    burner = subprocess.Popen([sys.executable, "-c", "import threading\n" + "t = threading.Thread(target=lambda: [0 for _ in iter(int, 1)], daemon=True)\nt.start()\n[0 for _ in iter(int, 1)]"])  # fmt: skip
    try:
        Path(slot.procs_files[0]).write_text(str(burner.pid))
        before = slot.cpu_usage_s()
        time.sleep(1.0)
        assert slot.cpu_usage_s() - before > 0.3  # cpu.stat counts without the cpu controller
        assert slot.pids() == [burner.pid] and len(slot.threads()) >= 2  # both threads, for schedstat
        assert slot.kill_all(settle_s=0.1) == [burner.pid]
        assert burner.wait(timeout=10) == -9 and slot.pids() == []
    finally:
        burner.kill()
        slot.remove()


def test_bwrap_backend_on_a_v2_layout_enforces_cpu_time_of_all_processes(delegated):
    """The spawner joins a v2 slot group, and the CPU-time limit is the group's: two processes of 0.8 s each pass a
    1 s limit together although neither passes its own RLIMIT_CPU (2 s)."""
    if bwrap_skip_reason():
        pytest.skip(bwrap_skip_reason())
    from sandbox.api import get_backend, run

    root, _ = delegated
    layout = discover_v2(root=root, controllers=())
    burn = "import os, time\ndef spin(s):\n    end = time.process_time() + s\n    while time.process_time() < end:\n        pass\n"
    row = {"id": "v2-cpu", "language": "python", "solution": burn + "os.fork()\nspin(0.8)\nos.wait() if False else None\n",
           "tests": {"kind": "stdio", "cases": [{"stdin": "", "stdout": ""}]}}  # fmt: skip
    quick = {**row, "id": "v2-quick", "solution": "print(sum(range(10)))\n",
             "tests": {"kind": "stdio", "cases": [{"stdin": "", "stdout": "45"}]}}  # fmt: skip
    with get_backend("bwrap", slots=1, cgroup_layout=layout) as backend:
        slot_dir = backend._slots[0].cgroup.dirs["unified"]
        assert slot_dir.parent == group_dir(delegated) and slot_dir.is_dir()
        assert run(quick, backend).status is Status.PASSED
        limited = run(row, backend, Limits(cpu_time_s=1.0, timeout_s=60))
        assert limited.status is Status.TIMEOUT and "CPU time limit" in limited.detail, limited.detail
        assert backend._slots[0].cgroup.pids(keep=backend._slots[0].spawner.pid) == []


def group_dir(delegated) -> Path:
    return delegated[1] / GROUP_DIR
