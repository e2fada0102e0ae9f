"""Data sources checked before a run: every row of a local file read and mapped, problems named by file and line."""

import json

import pytest

from data.checks import source_problems
from data.loading import grpo_example, sft_example

GOOD = {"id": "m1", "question": "What is 2 + 3?", "answer": "5"}


def write(path, *lines):
    path.write_text("".join(line + "\n" for line in lines))
    return str(path)


def test_a_good_file_has_no_problems(tmp_path):
    path = write(tmp_path / "d.jsonl", json.dumps(GOOD), "", json.dumps({**GOOD, "id": "m2"}))  # blank lines skipped
    assert source_problems(path, grpo_example) == [] and source_problems(path, sft_example) == []


def test_every_bad_line_is_named_and_the_lines_after_a_broken_one_are_still_read(tmp_path):
    path = write(
        tmp_path / "d.jsonl",
        json.dumps(GOOD),
        '{"question": "x", "answer": ',  # line 2: cut off
        json.dumps({"id": "m3", "question": "no gold"}),  # line 3: valid JSON, no math gold, no tests
        "[1, 2]",  # line 4: JSON, but not an object
    )
    problems = source_problems(path, grpo_example)
    assert problems[0].startswith(f"{path}:2: not valid JSON (Expecting value, column 29)")
    assert problems[1].startswith(f"{path}:3 (id 'm3'): needs a math gold") and "columns: id, question" in problems[1]
    assert problems[2] == f"{path}:4: a row must be a JSON object of columns, got a list"
    assert len(problems) == 3


def test_many_bad_rows_are_listed_up_to_a_limit_then_counted(tmp_path):
    path = write(tmp_path / "d.jsonl", *[json.dumps({"question": f"q{i}"}) for i in range(12)])
    problems = source_problems(path, grpo_example, max_reported=5)
    assert len(problems) == 6 and problems[-1] == f"{path}: 7 more bad row(s) of 12 not shown"


def test_the_stage_mapper_decides_what_a_bad_row_is(tmp_path):
    path = write(tmp_path / "d.jsonl", json.dumps({"question": "q", "answer": "5"}))  # fine for both stages
    messages = write(tmp_path / "m.jsonl", json.dumps({"messages": [{"role": "user", "content": "hi"}]}))
    assert source_problems(path, sft_example) == []
    assert "must end with an assistant turn" in source_problems(messages, sft_example)[0]


@pytest.mark.parametrize(
    ("name", "content", "problem"),
    [
        ("empty.jsonl", "", "is empty: it holds no rows"),
        ("blank.jsonl", "\n\n", "is empty: it holds no rows"),
        ("rows.json", json.dumps([GOOD, {"question": "q"}]), "rows.json row 1: needs a math gold"),
        ("lines.json", json.dumps(GOOD) + "\n{bad\n", "lines.json:2: not valid JSON"),  # JSON Lines in a .json file
        ("broken.json", "[" + json.dumps(GOOD) + ",", "broken.json:1: not valid JSON"),
        ("data.parquet", "PAR1 not really", "not a readable Parquet file"),
    ],
)
def test_file_formats(tmp_path, name, content, problem):
    (tmp_path / name).write_text(content)
    problems = source_problems(str(tmp_path / name), grpo_example)
    assert len(problems) == 1 and problem in problems[0], problems


def test_parquet_rows_are_read_in_batches(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = [GOOD] * 1500 + [{"id": "z", "question": "q", "answer": None}]
    pq.write_table(pa.Table.from_pylist(rows), tmp_path / "d.parquet")
    problems = source_problems(str(tmp_path / "d.parquet"), grpo_example)
    assert len(problems) == 1 and "d.parquet row 1500 (id 'z'): needs a math gold" in problems[0]


@pytest.mark.parametrize(
    ("source", "problem"),
    [
        ("openai/gsm8k", None),  # a hub id: form only, the loader reaches the hub
        ("openai/gsm8k:main", None),
        ("missing.jsonl", "data file 'missing.jsonl' does not exist"),
        ("gsm8k", "neither an existing .jsonl/.json/.parquet file nor a hub id"),
        ("a/b/c", "neither an existing"),
    ],
)
def test_sources_that_are_not_files(source, problem):
    problems = source_problems(source, grpo_example)
    assert (problems == []) if problem is None else (len(problems) == 1 and problem in problems[0])


def test_a_directory_or_another_suffix_is_named(tmp_path):
    (tmp_path / "d.jsonl").mkdir()
    (tmp_path / "d.csv").write_text("a,b\n")
    assert "is a directory" in source_problems(str(tmp_path / "d.jsonl"))[0]
    assert "is a .csv file; use .jsonl, .json or .parquet" in source_problems(str(tmp_path / "d.csv"))[0]
