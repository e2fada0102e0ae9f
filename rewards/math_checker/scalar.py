"""Scalar comparison for `math_checker.equiv`: exact rationals, decimal tolerances, 40-digit probing at random points.

The tolerance policy is stated in `math_checker.equiv`'s docstring; the constants below carry it.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from fractions import Fraction

from rewards.math_checker.eval import (
    NUMERIC,
    REAL_ONLY,
    NotExact,
    NotScalar,
    child_nodes,
    decimal_places,
    evaluate_exact,
    evaluate_numeric,
    free_symbols,
    to_mpf,
)
from rewards.math_checker.normalize import PathologicalInput

__all__ = ["INF", "NEG_INF", "Inconclusive", "infinity_sign", "probe_envs", "proportional", "value_equal"]

_PROBE_POINTS = 3
_SIGN_SENSITIVE = frozenset(["abs", "floor", "ceil", "max", "min"])
_SYMBOLIC_REL_TOL = NUMERIC.mpf(10) ** -25  # 40-digit arithmetic: equal values agree to ~38 digits
_NOISE_FLOOR = NUMERIC.mpf(10) ** -32
_GOLD_DECIMAL_REL_TOL = NUMERIC.mpf("5e-3")
_PRED_DECIMAL_REL_TOL = NUMERIC.mpf("1e-4")  # Qwen2.5-Math `math_equal`: isclose(rel_tol=1e-4)
INF = ("const", "oo")
NEG_INF = ("neg", INF)


class Inconclusive(ValueError):
    """The fast path could not decide (e.g. no probe point could be evaluated) and no fallback was given."""


def proportional(gold: tuple, pred: tuple, sign: int) -> bool:
    """True when gold = c * pred for a constant c != 0 (c > 0 when sign == 1), checked at probe points."""
    symbols = sorted(free_symbols(gold) | free_symbols(pred))
    ratio = None
    for env in probe_envs(symbols):
        try:
            g, p = evaluate_numeric(gold, env), evaluate_numeric(pred, env)
        except PathologicalInput:
            raise
        except (ValueError, ZeroDivisionError, TypeError):
            continue
        if _near_zero(g) and _near_zero(p):
            continue
        if _near_zero(g) or _near_zero(p):
            return False
        current = g / p
        if ratio is None:
            ratio = current
        elif abs(current - ratio) > _SYMBOLIC_REL_TOL * max(1, abs(ratio)) * 1e10:
            return False
    if ratio is None:
        return _probe_all_zero(gold, pred, symbols)
    return sign == 0 or (NUMERIC.im(ratio) == 0 and NUMERIC.re(ratio) > 0)


def _probe_all_zero(gold: tuple, pred: tuple, symbols: list[str]) -> bool:
    """Both sides vanished at every point (identities such as x = x): equal only if they are the same."""
    return gold == pred


def _near_zero(value: object) -> bool:
    return abs(value) < NUMERIC.mpf(10) ** -30


def infinity_sign(node: tuple) -> int:
    if node == INF:
        return 1
    if node == NEG_INF:
        return -1
    return 0


def value_equal(gold: tuple, pred: tuple, fallback: Callable[[tuple, tuple], bool] | None = None) -> bool:
    """Scalar equality under the tolerance policy; `fallback` (sympy) decides when no probe point evaluates."""
    if infinity_sign(gold) or infinity_sign(pred):
        return infinity_sign(gold) == infinity_sign(pred)
    places = (decimal_places(gold), decimal_places(pred))
    symbols = sorted(free_symbols(gold) | free_symbols(pred))
    if not symbols:
        exact = _exact_verdict(gold, pred, *places)
        if exact is not None:
            return exact
    verdict = _probe_verdict(gold, pred, symbols, places)
    if verdict is None:
        if fallback is None:
            raise Inconclusive("no probe point could be evaluated")
        return fallback(gold, pred)
    return verdict


def _probe_verdict(gold: tuple, pred: tuple, symbols: list[str], places: tuple) -> bool | None:
    """Compare at the probe points; None when no point could be evaluated at all."""
    decided = 0
    for env in probe_envs(symbols, _uses_sign(gold) or _uses_sign(pred)):
        try:
            g, p = evaluate_numeric(gold, env), evaluate_numeric(pred, env)
        except NotScalar:
            return False
        except PathologicalInput:
            raise
        except ZeroDivisionError:
            if not symbols:
                return False  # 10/0 is undefined: it equals no gold, and sympy cannot say more
            continue
        except (ValueError, TypeError, OverflowError):
            continue
        if not _close(g, p, places[0], places[1], False):
            return False
        decided += 1
    if decided and symbols and not _agree_at_negative_points(gold, pred, symbols, places):
        return False
    return True if decided else None


def _agree_at_negative_points(gold: tuple, pred: tuple, symbols: list[str], places: tuple) -> bool:
    """Positive probe points cannot tell sqrt(x^2) from x; signed points evaluated over the reals can.

    A point where either side leaves the reals (sqrt of a negative, log of a negative) is skipped, so identities
    that hold only for positive variables, sqrt(x)sqrt(y) = sqrt(xy) or ln(x^2) = 2 ln x, still hold.
    """
    for env in probe_envs(symbols, signed=True)[_PROBE_POINTS:]:
        env[REAL_ONLY] = True
        try:
            g, p = evaluate_numeric(gold, env), evaluate_numeric(pred, env)
        except PathologicalInput:
            raise
        except (ValueError, TypeError, OverflowError, ZeroDivisionError, NotScalar):
            continue
        if NUMERIC.im(g) == 0 and NUMERIC.im(p) == 0 and not _close(g, p, places[0], places[1], False):
            return False
    return True


def _exact_verdict(gold: tuple, pred: tuple, gold_places: int | None, pred_places: int | None) -> bool | None:
    """Verdict from exact rational values, or None when either side is irrational."""
    try:
        exact_gold, exact_pred = evaluate_exact(gold), evaluate_exact(pred)
    except NotExact:
        return None
    if exact_gold == exact_pred:
        return True
    if gold_places is None and pred_places is None:
        return False  # two exact rationals that differ, however little (1/2^99 is not 1/2^98)
    gold_int = exact_gold.denominator == 1 and gold_places is None
    return _close(to_mpf(exact_gold), to_mpf(exact_pred), gold_places, pred_places, gold_int)


def _close(gold: object, pred: object, gold_places: int | None, pred_places: int | None, gold_int: bool) -> bool:
    diff, magnitude = abs(gold - pred), abs(gold)
    if diff == 0:
        return True
    if gold_places is not None:
        if pred_places is not None and pred_places < gold_places:
            return False
        if pred_places is not None and gold_places < 2:
            return False  # a gold like 2.5 is exact far more often than rounded: 2.51 is another number
        half_unit = NUMERIC.mpf(10) ** -gold_places / 2
        return diff <= half_unit * (1 + NUMERIC.mpf("1e-12")) and diff <= _GOLD_DECIMAL_REL_TOL * magnitude
    if pred_places is not None:
        if gold_int:
            return False
        return diff < NUMERIC.mpf(10) ** -pred_places and diff <= _PRED_DECIMAL_REL_TOL * magnitude * (1 + 1e-9)
    # Relative to the larger side, so that tiny values (1/2^99 vs 1/2^98) are told apart; the absolute floor
    # absorbs the rounding noise of 40-digit arithmetic on values that are exactly 0 (sin(pi)).
    return diff <= _SYMBOLIC_REL_TOL * max(magnitude, abs(pred)) + _NOISE_FLOOR


def probe_envs(symbols: list[str], signed: bool = False) -> list[dict[str, object]]:
    """Deterministic pseudo-random points in [0.3, 2.7]: positive, away from 0 and 1, distinct per symbol.

    Positive points keep sqrt/log identities of competition answers (sqrt(x)sqrt(y) = sqrt(xy)) equal; with
    `signed`, three points in [-2.7, 2.7] are added (the first negative in every variable) so that |x| and x,
    floor(x) and x, or sqrt(x^2) and x are told apart.
    """
    names = [s for s in symbols if not s.startswith("call:")]
    if not names:
        return [{}]
    rng = random.Random(",".join(names))
    points = [
        {name: to_mpf(Fraction(rng.randint(300, 2700), 1000)) + NUMERIC.mpf(rng.random()) / 7919 for name in names}
        for _ in range(_PROBE_POINTS)
    ]
    if signed:
        points += [
            {
                name: to_mpf(Fraction((-1 if k == 0 else rng.choice((-1, 1))) * rng.randint(300, 2700), 1000))
                for name in names
            }
            for k in range(_PROBE_POINTS)
        ]  # the first signed point is negative in every variable
    return points


def _uses_sign(node: tuple) -> bool:
    """Whether the node applies a function whose value depends on the sign or integer part of its argument."""
    if node[0] == "fn" and node[1] in _SIGN_SENSITIVE:
        return True
    return any(_uses_sign(child) for child in child_nodes(node))
