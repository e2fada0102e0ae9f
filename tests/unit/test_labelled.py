"""Labelled collection rows for the reward model: validation, the split by prompt, and the pair rule."""

import json
import random

import pytest

from data.labelled import LabelledSample, PairRule, build_pairs, load_labelled, parse_row, split_by_prompt
from data.loading import DataError
from tests.rm_rows import collection_rows, write_collection


def _row(**overrides):
    row = {"prompt_id": "p1", "prompt": [{"role": "user", "content": "q"}], "completion": "c", "passed": True,
           "pass_fraction": 1.0, "sample_index": 0, "task": "code"}  # fmt: skip
    row.update(overrides)
    return {k: v for k, v in row.items() if v is not ...}


@pytest.mark.parametrize(
    "overrides, fragments",
    [
        ({"prompt_id": ...}, ["`prompt_id` is missing", "keys present: completion, pass_fraction"]),
        ({"prompt_id": ""}, ["`prompt_id`"]),
        ({"passed": None}, ["`passed` is None", "not labelled", "tests"]),  # a row of a prompt without tests
        ({"passed": ...}, ["`passed`"]),
        ({"pass_fraction": 1.5}, ["`pass_fraction` must be a number in [0, 1], got 1.5"]),
        ({"pass_fraction": ...}, ["`pass_fraction`"]),
        ({"prompt": "q"}, ["`prompt` must be a non-empty list"]),
        ({"prompt": [{"content": "q"}]}, ["prompt[0]"]),
        ({"completion": None}, ["`completion` must be a string"]),
        ({"hidden_passed": "yes"}, ["`hidden_passed` must be true, false or null"]),
        ({"sample_index": "3"}, ["`sample_index` must be an integer"]),
    ],
)
def test_bad_rows_name_the_row_the_key_and_the_fix(overrides, fragments):
    with pytest.raises(DataError) as err:
        parse_row(_row(**overrides), "shards/part-00000.jsonl line 7")
    message = str(err.value)
    assert message.startswith("shards/part-00000.jsonl line 7: ")
    for fragment in fragments:
        assert fragment in message, message


def test_a_collection_directory_is_read_recursively_in_shard_order(tmp_path):
    rows = collection_rows(prompts=6, samples=3, seed=1)
    write_collection(tmp_path / "run", rows, shard_rows=5)  # four shards under run/shards/
    samples = load_labelled([tmp_path / "run"])
    assert [(s.prompt_id, s.sample_index) for s in samples] == [(r["prompt_id"], r["sample_index"]) for r in rows]


def test_parquet_shards_read_like_jsonl(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = collection_rows(prompts=3, samples=2, seed=2)
    pq.write_table(pa.Table.from_pylist(rows), tmp_path / "part-00000.parquet")
    write_collection(tmp_path / "jsonl", rows)
    assert load_labelled([tmp_path / "part-00000.parquet"]) == load_labelled([tmp_path / "jsonl"])


def test_a_torn_json_line_names_its_file_and_line(tmp_path):
    path = tmp_path / "part-00000.jsonl"
    path.write_text(json.dumps(_row()) + "\n" + '{"prompt_id": "p2", "pro\n')
    with pytest.raises(DataError, match=r"part-00000.jsonl line 2: not valid JSON"):
        load_labelled([path])


def test_one_prompt_id_for_two_prompts_is_refused(tmp_path):
    path = tmp_path / "part-00000.jsonl"
    other = _row(prompt=[{"role": "user", "content": "another question"}], sample_index=1)
    path.write_text(json.dumps(_row()) + "\n" + json.dumps(other) + "\n")
    with pytest.raises(DataError, match=r"line 2: prompt_id 'p1' names a different prompt than at .*line 1"):
        load_labelled([path])


def test_sources_that_are_not_shards_are_named(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError, match="holds no .jsonl or .parquet shards"):
        load_labelled([tmp_path / "empty"])
    with pytest.raises(DataError, match="not a .jsonl/.parquet file or a directory"):
        load_labelled([tmp_path / "rows.csv"])


def test_hidden_label_keeps_rows_with_hidden_tests_and_fails_without_any(tmp_path):
    rows = collection_rows(prompts=4, samples=2, seed=3, hidden=True)
    rows[0]["hidden_passed"] = rows[0]["hidden_pass_fraction"] = None
    write_collection(tmp_path / "hidden", rows)
    assert len(load_labelled([tmp_path / "hidden"], label="hidden_passed")) == len(rows) - 1
    write_collection(tmp_path / "visible", collection_rows(prompts=4, samples=2, seed=3))
    with pytest.raises(DataError, match="`label: hidden_passed` but no row has `hidden_passed`.*`label: passed`"):
        load_labelled([tmp_path / "visible"], label="hidden_passed")


def _samples(prompts=40, per_prompt=4):
    return [parse_row(r, "row") for r in collection_rows(prompts=prompts, samples=per_prompt, seed=4)]


def test_split_is_by_prompt_deterministic_and_independent_of_row_order():
    samples = _samples()
    train, held_out = split_by_prompt(samples, 0.25, seed=0)
    train_ids, held_ids = {s.prompt_id for s in train}, {s.prompt_id for s in held_out}
    assert not train_ids & held_ids, "a prompt on both sides"
    assert len(held_ids) == 10 and len(train) + len(held_out) == len(samples)  # round(0.25 * 40) prompts
    shuffled = random.Random(0).sample(samples, len(samples))
    assert {s.prompt_id for s in split_by_prompt(shuffled, 0.25, seed=0)[1]} == held_ids
    assert {s.prompt_id for s in split_by_prompt(samples, 0.25, seed=1)[1]} != held_ids  # the seed matters


def test_split_needs_prompts_on_both_sides():
    assert len({s.prompt_id for s in split_by_prompt(_samples(prompts=3), 0.01, seed=0)[1]}) == 1  # at least one
    with pytest.raises(DataError, match="cannot hold out 1 of 1 prompts"):
        split_by_prompt(_samples(prompts=1), 0.1, seed=0)


def _sample(prompt_id, index, passed, fraction, task="code", hidden=None, hidden_fraction=None):
    return LabelledSample(prompt_id, [{"role": "user", "content": prompt_id}], f"c{index}", passed, fraction,
                          index, task, hidden, hidden_fraction)  # fmt: skip


@pytest.mark.parametrize(
    "chosen, rejected, rule, admitted",
    [
        ((True, 1.0), (False, 0.5), PairRule(), True),  # 1.0 > 0.8 and 1.0 > 0.5 + 0.4
        ((True, 1.0), (False, 0.6), PairRule(), False),  # gap 0.4 is not more than min_gap 0.4
        ((True, 1.0), (False, 0.0), PairRule(), False),  # rejected passes no test: AceCoder drops it
        ((True, 1.0), (False, 0.0), PairRule(drop_zero_pass_rejected=False), True),
        ((True, 0.8), (False, 0.2), PairRule(), False),  # chosen fraction not above 0.8
        ((False, 0.9), (False, 0.1), PairRule(), False),  # fail over fail: never a pair
        ((True, 1.0), (True, 1.0), PairRule(), False),  # pass over pass: never a pair
        ((False, 0.25), (True, 1.0), PairRule(), False),  # the wrong way round
    ],
)
def test_pair_rule_table(chosen, rejected, rule, admitted):
    c, r = _sample("p", 0, *chosen), _sample("p", 1, *rejected)
    assert rule.admits(c, r, "passed") is admitted


def test_math_rejections_are_not_dropped_for_a_zero_fraction():
    # math fractions are 0/1 by construction: dropping s_r = 0 would drop every math pair
    c, r = _sample("p", 0, True, 1.0, task="math"), _sample("p", 1, False, 0.0, task="math")
    assert PairRule().admits(c, r, "passed")


def test_hidden_label_pairs_use_hidden_passes_and_fractions():
    # visible tests pass both; the hidden tests tell them apart
    c = _sample("p", 0, True, 1.0, hidden=True, hidden_fraction=1.0)
    r = _sample("p", 1, True, 1.0, hidden=False, hidden_fraction=0.5)
    assert not PairRule().admits(c, r, "passed") and PairRule().admits(c, r, "hidden_passed")


def test_pairs_stay_within_prompts_the_cap_holds_and_margins_scale_the_gap():
    samples = [_sample(p, i, i < 3, 1.0 if i < 3 else 0.25 + 0.25 * (i % 2)) for p in "abc" for i in range(8)]
    rule = PairRule(max_pairs_per_prompt=4, margin_scale=2.0)
    pairs = build_pairs(samples, rule, seed=0)
    assert all(p.chosen.prompt_id == p.rejected.prompt_id == p.prompt_id for p in pairs)
    counts = {pid: sum(1 for p in pairs if p.prompt_id == pid) for pid in "abc"}
    assert counts == {"a": 4, "b": 4, "c": 4}  # 3 passes x 5 fails = 15 candidates each, capped at 4
    for p in pairs:  # margin = 2.0 * (1.0 - s_r): 1.5 for s_r 0.25, 1.0 for s_r 0.5
        assert p.margin == pytest.approx(2.0 * (1.0 - p.rejected.pass_fraction))
    assert {p.margin for p in pairs} <= {1.5, 1.0}
    assert build_pairs(samples, rule, seed=0) == pairs  # the capped subset is seeded
    assert len(build_pairs(samples, PairRule(max_pairs_per_prompt=None))) == 45  # no cap: 3 x 15


def test_no_margin_by_default():
    samples = [_sample("a", 0, True, 1.0), _sample("a", 1, False, 0.5)]
    assert [p.margin for p in build_pairs(samples, PairRule())] == [0.0]
