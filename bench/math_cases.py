"""The labelled gold/prediction table shared by the math checker's tests and `python -m bench.bench_math`.

Three parts:
- `BARE_CASES`: hand-written (gold, answer, expected) rows, one notation or equivalence rule each, with a comment.
- `completion_cases()`: a subset of those answers wrapped in completions written in the styles models produce
  (chain of thought ending in `\\boxed{}`, "Final Answer: The final answer is $...$. I hope it is correct.",
  `<think>` blocks, GSM8K `#### 42`, `<answer>` tags). Hand-written, so `real_completion` is False.
- `bench/math_cases_published.jsonl`: gold/prediction pairs transcribed from public grader test suites (see each
  row's `origin`); rows whose prediction is a real model output have `real_completion: true`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from bench.math_cases_bare import BARE_CASES
from bench.math_cases_styled import STYLED_COMPLETIONS

__all__ = ["MathCase", "BARE_CASES", "STYLED_COMPLETIONS", "completion_cases", "load_cases", "styled_completion_cases"]

PUBLISHED_PATH = Path(__file__).with_name("math_cases_published.jsonl")


@dataclass(frozen=True)
class MathCase:
    gold: str
    prediction: str
    expected: bool
    category: str
    real_completion: bool = False
    origin: str = "handwritten"
    note: str = ""


def _cot(answer: str) -> str:
    return (
        "Let's work through the problem step by step.\n\nFirst, we set up the relation given in the statement "
        "and simplify both sides. Substituting the known values, $2 + 3 = 5$ and $5 \\cdot 2 = 10$, so the "
        f"intermediate quantity is $10$.\n\nCombining the pieces, we obtain the final result:\n\n\\[\n\\boxed{{{answer}}}\n\\]"
    )


def _minerva(answer: str) -> str:
    return (
        "We have that $3x + 2 = 11$, so $x = 3$. Substituting back gives the value asked for.\n"
        f"Final Answer: The final answer is ${answer}$. I hope it is correct."
    )


def _think(answer: str) -> str:
    return (
        "<think>\nOkay, so I need to find the value. Hmm, maybe the answer is \\boxed{0}? Wait, no, I made an "
        "arithmetic mistake: 12 - 5 = 7, not 6. Let me redo it... yes, that works.\n</think>\n\n"
        f"The computation gives **{answer}**.\n\nThe answer is $\\boxed{{{answer}}}$."
    )


def _gsm8k(answer: str) -> str:
    return f"Natalia sold 48/2 = <<48/2=24>>24 clips in May.\nAltogether she sold 48+24 = <<48+24=72>>72 clips.\n#### {answer}"


def _tagged(answer: str) -> str:
    return f"<reasoning>\nThe two cases give 4 and 9 and only the second fits.\n</reasoning>\n<answer>\n{answer}\n</answer>"


def _phrase(answer: str) -> str:
    return f"Therefore, after checking both cases (7 and 9), the answer is {answer}."


_STYLES = {"cot_boxed": _cot, "minerva": _minerva, "think": _think, "tagged": _tagged, "phrase": _phrase}
_GSM8K_ROWS = [
    ("72", "72", True),
    ("72", "27", False),
    ("1000", "1,000", True),
    ("18", "$18", True),
    ("5", "5.0", True),
]


def completion_cases() -> list[MathCase]:
    """Every fourth bare case and all categories, wrapped in one of the completion styles in rotation."""
    out = []
    styles = list(_STYLES.items())
    for index, (category, gold, answer, expected) in enumerate(BARE_CASES[::2]):
        style_name, style = styles[index % len(styles)]
        if style_name == "phrase" and (" " in answer or "\\" in answer):
            style_name, style = "cot_boxed", _cot
        out.append(MathCase(gold, style(answer), expected, f"{category}/{style_name}"))
    out.extend(MathCase(g, _gsm8k(a), e, "gsm8k/hash") for g, a, e in _GSM8K_ROWS)
    return out


def guard_cases() -> list[MathCase]:
    """Pathological predictions a policy can emit (power towers, huge factorials and literals, degenerate text)."""
    rows = [
        ("1", "\\boxed{10^{10^{10^{10}}}}"),
        ("7", "\\boxed{9^{9^{9^{9^{9}}}}}"),
        ("7", "The answer is $(10^{100})!$"),
        ("7", "\\boxed{100000!}"),
        ("7", "\\boxed{" + "9" * 100_000 + "}"),
        ("7", "(" * 20_000),
        ("7", "\\boxed{" * 5_000),
        ("7", "\\frac{" * 3_000 + "1"),
        ("7", "1+" * 10_000 + "1"),
        ("7", "The answer is $x^{x^{x^{x^{x^{x}}}}}$"),
        ("7", "\\boxed{\\sqrt{" * 400 + "2" + "}" * 800),
        ("7", "__import__('os').system('echo pwned')"),
    ]
    return [MathCase(gold, pred, False, "guard") for gold, pred in rows]


def load_cases() -> list[MathCase]:
    """The whole labelled table: bare rows, completion-style rows and transcribed published rows."""
    cases = [MathCase(gold, pred, expected, category) for category, gold, pred, expected in BARE_CASES]
    cases.extend(completion_cases())
    cases.extend(styled_completion_cases())
    cases.extend(guard_cases())
    with PUBLISHED_PATH.open(encoding="utf-8") as handle:
        for line in handle:
            row = json.loads(line)
            cases.append(
                MathCase(
                    row["gold"], row["prediction"], row["expected"], row["category"], row["real_completion"],
                    row["origin"], row.get("note", ""),
                )
            )  # fmt: skip
    return cases


def styled_completion_cases() -> list[MathCase]:
    return [
        MathCase(gold, completion, expected, category) for category, gold, completion, expected in STYLED_COMPLETIONS
    ]
