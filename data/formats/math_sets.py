"""Adapters for math data sets: GSM8K (`#### N`), MATH (`\\boxed{}` in the solution), plain question/answer rows,
PrimeIntellect's math rows (in `contests.py`, they share its column) and the project's own data/math*/ sets.

The gold (`answer`) is the bare final answer as a string; the math reward compares it with the model's answer.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from data.formats.base import canonical_row, row_id, text_field
from data.loading import DataError

_BOX = re.compile(r"\\(?:boxed|fbox)\b")
_THOUSANDS = re.compile(r"^-?\d{1,3}(?:,\d{3})+(?:\.\d+)?$")


def _braced(text: str, start: int) -> str | None:
    """The content of the brace group opening at `text[start]`; escaped braces (`\\{`) do not count."""
    depth, i = 0, start
    while i < len(text):
        char = text[i]
        if char == "\\":
            i += 2
            continue
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0:
                return text[start + 1 : i]
        i += 1
    return None


def last_boxed(text: str) -> str | None:
    """The content of the last `\\boxed{...}` (or `\\fbox{...}`, or `\\boxed 5`) in `text`, braces matched; None if
    there is none or it is never closed. MATH's gold answer is the last boxed expression of its solution."""
    for match in reversed(list(_BOX.finditer(text))):
        rest = match.end()
        while rest < len(text) and text[rest] == " ":
            rest += 1
        if rest < len(text) and text[rest] == "{":
            content = _braced(text, rest)
            if content is not None:
                return content.strip()
        elif rest > match.end():
            bare = re.match(r"[^\s$]+", text[rest:])
            if bare:
                return bare.group(0)
    return None


def gsm8k_gold(answer: str) -> tuple[str, bool]:
    """(gold, worked): the text after GSM8K's final `####` with thousands separators dropped ("1,600" -> "1600"),
    or the whole stripped answer when there is no `####` (a bare gold, as `data.loading.gold_answer` treats it)."""
    if "####" not in answer:
        return answer.strip(), False
    gold = answer.rsplit("####", 1)[1].strip()
    return (gold.replace(",", "") if _THOUSANDS.match(gold) else gold), True


def adapt_answer(row: Mapping, fmt: str, index: int | None) -> dict[str, Any]:
    """GSM8K (`question`, `answer` = worked solution ending in `#### N`) and plain rows (`question` or `problem`,
    plus a bare `answer`). A GSM8K worked answer is kept as the reference `solution`."""
    prompt_col = "question" if row.get("question") is not None else "problem"
    raw = row.get("answer")
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        raw = str(raw)
    if not isinstance(raw, str) or not raw.strip():
        raise DataError(f"column 'answer' must be a non-empty string or number, got {raw!r:.60}")
    gold, worked = gsm8k_gold(raw)
    if not gold:
        raise DataError(f"column 'answer' has nothing after '####': {raw[-60:]!r}")
    return canonical_row(
        id=row_id(row, fmt, index, ("id", "unique_id")),
        source=fmt,
        task="math",
        prompt=text_field(row, prompt_col),
        answer=gold,
        solution=raw if worked else text_field(row, "solution", required=False),
        meta={k: row.get(k) for k in ("level", "type", "subject")},
    )


def adapt_math(row: Mapping, fmt: str, index: int | None) -> dict[str, Any]:
    """MATH (`problem`, `solution`, `level`, `type`) and MATH-500-style rows that also carry `answer`,
    `subject`, `unique_id`: the gold is `answer` when present, else the solution's last boxed expression."""
    solution = text_field(row, "solution")
    gold = row.get("answer")
    gold = str(gold).strip() if gold not in (None, "") else last_boxed(solution)
    if not gold:
        raise DataError(f"column 'solution' has no \\boxed{{...}} answer and there is no 'answer': {solution[-80:]!r}")
    return canonical_row(
        id=row_id(row, fmt, index, ("unique_id", "id")),
        source=fmt,
        task="math",
        prompt=text_field(row, "problem"),
        answer=gold,
        solution=solution,
        meta={k: row.get(k) for k in ("level", "type", "subject", "unique_id")},
    )


def adapt_project_math(row: Mapping, fmt: str, index: int | None) -> dict[str, Any]:
    """The project's generated sets (data/math/, data/math_small/): `id`, `task`, `kind`, `question`, `answer`,
    `solution`."""
    answer = text_field(row, "answer").strip()
    return canonical_row(
        id=str(row["id"]),
        source=fmt,
        task="math",
        prompt=text_field(row, "question"),
        answer=answer,
        solution=text_field(row, "solution", required=False),
        meta={"kind": row.get("kind")},
    )
