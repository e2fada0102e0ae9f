"""Data rows: every accepted schema maps to the trainers' format, and bad rows get errors that say how to fix them."""

import json

import pytest

from data.generate import STANDARD_KINDS, math_problems, split_disjoint
from data.loading import DataError, gold_answer, grpo_example, mix_sources, sft_example


@pytest.mark.parametrize(
    "row, prompt, completion",
    [
        ({"messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "a"}]}, "q", "a"),
        ({"prompt": "q", "completion": "a"}, "q", "a"),
        ({"instruction": "q", "input": "ctx", "output": "a"}, "q\n\nctx", "a"),  # Alpaca/DSC1 style
        ({"question": "q", "solution": "a \\boxed{1}"}, "q", "a \\boxed{1}"),  # our generator
        ({"problem": "q", "solution": "a"}, "q", "a"),  # MATH
        ({"question": "q", "answer": "a #### 4"}, "q", "a #### 4"),  # GSM8K: the worked answer is the target
    ],
)
def test_sft_schemas(row, prompt, completion):
    out = sft_example(row)
    assert out["prompt"][-1] == {"role": "user", "content": prompt}
    assert out["completion"] == [{"role": "assistant", "content": completion}]


def test_code_task_rows_answer_with_a_fenced_block():
    out = sft_example(
        {"prompt": "add two ints", "solution": "def add(a, b):\n    return a + b\n", "language": "python"}
    )
    assert out["completion"][0]["content"] == "```python\ndef add(a, b):\n    return a + b\n```"


def test_sft_row_without_known_schema_names_columns_present():
    with pytest.raises(DataError) as err:
        sft_example({"text": "hello", "label": 1}, "data.jsonl row 7")
    message = str(err.value)
    assert "data.jsonl row 7" in message and "label, text" in message and "messages" in message


def test_sft_messages_must_end_with_assistant():
    with pytest.raises(DataError, match="end with an assistant turn"):
        sft_example({"messages": [{"role": "user", "content": "q"}]})


def test_bad_message_role_is_named():
    with pytest.raises(DataError, match=r"messages\[1\]"):
        sft_example({"messages": [{"role": "user", "content": "q"}, {"role": "bot", "content": "a"}]})


def test_grpo_math_and_code_rows():
    math_row = grpo_example({"question": "1+1?", "answer": "#### 2"})
    assert math_row["task"] == "math" and math_row["solution"] == "2" and math_row["tests"] is None
    tests = {"kind": "assert", "code": "assert f(1) == 2", "entry_point": "f"}
    code_row = grpo_example({"prompt": "write f", "tests": tests, "language": "python"})
    assert code_row["task"] == "code" and json.loads(code_row["tests"]) == tests


def test_grpo_row_without_gold_or_tests():
    with pytest.raises(DataError, match="needs a math gold .* or code `tests`; row has columns: question"):
        grpo_example({"question": "1+1?"})


def test_grpo_row_with_bad_tests_kind():
    with pytest.raises(DataError, match="kind assert\\|stdio\\|pytest"):
        grpo_example({"prompt": "p", "tests": {"kind": "unit"}})


def test_gold_answer_strips_gsm8k_worked_answer():
    assert gold_answer("48/2 = 24\n#### 24") == "24" and gold_answer(" 7 ") == "7"


def test_generator_is_deterministic_and_correct():
    rows = math_problems(60, seed=3)
    assert rows == math_problems(60, seed=3)
    assert {r["kind"] for r in rows} == set(STANDARD_KINDS)
    for row in rows:
        assert row["solution"].endswith(f"\\boxed{{{row['answer']}}}.")
        if row["kind"] == "add":
            a, b = (int(t) for t in row["question"].split() if t.isdigit())
            assert row["answer"] == str(a + b)
    train, test = split_disjoint(rows, 10)
    assert not {r["question"] for r in train} & {r["question"] for r in test}


def test_mixture_respects_weights(tmp_path):
    for name, n in (("a", 30), ("b", 10)):
        (tmp_path / f"{name}.jsonl").write_text("".join(json.dumps({"src": name, "i": i}) + "\n" for i in range(n)))
    mixed = mix_sources([str(tmp_path / "a.jsonl"), str(tmp_path / "b.jsonl")], [0.5, 0.5], seed=0, size=40)
    assert len(mixed) == 40 and mixed["src"].count("a") == 20 and mixed["src"].count("b") == 20
    b_rows = [i for s, i in zip(mixed["src"], mixed["i"]) if s == "b"]
    assert sorted(b_rows) == sorted(list(range(10)) * 2)  # upsampled by whole passes


def test_mixture_errors():
    with pytest.raises(DataError, match="does not exist"):
        mix_sources(["missing.jsonl"], None, seed=0)
    with pytest.raises(DataError, match="non-negative"):
        mix_sources(["a.jsonl", "b.jsonl"], [1.0], seed=0)


def test_map_rows_streams_a_long_run_of_math_rows_before_the_first_code_row():
    """Columns are fixed up front: a batch of only math rows (tests None) must not fix `tests` to a null type."""
    import datasets

    from data.loading import map_rows

    math = {"problem": "1+1?", "answer": "2", "prompt": None, "tests": None, "language": None}
    tests = json.dumps({"kind": "stdio", "cases": [{"stdin": "", "stdout": "1"}]})
    code = {"problem": None, "answer": None, "prompt": "print 1", "tests": tests, "language": "python"}
    mapped = map_rows(datasets.Dataset.from_list([math] * 1500 + [code]), grpo_example, source="GRPO mixture")
    assert len(mapped) == 1501 and mapped.column_names == [
        "prompt",
        "task",
        "solution",
        "tests",
        "language",
        "dataset",
    ]
    assert (mapped[0]["task"], mapped[0]["solution"], mapped[0]["tests"]) == ("math", "2", None)
    assert (mapped[1500]["task"], json.loads(mapped[1500]["tests"])["kind"]) == ("code", "stdio")


def test_map_rows_names_the_bad_row():
    import datasets

    from data.loading import map_rows

    good = {"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "yo"}], "text": None}
    rows = [good] * 3 + [{"messages": None, "text": "x"}]
    with pytest.raises(DataError, match=r"^SFT mixture row 3: no SFT schema fits"):
        map_rows(datasets.Dataset.from_list(rows), sft_example, source="SFT mixture")


def test_mixture_rows_remember_their_data_source(tmp_path):
    a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    a.write_text('{"question": "1+1?", "answer": "2"}\n' * 3)
    b.write_text('{"question": "2+2?", "answer": "4"}\n' * 3)
    mixed = mix_sources([str(a), str(b)], None, seed=0)
    assert sorted(mixed["dataset"]) == [str(a)] * 3 + [str(b)] * 3
    assert grpo_example(mixed[0])["dataset"] in (str(a), str(b))


def test_a_bad_mixture_row_names_its_source_and_row(tmp_path):
    from data.loading import map_rows

    (tmp_path / "a.jsonl").write_text(
        "".join(json.dumps({"question": f"q{i}", "answer": "1"}) + "\n" for i in range(5))
    )
    rows = [{"question": "q", "answer": "1"}, {"question": "q", "answer": "1"}, {"question": "no gold"}]
    (tmp_path / "b.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    mixed = mix_sources([str(tmp_path / "a.jsonl"), str(tmp_path / "b.jsonl")], None, seed=0)
    with pytest.raises(DataError, match=rf"^GRPO mixture row \d+ \({tmp_path / 'b.jsonl'} row 2\): needs a math gold"):
        map_rows(mixed, grpo_example, source="GRPO mixture")
    good = map_rows(mix_sources([str(tmp_path / "a.jsonl")], None, seed=0), grpo_example, source="GRPO mixture")
    assert good.column_names == ["prompt", "task", "solution", "tests", "language", "dataset"]  # origin columns gone
