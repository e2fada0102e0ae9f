"""Files a run writes: atomically (a killed run never leaves half a file) and as plain JSON values.

Every writer of run records goes through here: `manifest.json` and `config.yaml` (`alignment.run.manifest`),
`metrics.jsonl` and `completions.jsonl` (`alignment.run.tracking`), and the stages' own result files.
"""

from __future__ import annotations

import dataclasses
import enum
import json
import logging
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)


def to_jsonable(value: Any) -> Any:
    """Config values, tensors and numpy scalars as plain JSON/YAML types (enums by value, paths as strings,
    dataclasses as dicts, tuples and sets as lists; anything else by its `repr`)."""
    if isinstance(value, enum.Enum):  # before str: TRL's str-enums would otherwise slip through as objects
        return to_jsonable(value.value)
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, (int, float, str)):  # exact builtin types, not subclasses
        return next(t for t in (int, float, str) if isinstance(value, t))(value)
    if hasattr(value, "item") and callable(value.item) and getattr(value, "ndim", 0) == 0:
        return to_jsonable(value.item())  # a 0-d tensor or a numpy scalar
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    return repr(value)


def write_atomic(path: str | Path, text: str) -> None:
    """Write `text` to `path` through a temporary file in the same directory and a rename."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    tmp.write_text(text)
    os.replace(tmp, path)


def append_jsonl(path: str | Path, rows: Iterable[dict[str, Any]]) -> None:
    """Append rows as JSON lines (values made plain first)."""
    with Path(path).open("a") as handle:
        for row in rows:
            handle.write(json.dumps(to_jsonable(row)) + "\n")


def read_jsonl(path: str | Path) -> list[dict[str, Any]]:
    """Rows of a JSONL file; a torn last line (the writer was killed mid-write) is skipped."""
    rows = []
    for line in Path(path).read_text().splitlines():
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError:
            logger.warning("%s: skipping a torn line (the run was killed while writing it)", path)
    return rows


def write_jsonl_atomic(path: str | Path, rows: Iterable[dict[str, Any]]) -> None:
    """Replace `path` with `rows`, atomically."""
    write_atomic(path, "".join(json.dumps(to_jsonable(row)) + "\n" for row in rows))
