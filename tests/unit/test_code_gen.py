"""The Python function task generator: size, determinism, the train/test split, the row schema and the project's
loaders, edge cases in the hidden tests, the thin-test gap, and errors that name the broken family or request.

The programs themselves are run in tests/integration/test_code_gen.py (in the bwrap sandbox for a sample of every
family, in-process for the whole set)."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from data.code_gen.families import FAMILIES
from data.code_gen.generate import GeneratedSet, generate, main, write_jsonl
from data.code_gen.spec import MIN_HIDDEN, Family, FamilyError, build_task
from data.loading import grpo_example, sft_example

ROOT = Path(__file__).resolve().parents[2]
BUNDLED = ROOT / "data" / "code_functions"


@pytest.fixture(scope="module")
def default_set() -> GeneratedSet:
    return generate()


def _asserts(code: str) -> list[str]:
    return [line for line in code.splitlines() if line.startswith("assert ")]


def test_registry_has_many_distinct_families():
    assert len(FAMILIES) >= 25
    # One name per family: a shared name (sum_cmp's total(xs) and a total(n)) made a tiny SFT model mix the two up.
    assert len({fam.entry_point for fam in FAMILIES.values()}) == len(FAMILIES)
    for fam in FAMILIES.values():
        assert fam.entry_point.isidentifier(), fam.name
        assert len(fam.statements) >= 2 and len(fam.wrongs) >= 2, fam.name


def test_default_sizes_give_at_least_500_tasks_from_every_family_in_both_splits(default_set):
    assert len(default_set.train) + len(default_set.test) >= 500
    assert {r["family"] for r in default_set.train} == set(FAMILIES)
    assert {r["family"] for r in default_set.test} == set(FAMILIES)  # test: the same families ...
    ids = [r["id"] for r in default_set.train + default_set.test]
    assert len(ids) == len(set(ids))


def test_train_and_test_never_share_a_family_and_parameter_set(default_set):
    pairs = {split: [(r["family"], r["params"]) for r in rows] for split, rows in
             (("train", default_set.train), ("test", default_set.test))}  # fmt: skip
    assert not set(pairs["train"]) & set(pairs["test"])  # ... with unseen parameter sets
    assert len(set(pairs["train"])) == len(pairs["train"])  # and no pair twice within a split either


def test_generation_is_deterministic_by_seed():
    first, again, other = generate(70, 20, seed=3), generate(70, 20, seed=3), generate(70, 20, seed=4)
    assert first.train == again.train and first.test == again.test
    assert first.train != other.train


def test_cli_never_overwrites_without_force(tmp_path, capsys):
    args = ["--out", str(tmp_path), "--train", "40", "--test", "10"]
    assert main(args) == 0
    before = (tmp_path / "train.jsonl").read_bytes()
    with pytest.raises(SystemExit) as exit_info:
        main([*args, "--seed", "9"])
    assert exit_info.value.code == 2 and "--force" in capsys.readouterr().err
    assert (tmp_path / "train.jsonl").read_bytes() == before
    assert main([*args, "--seed", "9", "--force"]) == 0
    assert (tmp_path / "train.jsonl").read_bytes() != before


def test_bundled_files_are_what_the_default_command_writes(default_set, tmp_path):
    for name, rows in (("train.jsonl", default_set.train), ("test.jsonl", default_set.test)):
        write_jsonl(rows, tmp_path / name)
        assert (BUNDLED / name).read_bytes() == (tmp_path / name).read_bytes(), (
            f"{BUNDLED / name} is stale: python -m data.code_gen --out data/code_functions --force"
        )


def test_rows_have_thin_visible_and_thorough_hidden_tests(default_set):
    for row in default_set.train + default_set.test:
        entry = row["tests"]["entry_point"]
        visible, hidden = _asserts(row["tests"]["code"]), _asserts(row["hidden_tests"]["code"])
        assert 1 <= len(visible) <= 2, row["id"]
        assert hidden[: len(visible)] == visible and len(hidden) >= len(visible) + MIN_HIDDEN, row["id"]
        assert row["hidden_tests"]["entry_point"] == entry and row["solution"].startswith(f"def {entry}(")
        assert f"\ndef {entry}(" in row["prompt"]
        for line in visible:  # the examples in the prompt are exactly the visible asserts
            assert f"Example: {line.removeprefix('assert ')}" in row["prompt"], row["id"]
        assert row["wrong_solutions"] and row["solution"] not in row["wrong_solutions"]
        assert row["task"] == "code" and row["language"] == "python" and json.loads(row["params"])


def test_hidden_cases_include_edge_inputs(default_set):
    """Every task's hidden tests (which repeat the visible ones) hold an empty, zero or negative input, a
    duplicate, or a value or length equal to one of its parameters."""

    def edgy(value, params: dict) -> bool:
        if value in ([], "", {}, 0) or (isinstance(value, int) and value < 0):
            return True
        if isinstance(value, list) and (any(edgy(v, params) for v in value) or len(value) != len(set(value))):
            return True
        return value in params.values() or (isinstance(value, (str, list)) and len(value) in params.values())

    for task in default_set.tasks:
        cases = task.visible + task.hidden
        assert any(edgy(arg, task.params) for args, _ in cases for arg in args), (task.family, task.params)


def test_thin_test_gap_share(default_set):
    """Stated share: about three tasks in four have a wrong solution that passes the visible tests (the
    generator prints the exact figure); visible tests still catch most wrong solutions."""
    share = default_set.gap_share()
    assert 0.6 <= share <= 0.9, share
    verdicts = [v for t in default_set.tasks for v in t.wrong_passes_visible]
    assert 0.2 <= sum(verdicts) / len(verdicts) <= 0.55
    for name in FAMILIES:  # every family contributes tasks with a gap
        gaps = [any(t.wrong_passes_visible) for t in default_set.tasks if t.family == name]
        assert any(gaps), name


def test_rows_load_with_the_project_loaders(default_set):
    row = default_set.train[0]
    sft = sft_example(row)
    assert sft["prompt"] == [{"role": "user", "content": row["prompt"]}]
    assert sft["completion"][0]["content"] == f"```python\n{row['solution'].rstrip()}\n```"
    grpo = grpo_example(row)
    assert grpo["task"] == "code" and grpo["language"] == "python" and json.loads(grpo["tests"]) == row["tests"]
    assert "hidden" not in grpo["tests"] and row["hidden_tests"]["code"] not in grpo["tests"]


def test_canonical_rows_split_visible_from_hidden_and_evaluate_on_all(default_set):
    from data.formats import adapt_row, all_tests

    row = default_set.test[0]
    canonical = adapt_row(row)
    visible, rest = _asserts(canonical["tests"]["code"]), _asserts(canonical["hidden_tests"]["code"])
    assert visible == _asserts(row["tests"]["code"]) and not set(visible) & set(rest)  # the rest only
    assert len(rest) >= MIN_HIDDEN and _asserts(all_tests(canonical)["code"]) == _asserts(row["hidden_tests"]["code"])


def test_bad_requests_name_the_problem():
    with pytest.raises(ValueError, match="at least 1"):
        generate(0, 5)
    with pytest.raises(ValueError, match="distinct parameter sets"):
        generate(100, 100, families=["rotate"])  # 12 parameter sets
    with pytest.raises(ValueError, match="unknown task families.*'nope'"):
        generate(10, 5, families=["nope"])


def _broken(**changes) -> Family:
    base = dict(
        name="broken", signature="f(xs)", statements=("Return xs.",), solution="return xs",
        wrongs=("return xs[1:]",), sample=lambda rng: {}, visible=lambda rng, p: [([1, 2],)],
        hidden=lambda rng, p: [([i],) for i in range(10)],
    )  # fmt: skip
    return Family(**{**base, **changes})


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"hidden": lambda rng, p: [([1],)], "visible": lambda rng, p: [([1],)]}, "distinct hidden cases"),
        ({"wrongs": ("return list(xs)",)}, "wrong solutions that the hidden cases catch"),  # same behaviour
        ({"solution": "return xs[5]"}, "the reference raised IndexError"),
        ({"solution": "xs.append(1)\nreturn xs"}, "changes its arguments in place"),
        ({"solution": "return object()"}, "not a Python literal"),
    ],
)
def test_a_broken_family_spec_is_named_in_the_error(changes, message):
    with pytest.raises(FamilyError, match=message) as err:
        build_task(_broken(**changes), {}, random.Random(0))
    assert "family 'broken'" in str(err.value)
