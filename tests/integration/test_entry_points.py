"""Every entry point, run as a user runs it (`python -m ...`): bad input ends in one `error:` message naming where
the problem is, with exit status 2 and no traceback; `--help` exits 0 and lists the entry point's own keys.

The recipe stages check everything before torch or transformers is imported, so these runs take about a second each;
one test proves that with `python -X importtime`, which lists every module a run imports.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
DOWN_DOCKER = "unix:///nonexistent/codealign-docker.sock"  # no engine listens there: the client's "engine down"
GOOD_ROW = {"id": "q1", "question": "What is 2 + 3?", "answer": "5"}
TASK_ROW = {"id": "t1", "language": "python", "solution": "def f(x):\n    return x\n",
            "tests": {"kind": "assert", "code": "assert f(1) == 1", "entry_point": "f"}}  # fmt: skip


def run(module: str, *args: str, env: dict[str, str] | None = None, python_flags: tuple[str, ...] = ()):
    return subprocess.run(
        [sys.executable, *python_flags, "-m", module, *args],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})},
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture
def files(tmp_path: Path) -> Path:
    """The bad inputs of the table, each in its own file, plus good ones to pair them with."""
    (tmp_path / "good.jsonl").write_text(json.dumps(GOOD_ROW) + "\n")
    (tmp_path / "not_json.jsonl").write_text(json.dumps(GOOD_ROW) + '\n{"question": "2 + 2?", "answer": \n')
    (tmp_path / "no_gold.jsonl").write_text(json.dumps(GOOD_ROW) + "\n" + json.dumps({"id": "q2", "question": "x"}))
    (tmp_path / "empty.jsonl").write_text("")
    (tmp_path / "model").mkdir()
    (tmp_path / "model" / "config.json").write_text("{}")  # a checkpoint as far as the pre-load checks can tell
    (tmp_path / "fake.gguf").write_bytes(b"PK\x03\x04 a zip file, not GGUF")
    (tmp_path / "a_file").write_text("not a directory")
    (tmp_path / "tasks.jsonl").write_text(json.dumps(TASK_ROW) + "\n")
    (tmp_path / "bad_tasks.jsonl").write_text("{'id': 't1'}\n")  # Python, not JSON
    (tmp_path / "not_yaml.yaml").write_text("datasets: [a.jsonl\nlearning_rate: 1\n")
    return tmp_path


def recipe(directory: Path, name: str, **keys) -> str:
    """A recipe file with `keys` (one per line, in order, so the message's line numbers are known)."""
    keys = {"model_name_or_path": str(directory / "model"), "output_dir": str(directory / "out"), **keys}
    path = directory / name
    path.write_text("".join(f"{key}: {json.dumps(value)}\n" for key, value in keys.items()))
    return str(path)


# (id, module, arguments from the fixture directory `d`, extra environment, fragments the message must hold)
CASES = [
    ("sft-no-arguments", "alignment.sft", lambda d: [], {}, ["no recipe given", "--config RECIPE.yaml"]),
    ("sft-missing-data-file", "alignment.sft",
     lambda d: ["--config", recipe(d, "r.yaml", datasets=[str(d / "missing.jsonl")])], {},
     ["missing.jsonl' does not exist"]),
    ("grpo-line-not-json", "alignment.grpo",
     lambda d: ["--config", recipe(d, "r.yaml", datasets=[str(d / "not_json.jsonl")])], {},
     ["not_json.jsonl:2: not valid JSON"]),
    ("grpo-row-without-gold", "alignment.grpo",
     lambda d: ["--config", recipe(d, "r.yaml", datasets=[str(d / "no_gold.jsonl")])], {},
     ["no_gold.jsonl:2 (id 'q2'): needs a math gold", "row has columns: id, question"]),
    ("sft-empty-data-file", "alignment.sft",
     lambda d: ["--config", recipe(d, "r.yaml", datasets=[str(d / "empty.jsonl")])], {},
     ["empty.jsonl' is empty"]),
    ("grpo-missing-model", "alignment.grpo",
     lambda d: ["--config", recipe(d, "r.yaml", model_name_or_path=str(d / "nope"), datasets=[str(d / "good.jsonl")])],
     {}, ["r.yaml:1: `model_name_or_path`: model", "nope' does not exist"]),
    ("sft-learning-rate-not-a-number", "alignment.sft",
     lambda d: ["--config", recipe(d, "r.yaml", datasets=[str(d / "good.jsonl")], learning_rate="fast")], {},
     ["r.yaml:4: `learning_rate`: 'fast' is not a number"]),
    ("sft-weights-wrong-length", "alignment.sft",
     lambda d: ["--config", recipe(d, "r.yaml", datasets=[str(d / "good.jsonl")] * 2, dataset_weights=[1.0])], {},
     ["r.yaml:4: `dataset_weights` has 1 entries for 2 datasets"]),
    ("grpo-output-dir-unwritable", "alignment.grpo",
     lambda d: ["--config", recipe(d, "r.yaml", datasets=[str(d / "good.jsonl")], output_dir="/sys/codealign-out")],
     {}, ["r.yaml:2: `output_dir` '/sys/codealign-out' is not writable"]),
    ("sft-output-dir-under-a-file", "alignment.sft",
     lambda d: ["--config", recipe(d, "r.yaml", datasets=[str(d / "good.jsonl")]), "--output_dir", str(d / "a_file/x")],
     {}, ["command line: `output_dir`", "a_file' is a file, not a directory"]),
    ("sft-gguf-that-is-not-gguf", "alignment.sft",
     lambda d: ["--config", recipe(d, "r.yaml", model_name_or_path=str(d / "fake.gguf"), datasets=[str(d / "good.jsonl")])],
     {}, ["fake.gguf' is not a GGUF file", "b'PK\\x03\\x04'"]),
    ("grpo-docker-engine-down", "alignment.grpo",
     lambda d: ["--config", recipe(d, "r.yaml", datasets=[str(d / "good.jsonl")], reward_funcs=["code"],
                                   sandbox_backend="docker")],
     {"DOCKER_HOST": DOWN_DOCKER}, ["`sandbox_backend: docker` cannot start"]),
    ("grpo-bwrap-rootfs-missing", "alignment.grpo",
     lambda d: ["--config", recipe(d, "r.yaml", datasets=[str(d / "good.jsonl")], reward_funcs=["code"])],
     {"CODEALIGN_SANDBOX_ROOTFS": "/nonexistent/rootfs"}, ["`sandbox_backend: bwrap` cannot start"]),
    ("sft-yaml-that-is-not-yaml", "alignment.sft", lambda d: ["--config", str(d / "not_yaml.yaml")], {},
     ["not_yaml.yaml:2:", "not valid YAML"]),
    ("grpo-typo-on-the-command-line", "alignment.grpo",
     lambda d: ["--config", recipe(d, "r.yaml", datasets=[str(d / "good.jsonl")]), "--bta", "0.1"], {},
     ["command line: unknown key 'bta': did you mean 'beta'?"]),
    ("evaluate-missing-data-file", "alignment.evaluate",
     lambda d: ["--model", str(d / "model"), "--data", str(d / "missing.jsonl")], {}, ["missing.jsonl"]),
    ("evaluate-row-without-gold", "alignment.evaluate",
     lambda d: ["--model", str(d / "model"), "--data", str(d / "no_gold.jsonl")], {},
     ["no_gold.jsonl line 2 (id='q2')", "column 'answer' must be a non-empty string"]),
    ("demo-typo-in-the-extras", "alignment.demo", lambda d: ["--output_dir", str(d / "demo"), "--max_step", "2"], {},
     ["command line: unknown key 'max_step': did you mean 'max_steps'"]),
    ("demo-output-dir-under-a-file", "alignment.demo", lambda d: ["--output_dir", str(d / "a_file/demo")], {},
     ["`--output_dir`", "a_file' is a file"]),
    ("report-not-a-run-directory", "alignment.report", lambda d: [str(d), "--out", str(d / "report")], {},
     ["has no metrics.jsonl"]),
    ("grade-docker-engine-down", "sandbox.grade",
     lambda d: ["--backend", "docker", "--input", str(d / "tasks.jsonl"), "--output", "-"],
     {"DOCKER_HOST": DOWN_DOCKER}, ["Docker"]),
    ("grade-line-not-json", "sandbox.grade",
     lambda d: ["--backend", "bwrap", "--input", str(d / "bad_tasks.jsonl"), "--output", "-"], {},
     ["bad_tasks.jsonl:1: not valid JSON"]),
    ("generate-would-overwrite", "data.generate", lambda d: ["--out", "data/math"], {},
     ["data/math/train.jsonl and data/math/test.jsonl already exist", "--force"]),
    ("generate-unknown-kind", "data.generate", lambda d: ["--out", str(d / "gen"), "--kinds", "add", "mull"], {},
     ["unknown --kinds mull"]),
]  # fmt: skip


@pytest.mark.parametrize(
    ("module", "make_args", "env", "fragments"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_bad_input_ends_in_one_message_with_exit_status_2(files, module, make_args, env, fragments):
    proc = run(module, *make_args(files), env=env)
    assert proc.returncode == 2, (proc.returncode, proc.stderr[-3000:])
    assert "Traceback" not in proc.stderr + proc.stdout, proc.stderr[-3000:]
    assert proc.stderr.startswith("error: "), proc.stderr[-3000:]  # the message is all there is
    assert proc.stderr.count("error:") == 1, proc.stderr
    for fragment in fragments:
        assert fragment in proc.stderr, (fragment, proc.stderr)


def test_every_problem_is_reported_at_once(files):
    args = ["--config", recipe(files, "r.yaml", datasets=[str(files / "not_json.jsonl"), str(files / "no_gold.jsonl")],
                               learning_rate="fast", output_dir="/sys/out"), "--bta", "1"]  # fmt: skip
    proc = run("alignment.grpo", *args)
    assert proc.returncode == 2 and "5 problem(s) in recipe" in proc.stderr, proc.stderr
    for fragment in ("not_json.jsonl:2:", "no_gold.jsonl:2 (id 'q2')", "`learning_rate`", "`output_dir`", "'bta'"):
        assert fragment in proc.stderr, fragment


def test_debug_flag_and_variable_show_the_traceback(files):
    args = ["--config", recipe(files, "r.yaml", datasets=[str(files / "missing.jsonl")])]
    assert "Traceback" in run("alignment.sft", *args, "--debug").stderr
    traced = run("alignment.sft", *args, env={"CODEALIGN_DEBUG": "1"})
    assert traced.returncode == 1 and "Traceback" in traced.stderr and "ConfigError" in traced.stderr


@pytest.mark.parametrize("module", ["alignment.sft", "alignment.grpo", "alignment.demo"])
def test_recipe_errors_come_before_torch_and_transformers_are_imported(files, module):
    args = ["--max_step", "2"] if module == "alignment.demo" else ["--config", recipe(files, "r.yaml"), "--bta", "1"]
    proc = run(module, *args, python_flags=("-X", "importtime"))
    assert proc.returncode == 2 and "unknown key" in proc.stderr
    imported = {
        line.rsplit("|", 1)[-1].strip() for line in proc.stderr.splitlines() if line.startswith("import time:")
    }
    assert "yaml" in imported  # the check really listed the imports
    assert not {"torch", "transformers", "trl", "datasets"} & imported, sorted(imported & {"torch", "transformers"})


# (module, flag, what the page must show)
HELP = [
    ("alignment.sft", "--help", ["usage: python -m alignment.sft --config RECIPE.yaml", "SFTArguments (codealign)",
                                 "--tokens_per_batch N", "--datasets TEXT [TEXT ...]", "ModelConfig (TRL)",
                                 "learning_rate", "--help-all"]),
    ("alignment.grpo", "-h", ["python -m alignment.grpo --config configs/grpo/", "GRPOArguments (codealign)",
                              "--reward_funcs TEXT [TEXT ...]", "--reward_routes TEXT", "GRPOConfig (TRL", "beta"]),
    ("alignment.grpo", "--help-all", ["--beta X", "--learning_rate X", "--use_bias_correction_kl [BOOL]",
                                      "TrainingArguments (transformers, via TRL):"]),
    ("alignment.evaluate", "--help", ["--model", "--baseline", "--data"]),
    ("alignment.demo", "--help", ["--output_dir", "--eval_problems", "goes to both stages"]),
    ("alignment.report", "--help", ["run_dirs", "--out"]),
    ("sandbox.grade", "--help", ["--backend", "--input", "--output", "--jobs"]),
    ("data.generate", "--help", ["--out", "--train", "--kinds", "--force"]),
]  # fmt: skip


@pytest.mark.parametrize(("module", "flag", "fragments"), HELP, ids=[f"{m} {f}" for m, f, _ in HELP])
def test_help_exits_0_and_lists_the_keys(module, flag, fragments):
    proc = run(module, flag)
    assert proc.returncode == 0, proc.stderr[-2000:]
    for fragment in fragments:
        assert fragment in proc.stdout, fragment


def test_short_help_fits_a_screen_and_help_all_holds_every_key():
    short, full = run("alignment.grpo", "--help").stdout, run("alignment.grpo", "--help-all").stdout
    assert len(short.splitlines()) < 120 < len(full.splitlines())
    for key in ("beta", "num_generations", "output_dir", "seed", "model_name_or_path", "resume"):
        assert f"--{key} " in full, key
