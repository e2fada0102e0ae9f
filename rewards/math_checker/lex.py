"""Tokens for the math answer parser: numbers, LaTeX commands, operators, words (see `math_checker.parse`)."""

from __future__ import annotations

import re
from fractions import Fraction

from rewards.math_checker.normalize import PathologicalInput

__all__ = ["KNOWN_FUNCTIONS", "GREEK", "RELOPS", "ParseError", "tokenize", "number_node"]

MAX_NUMBER_DIGITS = 400  # a 10^5-digit literal would make exact arithmetic slow

KNOWN_FUNCTIONS = frozenset(
    [
        "sin",
        "cos",
        "tan",
        "sec",
        "csc",
        "cot",
        "arcsin",
        "arccos",
        "arctan",
        "sinh",
        "cosh",
        "tanh",
        "ln",
        "log",
        "exp",
        "sqrt",
        "floor",
        "ceil",
        "abs",
        "gcd",
        "lcm",
        "max",
        "min",
        "det",
        "arg",
    ]
)
GREEK = frozenset(
    [
        "alpha",
        "beta",
        "gamma",
        "delta",
        "epsilon",
        "varepsilon",
        "zeta",
        "eta",
        "theta",
        "vartheta",
        "iota",
        "kappa",
        "lambda",
        "mu",
        "nu",
        "xi",
        "rho",
        "sigma",
        "tau",
        "upsilon",
        "phi",
        "varphi",
        "chi",
        "psi",
        "omega",
        "Gamma",
        "Delta",
        "Theta",
        "Lambda",
        "Xi",
        "Sigma",
        "Phi",
        "Psi",
        "Omega",
    ]
)
RELOPS = {"=": "=", "<": "<", ">": ">", "\\le": "≤", "\\leq": "≤", "\\leqslant": "≤", "\\ge": "≥", "\\geq": "≥",
           "\\geqslant": "≥", "\\ne": "≠", "\\neq": "≠", "≤": "≤", "≥": "≥", "≠": "≠", "\\in": "in",
           "\\approx": "≈", "\\equiv": "=", "\\lt": "<", "\\gt": ">"}  # fmt: skip
_TWO_CHAR_OPS = {"<=": "≤", ">=": "≥", "!=": "≠", "==": "=", "=<": "≤", "=>": "≥"}
_TOKEN = re.compile(
    r"(?P<num>\d+(?:\.\d*)?(?:[eE][-+]?\d+(?![\d.]))?|\.\d+)"
    r"|(?P<cmd>\\[a-zA-Z]+|\\[{}|])"
    r"|(?P<op><=|>=|!=|==|=<|=>|[-+*/^_!=<>(),;:\[\]{}|%≤≥≠±∓∪⟦⟧∥⏎'])"
    r"|(?P<word>[A-Za-z]+)"
    r"|(?P<ws>\s+)"
    r"|(?P<other>.)"
)


class ParseError(ValueError):
    """The answer text is outside the grammar this checker understands."""


def tokenize(text: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    for m in _TOKEN.finditer(text):
        kind, value = m.lastgroup, m.group()
        if kind == "ws":
            continue
        if kind == "other":
            raise ParseError(f"unexpected character {value!r}")
        if kind == "num" and len(value) > MAX_NUMBER_DIGITS:
            raise PathologicalInput(f"number literal with {len(value)} digits")
        if kind == "op" and value in _TWO_CHAR_OPS:
            value = _TWO_CHAR_OPS[value]
        if kind == "word":
            tokens.extend(_split_word(value))
            continue
        tokens.append((kind, value))
    return tokens


def _split_word(word: str) -> list[tuple[str, str]]:
    """`sin` is a function, `pi`/`oo` constants, `xy` is x*y, longer unknown words are text."""
    if word in KNOWN_FUNCTIONS:
        return [("cmd", "\\" + word)]
    if word in ("pi", "oo", "inf", "infinity", "infty"):
        return [("cmd", "\\pi" if word == "pi" else "\\infty")]
    if len(word) <= 2:
        return [("word", ch) for ch in word]
    return [("text", word)]


def number_node(text: str) -> tuple:
    value = Fraction(text)
    mantissa, _, exponent = text.lower().partition("e")
    places = len(mantissa.partition(".")[2]) if "." in mantissa else None
    if exponent:
        places = max(0, (places or 0) - int(exponent)) if places is not None or int(exponent) < 0 else None
    if places == 0 and "." not in mantissa:
        places = None
    return ("num", value, places)
