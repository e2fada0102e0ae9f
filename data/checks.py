"""Check data sources before a run loads them: each file exists, every row is JSON and maps to a training example.

`source_problems(source, mapper)` streams a local `.jsonl`/`.json`/`.parquet` file row by row (memory stays flat for
large files) and returns its problems as messages that say where (`file:line`, the row's `id` when it has one), what
(the mapper's own `DataError`: missing column, columns present) and the fix. The `mapper` is the stage's own
(`data.loading.sft_example` / `grpo_example`), so these messages are the ones training would give, only earlier and
naming the file's line rather than the row of a shuffled mixture. Hub ids are checked for their form only: reaching
the hub is the loader's job (`data.loading.load_source`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from data.loading import _LOCAL_FORMATS, DataError

MAX_REPORTED = 5  # bad rows listed per source; the rest are counted
_HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+(:[\w.-]+)?$")  # org/name[:config]
_ID_COLUMNS = ("id", "task_id", "problem_id", "question_id")
Mapper = Callable[[dict, str], Any]


class BadLine(str):
    """A JSONL line that is not JSON, yielded in place of its row (the lines after it are still checked)."""


def source_problems(source: str, mapper: Mapper | None = None, max_reported: int = MAX_REPORTED) -> list[str]:
    """Every problem of one data source (empty when it looks loadable); rows are mapped with `mapper` if given."""
    path = Path(source)
    if path.suffix in _LOCAL_FORMATS:
        if path.is_dir():
            return [f"data file {source!r} is a directory; give a .jsonl, .json or .parquet file"]
        if not path.is_file():
            return [f"data file {source!r} does not exist (paths are relative to {Path.cwd()})"]
        return file_problems(path, mapper, max_reported)
    if path.exists():
        kind = "a directory" if path.is_dir() else f"a {path.suffix or 'suffix-less'} file"
        return [f"data source {source!r} is {kind}; use .jsonl, .json or .parquet files, or a hub id 'org/name'"]
    if not _HUB_ID.match(source):
        return [
            f"data source {source!r} is neither an existing .jsonl/.json/.parquet file nor a hub id "
            "('org/name' or 'org/name:config')"
        ]
    return []


def file_problems(path: Path, mapper: Mapper | None, max_reported: int = MAX_REPORTED) -> list[str]:
    """Read every row of a local file; the first `max_reported` bad rows are listed and the others counted."""
    problems: list[str] = []
    bad = rows = 0
    try:
        for where, row in iter_rows(path):
            rows += 1
            problem = row_problem(row, where, mapper)
            if problem is not None:
                bad += 1
                if bad <= max_reported:
                    problems.append(problem)
    except DataError as exc:  # the file itself is unreadable: no row after this point can be checked
        return [*problems, str(exc)]
    except OSError as exc:
        return [f"data file {str(path)!r} cannot be read: {exc.strerror or exc}"]
    if bad > max_reported:
        problems.append(f"{path}: {bad - max_reported} more bad row(s) of {rows} not shown")
    if rows == 0:
        problems.append(f"data file {str(path)!r} is empty: it holds no rows")
    return problems


def row_problem(row: Any, where: str, mapper: Mapper | None) -> str | None:
    if isinstance(row, BadLine):
        return str(row)
    if not isinstance(row, dict):
        return f"{where}: a row must be a JSON object of columns, got a {type(row).__name__}"
    ident = next((row[c] for c in _ID_COLUMNS if isinstance(row.get(c), str | int)), None)
    if ident is not None:
        where = f"{where} (id {ident!r})"
    if mapper is None:
        return None
    try:
        mapper(row, where)
    except DataError as exc:
        return str(exc)
    return None


def iter_rows(path: Path) -> Iterator[tuple[str, Any]]:
    """(location, row) for every row of a local data file, streamed; `DataError` when the file cannot be parsed."""
    if path.suffix == ".parquet":
        yield from _parquet_rows(path)
    elif path.suffix == ".json" and _starts_with_array(path):
        yield from _json_array_rows(path)
    else:  # .jsonl, and .json files holding JSON Lines (both read by `datasets`' json loader)
        yield from _json_lines(path)


def _json_lines(path: Path) -> Iterator[tuple[str, Any]]:
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            where = f"{path}:{number}"
            try:
                row = json.loads(line.rstrip("\r\n"))
            except json.JSONDecodeError as exc:
                row = BadLine(
                    f"{where}: not valid JSON ({exc.msg}, column {exc.colno}); each line of a JSONL file holds one "
                    'JSON object, e.g. {"question": "...", "answer": "42"}'
                )
            yield where, row


def _starts_with_array(path: Path) -> bool:
    with path.open(encoding="utf-8") as handle:
        head = handle.read(4096).lstrip()
    return head.startswith("[")


def _json_array_rows(path: Path) -> Iterator[tuple[str, Any]]:
    text = path.read_text(encoding="utf-8")
    try:
        rows = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DataError(f"{path}:{exc.lineno}: not valid JSON ({exc.msg}, column {exc.colno})") from None
    for index, row in enumerate(rows):
        yield f"{path} row {index}", row


def _parquet_rows(path: Path) -> Iterator[tuple[str, Any]]:
    import pyarrow
    import pyarrow.parquet

    try:
        parquet = pyarrow.parquet.ParquetFile(path)
    except (pyarrow.ArrowException, OSError) as exc:
        raise DataError(f"{path}: not a readable Parquet file ({exc})") from None
    index = 0
    for batch in parquet.iter_batches(batch_size=1024):
        for row in batch.to_pylist():
            yield f"{path} row {index}", row
            index += 1
