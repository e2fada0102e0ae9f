"""Execution-labelled samples (the rows `python -m alignment.collect` writes) for the reward-model stage.

* `load_labelled(paths)`: read collection shards (JSONL or Parquet files, or directories holding them, searched
  recursively in name order) and validate every row: a bad row fails with its file and line, the key that is wrong
  and how to fix it. The schema is the collection's (prompt_id, prompt, completion, passed, pass_fraction, optional
  sample_index, task, hidden_passed, hidden_pass_fraction, ...; see the project's interface notes).
* `split_by_prompt(samples, eval_fraction, seed)`: train/held-out by prompt, never by response.
* `build_pairs(samples, rule, label, seed)`: chosen/rejected pairs within each prompt by `PairRule`.

`label` picks the target: "passed" (the visible tests) or "hidden_passed" (the fuller hidden tests, where a row has
them: an RM trained on them uses more information than GRPO's compiler signal ever sees, so it is a labelled variant
to compare against, not the faithful setting).
"""

from __future__ import annotations

import hashlib
import json
import logging
import random
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from data.loading import DataError

logger = logging.getLogger(__name__)

Label = Literal["passed", "hidden_passed"]
LABELS = ("passed", "hidden_passed")
_SHARD_SUFFIXES = (".jsonl", ".parquet")
_FIX = "re-run `python -m alignment.collect`, or fix or drop the row"


@dataclass(frozen=True)
class LabelledSample:
    prompt_id: str
    prompt: list[dict]
    completion: str
    passed: bool
    pass_fraction: float
    sample_index: int = 0
    task: str = "code"
    hidden_passed: bool | None = None
    hidden_pass_fraction: float | None = None

    def label(self, name: Label = "passed") -> bool | None:
        return self.passed if name == "passed" else self.hidden_passed

    def fraction(self, name: Label = "passed") -> float | None:
        """The pass fraction behind `label(name)`; a hidden label without a hidden fraction counts as 0/1."""
        if name == "passed":
            return self.pass_fraction
        if self.hidden_pass_fraction is not None:
            return self.hidden_pass_fraction
        return None if self.hidden_passed is None else float(self.hidden_passed)


def collection_files(paths: Sequence[str | Path]) -> list[Path]:
    """The shard files named by `paths`: files as given, directories searched recursively for .jsonl/.parquet."""
    files: list[Path] = []
    for entry in map(Path, paths):
        if entry.is_dir():
            found = sorted(p for p in entry.rglob("*") if p.suffix in _SHARD_SUFFIXES and p.is_file())
            if not found:
                raise DataError(f"collection directory {str(entry)!r} holds no .jsonl or .parquet shards")
            files += found
        elif entry.is_file() and entry.suffix in _SHARD_SUFFIXES:
            files.append(entry)
        else:
            raise DataError(
                f"collection source {str(entry)!r} is not a .jsonl/.parquet file or a directory of them: "
                "pass the output directory of `python -m alignment.collect` or its shards"
            )
    return files


def _raw_rows(path: Path) -> Iterable[tuple[str, Any]]:
    if path.suffix == ".parquet":
        import pyarrow.parquet as pq

        for i, row in enumerate(pq.read_table(path).to_pylist()):
            yield f"{path} row {i}", row
        return
    with path.open() as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            where = f"{path} line {number}"
            try:
                yield where, json.loads(line)
            except json.JSONDecodeError as exc:
                raise DataError(f"{where}: not valid JSON ({exc.msg}); {_FIX}") from None


def _fraction(row: dict, key: str, where: str, required: bool) -> float | None:
    value = row.get(key)
    if value is None and not required:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 <= value <= 1.0:
        raise DataError(f"{where}: `{key}` must be a number in [0, 1], got {value!r}; {_FIX}")
    return float(value)


def _check_prompt(value: Any, where: str) -> list[dict]:
    if not isinstance(value, list) or not value:
        raise DataError(f"{where}: `prompt` must be a non-empty list of {{role, content}} messages, got {value!r}")
    for i, message in enumerate(value):
        if not isinstance(message, dict) or not isinstance(message.get("content"), str) or "role" not in message:
            raise DataError(f"{where}: prompt[{i}] must be a dict with `role` and string `content`, got {message!r}")
    return [{"role": m["role"], "content": m["content"]} for m in value]


def parse_row(row: Any, where: str, position: int = 0) -> LabelledSample:
    """One collection row as a `LabelledSample`, or a `DataError` naming the row, the key and the fix."""
    if not isinstance(row, dict):
        raise DataError(f"{where}: a collection row must be a JSON object, got {type(row).__name__}")
    present = ", ".join(sorted(row)) or "(none)"
    prompt_id = row.get("prompt_id")
    if not isinstance(prompt_id, str) or not prompt_id:
        raise DataError(
            f"{where}: `prompt_id` is missing or not a non-empty string (got {prompt_id!r}; keys present: {present}). "
            "The split and the pairs are by prompt, so every row needs its prompt's id; " + _FIX
        )
    if not isinstance(row.get("passed"), bool):
        raise DataError(
            f"{where}: `passed` is {row.get('passed')!r}, not true/false: the row is not labelled (was its prompt "
            f"collected without tests?). Collect only prompts with tests or a gold answer; {_FIX}"
        )
    if not isinstance(row.get("completion"), str):
        raise DataError(f"{where}: `completion` must be a string, got {row.get('completion')!r}; {_FIX}")
    hidden = row.get("hidden_passed")
    if hidden is not None and not isinstance(hidden, bool):
        raise DataError(f"{where}: `hidden_passed` must be true, false or null, got {hidden!r}; {_FIX}")
    index = row.get("sample_index", position)
    if isinstance(index, bool) or not isinstance(index, int):
        raise DataError(f"{where}: `sample_index` must be an integer, got {index!r}; {_FIX}")
    return LabelledSample(
        prompt_id=prompt_id,
        prompt=_check_prompt(row.get("prompt"), where),
        completion=row["completion"],
        passed=row["passed"],
        pass_fraction=_fraction(row, "pass_fraction", where, required=True),
        sample_index=index,
        task=str(row.get("task") or "code"),
        hidden_passed=hidden,
        hidden_pass_fraction=_fraction(row, "hidden_pass_fraction", where, required=False),
    )


def load_labelled(paths: Sequence[str | Path], label: Label = "passed") -> list[LabelledSample]:
    """Every valid row of the shards; with `label="hidden_passed"`, only rows that have hidden tests."""
    samples, first_prompt = [], {}
    for path in collection_files(paths):
        for position, (where, row) in enumerate(_raw_rows(path)):
            sample = parse_row(row, where, position)
            seen = first_prompt.setdefault(sample.prompt_id, (sample.prompt, where))
            if seen[0] != sample.prompt:
                raise DataError(
                    f"{where}: prompt_id {sample.prompt_id!r} names a different prompt than at {seen[1]}; ids must "
                    "be unique per prompt (else the split by prompt leaks). " + _FIX
                )
            samples.append(sample)
    if not samples:
        raise DataError(f"the collection {list(map(str, paths))} holds no rows")
    if label == "hidden_passed":
        kept = [s for s in samples if s.hidden_passed is not None]
        if not kept:
            raise DataError(
                "`label: hidden_passed` but no row has `hidden_passed` (no prompt had hidden tests): use "
                "`label: passed`, or collect prompts that carry hidden tests"
            )
        logger.info("label hidden_passed: %d of %d rows have hidden tests", len(kept), len(samples))
        samples = kept
    return samples


def _prompt_rank(seed: int, prompt_id: str) -> str:
    return hashlib.sha256(f"{seed}:{prompt_id}".encode()).hexdigest()


def split_by_prompt(
    samples: Sequence[LabelledSample], eval_fraction: float, seed: int
) -> tuple[list[LabelledSample], list[LabelledSample]]:
    """(train, held out): the round(eval_fraction * prompts) prompts (at least one) with the smallest
    sha256(f"{seed}:{prompt_id}") are held out. It depends only on the ids, not on the row order, and a prompt keeps
    its side as the collection grows, mostly (iterative refresh keeps evaluating on unseen prompts)."""
    prompt_ids = sorted({s.prompt_id for s in samples}, key=lambda pid: _prompt_rank(seed, pid))
    n_eval = max(1, round(eval_fraction * len(prompt_ids)))
    if n_eval >= len(prompt_ids):
        raise DataError(
            f"cannot hold out {n_eval} of {len(prompt_ids)} prompts and still train: collect more prompts or "
            "lower `eval_fraction`"
        )
    held_out = set(prompt_ids[:n_eval])
    return [s for s in samples if s.prompt_id not in held_out], [s for s in samples if s.prompt_id in held_out]


def mixed_prompts(samples: Iterable[LabelledSample], label: Label = "passed") -> int:
    """How many prompts hold both a passing and a failing sample."""
    classes: dict[str, set] = defaultdict(set)
    for s in samples:
        classes[s.prompt_id].add(s.label(label))
    return sum(1 for seen in classes.values() if {True, False} <= seen)


@dataclass(frozen=True)
class PairRule:
    """Which (chosen, rejected) pairs a prompt contributes; see `build_pairs`."""

    chosen_min_pass: float = 0.8
    min_gap: float = 0.4
    drop_zero_pass_rejected: bool = True
    max_pairs_per_prompt: int | None = 8
    margin_scale: float = 0.0

    def admits(self, chosen: LabelledSample, rejected: LabelledSample, label: Label) -> bool:
        s_c, s_r = chosen.fraction(label), rejected.fraction(label)
        if not (chosen.label(label) and rejected.label(label) is False):
            return False  # pass over fail only
        if not (s_c > self.chosen_min_pass and s_c > s_r + self.min_gap):
            return False
        # AceCoder drops s_j = 0: a rejected sample failing every test is usually a syntax or packaging error. Math
        # fractions are 0/1 by construction, so there the rule would drop every pair: it applies to code only.
        return not (self.drop_zero_pass_rejected and rejected.task != "math" and s_r <= 0.0)


@dataclass(frozen=True)
class Pair:
    prompt_id: str
    chosen: LabelledSample
    rejected: LabelledSample
    margin: float


def build_pairs(
    samples: Iterable[LabelledSample], rule: PairRule, label: Label = "passed", seed: int = 0
) -> list[Pair]:
    """Pairs within each prompt (never across prompts) that `rule` admits, at most `max_pairs_per_prompt` per prompt
    (a seeded random subset, so prompts with many samples do not dominate), with margin = margin_scale * (s_c - s_r).

    The rule (RECIPE §5.1 step 4, after AceCoder's 1[s_i > s_j + 0.4, s_i > 0.8, s_j > 0]): the chosen sample passes
    and the rejected one fails (by `label`), s_c > chosen_min_pass, s_c > s_r + min_gap, and with
    drop_zero_pass_rejected s_r > 0 (code only); s is the pass fraction behind `label`.
    """
    groups: dict[str, list[LabelledSample]] = defaultdict(list)
    for s in samples:
        groups[s.prompt_id].append(s)
    pairs = []
    for prompt_id in sorted(groups):
        group = sorted(groups[prompt_id], key=lambda s: s.sample_index)
        candidates = [(c, r) for c in group for r in group if rule.admits(c, r, label)]
        cap = rule.max_pairs_per_prompt
        if cap and len(candidates) > cap:
            candidates = random.Random(_prompt_rank(seed, prompt_id)).sample(candidates, cap)
        for c, r in candidates:
            margin = rule.margin_scale * (c.fraction(label) - r.fraction(label))
            pairs.append(Pair(prompt_id, c, r, margin))
    return pairs
