"""Collection: planted programs get the right labels in the real sandbox; a tiny policy's completions are collected
with provenance, unlabelable rows counted, and a killed collection resumes to the uninterrupted result."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.sandbox_cases import bwrap_skip_reason

pytestmark = [pytest.mark.integration, pytest.mark.bwrap]
ROOT = Path(__file__).resolve().parents[2]
TESTS = {"kind": "assert", "code": "assert add(1, 2) == 3\nassert add(-1, 1) == 0\nassert add(0, 0) == 0\n"}


@pytest.fixture(scope="module")
def grader():
    reason = bwrap_skip_reason()
    if reason:
        pytest.skip(reason)
    from rewards.code_rewards import CodeGrader, SandboxSettings

    grader = CodeGrader(SandboxSettings(jobs=2)).open()
    yield grader
    grader.close()


def fenced(code: str) -> str:
    return f"Here it is:\n```python\n{code}```\n"


PLANTED = [
    # (completion, passed, pass fraction, outcome)
    (fenced("def add(a, b):\n    return a + b\n"), True, 1.0, "passed"),
    (fenced("def add(a, b):\n    return abs(a) + b\n"), False, 2 / 3, "wrong_answer"),  # add(-1, 1) gives 2
    (fenced("def add(a, b):\n    return a * b\n"), False, 1 / 3, "wrong_answer"),  # only add(0, 0) == 0 holds
    (fenced("def add(a, b)\n    return a + b\n"), False, 0.0, "compile_error"),  # missing colon
    (fenced("def add(a, b):\n    return undefined_name\n"), False, 0.0, "runtime_error"),
    (fenced("def add(a, b):\n    while True:\n        pass\n"), False, 0.0, "timeout"),
    ("I would add the two numbers.", False, 0.0, "no_code"),  # no program at all: a wrong answer, labelled so
]


def test_planted_programs_get_their_labels(grader):
    from rewards.labels import label_code

    labels = label_code([c for c, *_ in PLANTED], [TESTS] * len(PLANTED), ["python"] * len(PLANTED), grader)
    got = [(lab.passed, round(lab.pass_fraction, 4), lab.outcome) for lab in labels]
    assert got == [(p, round(f, 4), o) for _, p, f, o in PLANTED]


def test_unusable_tests_and_gold_are_not_labels():
    from rewards.labels import label_math, usable_gold

    assert label_math(["The answer is \\boxed{4}.", "It is 5.", "no idea"], ["4", "4", "4"]) == [
        label_math(["\\boxed{4}"], ["4"])[0], label_math(["5"], ["4"])[0], label_math(["?"], ["4"])[0]]  # fmt: skip
    assert [lab.outcome for lab in label_math(["\\boxed{4}", "\\boxed{5}", "no idea"], ["4"] * 3)] == [
        "passed", "wrong_answer", "no_answer"]  # fmt: skip
    assert not usable_gold("") and usable_gold("4")


def _collect_args(model: Path, out: Path, data: Path) -> list[str]:
    return [
        "--config", str(ROOT / "configs/collect/tiny_cpu.yaml"),
        "--model_name_or_path", str(model), "--output_dir", str(out),
        "--datasets", str(data), str(ROOT / "data/math_small/test.jsonl"), "--limit", "6",
    ]  # fmt: skip


@pytest.fixture(scope="module")
def prompts(tmp_path_factory, grader) -> Path:
    """Six generated code tasks (with hidden tests) and one code row whose tests are unusable."""
    rows = [json.loads(line) for line in (ROOT / "data/code_functions/test.jsonl").read_text().splitlines()[:5]]
    rows.append({**rows[0], "id": "broken", "tests": {"kind": "assert", "code": "assert ("}})
    path = tmp_path_factory.mktemp("prompts") / "code.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def _command(model: Path, out: Path, data: Path) -> list[str]:
    return [sys.executable, "-m", "alignment.collect", *_collect_args(model, out, data)]


ENV = {**os.environ, "OMP_NUM_THREADS": "1"}  # the same float sums in every run of the comparison


@pytest.fixture(scope="module")
def uninterrupted(tiny_sft_model, tmp_path_factory, prompts) -> Path:
    out = tmp_path_factory.mktemp("collect") / "full"
    proc = subprocess.run(_command(tiny_sft_model, out, prompts), cwd=ROOT, env=ENV, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return out


def _rows(out: Path) -> list[dict]:
    return [
        json.loads(line) for p in sorted((out / "shards").glob("part-*.jsonl")) for line in p.read_text().splitlines()
    ]


def test_collection_writes_labelled_rows_with_provenance(uninterrupted, tiny_sft_model):
    rows = _rows(uninterrupted)
    summary = json.loads((uninterrupted / "summary.json").read_text())
    # 5 usable code prompts + 6 math prompts, 4 samples each; the broken row is counted, not sampled, not labelled 0
    assert len(rows) == summary["rows"] == (5 + 6) * 4
    assert summary["not_collected"] == {"code row without usable tests": 1}
    assert {r["prompt_id"] for r in rows} >= {"test-0000-map_arith"} and "broken" not in {r["prompt_id"] for r in rows}
    for row in rows:
        assert set(row) >= {"prompt_id", "source", "task", "prompt", "completion", "sample_index", "passed",
                            "pass_fraction", "outcome", "hidden_passed", "policy", "round"}  # fmt: skip
        assert row["policy"] == str(tiny_sft_model) and row["round"] == 0
        assert (row["hidden_passed"] is None) == (row["task"] == "math")  # code rows here all have hidden tests
        assert not row["hidden_passed"] or row["passed"]  # passing every test implies passing the visible ones
        assert row["passed"] == (row["outcome"] == "passed") and 0.0 <= row["pass_fraction"] <= 1.0
    manifest = json.loads((uninterrupted / "manifest.json").read_text())
    assert manifest["config"]["samples_per_prompt"] == 4 and manifest["config"]["temperature"] == 1.0
    assert manifest["sandbox_image"]["name"] and all(manifest["data_sha256"].values())


def test_a_killed_collection_resumes_to_the_uninterrupted_result(uninterrupted, tiny_sft_model, tmp_path, prompts):
    out = tmp_path / "killed"
    cmd = _command(tiny_sft_model, out, prompts)
    proc = subprocess.Popen(cmd, cwd=ROOT, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)  # fmt: skip
    deadline = time.monotonic() + 600
    while not (out / "shards" / "part-00001.jsonl").exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    done = sorted(p.name for p in (out / "shards").glob("part-*.jsonl"))
    assert 1 <= len(done) < 3, done  # killed part-way (3 shards of 4 prompts for 11 prompts)
    resumed = subprocess.run(cmd, cwd=ROOT, env=ENV, capture_output=True, text=True)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert _rows(out) == _rows(uninterrupted)  # nothing lost, nothing twice, the same samples and labels
