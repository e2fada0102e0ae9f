"""Task families over list positions and shape: searching, striding, rotating, grouping, whole-list predicates.

Their bugs are about positions and edges: first versus last occurrence, an index that is off by one, a missing
modulo when the rotation is longer than the list, the short last group dropped, `any` for `all`, a forgotten `abs`.
"""

from __future__ import annotations

import random
from string import Template

from data.code_gen.inputs import CMP_WORDS, cmp_fields, distinct_ints, holds, ints, mixed_around
from data.code_gen.spec import Family

_FIRST_INDEX = "for i, x in enumerate(xs):\n    if x == $k:\n        return i\nreturn -1"
_LAST_INDEX = "found = -1\nfor i, x in enumerate(xs):\n    if x == $k:\n        found = i\nreturn found"


def _index_visible(rng: random.Random, p: dict) -> list:
    k = p["k"]
    xs = distinct_ints(rng, rng.randint(2, 4), k - 6, k + 6, avoid=[k])
    xs.insert(rng.randrange(len(xs) + 1), k)
    cases = [(xs,)]
    if rng.random() < 0.3:
        cases.append((distinct_ints(rng, 3, k - 6, k + 6, avoid=[k]),))
    return cases


INDEX_OF = Family(
    name="index_of",
    signature="find(xs)",
    statements=(
        "Return the index of the $which occurrence of $k in xs, or -1 if $k does not occur.",
        "Find where $k appears in xs and return the index of its $which occurrence (-1 if it is absent).",
    ),
    solution="$impl",
    wrongs=(
        _FIRST_INDEX,
        _LAST_INDEX,
        "return xs.index($k)",
        "return xs.index($k) + 1 if $k in xs else -1",
    ),
    sample=lambda rng: {"k": rng.randint(-5, 20), "which": rng.choice(["first", "last"])},
    fields=lambda p: {"impl": Template(_FIRST_INDEX if p["which"] == "first" else _LAST_INDEX).substitute(p)},
    visible=_index_visible,
    hidden=lambda rng, p: [
        ([],), ([p["k"]],), ([p["k"] + 1],), ([p["k"], p["k"]],), ([1, p["k"], 2, p["k"], 3],),
        ([p["k"], 0, -1, p["k"]],), ([p["k"] - 1, p["k"] + 1, p["k"]],), ([p["k"] + 2] * 3 + [p["k"]] * 2,),
        (ints(rng, 7, p["k"] - 3, p["k"] + 3),),
    ],
)  # fmt: skip


_SUFFIX = {2: "nd", 3: "rd", 4: "th"}


def _stride_visible(rng: random.Random, p: dict) -> list:
    n = rng.randint(p["s"] + p["k"] + 2, p["s"] + 2 * p["k"] + 1)
    return [(ints(rng, n, 0, 9),)]


EVERY_KTH = Family(
    name="every_kth",
    signature="every(xs)",
    statements=(
        "Return the elements of xs at indices $s, $s1, $s2 and so on (every $kth index, starting at $s).",
        "Starting at index $s, take every $kth element of xs and return them in order.",
    ),
    solution="return xs[$s::$k]",
    wrongs=(
        "return [xs[i] for i in range($s, len(xs) - 1, $k)]",
        "return xs[$s + 1::$k]",
        "return xs[::$k]",
        "return [xs[$s]] + xs[$s + $k::$k]",
    ),
    sample=lambda rng: {"s": rng.randint(0, 3), "k": rng.randint(2, 4)},
    fields=lambda p: {"s1": p["s"] + p["k"], "s2": p["s"] + 2 * p["k"], "kth": f"{p['k']}{_SUFFIX[p['k']]}"},
    visible=_stride_visible,
    hidden=lambda rng, p: [
        ([],), (list(range(p["s"])),), (list(range(1, p["s"] + 2)),), (list(range(10, 10 + p["s"] + p["k"])),),
        (list(range(20, 21 + p["s"] + p["k"])),), (list(range(-5, -5 + p["s"] + 2 * p["k"] + 1)),),
        (ints(rng, p["s"] + 3 * p["k"], -9, 9),), (ints(rng, p["s"] + 3 * p["k"] + 1, 0, 50),),
        ([7] * (p["s"] + p["k"] + 2),),
    ],
)  # fmt: skip


def _rotate_impls(p: dict) -> dict:
    left = p["dir"] == "left"
    body = "xs[k:] + xs[:k]" if left else "xs[-k:] + xs[:-k]"
    no_mod = f"xs[{p['k']}:] + xs[:{p['k']}]" if left else f"xs[-{p['k']}:] + xs[:-{p['k']}]"
    other = "xs[-k:] + xs[:-k]" if left else "xs[k:] + xs[:k]"
    return {
        "impl": f"if not xs:\n    return []\nk = {p['k']} % len(xs)\nreturn {body}",
        "other_dir": f"if not xs:\n    return []\nk = {p['k']} % len(xs)\nreturn {other}",
        "no_mod": f"return {no_mod}",
        "no_empty": f"k = {p['k']} % len(xs)\nreturn {body}",
        "moves": "the front wraps to the end" if left else "the end wraps to the front",
        "positions": "position" if p["k"] == 1 else "positions",
        "places": "place" if p["k"] == 1 else "places",
    }


ROTATE = Family(
    name="rotate",
    signature="rotate(xs)",
    statements=(
        "Rotate the list xs $dir by $k $positions; an empty list stays empty.",
        "Return xs rotated $k $places to the $dir ($moves); [] stays [].",
    ),
    solution="$impl",
    wrongs=("$other_dir", "$no_mod", "$no_empty"),
    sample=lambda rng: {"dir": rng.choice(["left", "right"]), "k": rng.randint(1, 6)},
    fields=_rotate_impls,
    visible=lambda rng, p: [(distinct_ints(rng, rng.randint(p["k"] + 1, p["k"] + 2), 0, 9),)],
    hidden=lambda rng, p: [
        ([],), ([5],), (list(range(1, p["k"] + 1)),), (list(range(1, p["k"])) or [4, 4],), (list(range(p["k"] + 1)),),
        (list(range(2 * p["k"] + 1)),), ([1, 2],), ([9, 8, 7],), (ints(rng, 2 * p["k"] + 3, -9, 9),),
        (distinct_ints(rng, max(2, p["k"] - 2), 10, 40),),
    ],
)  # fmt: skip

_AGG_WORDS = {"sum": "sum", "max": "largest value", "min": "smallest value"}  # sample k 2-5: short lists


def _group_visible(rng: random.Random, p: dict) -> list:
    n = 2 * p["k"]
    if rng.random() < 0.3:
        n += rng.randint(1, p["k"] - 1)
    return [(ints(rng, n, 0, 9),)]


CHUNK_AGG = Family(
    name="chunk_agg",
    signature="groups(xs)",
    statements=(
        "Split xs into groups of $k from the front (the last may be shorter); return the $agg_word of each group.",
        "Cut xs into runs of $k numbers, the last run possibly shorter, and list the $agg_word of each run.",
    ),
    solution="return [$agg(xs[i:i + $k]) for i in range(0, len(xs), $k)]",
    wrongs=(
        "return [$agg(xs[i:i + $k]) for i in range(0, len(xs) - $k + 1, $k)]",
        "return [$agg(xs[i:i + $k]) for i in range(0, len(xs) - 1, $k)]",
        "return [$agg(xs[i:i + $k]) for i in range(len(xs) // $k)]",
    ),
    sample=lambda rng: {"k": rng.randint(2, 5), "agg": rng.choice(list(_AGG_WORDS))},
    fields=lambda p: {"agg_word": _AGG_WORDS[p["agg"]]},
    visible=_group_visible,
    hidden=lambda rng, p: [
        ([],), ([4],), (list(range(1, p["k"])) or [2],), (list(range(1, p["k"] + 1)),), (list(range(p["k"] + 1)),),
        (list(range(-3, 2 * p["k"] - 2)),), (ints(rng, 2 * p["k"] + 1, -9, 9),), (ints(rng, 3 * p["k"] + 1, 0, 30),),
        ([5] * (p["k"] + 2),),
    ],
)  # fmt: skip


def _all_any_visible(rng: random.Random, p: dict) -> list:
    k, op = p["k"], p["op"]
    side = [v for v in range(k - 9, k + 10) if v != k and holds(op, v, k)]
    if p["mode"] == "all":
        cases = [(rng.sample(side, rng.randint(2, 3)),)]
    else:
        cases = [(mixed_around(rng, k, op, 3, spread=6),)]
    if rng.random() < 0.5:
        other = [v for v in range(k - 9, k + 10) if v != k and not holds(op, v, k)]
        cases.append((mixed_around(rng, k, op, 3),) if p["mode"] == "all" else (rng.sample(other, 3),))
    return cases


ALL_ANY = Family(
    name="all_any",
    signature="check(xs)",
    statements=("$claim", "Decide whether $claim_lower"),
    solution="return $mode(x $op $k for x in xs)",
    wrongs=(
        "return $other_mode(x $op $k for x in xs)",
        "return $mode(x $flip $k for x in xs)",
        "return len(xs) > 0 and $mode(x $op $k for x in xs)",
        "return $mode(x $op $k for x in xs[1:])",
    ),
    sample=lambda rng: {"mode": rng.choice(["all", "any"]), "op": rng.choice(list(CMP_WORDS)), "k": rng.randint(0, 12)},
    fields=lambda p: {
        **cmp_fields(p),
        "other_mode": "any" if p["mode"] == "all" else "all",
        "claim": (
            f"Return True if every element of xs is {CMP_WORDS[p['op']]} {p['k']}, else False (True for an empty list)."
            if p["mode"] == "all"
            else f"Return True if some element of xs is {CMP_WORDS[p['op']]} {p['k']}, else False (False for an empty list)."
        ),
        "claim_lower": (
            f"every element of xs is {CMP_WORDS[p['op']]} {p['k']}; an empty list counts as True."
            if p["mode"] == "all"
            else f"at least one element of xs is {CMP_WORDS[p['op']]} {p['k']}; an empty list counts as False."
        ),
    },
    visible=_all_any_visible,
    hidden=lambda rng, p: [
        ([],), ([p["k"]],), ([p["k"] - 1],), ([p["k"] + 1],), ([p["k"] + 1, p["k"] + 2],), ([p["k"] - 2, p["k"] - 1],),
        ([p["k"] - 5, p["k"] + 5, p["k"] + 6],), ([p["k"] + 5, p["k"] - 5, p["k"] - 6],), ([p["k"], p["k"] + 3, p["k"] - 3],),
        (ints(rng, 5, p["k"] - 4, p["k"] + 4),),
    ],
)  # fmt: skip


def _steady_visible(rng: random.Random, p: dict) -> list:
    steps = [v for v in range(0, p["k"] + 1) if holds(p["op"], v, p["k"]) and v != p["k"]] or [0]
    xs = [rng.randint(-5, 10)]
    for _ in range(rng.randint(2, 3)):
        xs.append(xs[-1] + rng.choice(steps))
    cases = [(xs,)]
    if rng.random() < 0.5:
        cases.append(([xs[0], xs[0] + p["k"] + rng.randint(1, 5)],))
    return cases


NEIGHBOURS_CLOSE = Family(
    name="neighbours_close",
    signature="steady(xs)",
    statements=(
        "Return True if all neighbouring elements of xs differ by $cond $k (lists shorter than 2 give True).",
        "Check that consecutive numbers in xs are never more than $limit_word apart; lists shorter than 2 pass.",
    ),
    solution="return all(abs(b - a) $op $k for a, b in zip(xs, xs[1:]))",
    wrongs=(
        "return all(abs(b - a) $flip $k for a, b in zip(xs, xs[1:]))",
        "return all(b - a $op $k for a, b in zip(xs, xs[1:]))",
        "return all(abs(xs[i + 1] - xs[i]) $op $k for i in range(len(xs) - 2))",
    ),
    sample=lambda rng: {"op": rng.choice(["<=", "<"]), "k": rng.randint(1, 9)},
    fields=lambda p: {**cmp_fields(p), "limit_word": f"{p['k']}" if p["op"] == "<=" else f"{p['k'] - 1}"},
    visible=_steady_visible,
    hidden=lambda rng, p: [
        ([],), ([3],), ([0, p["k"]],), ([p["k"], 0],), ([0, p["k"] + 1],), ([5, 5, 5],), ([10, 10 - p["k"] - 2],),
        ([1, 1 + p["k"], 1 + 2 * p["k"]],), ([0, 1, 2, 2 + p["k"] + 3],), ([4, 4 - p["k"], 4],),
    ],
)  # fmt: skip

_FREQ_WORDS = {">=": "at least", "==": "exactly", ">": "more than"}


def _frequent_visible(rng: random.Random, p: dict) -> list:
    counts = [p["k"] + 1, p["k"] - 1 if p["k"] > 1 else 1, p["k"]] if p["op"] != ">=" else [p["k"] + 1, 1]
    values = distinct_ints(rng, len(counts), 1, 20)
    xs = [v for v, c in zip(values, counts) for _ in range(c)]
    rng.shuffle(xs)
    return [(xs,)]


FREQUENT = Family(
    name="frequent",
    signature="frequent(xs)",
    statements=(
        "Return, in $order order, the distinct values that occur $freq_word $k $times in xs.",
        "List each value of xs that appears $freq_word $k $times, once, sorted in $order order.",
    ),
    solution="return sorted({x for x in xs if xs.count(x) $op $k}$rev)",
    wrongs=(
        "return sorted({x for x in xs if xs.count(x) $flip $k}$rev)",
        "return sorted((x for x in xs if xs.count(x) $op $k)$rev)",
        "return sorted({x for x in xs if xs.count(x) $op $k}$other_rev)",
    ),
    sample=lambda rng: {"op": rng.choice(list(_FREQ_WORDS)), "k": rng.randint(1, 3), "order": rng.choice(["increasing", "decreasing"])},
    fields=lambda p: {
        "freq_word": _FREQ_WORDS[p["op"]],
        "times": "time" if p["k"] == 1 else "times",
        "flip": {">=": ">", ">": ">=", "==": ">="}[p["op"]],
        "rev": ", reverse=True" if p["order"] == "decreasing" else "",
        "other_rev": "" if p["order"] == "decreasing" else ", reverse=True",
    },
    visible=_frequent_visible,
    hidden=lambda rng, p: [
        ([],), ([4],), ([4] * p["k"],), ([4] * (p["k"] + 1),), ([2] * p["k"] + [9] * (p["k"] + 1),),
        ([-3] * (p["k"] + 2) + [5] * (p["k"] + 2) + [1],), ([7, 3] * (p["k"] + 1),), ([1, 2, 3, 2, 1, 2],),
        (ints(rng, 10, -2, 4),), ([0] * p["k"] + [8] * p["k"] + [6] * (p["k"] + 2),),
    ],
)  # fmt: skip
