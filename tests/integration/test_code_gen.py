"""Generated Python function tasks, run: a sample of every family graded in the bwrap sandbox (references pass
visible and hidden tests, wrong solutions fail the hidden ones, the sandbox agrees with the generator on which pass
the visible ones), the whole set in-process, the CLI across hash seeds, the data loaders, and the tiny tokenizer's
round trip of Python source. `python -m bench.code_gen_report` grades the whole set in the sandbox."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bench.code_gen_report import family_stats, grade, sample_per_family, token_report
from data.code_gen.families import FAMILIES
from data.code_gen.generate import GeneratedSet, generate, write_jsonl
from data.loading import grpo_example, load_source, map_rows, sft_example
from tests.sandbox_cases import bwrap_skip_reason

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def default_set() -> GeneratedSet:
    return generate()


@pytest.fixture(scope="module")
def tokens(default_set):
    """Token lengths and round-trip failures with `build_tiny_model`'s tokenizer (BPE of 1000 on train)."""
    return token_report(default_set.train, default_set.train + default_set.test, vocab_size=1000)


@pytest.mark.bwrap
def test_sample_of_every_family_graded_in_bwrap(default_set, tokens):
    reason = bwrap_skip_reason()
    if reason:
        pytest.skip(reason)
    rows, tasks = sample_per_family(default_set.train + default_set.test, default_set.tasks, per_family=2)
    stats = family_stats(rows, tasks, grade(rows, "bwrap", jobs=2), tokens[0])
    assert set(stats) == set(FAMILIES)
    for name, s in stats.items():
        assert s.ref_visible == s.ref_hidden == s.tasks == 2, name  # the reference passes both test sets
        assert s.wrong_fail_hidden == s.wrongs, name  # every wrong solution fails the hidden tests
        assert s.disagreements == 0, name  # the sandbox lets through exactly what the generator predicted
    gap_tasks = sum(s.gap_tasks for s in stats.values())
    assert gap_tasks / len(rows) >= 0.6  # the stated thin-test gap share, seen through the real harness


def test_tiny_tokenizer_round_trips_python_source_and_prompts_stay_short(tokens):
    lengths, failures, vocab = tokens
    assert vocab == 1000 and failures == []  # newlines and indentation survive decode(encode(x))
    prompt_tokens = sorted(p for p, _ in lengths.values())
    solution_tokens = [s for _, s in lengths.values()]
    assert sum(prompt_tokens) / len(prompt_tokens) <= 62 and prompt_tokens[int(0.95 * len(prompt_tokens))] <= 90
    assert sum(solution_tokens) / len(solution_tokens) <= 30 and max(solution_tokens) <= 60


def test_references_pass_and_wrong_solutions_fail_in_process(default_set):
    """The whole set, from the row text itself (the project's own generated code, run as the generator runs it)."""

    def passes(program: str, tests: str) -> bool:
        try:
            exec(compile(program + tests, "<task>", "exec"), {})
        except Exception:
            return False
        return True

    for row in default_set.train + default_set.test:
        assert passes(row["solution"], row["tests"]["code"]), row["id"]
        assert passes(row["solution"], row["hidden_tests"]["code"]), row["id"]
        for wrong in row["wrong_solutions"]:
            assert not passes(wrong, row["hidden_tests"]["code"]), (row["id"], wrong)


def test_cli_output_is_byte_identical_across_runs_and_hash_seeds(tmp_path):
    outputs = []
    for hash_seed in ("1", "2"):
        out = tmp_path / hash_seed
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        cmd = [
            sys.executable,
            "-m",
            "data.code_gen",
            "--out",
            str(out),
            *["--train", "80", "--test", "30", "--seed", "5"],
        ]
        proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, check=True)
        assert len(proc.stdout.strip().splitlines()) == 1 and "80 train + 30 test" in proc.stdout
        outputs.append([(out / name).read_bytes() for name in ("train.jsonl", "test.jsonl")])
    assert outputs[0] == outputs[1]


def test_written_files_load_and_map_with_datasets(default_set, tmp_path):
    write_jsonl(default_set.test, tmp_path / "test.jsonl")
    dataset = load_source(str(tmp_path / "test.jsonl"))  # params differ per family: stored as one JSON text
    sft, grpo = map_rows(dataset, sft_example, "test.jsonl"), map_rows(dataset, grpo_example, "test.jsonl")
    assert len(sft) == len(grpo) == len(default_set.test)
    assert sft[0]["completion"][0]["content"].startswith("```python\ndef ")
    assert {r["task"] for r in grpo} == {"code"}
