"""Per-problem results files: one JSONL file per model, appended a chunk at a time, read back to resume.

An evaluation's output directory::

    settings.json               what the results depend on (data, prompts, sampling, seed, chunking, generation)
    problems/<model>.jsonl      one row per problem: id, task, prompt, completions, verdicts, outcomes, (math:
                                answers, classes, gold), timing of its chunk
    results.json, results.md    the figures (`alignment.evaluation.outputs`)

Problems are generated and graded in fixed chunks (chunk c holds problems c*size to (c+1)*size − 1 of the problem
list, in every run with the same settings) and a chunk's rows are appended together once it is graded. A killed
evaluation leaves whole chunks and at most one torn line; on resume the rows of incomplete chunks are dropped and
those chunks done again. Since each chunk's samples are seeded by its position, a resumed evaluation ends with the
same rows as an uninterrupted one. Resuming with different settings is refused rather than mixing results.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from alignment.run.files import append_jsonl, read_jsonl, write_atomic, write_jsonl_atomic

logger = logging.getLogger(__name__)

SETTINGS_NAME = "settings.json"
PROBLEMS_DIR = "problems"


def settings_digest(settings: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()[:8]


def settings_problems(output_dir: Path, settings: dict[str, Any]) -> list[str]:
    """A problem when `output_dir` already holds results of an evaluation with other settings."""
    path = output_dir / SETTINGS_NAME
    if not path.is_file():
        return []
    try:
        previous = json.loads(path.read_text())
    except json.JSONDecodeError:
        return [f"{path} is not valid JSON; remove it or choose another --output_dir"]
    keys = sorted(set(previous) | set(settings))
    changed = [f"{k}: {previous.get(k)!r} -> {settings.get(k)!r}" for k in keys if previous.get(k) != settings.get(k)]
    if not changed:
        return []
    return [
        f"--output_dir {output_dir} holds results of an evaluation with other settings ({'; '.join(changed)}); "
        "choose another --output_dir, or pass --overwrite to discard them"
    ]


def write_settings(output_dir: Path, settings: dict[str, Any]) -> None:
    output_dir.mkdir(parents=True, exist_ok=True)
    write_atomic(output_dir / SETTINGS_NAME, json.dumps(settings, indent=2, sort_keys=True) + "\n")


def model_slug(model: str) -> str:
    """A file name for a model reference: its readable tail and a digest of the whole reference."""
    tail = re.sub(r"[^A-Za-z0-9._-]+", "_", model).strip("_.")[-60:] or "model"
    return f"{tail}-{hashlib.sha256(model.encode()).hexdigest()[:8]}"


def chunked(ids: Sequence[str], size: int) -> list[list[str]]:
    return [list(ids[i : i + size]) for i in range(0, len(ids), size)]


class ResultsFile:
    """The per-problem results of one model, over fixed chunks of problem ids."""

    def __init__(self, path: Path, chunks: Sequence[Sequence[str]]) -> None:
        self.path = path
        self.chunks = [list(chunk) for chunk in chunks]

    def completed(self) -> dict[str, dict[str, Any]]:
        """Rows of the chunks that are complete on disk (id -> row); the file is cut back to exactly those."""
        if not self.path.is_file():
            return {}
        lines = [row for row in read_jsonl(self.path) if isinstance(row, dict) and "id" in row]
        rows = {row["id"]: row for row in lines}
        done = [chunk for chunk in self.chunks if all(i in rows for i in chunk)]
        kept = {i: rows[i] for chunk in done for i in chunk}
        if len(lines) != len(kept):  # unfinished chunks (a torn last line is not even among `lines`)
            logger.info(
                "%s: resuming after %d complete chunk(s); %d row(s) of unfinished chunks are done again",
                self.path,
                len(done),
                len(rows) - len(kept),
            )
        write_jsonl_atomic(self.path, kept.values())  # always: a torn last line must not prefix the next append
        return kept

    def append(self, rows: Sequence[dict[str, Any]]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        append_jsonl(self.path, rows)

    def reset(self) -> None:
        self.path.unlink(missing_ok=True)
