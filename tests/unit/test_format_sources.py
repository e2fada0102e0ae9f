"""Reading public data: files of every supported kind with positions in errors, hub ids that cannot be reached, the
named benchmarks, the conversion command, and the adapters inside SFT/GRPO data loading."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from data.formats import UnsupportedRow, load_benchmark, load_rows
from data.formats.__main__ import main as formats_main
from data.loading import DataError, grpo_example, map_rows, sft_example
from tests.format_rows import EXAMPLES

REPO = Path(__file__).resolve().parents[2]


def _write_jsonl(path: Path, rows: list) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def test_jsonl_rows_detect_their_format_and_stop_at_the_limit(tmp_path):
    rows = [EXAMPLES["gsm8k"].row, {"question": "1 + 1?", "answer": "#### 2"}, {"question": "2 + 2?", "answer": "4"}]
    path = _write_jsonl(tmp_path / "gsm8k.jsonl", rows)
    out = list(load_rows(path))
    assert [r["answer"] for r in out] == ["1200", "2", "4"] and {r["source"] for r in out} == {"gsm8k"}
    assert [r["id"] for r in out] == ["gsm8k/0", "gsm8k/1", "gsm8k/2"]
    assert len(list(load_rows(path, limit=2))) == 2


def test_a_bad_row_is_named_by_file_and_line(tmp_path):
    path = tmp_path / "mbpp.jsonl"
    bad = {**EXAMPLES["mbpp"].row, "task_id": 5, "test_list": []}
    path.write_text(json.dumps(EXAMPLES["mbpp"].row) + "\n\n" + json.dumps(bad) + "\n")
    with pytest.raises(DataError, match=rf"{path} line 3 \(id=5\): does not fit format 'mbpp': .*at least one test"):
        list(load_rows(path))
    path.write_text('{"text": "x"\n')
    with pytest.raises(DataError, match=rf"{path} line 1: not valid JSON"):
        list(load_rows(path))


def test_json_parquet_and_gzip_files(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    row = EXAMPLES["codecontests"].row
    (tmp_path / "cc.json").write_text(json.dumps([row]))
    pq.write_table(pa.Table.from_pylist([row, {**row, "name": "9999_A2"}]), tmp_path / "cc.parquet")
    with gzip.open(tmp_path / "cc.jsonl.gz", "wt") as f:
        f.write(json.dumps(row) + "\n")
    for name, count in (("cc.json", 1), ("cc.parquet", 2), ("cc.jsonl.gz", 1)):
        out = list(load_rows(tmp_path / name))
        assert len(out) == count and out[0]["id"] == "9999_A. Sum of Two", name
        assert len(out[0]["hidden_tests"]["cases"]) == 3  # Parquet's nested structs read back the same
    (tmp_path / "cc.json").write_text(json.dumps({"rows": [row]}))
    with pytest.raises(DataError, match="must hold a list of rows"):
        list(load_rows(tmp_path / "cc.json"))


def test_missing_files_and_unsupported_paths(tmp_path):
    with pytest.raises(DataError, match="does not exist"):
        list(load_rows(tmp_path / "none.jsonl"))
    (tmp_path / "rows.csv").write_text("a,b\n")
    with pytest.raises(DataError, match="is not a .jsonl / .jsonl.gz / .json / .parquet file"):
        list(load_rows(tmp_path / "rows.csv"))


def test_unsupported_rows_raise_or_are_skipped_and_counted(tmp_path, caplog):
    file_io = {**EXAMPLES["codecontests"].row, "name": "files", "input_file": "input.txt"}
    path = _write_jsonl(tmp_path / "cc.jsonl", [EXAMPLES["codecontests"].row, file_io])
    with pytest.raises(UnsupportedRow, match=rf"{path} line 2 \(id='files'\).*reads/writes files"):
        list(load_rows(path))
    with caplog.at_level("WARNING"):
        out = list(load_rows(path, skip_unsupported=True))
    assert [r["id"] for r in out] == ["9999_A. Sum of Two"] and "1 rows skipped as ungradable, 1 kept" in caplog.text


def test_an_unreachable_hub_id_fails_with_the_way_out():
    # offline mode makes `datasets` fail at once instead of retrying for half a minute; the error is the same
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1"}
    code = "from data.formats import load_rows\nlist(load_rows('no-such-org/no-such-set', split='test'))"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=REPO, timeout=120)
    assert proc.returncode == 1
    assert "DataError: cannot load 'no-such-org/no-such-set' (split 'test') from the hub" in proc.stderr
    assert "pass the local .jsonl/.json/.parquet path" in proc.stderr


def test_benchmarks_installed_here():
    humaneval = load_benchmark("humaneval")
    assert [r["id"] for r in humaneval] == [f"HumanEval/{i}" for i in range(164)]
    assert all(r["solution"].startswith(r["prompt"]) and r["tests"]["entry_point"] for r in humaneval)
    tasks = load_benchmark("code_tasks")
    lines = [json.loads(x) for x in (REPO / "data/code_tasks/tasks.jsonl").read_text().splitlines() if x.strip()]
    assert [r["id"] for r in tasks] == [x["id"] for x in lines] and tasks[0]["meta"]["perturbed"]
    assert {len(load_benchmark("math")), len(load_benchmark("math_small"))} == {400}
    assert len(load_benchmark("humaneval", limit=3)) == 3
    with pytest.raises(DataError, match="unknown benchmark 'mbpp'; known benchmarks: humaneval .*, code_tasks"):
        load_benchmark("mbpp")


def test_conversion_command_writes_canonical_and_sandbox_rows(tmp_path):
    src = _write_jsonl(tmp_path / "mixed.jsonl", [EXAMPLES["livecodebench_stdin"].row])
    assert formats_main(["--input", str(src), "--output", str(tmp_path / "out.jsonl")]) == 0
    (row,) = [json.loads(x) for x in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert row["source"] == "livecodebench" and len(row["hidden_tests"]["cases"]) == 2
    assert list(load_rows(tmp_path / "out.jsonl")) == [row]  # canonical rows read back as they are
    out = tmp_path / "tasks.jsonl"
    assert formats_main(["--benchmark", "humaneval", "--limit", "2", "--sandbox-rows", "--output", str(out)]) == 0
    tasks = [json.loads(x) for x in out.read_text().splitlines()]
    assert [set(t) for t in tasks] == [{"id", "language", "solution", "tests"}] * 2
    assert formats_main(["--input", str(tmp_path / "none.jsonl"), "--output", str(out)]) == 1


# ---------------------------------------------------------------- the adapters inside SFT / GRPO data loading
def test_grpo_rows_of_public_code_formats():
    kodcode = grpo_example(EXAMPLES["kodcode"].row, "kodcode row 0")  # question + solution: not a math row
    assert kodcode["task"] == "code" and json.loads(kodcode["tests"])["kind"] == "pytest"
    lcb = grpo_example(EXAMPLES["livecodebench_functional"].row)
    assert json.loads(lcb["tests"])["entry_point"] == "countAbove" and lcb["language"] == "python"
    code = json.loads(lcb["tests"])["code"]
    assert "[1, 5, 3]" in code and "[7, 8, 9]" not in code  # training sees the public cases, not the private ones
    math = grpo_example(EXAMPLES["primeintellect_math"].row)
    assert (math["task"], math["solution"], math["tests"]) == ("math", "12", None)
    gsm8k = grpo_example(EXAMPLES["gsm8k"].row)  # the loader's own schema, unchanged
    assert gsm8k["solution"] == "1,200" and gsm8k["task"] == "math"


def test_sft_rows_of_public_code_formats():
    humaneval = sft_example(EXAMPLES["humaneval"].row)
    assert humaneval["prompt"][0]["content"] == EXAMPLES["humaneval"].row["prompt"]
    assert humaneval["completion"][0]["content"].startswith("```python\nfrom typing import List\n")
    taco = sft_example(EXAMPLES["taco_leetcode"].row)
    assert taco["completion"][0]["content"].startswith("```python\nclass Solution:")  # the graders' imports dropped
    with pytest.raises(DataError, match="lcb row 4: this livecodebench row has no reference solution"):
        sft_example(EXAMPLES["livecodebench_stdin"].row, "lcb row 4")
    with pytest.raises(
        DataError, match=r"lcb row 4 \(id='abc999_a'\): does not fit format 'livecodebench': public_test_cases\[0\]"
    ):
        grpo_example({**EXAMPLES["livecodebench_stdin"].row, "public_test_cases": "[1]"}, "lcb row 4")


def test_map_rows_reads_public_rows_after_a_datasets_round_trip():
    import datasets

    rows = [EXAMPLES["codecontests"].row, {**EXAMPLES["codecontests"].row, "name": "other"}]
    mapped = map_rows(datasets.Dataset.from_list(rows), grpo_example, source="cc")
    assert mapped["task"] == ["code", "code"] and json.loads(mapped[0]["tests"])["cases"][0]["stdin"] == "1 2\n"
