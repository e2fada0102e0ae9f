"""Task families over lists of integers: filters, counts, sums, maps, clamps, searches, slices, predicates.

Each family states its parameter in the prompt (a threshold, an operator, a step, a default) and carries the
wrong solutions a small model plausibly writes: `>` for `>=`, the reversed operator, a sorted or de-duplicated
result, a dropped last group, a missing empty-list or out-of-range case.
"""

from __future__ import annotations

import random
from string import Template

from data.code_gen.inputs import CMP_WORDS, cmp_fields, distinct_ints, ints, mixed_around, shuffled
from data.code_gen.spec import Family


def _cmp_sampler(lo: int, hi: int):
    def sample(rng: random.Random) -> dict:
        return {"op": rng.choice(list(CMP_WORDS)), "k": rng.randint(lo, hi)}

    return sample


def _threshold_visible(rng: random.Random, p: dict) -> list:
    """Typical lists around k: both sides of the comparison present, k itself never."""
    cases = [(mixed_around(rng, p["k"], p["op"], rng.randint(3, 4), spread=6),)]
    if rng.random() < 0.4:
        cases.append((mixed_around(rng, p["k"], p["op"], 2, spread=6),))
    return cases


def _threshold_hidden(rng: random.Random, p: dict) -> list:
    k = p["k"]
    return [
        ([],),
        ([k],),
        ([k, k, k + 1],),  # the boundary, duplicated
        ([k - 1, k, k + 1],),
        ([k + 3, k + 2, k + 1],),  # all above, descending
        ([k - 1, k - 2, k - 3],),  # all below, descending
        ([k - 2, k - 2, k + 2, k + 2],),  # duplicates on both sides
        ([k - 20, -abs(k) - 3, 0, k + 20],),  # negatives, zero, far values
        (shuffled(rng, [*ints(rng, 5, k - 6, k + 6), k]),),
    ]


FILTER_CMP = Family(
    name="filter_cmp",
    signature="select(xs)",
    statements=(
        "Return the elements of xs that are $cond $k, in their original order.",
        "Keep only the numbers in xs that are $cond $k and return them as a list, in order.",
    ),
    solution="return [x for x in xs if x $op $k]",
    wrongs=(
        "return [x for x in xs if x $flip $k]",
        "return [x for x in xs if x $rev $k]",
        "return sorted(x for x in xs if x $op $k)",
    ),
    sample=_cmp_sampler(-3, 15),
    fields=cmp_fields,
    visible=_threshold_visible,
    hidden=_threshold_hidden,
)

COUNT_CMP = Family(
    name="count_cmp",
    signature="count(xs)",
    statements=(
        "Count the elements of xs that are $cond $k.",
        "How many numbers in xs are $cond $k? Return that count.",
    ),
    solution="return sum(1 for x in xs if x $op $k)",
    wrongs=(
        "return sum(1 for x in xs if x $flip $k)",
        "return sum(1 for x in xs if x $rev $k)",
        "return len(set(x for x in xs if x $op $k))",
    ),
    sample=_cmp_sampler(-3, 15),
    fields=cmp_fields,
    visible=_threshold_visible,
    hidden=_threshold_hidden,
)

SUM_CMP = Family(
    name="sum_cmp",
    signature="total(xs)",
    statements=(
        "Return the sum of the elements of xs that are $cond $k.",
        "Add up the numbers in xs that are $cond $k.",
    ),
    solution="return sum(x for x in xs if x $op $k)",
    wrongs=(
        "return sum(x for x in xs if x $flip $k)",
        "return sum(x for x in xs if x $rev $k)",
        "return sum(set(x for x in xs if x $op $k))",
        "return sum(x for x in xs if x $op $k and x > 0)",
    ),
    sample=_cmp_sampler(-3, 15),
    fields=cmp_fields,
    visible=_threshold_visible,
    hidden=_threshold_hidden,
)


def _multiples_visible(rng: random.Random, p: dict) -> list:
    k = p["k"]
    while True:
        xs = distinct_ints(rng, rng.randint(3, 4), 1, 4 * k)
        if any(x % k == 0 for x in xs) and not all(x % k == 0 for x in xs):
            return [(xs,)]


MULTIPLES = Family(
    name="multiples",
    signature="pick(xs)",
    statements=("Return the elements of xs that are $word by $k, in order.", "Keep the numbers in xs $word by $k."),
    solution="return [x for x in xs if x % $k $eq 0]",
    wrongs=(
        "return [x for x in xs if x > 0 and x % $k $eq 0]",
        "return [x for x in xs if x % $k $neq 0]",
        "return [x for x in xs if x // $k $eq 0]",
    ),
    sample=lambda rng: {"k": rng.randint(2, 12), "eq": rng.choice(["==", "!="])},
    fields=lambda p: {"word": "divisible" if p["eq"] == "==" else "not divisible", "neq": {"==": "!=", "!=": "=="}[p["eq"]]},
    visible=_multiples_visible,
    hidden=lambda rng, p: [
        ([],), ([0],), ([p["k"]],), ([-p["k"], -p["k"] - 1],), ([1, p["k"] + 1, 2 * p["k"]],),
        ([p["k"] * 3, p["k"] * 3, 1],), ([-2 * p["k"], 0, 5 * p["k"] + 1],), ([p["k"] - 1],),
        (ints(rng, 6, -30, 30),),
    ],
)  # fmt: skip

_CHANGED = {"+": "increased by", "-": "decreased by", "*": "multiplied by"}


def _positive_list(rng: random.Random, n_lo: int = 3, n_hi: int = 4, edge_share: float = 0.35) -> list[int]:
    """Distinct positive values, sometimes (`edge_share`) with a zero or negative one mixed in."""
    xs = distinct_ints(rng, rng.randint(n_lo, n_hi), 1, 20)
    if rng.random() < edge_share:
        xs[rng.randrange(len(xs))] = rng.choice([0, -rng.randint(1, 9)])
    return xs


MAP_ARITH = Family(
    name="map_arith",
    signature="change(xs)",
    statements=(
        "Return a new list in which every element of xs is $changed $k.",
        "Return xs with each number $changed $k, keeping the order.",
    ),
    solution="return [x $sym $k for x in xs]",
    wrongs=(
        "return [x $sym $k for x in xs if x > 0]",
        "return [x $sym $k for x in sorted(xs)]",
        "return [x $sym $k for x in xs[1:]]",
    ),
    sample=lambda rng: {"sym": rng.choice(list(_CHANGED)), "k": rng.randint(2, 15)},
    fields=lambda p: {"changed": _CHANGED[p["sym"]]},
    visible=lambda rng, p: [(_positive_list(rng),)],
    hidden=lambda rng, p: [
        ([],), ([0],), ([-1],), ([-5, 0, 5],), ([3, 2, 1],), ([7, 7],), ([p["k"]],), ([-p["k"], 2 * p["k"]],),
        (ints(rng, 6, -20, 20),),
    ],
)  # fmt: skip


def _clamp_visible(rng: random.Random, p: dict) -> list:
    lo, hi = p["lo"], p["hi"]
    xs = distinct_ints(rng, rng.randint(2, 3), lo + 1, hi - 1)
    side = rng.random()
    if side < 0.85:
        xs.append(hi + rng.randint(1, 5) if side < 0.45 else lo - rng.randint(1, 5))
    if side >= 0.7:
        xs.append(hi + rng.randint(1, 5) if side < 0.85 else lo - rng.randint(1, 5))
    return [(shuffled(rng, xs),)]


CLAMP = Family(
    name="clamp",
    signature="clamp(xs)",
    statements=(
        "Clamp every element of xs to the range $lo to $hi.",
        "Return xs with values below $lo raised to $lo and values above $hi lowered to $hi.",
    ),
    solution="return [min(max(x, $lo), $hi) for x in xs]",
    wrongs=(
        "return [min(x, $hi) for x in xs]",
        "return [max(x, $lo) for x in xs]",
        "return [x for x in xs if $lo <= x <= $hi]",
    ),
    sample=lambda rng: (lambda lo: {"lo": lo, "hi": lo + rng.randint(3, 12)})(rng.randint(-5, 10)),
    visible=_clamp_visible,
    hidden=lambda rng, p: [
        ([],), ([p["lo"]],), ([p["hi"]],), ([p["lo"] - 1, p["hi"] + 1],), ([p["lo"] - 30],), ([p["hi"] + 30],),
        ([p["lo"] + 1, p["hi"] - 1],), ([p["hi"] + 2, p["hi"] + 2, p["lo"] - 2],), (ints(rng, 6, -25, 30),),
    ],
)  # fmt: skip

_FIRST_LOOP = "for x in xs:\n    if x $op $k:\n        return x\nreturn $default"
_LAST_LOOP = "found = $default\nfor x in xs:\n    if x $op $k:\n        found = x\nreturn found"

FIRST_MATCH = Family(
    name="first_match",
    signature="first(xs)",
    statements=(
        "Return the first element of xs that is $cond $k, or $default if there is none.",
        "Find the first number in xs that is $cond $k; return $default when no number is.",
    ),
    solution=_FIRST_LOOP,
    wrongs=(
        Template(_FIRST_LOOP).safe_substitute(op="$flip"),
        _LAST_LOOP,
        "for x in xs:\n    if x $op $k:\n        return x",
        "return max(x for x in xs if x $op $k)",
    ),
    sample=lambda rng: {**_cmp_sampler(-3, 15)(rng), "default": rng.choice([-1, 0, None])},
    fields=cmp_fields,
    visible=lambda rng, p: [(mixed_around(rng, p["k"], p["op"], rng.randint(3, 4), spread=6),)],
    hidden=lambda rng, p: [
        *_threshold_hidden(rng, p),
        ([p["k"] + 1, p["k"] + 2, p["k"] + 3],),  # ascending: the first match is not the largest
        ([p["k"] - 3, p["k"] - 2, p["k"] - 1],),
    ],
)
