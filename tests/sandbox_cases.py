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
ATTACK_LIMITS = {"cpu_time_s": 10.0, "memory_mb": 256, "pids": 64}  # generous: CI machines are shared and slow
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
assert r["work"] == ["_harness.py", "_harness_code.bin", "_harness_src.bin", "solution.py"], r
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


def _py(tid: str, solution: str, code: str, entry_point: str | None = None) -> dict[str, Any]:
    tests: dict[str, Any] = {"kind": "assert", "code": code}
    if entry_point:
        tests["entry_point"] = entry_point
    return {"id": f"fidelity-{tid}", "language": "python", "solution": solution, "tests": tests}


# Correct programs written the way HumanEval/MBPP tasks are: each exercises one way the tests reach into the
# solution (helpers, classes, generators, module aliases, objects built by the tests). All must pass.
FIDELITY = [
    _py("helper-from-prompt", "import math\n\ndef poly(xs, x):\n    return sum(c * math.pow(x, i) for i, c in enumerate(xs))\n\ndef find_zero(xs):\n    lo, hi = -100.0, 100.0\n    for _ in range(200):\n        mid = (lo + hi) / 2\n        if poly(xs, lo) * poly(xs, mid) <= 0:\n            hi = mid\n        else:\n            lo = mid\n    return lo\n",
        "METADATA = {}\n\ndef check(candidate):\n    import copy\n    import random\n    rng = random.Random(42)\n    for _ in range(20):\n        coeffs = [rng.randint(1, 5), rng.randint(1, 5)]\n        solution = candidate(copy.deepcopy(coeffs))\n        assert math.fabs(poly(coeffs, solution)) < 1e-4\n", "find_zero"),
    _py("float-tolerance", "def mean(xs):\n    return sum(xs) / len(xs)\n", "def check(candidate):\n    assert abs(candidate([1.0, 2.0, 4.0]) - 7 / 3) < 1e-6\n", "mean"),
    _py("mbpp-set-compare", "def common(a, b):\n    return list(set(a) & set(b))\n", "assert set(common((3, 4, 5, 6), (5, 7, 4, 10))) == set((4, 5))\n"),
    _py("mbpp-builtin-name", "def sum(a, b):\n    s = 0\n    for i in range(1, min(a, b) + 1):\n        if a % i == 0 and b % i == 0:\n            s += i\n    return s\n", "assert sum(10, 15) == 6\nassert sum(100, 150) == 93\n"),
    _py("objects-built-by-tests", "class Node:\n    def __init__(self, data):\n        self.data, self.left, self.right = data, None, None\n\ndef max_height(node):\n    if node is None:\n        return 0\n    return 1 + max(max_height(node.left), max_height(node.right))\n",
        "class Node:\n    def __init__(self, data):\n        self.data, self.left, self.right = data, None, None\n\nroot = Node(1)\nroot.left = Node(2)\nroot.left.left = Node(3)\nassert max_height(root) == 3\n"),
    _py("solution-class-instances", "class Pair:\n    def __init__(self, a, b):\n        self.a, self.b = a, b\n\ndef max_chain_length(arr, n):\n    arr = sorted(arr, key=lambda p: p.b)\n    count, end = 0, float('-inf')\n    for p in arr:\n        if p.a > end:\n            count, end = count + 1, p.b\n    return count\n",
        "assert max_chain_length([Pair(5, 24), Pair(15, 25), Pair(27, 40), Pair(50, 60)], 4) == 3\n"),
    _py("generator-and-map", "def squares(n):\n    return map(lambda x: x * x, range(n))\n", "assert list(squares(4)) == [0, 1, 4, 9]\nassert 9 in squares(4)\nassert sorted(squares(3), reverse=True) == [4, 1, 0]\n"),
    _py("module-alias-from-solution", "import math as m\nimport re\n\ndef hyp(a, b):\n    return m.sqrt(a * a + b * b)\n", "assert m.isclose(hyp(3, 4), 5.0)\nassert re.match('a+', 'aaa')\n"),
    _py("nested-types", "def stats(xs):\n    return {'min': min(xs), 'max': max(xs), 'pairs': [(x, -x) for x in xs], 'uniq': frozenset(xs)}\n",
        "def check(candidate):\n    r = candidate([3, 1, 3])\n    assert r == {'min': 1, 'max': 3, 'pairs': [(3, -3), (1, -1), (3, -3)], 'uniq': frozenset({1, 3})}\n    assert isinstance(r['pairs'][0], tuple)\n", "stats"),
    _py("returns-none-and-prints", "def greet(name):\n    print('hello', name)\n", "assert greet('x') is None\n"),
    _py("exception-expected", "def safe_div(a, b):\n    if b == 0:\n        raise ZeroDivisionError('b is 0')\n    return a / b\n", "try:\n    safe_div(1, 0)\n    raise AssertionError('no exception')\nexcept ZeroDivisionError:\n    pass\nassert safe_div(1, 4) == 0.25\n"),
    _py("truthiness-and-debug-messages", "def is_even(n):\n    return n % 2 == 0\n", "def check(candidate):\n    assert candidate(4) == True, 'This prints if this assert fails 1 (good for debugging!)'\n    assert not candidate(3)\n    assert True\n", "is_even"),
    _py("many-calls", "def f(x):\n    return x * 2 + 1\n", "for i in range(2000):\n    assert f(i) == 2 * i + 1\n"),
    _py("function-named-like-a-module", "def statistics(xs):\n    return (min(xs), max(xs))\n", "assert statistics([3, 1, 2]) == (1, 3)\n"),
    _py("dates-and-types", "import datetime\n\ndef next_day(y, m, d):\n    return datetime.date(y, m, d) + datetime.timedelta(days=1)\n\ndef kind(x):\n    return type(x)\n",
        "import datetime\nassert next_day(2024, 2, 28) == datetime.date(2024, 2, 29)\nassert kind(1.5) == float\n"),
    _py("solution-function-named-check", "def digit_sum(n):\n    return sum(int(c) for c in str(n))\n\ndef check(n):\n    return digit_sum(n) % 2 == 0\n",
        "assert check(11) == True\nassert check(12) == False\n", "check"),  # MBPP: the task's own function is called check
    _py("setup-links-solution-objects", "class T:\n    def __init__(self, v):\n        self.v, self.a, self.b = v, None, None\n\ndef depth(t):\n    return 0 if t is None else 1 + max(depth(t.a), depth(t.b))\n",
        "t = T(1); t.a = T(2)\nt.a.b = T(3)\nt.a.b.a = T(4)\nassert depth(t) == 4\nassert depth(T(0)) == 1\n", "depth"),  # MBPP test_setup_code
    _py("big-ints-and-special-floats", "def big(n):\n    return 3 ** n\n\ndef special():\n    return [float('inf'), -0.0, 1e-300]\n", "assert big(5000) == 3 ** 5000\nassert special() == [float('inf'), -0.0, 1e-300]\n"),
]  # fmt: skip


def bwrap_skip_reason() -> str | None:
    """Why the bwrap backend cannot run here (no bubblewrap, no shared rootfs), or None when it can."""
    from sandbox.bwrap.backend import bwrap_unavailable_reason

    return bwrap_unavailable_reason()
