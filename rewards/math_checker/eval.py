"""Evaluation of the tuple AST from `math_checker.parse`: exact rationals first, then 40-digit complex numerics.

Both evaluators are bounded by static guards instead of a timer: integer powers, factorials, binomials and
literal sizes are capped, so the worst case of a call is microseconds-to-milliseconds whatever the input.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping
from fractions import Fraction

import mpmath

from rewards.math_checker.normalize import PathologicalInput

__all__ = [
    "NotExact",
    "NotScalar",
    "to_mpf",
    "decimal_places",
    "evaluate_exact",
    "evaluate_numeric",
    "free_symbols",
    "NUMERIC",
    "REAL_ONLY",
]

# One private context with fixed precision: mpmath's global `mp` is process-wide mutable state, so a shared,
# never-modified context keeps concurrent calls from worker threads independent.
NUMERIC = mpmath.MPContext()
NUMERIC.dps = 40

MAX_EXACT_BITS = 20_000  # ~6000 decimal digits; beyond that an exact answer is not what anyone wrote
MAX_EXPONENT = 1e15  # |b| in a**b above this is a power tower; mpmath would allocate exponent-sized integers
MAX_FACTORIAL = 2_000
REAL_ONLY = "\u211d"  # env key (no symbol has this name): evaluate over the reals only, see `_real_checked`


def to_mpf(value: Fraction) -> object:
    """Fraction -> 40-digit mpf (mpmath does not accept Fraction directly)."""
    return NUMERIC.mpf(value.numerator) / value.denominator


class NotScalar(TypeError):
    """A tuple, set, interval or matrix where a number was expected: a definite mismatch, not a numeric failure."""


class NotExact(ValueError):
    """The node has no exact rational value (irrational, symbolic, or outside the exact guards)."""


def evaluate_exact(node: tuple) -> Fraction:
    """Exact rational value of a symbol-free node, or `NotExact`."""
    kind = node[0]
    if kind == "num":
        return node[1]
    if kind == "neg":
        return -evaluate_exact(node[1])
    if kind == "add":
        return sum((evaluate_exact(n) for n in node[1]), Fraction(0))
    if kind == "mul":
        result = Fraction(1)
        for factor in node[1]:
            result *= evaluate_exact(factor)
        return result
    if kind == "div":
        den = evaluate_exact(node[2])
        if den == 0:
            raise NotExact("division by zero")
        return evaluate_exact(node[1]) / den
    if kind == "pct":
        return evaluate_exact(node[1]) / 100
    if kind == "base":
        return Fraction(_base_value(node[1], node[2]))
    if kind == "pow":
        return _exact_power(evaluate_exact(node[1]), evaluate_exact(node[2]))
    if kind == "fact":
        return Fraction(math.factorial(_small_natural(evaluate_exact(node[1]), MAX_FACTORIAL)))
    if kind == "fn":
        return _exact_function(node[1], [evaluate_exact(a) for a in node[2]])
    raise NotExact(kind)


def _base_value(digits: str, base: int) -> int:
    try:
        return int(digits, base)
    except ValueError as err:
        raise NotExact(f"{digits!r} is not a base-{base} numeral") from err


def _small_natural(value: Fraction, limit: int) -> int:
    if value.denominator != 1 or value < 0:
        raise NotExact("not a natural number")
    if value > limit:
        raise PathologicalInput(f"{value} exceeds the limit {limit} for exact evaluation")
    return int(value)


def _exact_power(base: Fraction, exponent: Fraction) -> Fraction:
    if exponent.denominator != 1:
        return _exact_root(base, exponent)
    if base in (0, 1, -1):
        if base == 0 and exponent < 0:
            raise NotExact("zero to a negative power")
        return base ** int(exponent)
    bits = max(abs(base.numerator), base.denominator).bit_length() * abs(exponent)
    if bits > MAX_EXACT_BITS:
        raise NotExact("power too large for exact arithmetic")
    return base ** int(exponent)


def _exact_root(base: Fraction, exponent: Fraction) -> Fraction:
    """Perfect roots only (8^(1/3) = 2); anything else is irrational and goes to the numeric path."""
    q = exponent.denominator
    if base < 0 or q > 12 or max(base.numerator, base.denominator).bit_length() > 2000:
        raise NotExact("no exact root")
    num, den = _int_root(base.numerator, q), _int_root(base.denominator, q)
    return _exact_power(Fraction(num, den), Fraction(exponent.numerator))


def _int_root(value: int, q: int) -> int:
    guess = round(value ** (1.0 / q)) if value.bit_length() < 1000 else math.isqrt(value) if q == 2 else -1
    for candidate in (guess - 1, guess, guess + 1):
        if candidate >= 0 and candidate**q == value:
            return candidate
    raise NotExact("not a perfect power")


def _exact_function(name: str, args: list[Fraction]) -> Fraction:
    if name == "sqrt" and len(args) == 1:
        return _exact_root(args[0], Fraction(1, 2))
    if name == "abs" and len(args) == 1:
        return abs(args[0])
    if name in ("gcd", "lcm") and args and all(a.denominator == 1 for a in args):
        func = math.gcd if name == "gcd" else math.lcm
        return Fraction(func(*(int(a) for a in args)))
    if name in ("max", "min") and args:
        return max(args) if name == "max" else min(args)
    if name in ("floor", "ceil") and len(args) == 1:
        return Fraction(math.floor(args[0]) if name == "floor" else math.ceil(args[0]))
    if name == "binom" and len(args) == 2:
        n, k = _small_natural(args[0], 100_000), _small_natural(args[1], 100_000)
        return Fraction(math.comb(n, k)) if min(k, n - k) <= 2_000 or n < 2_000 else _raise_big()
    raise NotExact(name)


def _raise_big() -> Fraction:
    raise NotExact("binomial too large")


def decimal_places(node: tuple) -> int | None:
    """Largest number of decimals among decimal literals in the node (None when it has none)."""
    if node[0] == "num":
        return node[2]
    places = [decimal_places(child) for child in child_nodes(node)]
    places = [p for p in places if p is not None]
    return max(places) if places else None


def child_nodes(node: tuple) -> list[tuple]:
    out = []
    for part in node[1:]:
        if isinstance(part, tuple) and part and isinstance(part[0], str):
            out.append(part)
        elif isinstance(part, tuple):
            out.extend(p for p in part if isinstance(p, tuple) and p and isinstance(p[0], str))
    return out


def free_symbols(node: tuple) -> frozenset[str]:
    """Names of free variables (and of unknown functions, prefixed `call:`) in the node."""
    if node[0] == "sym":
        return frozenset([node[1]])
    found = frozenset(["call:" + node[1]]) if node[0] == "call" else frozenset()
    for child in child_nodes(node):
        found |= free_symbols(child)
    return found


_CONSTANTS = {"pi": NUMERIC.pi, "e": NUMERIC.e, "i": NUMERIC.mpc(0, 1)}
_UNARY = {
    "sin": NUMERIC.sin, "cos": NUMERIC.cos, "tan": NUMERIC.tan, "sec": NUMERIC.sec, "csc": NUMERIC.csc,
    "cot": NUMERIC.cot, "arcsin": NUMERIC.asin, "arccos": NUMERIC.acos, "arctan": NUMERIC.atan,
    "asin": NUMERIC.asin, "acos": NUMERIC.acos, "atan": NUMERIC.atan, "sinh": NUMERIC.sinh,
    "cosh": NUMERIC.cosh, "tanh": NUMERIC.tanh, "ln": NUMERIC.ln, "log": NUMERIC.ln, "exp": NUMERIC.exp,
    "sqrt": NUMERIC.sqrt, "abs": abs, "floor": NUMERIC.floor, "ceil": NUMERIC.ceil,
}  # fmt: skip


def evaluate_numeric(node: tuple, env: Mapping[str, object]) -> object:
    """40-digit complex value of the node with free symbols bound by `env`; raises ValueError/ZeroDivisionError."""
    kind = node[0]
    if kind == "num":
        return to_mpf(node[1])
    if kind == "base":
        try:
            return to_mpf(evaluate_exact(node))
        except NotExact as err:
            raise NotScalar(str(err)) from err  # 205_5 is no numeral at all
    if kind in ("sym", "const"):
        return _numeric_leaf(node, env)
    if kind == "pct":
        return evaluate_numeric(node[1], env) / 100
    if kind == "fact":
        return _numeric_factorial(evaluate_numeric(node[1], env))
    if kind == "neg":
        return -evaluate_numeric(node[1], env)
    if kind == "add":
        return NUMERIC.fsum(evaluate_numeric(n, env) for n in node[1])
    if kind == "mul":
        return NUMERIC.fprod(evaluate_numeric(n, env) for n in node[1])
    if kind == "div":
        return evaluate_numeric(node[1], env) / evaluate_numeric(node[2], env)
    if kind == "pow":
        base, exponent = evaluate_numeric(node[1], env), evaluate_numeric(node[2], env)
        return _real_checked(_numeric_power(base, exponent), (base, exponent), env)
    if kind == "fn":
        args = [evaluate_numeric(a, env) for a in node[2]]
        return _real_checked(_numeric_function(node[1], args), args, env)
    if kind == "call":
        return _pseudo_random_function(node[1], [evaluate_numeric(a, env) for a in node[2]])
    raise NotScalar(f"{kind} has no scalar value")


def _real_checked(value: object, inputs: object, env: Mapping[str, object]) -> object:
    """In a real-only evaluation (`REAL_ONLY` in env), a power or function that maps real inputs to a non-real
    value (sqrt(-1), ln(-2)) is undefined there: the point is skipped rather than compared."""
    if REAL_ONLY in env and NUMERIC.im(value) != 0 and all(NUMERIC.im(x) == 0 for x in inputs):
        raise ValueError("not real-valued at this point")
    return value


def _numeric_leaf(node: tuple, env: Mapping[str, object]) -> object:
    if node[0] == "sym":
        if node[1] not in env:
            raise ValueError(f"unbound symbol {node[1]}")
        return env[node[1]]
    if node[1] == "oo":
        raise ValueError("infinity has no numeric value")
    return _CONSTANTS[node[1]]


def _numeric_power(base: object, exponent: object) -> object:
    if abs(exponent) > MAX_EXPONENT and abs(base) not in (0, 1):
        raise PathologicalInput("power tower: exponent above 1e15")
    if base == 0 and NUMERIC.re(exponent) <= 0:
        raise ZeroDivisionError("0 to a non-positive power")
    if NUMERIC.im(exponent) == 0 and NUMERIC.im(base) == 0 and NUMERIC.re(base) < 0:
        ratio = NUMERIC.re(exponent)
        if ratio == NUMERIC.nint(ratio):
            return NUMERIC.power(base, int(NUMERIC.nint(ratio)))
        # Real roots of negatives for odd denominators: (-8)^(2/3) = 4 and (-8)^(1/3) = -2, as a student means
        # \sqrt[3]{-8}; the principal complex branch would make x^{2/3} differ from \sqrt[3]{x}^2 for x < 0.
        rational = Fraction(float(ratio)).limit_denominator(1000)
        if rational.denominator % 2 and abs(ratio - to_mpf(rational)) < NUMERIC.mpf(10) ** -30:
            magnitude = NUMERIC.power(-NUMERIC.re(base), ratio)
            return -magnitude if rational.numerator % 2 else magnitude
    return NUMERIC.power(base, exponent)


def _numeric_factorial(value: object) -> object:
    if abs(value) > MAX_FACTORIAL * 1000:
        raise PathologicalInput("factorial argument too large")
    return NUMERIC.gamma(value + 1)


def _numeric_function(name: str, args: list) -> object:
    if name in _UNARY and len(args) == 1:
        return _UNARY[name](args[0])
    if name in ("max", "min") and args and all(NUMERIC.im(a) == 0 for a in args):
        return max(args) if name == "max" else min(args)
    if name == "binom" and len(args) == 2:
        return NUMERIC.binomial(args[0], args[1])
    if name in ("gcd", "lcm") and args:
        return to_mpf(_exact_function(name, [Fraction(int(NUMERIC.nint(NUMERIC.re(a)))) for a in args]))
    raise ValueError(f"function {name} with {len(args)} arguments")


def _pseudo_random_function(name: str, args: list) -> object:
    """A fixed smooth function per name, so f(x) = f(x) but f(x) != f(y) and f != g at random points."""
    digest = hashlib.sha256(name.encode()).digest()
    total = NUMERIC.mpf(digest[0] % 7 + 1) / 3
    for index, arg in enumerate(args):
        weight = NUMERIC.mpf(digest[index % 32] + 1) / 97
        total += NUMERIC.sin(weight * arg + index) + weight * arg
    return total
