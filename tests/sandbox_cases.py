"""Backend-independent sandbox test cases, shared by the bwrap and Docker test suites.

* `canonical_pairs()`: every bundled task (data/code_tasks/tasks.jsonl) with its canonical solution (must pass) and
  its perturbed solutions (must fail).
* `ATTACKS` (tests/sandbox_attacks.py): hostile programs, each with the verdicts it may get.
* `PROBE`: a task that passes only in a clean sandbox: empty /tmp, a work dir holding only the job's files, no
  process besides its own ancestors, room to write. Run it on the same slot right after an attack.
* `HOST_CANARIES`: host paths that attacks try to create; they must not exist afterwards.

Use: `sandbox.api.run(attack_row(attack, port), backend, Limits(**attack.limits))` and compare
`result.status.value` with `attack.expected`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

TASKS_PATH = Path(__file__).resolve().parents[1] / "data" / "code_tasks" / "tasks.jsonl"
ATTACK_LIMITS = {"timeout_s": 10.0, "memory_mb": 256, "pids": 64}  # generous: CI machines are shared and slow
SECRET_ENV = "CODEALIGN_TEST_SECRET"  # set in the grader's environment by the tests; must never reach a sandbox
HOST_CANARIES = (
    "/etc/codealign_pwned",
    "/usr/codealign_pwned",
    "/codealign_pwned",
    "/root/codealign_pwned",
    "/var/codealign_pwned",
    "/tmp/codealign_pwned",
)
LOOPBACK_PORT = "__LOOPBACK_PORT__"  # placeholder: `attack_row` puts in the port the test listens on (host loopback)


@dataclass(frozen=True)
class Attack:
    name: str
    row: dict[str, Any]
    expected: tuple[str, ...]  # Status values this program may get; anything else is a sandbox/grader bug
    why: str
    limits: dict[str, Any] = field(default_factory=lambda: dict(ATTACK_LIMITS))


def attack_row(attack: Attack, loopback_port: int) -> dict[str, Any]:
    """The attack's task row with the host loopback port the test listens on (pick a free one: port 0)."""
    return {**attack.row, "solution": attack.row["solution"].replace(LOOPBACK_PORT, str(int(loopback_port)))}


def load_tasks(path: Path = TASKS_PATH) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def canonical_pairs(path: Path = TASKS_PATH) -> list[tuple[dict[str, Any], bool]]:
    """(row, must_pass) for every canonical solution (True) and every perturbed one (False)."""
    out = []
    for task in load_tasks(path):
        base = {k: task[k] for k in ("id", "language", "tests")}
        out.append(({**base, "solution": task["solution"]}, True))
        for i, wrong in enumerate(task["perturbed"]):
            out.append(({**base, "id": f"{task['id']}#perturbed{i}", "solution": wrong}, False))
    return out


def one_per_language_and_kind(path: Path = TASKS_PATH) -> list[tuple[dict[str, Any], bool]]:
    """The first task of every (language, test kind) pair, canonical and perturbed: the fast acceptance subset."""
    seen: set[tuple[str, str]] = set()
    keep: set[str] = set()
    for task in load_tasks(path):
        key = (task["language"], task["tests"]["kind"])
        if key not in seen:
            seen.add(key)
            keep.add(task["id"])
    return [(row, ok) for row, ok in canonical_pairs(path) if row["id"].split("#")[0] in keep]


PROBE_SOLUTION = """
import os


def _ancestors():
    pids, pid = set(), os.getpid()
    while pid > 0:
        pids.add(pid)
        with open(f"/proc/{pid}/stat") as f:
            pid = int(f.read().rsplit(")", 1)[1].split()[1])
    return pids


def probe():
    report = {}
    report["work"] = sorted(os.listdir("/work"))
    report["tmp"] = sorted(os.listdir("/tmp"))
    alive = {int(p) for p in os.listdir("/proc") if p.isdigit()}
    report["strangers"] = sorted(alive - _ancestors())
    for d in ("/work", "/tmp"):
        with open(f"{d}/probe.bin", "wb") as f:
            f.write(b"x" * (1 << 20))
        os.unlink(f"{d}/probe.bin")
    report["env"] = sorted(k for k in os.environ if "SECRET" in k)
    return report
"""
PROBE_TESTS = """
r = probe()
assert r["work"] == ["_harness.py", "solution.py"], r
assert r["tmp"] == [], r
assert r["strangers"] == [], r
assert r["env"] == [], r
"""
PROBE = {
    "id": "probe",
    "language": "python",
    "solution": PROBE_SOLUTION,
    "tests": {"kind": "assert", "code": PROBE_TESTS},
}
