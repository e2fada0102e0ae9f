"""Load, validate, mix and map data sets into the conversational rows TRL's trainers take.

Sources are local JSONL/JSON/Parquet files or hub data sets (`org/name`, or `org/name:config`), read with `datasets`.
Rows are validated as they are mapped: a bad row raises `DataError` naming the source, the row, the missing or
malformed column and the columns that *are* present, so a user can fix the file or pick the right schema.

Accepted SFT schemas (first match wins): `messages`; `prompt` + `completion`; `instruction` (+ `input`) + `output`;
`prompt` + `solution` (code tasks, answered as a fenced block in the row's `language`); `question` + `solution`;
`problem` + `solution`; `question` + `answer`.
Accepted GRPO schemas: a prompt (`prompt` | `question` | `problem`, string or message list) with either a math gold
(`answer` | `solution` | `gold`) or code tests (`tests`, the sandbox schema, plus `language`).
Rows of a public code format (HumanEval, MBPP, APPS, TACO, CodeContests, LiveCodeBench, PrimeIntellect, KodCode:
detected from their columns by `data.formats`) are read by that format's adapter first, for both stages: their
columns would otherwise fit none of the schemas above, or the wrong one (KodCode's `question` + `solution` code).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

_LOCAL_FORMATS = {".jsonl": "json", ".json": "json", ".parquet": "parquet"}
SFT_SCHEMAS: list[tuple[str, ...]] = [
    ("messages",),
    ("prompt", "completion"),
    ("instruction", "output"),
    ("prompt", "solution"),  # code tasks: the solution becomes a fenced block in `language`
    ("question", "solution"),
    ("problem", "solution"),
    ("question", "answer"),
]
_PROMPT_KEYS = ("prompt", "question", "problem")
_GOLD_KEYS = ("answer", "solution", "gold")
_ROLES = {"system", "user", "assistant"}
# Where each mixture row came from (source, row index within it), so a bad row is named where the user can find it.
ORIGIN_COLUMNS = ("_codealign_source", "_codealign_row")
# Formats whose rows `data.formats` adapts before the schemas above are tried (see the module docstring).
PUBLIC_FORMATS = frozenset({"humaneval", "mbpp", "mbpp_sanitized", "apps", "taco", "codecontests",
                            "livecodebench", "primeintellect", "kodcode"})  # fmt: skip


class DataError(ValueError):
    """A data source or row does not fit the expected schema."""


def load_source(source: str, split: str = "train"):
    """One source as a `datasets.Dataset`."""
    import datasets

    path = Path(source)
    if path.suffix in _LOCAL_FORMATS:
        if not path.is_file():
            raise DataError(f"data file {source!r} does not exist")
        return datasets.load_dataset(_LOCAL_FORMATS[path.suffix], data_files=str(path), split="train")
    if path.exists():
        raise DataError(
            f"data source {source!r} is a {path.suffix or 'directory'}; use .jsonl, .json or .parquet files"
        )
    name, _, config = source.partition(":")
    return datasets.load_dataset(name, config or None, split=split)


def mix_sources(
    sources: Sequence[str], weights: Sequence[float] | None, seed: int, size: int | None = None, split: str = "train"
):
    """Mix sources so that source i makes up weights[i] of the result (sampling with replacement only to upsample).

    Without `size`, the mixture is as large as all sources together. DSC2 §3.5.1 mixes 20k code : 30k math SFT rows;
    a recipe expresses that as weights [0.4, 0.6].
    """
    import datasets

    if not sources:
        raise DataError("no data sources given; set `datasets` in the recipe to one or more files or hub ids")
    weights = list(weights) if weights else [1.0] * len(sources)
    if len(weights) != len(sources) or any(w < 0 for w in weights) or sum(weights) <= 0:
        raise DataError(f"dataset_weights {weights} must be {len(sources)} non-negative numbers with a positive sum")
    parts = [_with_origin(load_source(s, split), s) for s in sources]
    total = size or sum(len(p) for p in parts)
    shares = [w / sum(weights) for w in weights]
    picked = []
    for part, share, source in zip(parts, shares, sources):
        n = round(share * total)
        if len(part) == 0 and n:
            raise DataError(f"data source {source!r} is empty")
        if "dataset" not in part.column_names:  # where each row came from, for reward routes by data source
            part = part.add_column("dataset", [source] * len(part))
        order = part.shuffle(seed=seed)
        idx = [i % len(part) for i in range(n)]  # whole passes first, then a partial one: upsampling only when needed
        picked.append(order.select(idx))
        logger.info("mixture: %d rows from %s (%.1f%%, source has %d)", n, source, 100 * share, len(part))
    return datasets.concatenate_datasets(picked).shuffle(seed=seed)


def _with_origin(part, source: str):
    """The source with its origin columns (they leave with `map_rows`; row order and content are unchanged)."""
    return part.add_column(ORIGIN_COLUMNS[0], [source] * len(part)).add_column(ORIGIN_COLUMNS[1], range(len(part)))


def _present(row: dict) -> str:
    return ", ".join(sorted(k for k, v in row.items() if v is not None)) or "(none)"


def _messages(value: Any, where: str, column: str) -> list[dict]:
    if isinstance(value, str):
        return [{"role": "user", "content": value}]
    if not isinstance(value, list) or not value:
        raise DataError(
            f"{where}: column {column!r} must be a string or a non-empty list of messages, got {type(value).__name__}"
        )
    for i, m in enumerate(value):
        if not isinstance(m, dict) or m.get("role") not in _ROLES or not isinstance(m.get("content"), str):
            raise DataError(
                f"{where}: {column}[{i}] must be a dict with role in {sorted(_ROLES)} and string content, got {m!r}"
            )
    return [{"role": m["role"], "content": m["content"]} for m in value]


def public_row(row: dict, where: str) -> dict | None:
    """The canonical row (`data.formats`) of a row in one of `PUBLIC_FORMATS`, else None."""
    from data.formats.registry import adapt_row, fitting_formats, present_columns

    names = fitting_formats(present_columns(row))
    if len(names) != 1 or names[0] not in PUBLIC_FORMATS:
        return None
    return adapt_row(row, names[0], where=where)


def _sft_from_canonical(row: dict, where: str) -> dict:
    if row["task"] == "code":
        if not row["solution"]:
            raise DataError(
                f"{where}: this {row['source']} row has no reference solution, which SFT needs; "
                "use such rows for GRPO or evaluation"
            )
        code = row["solution"].removeprefix(row["meta"].get("preamble", ""))  # the graders' imports, not the answer
        completion = f"```{row['language']}\n{code.rstrip()}\n```"
    else:
        completion = row["solution"] or row["answer"]
    return {
        "prompt": [{"role": "user", "content": row["prompt"]}],
        "completion": [{"role": "assistant", "content": completion}],
    }


def sft_example(row: dict, where: str = "row") -> dict:
    """Map one row of any accepted SFT schema to `{"prompt": [...], "completion": [assistant message]}`."""
    public = public_row(row, where)
    if public is not None:
        return _sft_from_canonical(public, where)
    for schema in SFT_SCHEMAS:
        if all(row.get(k) is not None for k in schema):
            break
    else:
        wanted = " | ".join(" + ".join(s) for s in SFT_SCHEMAS)
        raise DataError(f"{where}: no SFT schema fits; need one of [{wanted}], row has columns: {_present(row)}")
    if schema == ("messages",):
        messages = _messages(row["messages"], where, "messages")
        if messages[-1]["role"] != "assistant" or len(messages) < 2:
            raise DataError(f"{where}: `messages` must end with an assistant turn after at least one other turn")
        return {"prompt": messages[:-1], "completion": [messages[-1]]}
    prompt_col, answer_col = schema
    prompt = row[prompt_col]
    if schema == ("instruction", "output") and row.get("input"):
        prompt = f"{prompt}\n\n{row['input']}"
    completion = row[answer_col]
    if isinstance(completion, list):
        completion = _messages(completion, where, answer_col)[-1]["content"]
    if not isinstance(completion, str) or not completion.strip():
        raise DataError(f"{where}: column {answer_col!r} must be a non-empty string")
    if schema == ("prompt", "solution") and row.get("language"):
        completion = f"```{row['language']}\n{completion.rstrip()}\n```"
    return {
        "prompt": _messages(prompt, where, prompt_col),
        "completion": [{"role": "assistant", "content": completion}],
    }


def gold_answer(value: Any) -> str:
    """A math gold as a string; GSM8K-style worked answers keep only what follows `####`."""
    text = str(value)
    return text.split("####")[-1].strip() if "####" in text else text.strip()


def grpo_example(row: dict, where: str = "row") -> dict:
    """Map one row to `{"prompt", "task", "solution", "tests", "language", "dataset"}` (unused columns are None;
    `dataset` is the data source the mixture drew the row from)."""
    return {**_grpo_fields(row, where), "dataset": row.get("dataset")}


def _grpo_fields(row: dict, where: str) -> dict:
    public = public_row(row, where)
    if public is not None:
        code = public["task"] == "code"
        return {
            "prompt": [{"role": "user", "content": public["prompt"]}],
            "task": public["task"],
            "solution": None if code else public["answer"],
            "tests": json.dumps(public["tests"]) if code else None,
            "language": public["language"],
        }
    prompt_col = next((k for k in _PROMPT_KEYS if row.get(k) is not None), None)
    if prompt_col is None:
        raise DataError(
            f"{where}: needs a prompt column ({' | '.join(_PROMPT_KEYS)}); row has columns: {_present(row)}"
        )
    prompt = _messages(row[prompt_col], where, prompt_col)
    if row.get("tests") is not None:
        tests = row["tests"]
        if isinstance(tests, str):
            try:
                tests = json.loads(tests)
            except json.JSONDecodeError as exc:
                raise DataError(f"{where}: column 'tests' is a string but not JSON: {exc}") from exc
        if not isinstance(tests, dict) or tests.get("kind") not in ("assert", "stdio", "pytest"):
            raise DataError(
                f"{where}: column 'tests' must be a dict with kind assert|stdio|pytest, got {tests!r:.120}"
            )
        language = row.get("language") or "python"
        return {"prompt": prompt, "task": "code", "solution": None, "tests": json.dumps(tests), "language": language}
    gold_col = next((k for k in _GOLD_KEYS if row.get(k) is not None), None)
    if gold_col is None:
        raise DataError(
            f"{where}: needs a math gold ({' | '.join(_GOLD_KEYS)}) or code `tests`; row has columns: {_present(row)}"
        )
    return {"prompt": prompt, "task": "math", "solution": gold_answer(row[gold_col]), "tests": None, "language": None}


def example_features(kind: str):
    """The columns `sft_example` ("sft") or `grpo_example` ("grpo") produce, fixed up front: inferring them
    batch by batch fails when a long run of math rows (tests None) precedes the first code row."""
    import datasets

    messages = datasets.List({"role": datasets.Value("string"), "content": datasets.Value("string")})
    if kind == "sft":
        return datasets.Features({"prompt": messages, "completion": messages})
    text = datasets.Value("string")
    columns = ("task", "solution", "tests", "language", "dataset")
    return datasets.Features({"prompt": messages, **{c: text for c in columns}})


def map_rows(dataset, fn, source: str = "dataset"):
    """Apply `fn(row, where)` to every row with `Dataset.map` (streamed to Arrow in batches, never held as Python
    objects), so a bad row raises its `DataError` naming the exact row: `"{source} row {i}: ..."`."""
    kind = "grpo" if fn is grpo_example else "sft" if fn is sft_example else None
    return dataset.map(
        _RowMapper(fn, source),
        with_indices=True,
        remove_columns=list(dataset.column_names or []),
        features=example_features(kind) if kind else None,
        desc=f"validating {source}",
    )


class _RowMapper:
    """`fn(row, "{source} row {i}")` as a picklable callable (a closure would defeat `map`'s caching hash); a
    mixture row also names the data source and row it came from (`ORIGIN_COLUMNS`)."""

    def __init__(self, fn, source: str):
        self.fn, self.source = fn, source

    def __call__(self, row: dict, index: int) -> dict:
        origin, origin_row = row.pop(ORIGIN_COLUMNS[0], None), row.pop(ORIGIN_COLUMNS[1], None)
        where = f"{self.source} row {index}"
        return self.fn(row, f"{where} ({origin} row {origin_row})" if origin is not None else where)


def with_instruction(prompt: list[dict], suffix: str) -> list[dict]:
    """A copy of the conversational `prompt` with `suffix` appended to its last turn (unchanged when empty)."""
    messages = [dict(m) for m in prompt]
    if suffix:
        messages[-1]["content"] = f"{messages[-1]['content']}\n{suffix}"
    return messages


def add_instruction(dataset, suffix: str):
    """Append a fixed instruction to the last user turn of every row (e.g. 'Put the final answer in \\boxed{}.')."""
    if not suffix:
        return dataset
    return dataset.map(_Instruction(suffix))


class _Instruction:
    """`with_instruction` as a picklable callable for `Dataset.map` (a closure would defeat its caching hash)."""

    def __init__(self, suffix: str):
        self.suffix = suffix

    def __call__(self, row: dict) -> dict:
        return {"prompt": with_instruction(row["prompt"], self.suffix)}
