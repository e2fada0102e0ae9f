"""How a `stdio` case's output is compared with the expected one (trusted side: the expected output never enters
the sandbox). Chosen per task with `tests.checker` (see sandbox/tasks.py).

* ``exact``: line by line, equal apart from trailing whitespace at line ends and trailing blank lines (what every
  judge forgives; also what this project did before checkers could be chosen).
* ``tokens``: the whitespace-separated tokens are equal as strings; line breaks and runs of blanks do not matter
  (Codeforces' default `wcmp` checker, CodeContests' token comparison).
* ``float`` (the default): tokens; where the expected token is a real literal (a point or an exponent) and the
  output's a number, |got - expected| <= max(abs_tol, rel_tol * |expected|) (testlib's `rcmp6`-style rule, 1e-6 by
  default); where the expected token is an integer literal, the output's must be numerically equal to it exactly
  ("5.0" is 5; a tolerance on integers would accept wrong answers: 1000000008 or 2000000007.5 for an answer near
  2e9 are within 1e-6 relative). Other tokens are compared as strings.

Why ``float`` by default: rows of APPS/TACO, CodeContests and LiveCodeBench often carry no checker at all. APPS'
and TACO's graders accept real-valued answers within `np.allclose` (rtol 1e-5), LiveCodeBench's accepts numerically
equal decimals ("2.50" for "2.5", "5.0" for "5"), contest judges use tolerance checkers for real answers and token
checkers otherwise. ``float`` accepts all of that (with the contest's tighter 1e-6), while its exact integer rule
keeps out APPS' false positives on large integers, and wrong strings fail as with ``tokens``.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Literal

Checker = Literal["exact", "tokens", "float"]
CHECKERS: tuple[str, ...] = ("exact", "tokens", "float")
DEFAULT_CHECKER: Checker = "float"
DEFAULT_TOLERANCE = 1e-6

_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_INTEGER = re.compile(r"[+-]?\d+")


def normalize_output(text: str) -> str:
    """Trailing whitespace of every line and of the whole output is not significant; everything else is."""
    return "\n".join(line.rstrip() for line in text.rstrip().splitlines())


def _show(text: str, limit: int = 60) -> str:
    return repr(text if len(text) <= limit else text[:limit] + "...")


def compare_exact(got: str, expected: str) -> str | None:
    """None when equal, else the first difference."""
    got_lines, want_lines = normalize_output(got).split("\n"), normalize_output(expected).split("\n")
    for i, (g, w) in enumerate(zip(got_lines, want_lines)):
        if g != w:
            return f"line {i + 1}: expected {_show(w)}, got {_show(g)}"
    if len(got_lines) != len(want_lines):
        return f"expected {len(want_lines)} lines, got {len(got_lines)}"
    return None


def _numbers_match(g: str, w: str, abs_tol: float, rel_tol: float) -> bool:
    if not (_NUMBER.fullmatch(g) and _NUMBER.fullmatch(w)):
        return False
    if _INTEGER.fullmatch(w):
        return Decimal(g) == int(w)  # exact, also for integers beyond a float's 53 bits
    got_value, want_value = float(g), float(w)
    return abs(got_value - want_value) <= max(abs_tol, rel_tol * abs(want_value))


def compare_tokens(got: str, expected: str, abs_tol: float | None = None, rel_tol: float | None = None) -> str | None:
    """Token comparison; with tolerances (the `float` checker) numbers compare within them. None when equal."""
    got_tokens, want_tokens = got.split(), expected.split()
    numeric = abs_tol is not None and rel_tol is not None
    for i, (g, w) in enumerate(zip(got_tokens, want_tokens)):
        if g != w and not (numeric and _numbers_match(g, w, abs_tol, rel_tol)):
            return f"token {i + 1}: expected {_show(w)}, got {_show(g)}"
    if len(got_tokens) != len(want_tokens):
        return f"expected {len(want_tokens)} tokens, got {len(got_tokens)}"
    return None


def compare(
    got: str,
    expected: str,
    checker: Checker = DEFAULT_CHECKER,
    abs_tol: float = DEFAULT_TOLERANCE,
    rel_tol: float = DEFAULT_TOLERANCE,
) -> str | None:
    """None when `got` is accepted for `expected` under `checker`, else a short reason."""
    if checker == "exact":
        return compare_exact(got, expected)
    if checker == "tokens":
        return compare_tokens(got, expected)
    if checker == "float":
        return compare_tokens(got, expected, abs_tol, rel_tol)
    raise ValueError(f"unknown checker {checker!r}; use one of {list(CHECKERS)}")
