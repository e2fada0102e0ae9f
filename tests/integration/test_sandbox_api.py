"""The public entry points on real backends: the grading CLI, the code reward (single and batched), the
subprocess baseline, and sandbox failures that must raise instead of scoring 0."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from bench.subprocess_backend import SubprocessBackend
from rewards.code_rewards import CodeGrader, SandboxSettings, code_rewards_batch
from sandbox.api import BACKEND_NAMES, get_backend, run_many
from sandbox.base import SandboxError, Status
from tests.sandbox_cases import bwrap_skip_reason, one_per_language_and_kind

pytestmark = pytest.mark.integration

ADD_TESTS = {
    "kind": "assert",
    "code": "def check(candidate):\n    assert candidate(2, 3) == 5\n",
    "entry_point": "add",
}
RIGHT = "Here you go:\n```python\ndef add(a, b):\n    return a + b\n```"
WRONG = "```python\ndef add(a, b):\n    return a - b\n```"


@pytest.fixture(scope="module")
def bwrap():
    reason = bwrap_skip_reason()
    if reason:
        pytest.skip(reason)
    with get_backend("bwrap", slots=2) as backend:
        yield backend


@pytest.mark.bwrap
def test_grade_cli_writes_one_verdict_per_row(tmp_path, bwrap):
    rows = [row for row, _ in one_per_language_and_kind() if row["language"] in ("python", "javascript")]
    src, out = tmp_path / "tasks.jsonl", tmp_path / "verdicts.jsonl"
    src.write_text("".join(json.dumps(r) + "\n" for r in rows))
    cmd = [
        sys.executable,
        "-m",
        "sandbox.grade",
        "--backend",
        "bwrap",
        "--jobs",
        "2",
        "--input",
        str(src),
        "--output",
        str(out),
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    verdicts = [json.loads(line) for line in out.read_text().splitlines()]
    assert [v["id"] for v in verdicts] == [r["id"] for r in rows]
    assert [v["passed"] for v in verdicts] == ["#" not in r["id"] for r in rows]
    assert set(verdicts[0]) == {"id", "passed", "status", "judged", "tests_passed", "tests_total", "duration_s",
                                "cpu_time_s", "detail"}  # fmt: skip
    assert all(v["judged"] for v in verdicts)


def test_grade_cli_rejects_a_bad_row_with_its_line(tmp_path):
    src = tmp_path / "tasks.jsonl"
    src.write_text(json.dumps({"id": "a", "language": "python", "solution": "", "tests": {"kind": "nope"}}) + "\n")
    cmd = [sys.executable, "-m", "sandbox.grade", "--backend", "bwrap", "--input", str(src), "--output", "-"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and "tasks.jsonl:1" in proc.stderr and "tests.kind" in proc.stderr  # bad input


@pytest.mark.bwrap
def test_code_reward_batch_and_its_sandbox_metrics(bwrap):
    logged = {}
    batch = code_rewards_batch(
        [RIGHT, WRONG, "nothing", RIGHT, RIGHT],
        [ADD_TESTS, ADD_TESTS, ADD_TESTS, {"kind": "?"}, json.dumps(ADD_TESTS)],  # dicts or their JSON strings
        "python",
        CodeGrader(SandboxSettings(jobs=2), backend=bwrap),
        log_metric=logged.__setitem__,
    )
    assert batch == [1.0, 0.0, 0.0, None, 1.0]
    assert logged["sandbox/calls"] == 3 and logged["sandbox/throughput_per_s"] > 0  # three programs ran
    assert 0 < logged["sandbox/latency_p50_s"] <= logged["sandbox/latency_p99_s"]


@pytest.mark.bwrap
def test_a_starved_program_gets_no_reward_and_is_counted(bwrap):
    """The wall-clock backstop of a machine too busy to give the program its CPU is no verdict: reward None, not 0."""
    import os

    from bench.cpu_hog import CpuHog
    from sandbox.base import Limits

    logged = {}
    grader = CodeGrader(SandboxSettings(jobs=1, limits=Limits(cpu_time_s=6.0, timeout_s=6.0)), backend=bwrap)
    spin = "```python\nwhile True:\n    pass\n```"
    with CpuHog(4 * (os.cpu_count() or 1)):
        rewards = code_rewards_batch([spin], [ADD_TESTS], "python", grader, log_metric=logged.__setitem__)
    assert rewards == [None] and logged["sandbox/not_judged"] == 1.0


@pytest.mark.bwrap
def test_sandbox_failure_raises_instead_of_scoring_zero():
    broken = get_backend("bwrap", slots=1)
    broken.close()  # its work dir and cgroup are gone: every run is an infrastructure failure now
    with pytest.raises(SandboxError):
        code_rewards_batch([RIGHT], [ADD_TESTS], "python", CodeGrader(backend=broken))
    assert (
        run_many([{"id": "x", "language": "python", "solution": "", "tests": ADD_TESTS}], broken, errors="status")[
            0
        ].status
        is Status.SANDBOX_ERROR
    )


def test_subprocess_baseline_grades_python_like_the_sandbox():
    rows = [
        (row, ok)
        for row, ok in one_per_language_and_kind()
        if row["language"] == "python" and row["tests"]["kind"] != "pytest"
    ]
    results = run_many([row for row, _ in rows], SubprocessBackend(), jobs=2)
    assert [r.passed for r in results] == [ok for _, ok in rows]


def test_unknown_backend_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown sandbox backend 'dokker'"):
        get_backend("dokker")
    assert BACKEND_NAMES == ("bwrap", "docker")  # the baselines are bench/'s, not choices for users


@pytest.mark.bwrap
def test_grade_cli_all_tests_and_limits(tmp_path, bwrap):
    row = {"id": "c", "language": "python", "solution": "x = int(input())\nprint(0 if x == 2 else x)\n",
           "tests": {"kind": "stdio", "cases": [{"stdin": f"{i}\n", "stdout": f"{i}\n"} for i in (1, 2, 3)]}}  # fmt: skip
    src = tmp_path / "tasks.jsonl"
    src.write_text(json.dumps(row) + "\n")
    cmd = [sys.executable, "-m", "sandbox.grade", "--backend", "bwrap", "--input", str(src), "--output", "-"]
    every = subprocess.run([*cmd, "--all-tests"], capture_output=True, text=True, timeout=300)
    (verdict,) = [json.loads(line) for line in every.stdout.splitlines()]
    assert (verdict["status"], verdict["tests_passed"], verdict["tests_total"]) == ("failed", 2, 3)
    bad = subprocess.run([*cmd, "--cpu-time-s", "5", "--timeout-s", "1"], capture_output=True, text=True, timeout=300)
    assert bad.returncode == 2 and "below cpu_time_s" in bad.stderr  # bad input: one error line, exit 2
