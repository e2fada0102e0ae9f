"""Format shaping rewards (not part of the DeepSeek recipe; off unless a recipe lists them)."""

from __future__ import annotations

import re

_BOXED = re.compile(r"\\(?:boxed|fbox)\s*\{")


def boxed_format(completion: str) -> float:
    """1.0 when the completion gives a final answer in `\\boxed{...}` with balanced braces, else 0.0."""
    starts = [m.end() for m in _BOXED.finditer(completion)]
    if not starts:
        return 0.0
    depth = 1
    for ch in completion[starts[-1] :]:
        depth += {"{": 1, "}": -1}.get(ch, 0)
        if depth == 0:
            return 1.0
    return 0.0


def boxed_format_batch(completions: list[str]) -> list[float]:
    return [boxed_format(c) for c in completions]
