"""Mathematical equivalence of two parsed answers (gold first: the comparison is deliberately asymmetric).

Policy, in the order it is applied (documented in `rewards/math_rewards.py` too):
- Integers and exact rationals are compared exactly (`0.0000001 != 0.0000002`, `1000.0 == 1000`).
- A gold written with d decimals accepts a prediction that rounds to it at d decimals, is at least as precise,
  and is within 5e-3 relative (16386.17 accepts 16386.166, 0.196 accepts 0.19600837, 1.41 accepts sqrt(2); 0.33
  rejects 1/3, 0.3 rejects 2/7). With one decimal (2.5) the gold is taken as exact for decimal predictions: 2.51
  is rejected, since such golds are exact far more often than rounded.
- An exact non-integer gold accepts a decimal prediction whose shown digits are right (|p - g| < 10^-k for k
  decimals) and whose relative error is at most 1e-4, the tolerance of Qwen2.5-Math's `math_equal` grader
  (1/3 accepts 0.3333 and 0.33333, rejects 0.333). An integer gold needs an exactly equal prediction.
- Irrational and symbolic values are compared at 40 significant digits (relative 1e-25 of the larger side, so
  1/2^99 != 1/2^98) at three pseudo-random points of their free variables: an equal value is found equal, a
  different one is not, in microseconds.
- Unevaluated arithmetic in the prediction counts by its value (`\\boxed{3+4}` equals 7): a GRPO reward that
  rejected it would teach formatting, not maths, and graders such as Math-Verify accept it too.
- `x = 3` matches `3`; chained `x = 5+6 = 11` keeps its last value, and so does a derivation that holds for
  every value of its variables (`x(x+1) - x = x^2` answers `x^2`); equations match when `lhs - rhs` are
  proportional (`y = 2x + 1` vs `2x + 1 = y`); inequalities when the ratio is positive with the same direction.
- Intervals keep their brackets; unions and sets are unordered; tuples, points and ratios ordered. A bare list
  is unordered when it is two values (`-2, 1`, the roots of a quadratic) or holds tuples, equations or symbolic
  elements (`(1, 2), (2, 1)`; `a = 4, -8, -10`), as "enter all the solutions, separated by commas" asks. A bare
  gold list of three or more plain numbers (`10, 4, -2`) is read as a sequence of values (a, b, c; terms; digits)
  and compared in order: accepting a permutation there would be a false positive, while rejecting a permuted
  solution set is the cheaper mistake (reference answers and models both tend to list solution sets sorted).
  A prediction written with set braces, and any list joined by "and"/"or" (`7, -2, and -5`), is a set.
- A degree sign is dropped (`90^\\circ` equals 90) except inside trigonometric functions (`\\sin 30^\\circ` is 1/2);
  an angle is never converted between degrees and radians (`\\pi/6` does not answer `30^\\circ`, nor `180^\\circ`
  answer `\\pi`): the question fixed the unit, and a grader that converted would also equal 180 and π.
- A European decimal comma (`2,74`, `0,111`) is read as a decimal as a second reading when it is the whole answer
  or the number a prose answer ends on; inside brackets `(1,5)` it stays a pair.
- `a ± b` is the set {a + b, a - b}. `%` accepts both the fraction and the bare number (`28%` vs `28`).
- Probe points are positive (competition answers assume positive variables: sqrt(x)sqrt(y) = sqrt(xy)); an
  equal pair must also agree at three signed points evaluated over the reals, where a point that takes a side
  out of the reals (sqrt(-1), ln(-2)) is skipped: sqrt(x^2) is not x, but ln(x^2) is still 2 ln x. With |.|,
  floor, ceil, max or min present, the signed points are compared outright, so |x| != x.
- `\\sum`, `\\prod` and `\\int` are compared unevaluated: equal bounds and bodies that agree in the index.
- `f(x) = ...` and `y = ...` name the same value; any other two different left sides do not (`x = 3`, `y = 3`).
- Only a scalar that no probe point can evaluate (arithmetic with infinity, say) goes to sympy, in the budgeted
  child process of `math_checker.sympy_worker`; on the benchmark table that never happens.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextvars import ContextVar

from rewards.math_checker.eval import (
    NUMERIC,
    NotExact,
    NotScalar,
    child_nodes,
    decimal_places,
    evaluate_exact,
    evaluate_numeric,
    free_symbols,
)
from rewards.math_checker.normalize import PathologicalInput
from rewards.math_checker.scalar import INF, NEG_INF, Inconclusive, probe_envs, proportional, value_equal

__all__ = ["DeadlineExceeded", "Inconclusive", "equivalent"]

_MAX_PM_EXPANSION = 3  # at most 2^3 sign combinations


class DeadlineExceeded(RuntimeError):
    """The comparison used up its CPU-time budget (checked between element comparisons, no signals)."""


SymbolicFallback = Callable[[tuple, tuple], bool]
_FALLBACK: ContextVar[SymbolicFallback | None] = ContextVar("math_symbolic_fallback", default=None)
_DEADLINE: ContextVar[float] = ContextVar("math_deadline", default=float("inf"))


def equivalent(
    gold: tuple, pred: tuple, fallback: SymbolicFallback | None = None, cpu_deadline: float = float("inf")
) -> bool:
    """True when the parsed prediction equals the parsed gold; `fallback` decides scalars numerics cannot.

    `cpu_deadline` (a `time.thread_time()` value) bounds the pure-Python comparison: two long symbolic lists are
    compared pairwise, and the check between comparisons raises `DeadlineExceeded` rather than running on. It is
    the calling thread's CPU time, not wall-clock, so a verdict does not depend on how many threads share the GIL.
    """
    tokens = (_FALLBACK.set(fallback), _DEADLINE.set(cpu_deadline))
    try:
        return _equiv(_prepare(gold), _prepare(pred))
    finally:
        _FALLBACK.reset(tokens[0])
        _DEADLINE.reset(tokens[1])


def _prepare(node: tuple) -> tuple:
    """Drop `x \\in`, approximations after `≈`, and middle steps of `x = a = b` chains."""
    if node[0] != "rel":
        return node
    ops, parts = node[1], node[2]
    if ops == ("in",):
        return _prepare(parts[1])
    if "≈" in ops:
        cut = ops.index("≈")
        if cut == 0 and not free_symbols(parts[0]):
            return _prepare(parts[0])  # "√3/3 ≈ 0.577": the exact value is the answer, the decimal a gloss
        ops, parts = (ops[:cut], parts[: cut + 1]) if cut else (("=",) + ops[1:], parts)
        if not ops:
            return parts[0]
    if len(ops) >= 2 and all(op == "=" for op in ops):
        ops, parts = ("=",), (parts[0], parts[-1])
    if ops == ("=",) and not free_symbols(parts[0]) and not free_symbols(parts[1]):
        return parts[1]  # a worked computation "1/2 + 11/18 = 10/9": its result is the answer
    if ops == ("=",) and not _is_name(parts[0]) and _is_identity(parts[0], parts[1]):
        return parts[1]  # a simplification "x(x+1) - x = x^2" holds for every x: its right side is the answer
    return ("rel", tuple(ops), tuple(parts))


def _is_identity(left: tuple, right: tuple) -> bool:
    """True when `left = right` holds at every probe point, i.e. it is a derivation step, not an equation."""
    if not free_symbols(left) or left[0] in ("list", "set", "tuple", "union", "matrix", "rel"):
        return False
    try:
        return value_equal(left, right)
    except (Inconclusive, NotScalar, ValueError, ZeroDivisionError, TypeError):
        return False


def _equiv(gold: tuple, pred: tuple) -> bool:
    if time.thread_time() > _DEADLINE.get():
        raise DeadlineExceeded("comparison budget exhausted")
    if gold[0] == "raw" or pred[0] == "raw":
        return gold[0] == pred[0] and gold[1].replace(" ", "") == pred[1].replace(" ", "")
    if gold[0] == "text" or pred[0] == "text":
        return gold[0] == pred[0] and _squash(gold[1]) == _squash(pred[1])
    if gold[0] == "rel" or pred[0] == "rel":
        return _relation_cases(gold, pred)
    gold, pred = _expand_pm(_fold_matrices(gold)), _expand_pm(_fold_matrices(pred))
    collections = ("list", "set", "tuple", "union", "matrix")
    if gold[0] in collections or pred[0] in collections:
        return _collection_equal(gold, pred)
    return _scalar_equal(gold, pred)


def _squash(text: str) -> str:
    return "".join(ch for ch in text.lower() if ch.isalnum())


# --- relations ------------------------------------------------------------------------------------------------
def _is_assignment(node: tuple) -> bool:
    """`x = 3`, `f(x) = ...`, `(p, q) = (3, 2)`, `AB = 4`, `|AB| = 1`, `NO/BO = ...`: a name on the left."""
    return node[0] == "rel" and node[1] == ("=",) and _is_name(node[2][0])


def _is_name(node: tuple) -> bool:
    kind = node[0]
    if kind in ("sym", "call"):
        return True
    if kind == "mul":
        return all(child[0] == "sym" for child in node[1])
    if kind == "div":
        return _is_name(node[1]) and _is_name(node[2])
    if kind == "fn" and node[1] == "abs":
        return _is_name(node[2][0])
    if kind == "tuple":
        return all(_is_name(item) for item in node[3])
    return False


def _same_name(gold: tuple, pred: tuple) -> bool:
    """The same left side; `f(x) = ...` and `y = ...` both name the function's value."""
    if gold == pred:
        return True
    pair = {gold[0], pred[0]} == {"call", "sym"} and ("sym", "y") in (gold, pred)
    return pair and all(len(n[2]) == 1 for n in (gold, pred) if n[0] == "call")


def _relation_cases(gold: tuple, pred: tuple) -> bool:
    if gold[0] == "rel" and pred[0] == "rel":
        if _relations_equal(gold, pred):
            return True
        if _is_assignment(gold) and _is_assignment(pred) and _same_name(gold[2][0], pred[2][0]):
            return _equiv(gold[2][1], pred[2][1])
        return False
    rel, other, rel_is_gold = (gold, pred, True) if gold[0] == "rel" else (pred, gold, False)
    if _is_assignment(rel):
        value = rel[2][1]
        return _equiv(value, other) if rel_is_gold else _equiv(other, value)
    interval = _inequality_to_set(rel)
    if interval is None or other[0] not in ("tuple", "union"):
        return False
    return _equiv(interval, other) if rel_is_gold else _equiv(other, interval)


def _orient(node: tuple) -> tuple[tuple, tuple]:
    """Rewrite `a > b > c` as `c < b < a` so that only < and ≤ remain."""
    ops, parts = node[1], node[2]
    if all(op in (">", "≥") for op in ops):
        flip = {">": "<", "≥": "≤"}
        return tuple(flip[op] for op in reversed(ops)), tuple(reversed(parts))
    return ops, parts


def _relations_equal(gold: tuple, pred: tuple) -> bool:
    (gops, gparts), (pops, pparts) = _orient(gold), _orient(pred)
    if len(gops) != len(pops):
        return False
    if len(gops) == 1:
        if {gops[0], pops[0]} <= {"<", "≤", ">", "≥"} and gops[0] != pops[0]:
            return False
        if gops[0] != pops[0]:
            return False
        sign = 0 if gops[0] in ("=", "≠") else 1
        gdiff = ("add", (gparts[0], ("neg", gparts[1])))
        pdiff = ("add", (pparts[0], ("neg", pparts[1])))
        return proportional(gdiff, pdiff, sign)
    return gops == pops and all(_equiv(g, p) for g, p in zip(gparts, pparts))


def _inequality_to_set(rel: tuple) -> tuple | None:
    """`a < x ≤ b` -> ("tuple", "(", "]", (a, b)); `x ≠ a` -> union of two rays; None if not one variable."""
    ops, parts = _orient(rel)
    if ops == ("≠",) and parts[0][0] == "sym":
        left, right = ("tuple", "(", ")", (NEG_INF, parts[1])), ("tuple", "(", ")", (parts[1], INF))
        return ("union", (left, right))
    if len(ops) == 2 and set(ops) <= {"<", "≤"} and parts[1][0] in ("sym", "call"):
        return ("tuple", "(" if ops[0] == "<" else "[", ")" if ops[1] == "<" else "]", (parts[0], parts[2]))
    if len(ops) == 2 and set(ops) <= {"<", "≤"} and _is_abs_of_symbol(parts[1]) and _nonnegative(parts[0]):
        # a ≤ |x| ≤ b with 0 ≤ a: the two intervals [-b, -a] ∪ [a, b]
        lo, hi = parts[0], parts[2]
        opener, closer = "(" if ops[0] == "<" else "[", ")" if ops[1] == "<" else "]"
        flipped = {"(": ")", "[": "]", ")": "(", "]": "["}
        negative = ("tuple", flipped[closer], flipped[opener], (("neg", hi), ("neg", lo)))
        return ("union", (negative, ("tuple", opener, closer, (lo, hi))))
    if len(ops) == 1 and ops[0] in ("<", "≤"):
        closed = ops[0] == "≤"
        if parts[0][0] == "sym":
            return ("tuple", "(", "]" if closed else ")", (NEG_INF, parts[1]))
        if parts[1][0] == "sym":
            return ("tuple", "[" if closed else "(", ")", (parts[0], INF))
    return None


def _is_abs_of_symbol(node: tuple) -> bool:
    return node[0] == "fn" and node[1] == "abs" and len(node[2]) == 1 and node[2][0][0] == "sym"


def _nonnegative(node: tuple) -> bool:
    try:
        return evaluate_exact(node) >= 0
    except (NotExact, PathologicalInput):
        return False


# --- collections ----------------------------------------------------------------------------------------------
def _expand_pm(node: tuple) -> tuple:
    """`1 ± √5` becomes the set {1 + √5, 1 - √5}; inside lists every element is expanded in place."""
    if node[0] in ("list", "set"):
        items: list[tuple] = []
        for item in node[1]:
            expanded = _expand_pm(item)
            items.extend(expanded[1] if expanded[0] == "set" and _has_pm(item) else (expanded,))
        return (node[0], tuple(items))
    if node[0] in ("tuple", "union", "matrix", "rel") or not _has_pm(node):
        return node
    variants = _pm_variants(node, _MAX_PM_EXPANSION)
    return ("set", tuple(variants))


def _has_pm(node: tuple) -> bool:
    return node[0] == "pm" or any(_has_pm(child) for child in child_nodes(node))


def _pm_variants(node: tuple, budget: int) -> list[tuple]:
    if budget <= 0:
        raise PathologicalInput("too many ± signs")
    if node[0] == "pm":
        lefts, rights = _pm_variants(node[1], budget - 1), _pm_variants(node[2], budget - 1)
        return [("add", (a, s)) for a in lefts for b in rights for s in (b, ("neg", b))]
    if not _has_pm(node):
        return [node]
    if node[0] in ("add", "mul"):
        combos: list[tuple] = [()]
        for child in node[1]:
            combos = [c + (v,) for c in combos for v in _pm_variants(child, budget)]
        return [(node[0], c) for c in combos]
    if node[0] in ("neg", "pct", "fact"):
        return [(node[0], v) for v in _pm_variants(node[1], budget)]
    if node[0] in ("div", "pow"):
        return [(node[0], a, b) for a in _pm_variants(node[1], budget) for b in _pm_variants(node[2], budget)]
    raise PathologicalInput(f"± inside {node[0]}")


def _fold_matrices(node: tuple) -> tuple:
    """`A + B` and `A B` of literal matrices become one matrix whose entries are sum/product nodes."""
    if node[0] not in ("add", "mul") or not any(child[0] == "matrix" for child in node[1]):
        return node
    result = _fold_matrices(node[1][0]) if node[1][0][0] in ("add", "mul") else node[1][0]
    for child in node[1][1:]:
        result = _matrix_op(node[0], result, child)
    return result


def _matrix_op(kind: str, left: tuple, right: tuple) -> tuple:
    if left[0] != "matrix" or right[0] != "matrix":
        scalar, matrix = (left, right) if right[0] == "matrix" else (right, left)
        if kind != "mul" or matrix[0] != "matrix":
            raise NotScalar("matrix plus scalar")
        return ("matrix", tuple(tuple(("mul", (scalar, cell)) for cell in row) for row in matrix[1]))
    a, b = left[1], right[1]
    if kind == "add":
        if [len(r) for r in a] != [len(r) for r in b]:
            raise NotScalar("adding matrices of different shapes")
        return ("matrix", tuple(tuple(("add", (x, y)) for x, y in zip(ra, rb)) for ra, rb in zip(a, b)))
    if any(len(row) != len(b) for row in a):
        raise NotScalar("multiplying matrices of incompatible shapes")
    columns = list(zip(*b))
    return (
        "matrix",
        tuple(tuple(("add", tuple(("mul", (x, y)) for x, y in zip(row, col))) for col in columns) for row in a),
    )


def _is_vector(node: tuple) -> bool:
    return len(node[1]) == 1 or all(len(row) == 1 for row in node[1])


def _elements(node: tuple) -> tuple[tuple, ...]:
    if node[0] in ("list", "set"):
        return node[1]
    if node[0] == "union":
        return node[1]
    if node[0] == "tuple":
        return node[3]
    if node[0] == "matrix" and _is_vector(node):
        return tuple(cell for row in node[1] for cell in row)
    return (node,)


def _collection_equal(gold: tuple, pred: tuple) -> bool:
    gk, pk = gold[0], pred[0]
    if gk == "matrix" and pk == "matrix":
        if _is_vector(gold) and _is_vector(pred):
            return _ordered_equal(_elements(gold), _elements(pred))  # row and column vectors are both accepted
        return len(gold[1]) == len(pred[1]) and all(
            len(gr) == len(pr) and all(_equiv(g, p) for g, p in zip(gr, pr)) for gr, pr in zip(gold[1], pred[1])
        )
    if gk == "tuple" and pk == "tuple":
        return (gold[1], gold[2]) == (pred[1], pred[2]) and _ordered_equal(gold[3], pred[3])
    if gk == "union" or pk == "union":
        gold, pred = _as_union(gold), _as_union(pred)
        return gold[0] == pred[0] == "union" and _unordered_equal(gold[1], pred[1])
    if "tuple" in (gk, pk) or "matrix" in (gk, pk):
        if {gk, pk} <= {"tuple", "matrix"} or (gk == "tuple" and gold[1] == "(") or (pk == "tuple" and pred[1] == "("):
            return _ordered_equal(_elements(gold), _elements(pred))
        return False
    if gk == "list" and pk == "list" and _order_matters(gold[1]):
        return _ordered_equal(gold[1], pred[1])
    return _unordered_equal(_elements(gold), _elements(pred))


def _order_matters(items: tuple[tuple, ...]) -> bool:
    """A gold list of three or more plain numbers (`10, 4, -2`) is a sequence of values, compared in order."""
    if len(items) < 3:
        return False
    try:
        for item in items:
            evaluate_exact(item)
    except (NotExact, PathologicalInput):
        return False  # symbolic or irrational elements: roots such as 1 ± √5, listed in any order
    return True


def _as_union(node: tuple) -> tuple:
    """`x ≤ -3, x ≥ 3` (an "or" list of one-variable inequalities) as the union of their intervals."""
    if node[0] != "list" or not all(item[0] == "rel" for item in node[1]):
        return node
    parts = [_inequality_to_set(item) for item in node[1]]
    return ("union", tuple(parts)) if all(p is not None and p[0] == "tuple" for p in parts) else node


def _ordered_equal(gold: tuple, pred: tuple) -> bool:
    return len(gold) == len(pred) and all(_equiv(g, p) for g, p in zip(gold, pred))


def _unordered_equal(gold: tuple, pred: tuple) -> bool:
    """Set semantics: every gold element is in the prediction and every predicted element is in the gold.

    Exact values (and 30-digit numeric values of symbol-free elements) are matched through a dictionary first,
    so long lists of numbers cost O(n); only elements without such a key are compared pairwise.
    """
    if len(pred) > 2 * len(gold) + 2:
        return False
    gold_keys, pred_keys = [_match_key(g) for g in gold], [_match_key(p) for p in pred]
    gold_set, pred_set = set(gold_keys) - {None}, set(pred_keys) - {None}
    gold_ok = all(
        (k is not None and k in pred_set) or any(_equiv(g, p) for p in pred) for g, k in zip(gold, gold_keys)
    )
    return gold_ok and all(
        (k is not None and k in gold_set) or any(_equiv(g, p) for g in gold) for p, k in zip(pred, pred_keys)
    )


def _match_key(node: tuple) -> tuple | None:
    """A hashable value that equal elements share, or None (decimals, symbols and structures have none)."""
    if node[0] in ("list", "set", "tuple", "union", "matrix", "rel", "pm", "raw", "text"):
        return None
    if decimal_places(node) is not None or _has_pm(node):
        return None
    symbols = sorted(free_symbols(node))
    try:
        if not symbols:
            return ("exact", evaluate_exact(node))
    except NotExact:
        pass
    try:
        values = tuple(NUMERIC.nstr(evaluate_numeric(node, env), 30) for env in probe_envs(symbols))
    except (ValueError, ZeroDivisionError, TypeError, OverflowError):
        return None
    return ("probe", tuple(symbols), values)


# --- scalars --------------------------------------------------------------------------------------------------
def _scalar_equal(gold: tuple, pred: tuple) -> bool:
    golds = [gold, gold[1]] if gold[0] == "pct" else [gold]
    preds = [pred, pred[1]] if pred[0] == "pct" else [pred]
    fallback = _FALLBACK.get()
    return any(value_equal(g, p, fallback) for g in golds for p in preds)
