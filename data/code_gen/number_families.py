"""Task families over one integer n: digits, sums of multiples, labels by divisibility or range, rounding, loops.

The plausible bugs are sign and boundary bugs: `str(n)` on a negative number, `<` for `<=` at the range ends,
truncating division where floor division is meant, a loop condition one step off, a check order that never
reaches the "both" case.
"""

from __future__ import annotations

import random

from data.code_gen.inputs import CMP_WORDS, cmp_fields, distinct_ints
from data.code_gen.spec import Family


def _digits_visible(rng: random.Random, p: dict) -> list:
    digits = [d for d in range(10) if d != p["d"]]
    n = int("".join(str(rng.choice(digits[1:] if i == 0 else digits)) for i in range(rng.randint(3, 5))))
    return [(n,)]


DIGIT_STAT = Family(
    name="digit_stat",
    signature="digits(n)",
    statements=(
        "Return the $agg_phrase of n that are $cond $d, ignoring the sign of n.",
        "Look at the decimal digits of n (a minus sign is not a digit) and return the $agg_word of those $cond $d.",
    ),
    solution="return sum($term for c in str(abs(n)) if int(c) $op $d)",
    wrongs=(
        "return sum($term for c in str(n) if int(c) $op $d)",
        "return sum($term for c in str(abs(n)) if int(c) $flip $d)",
        "return sum($term for c in str(abs(n)) if int(c) $rev $d)",
        "return sum($other_term for c in str(abs(n)) if int(c) $op $d)",
    ),
    sample=lambda rng: {"agg": rng.choice(["sum", "count"]), "op": rng.choice(list(CMP_WORDS)), "d": rng.randint(1, 8)},
    fields=lambda p: {
        **cmp_fields(p),
        "agg_phrase": "sum of the digits" if p["agg"] == "sum" else "number of digits",
        "agg_word": "sum" if p["agg"] == "sum" else "count",
        "term": "int(c)" if p["agg"] == "sum" else "1",
        "other_term": "1" if p["agg"] == "sum" else "int(c)",
    },
    visible=_digits_visible,
    hidden=lambda rng, p: [
        (0,), (p["d"],), (-p["d"],), (int(str(p["d"]) * 3),), (-int(f"9{p['d']}0{p['d'] + 1}"),), (-7,), (10,),
        (int(f"{p['d'] - 1}{p['d']}{p['d'] + 1}"),), (-rng.randint(100, 99999),), (1234567890,),
    ],
)  # fmt: skip


def _upto_visible(rng: random.Random, p: dict) -> list:
    k = p["k"]
    n = rng.choice([v for v in range(k + 1, 8 * k) if v % k])
    return [(n,)]


SUM_MULTIPLES = Family(
    name="sum_multiples",
    signature="sum_multiples(n)",
    statements=(
        "Return the sum of the positive multiples of $k that are $bound_word n (0 if there are none).",
        "Return $k + $k2 + $k3 + ..., summing every multiple of $k that is $bound_word n; return 0 when there is none.",
    ),
    solution="return sum(range($k, $stop, $k))",
    wrongs=("return sum(range($k, $other_stop, $k))", "return sum(range(1, $stop, $k))", "return sum(range($k, $stop))"),
    sample=lambda rng: {"k": rng.randint(2, 12), "bound": rng.choice(["at most", "less than"])},
    fields=lambda p: {
        "bound_word": p["bound"],
        "stop": "n + 1" if p["bound"] == "at most" else "n",
        "other_stop": "n" if p["bound"] == "at most" else "n + 1",
        "k2": 2 * p["k"],
        "k3": 3 * p["k"],
    },
    visible=_upto_visible,
    hidden=lambda rng, p: [
        (0,), (-5,), (1,), (p["k"],), (p["k"] - 1,), (p["k"] + 1,), (3 * p["k"],), (5 * p["k"] + 1,), (100,),
        (rng.randint(10, 90),),
    ],
)  # fmt: skip

_LABELS = ["Fizz", "Buzz", "Ping", "Pong", "Tick", "Tock", "Zip", "Zap"]
_FIZZ = "out = ''\nif n % $a == 0:\n    out += '$wa'\nif n % $b == 0:\n    out += '$wb'\nreturn out or str(n)"


def _fizz_sample(rng: random.Random) -> dict:
    a, b = sorted(rng.sample(range(2, 8), 2))
    wa, wb = rng.sample(_LABELS, 2)
    return {"a": a, "b": b, "wa": wa, "wb": wb}


def _fizz_visible(rng: random.Random, p: dict) -> list:
    a, b = p["a"], p["b"]
    only_a = [v for v in range(1, 40) if v % a == 0 and v % b]
    neither = [v for v in range(1, 40) if v % a and v % b]
    cases = [(rng.choice(only_a),)] if only_a else []
    return cases + [(rng.choice(neither),)]


FIZZ = Family(
    name="fizz",
    signature="label(n)",
    statements=(
        "Return '$wa' if n is divisible by $a, '$wb' if it is divisible by $b, '$wa$wb' if by both, and str(n) otherwise.",
        "Label n: '$wa' for multiples of $a, '$wb' for multiples of $b, '$wa$wb' for multiples of both, else n as a string.",
    ),
    solution=_FIZZ,
    wrongs=(
        "if n % $a == 0:\n    return '$wa'\nif n % $b == 0:\n    return '$wb'\nreturn str(n)",
        "if n % $b == 0:\n    return '$wb'\nif n % $a == 0:\n    return '$wa'\nreturn str(n)",
        _FIZZ.replace("str(n)", "n"),
        "out = ''\nif n % $a == 0:\n    out += '$wb'\nif n % $b == 0:\n    out += '$wa'\nreturn out or str(n)",
    ),
    sample=_fizz_sample,
    visible=_fizz_visible,
    hidden=lambda rng, p: [
        (0,), (1,), (p["a"],), (p["b"],), (p["a"] * p["b"],), (2 * p["a"] * p["b"],), (-p["a"],), (-p["a"] * p["b"],),
        (p["a"] * p["b"] + 1,), (97,),
    ],
)  # fmt: skip

_BANDS = [("low", "mid", "high"), ("cold", "mild", "hot"), ("small", "medium", "large")]
_BAND = "if n < $a:\n    return '$w1'\nif n > $b:\n    return '$w3'\nreturn '$w2'"


def _edges(p: dict) -> list[int]:
    return [p["a"] - 1, p["a"], p["a"] + 1, p["b"] - 1, p["b"], p["b"] + 1]


def _band_sample(rng: random.Random) -> dict:
    a = rng.randint(-5, 20)
    w1, w2, w3 = rng.choice(_BANDS)
    return {"a": a, "b": a + rng.randint(2, 15), "w1": w1, "w2": w2, "w3": w3}


CLASSIFY = Family(
    name="classify",
    signature="band(n)",
    statements=(
        "Return '$w1' if n is less than $a, '$w3' if n is greater than $b, and '$w2' otherwise.",
        "Classify n: below $a it is '$w1', above $b it is '$w3', and from $a to $b inclusive it is '$w2'.",
    ),
    solution=_BAND,
    wrongs=(_BAND.replace("n < $a", "n <= $a"), _BAND.replace("n > $b", "n >= $b"), _BAND.replace("n > $b", "n > $a")),
    sample=_band_sample,
    visible=lambda rng, p: [(v,) for v in distinct_ints(rng, rng.randint(1, 2), p["a"] - 10, p["b"] + 10, avoid=_edges(p))],
    hidden=lambda rng, p: [
        (p["a"],), (p["b"],), (p["a"] - 1,), (p["a"] + 1,), (p["b"] - 1,), (p["b"] + 1,), (p["a"] - 50,), (p["b"] + 50,),
        (p["a"] - 2,), (p["b"] + 2,), (-abs(p["a"]) - 20,),
    ],
)  # fmt: skip

_ROUND = {"down": "n // $k * $k", "up": "(n + $km1) // $k * $k"}


def _round_visible(rng: random.Random, p: dict) -> list:
    k = p["k"]
    return [(v,) for v in rng.sample([v for v in range(1, 10 * k) if v % k], rng.randint(1, 2))]


ROUND_MULTIPLE = Family(
    name="round_multiple",
    signature="round_to(n)",
    statements=("$goal", "Round n $dir to a multiple of $k: $goal_lower"),
    solution="return $impl",
    wrongs=(
        "return int(n / $k) * $k",
        "return (n - 1) // $k * $k",
        "return (n // $k + 1) * $k",
        "return int(n / $k) * $k + $k",
    ),
    sample=lambda rng: {"dir": rng.choice(["down", "up"]), "k": rng.randint(2, 15)},
    fields=lambda p: {
        "km1": p["k"] - 1,
        "impl": _ROUND[p["dir"]].replace("$km1", str(p["k"] - 1)),
        "goal": f"Return the {'largest' if p['dir'] == 'down' else 'smallest'} multiple of {p['k']} that is not {'greater' if p['dir'] == 'down' else 'less'} than n.",
        "goal_lower": f"return the {'largest' if p['dir'] == 'down' else 'smallest'} multiple of {p['k']} that is not {'greater' if p['dir'] == 'down' else 'less'} than n.",
    },
    visible=_round_visible,
    hidden=lambda rng, p: [
        (0,), (p["k"],), (3 * p["k"],), (-1,), (1,), (-p["k"],), (-p["k"] - 1,), (-3 * p["k"] + 1,), (p["k"] + 1,),
        (rng.randint(50, 200),),
    ],
)  # fmt: skip


def _between_visible(rng: random.Random, p: dict) -> list:
    a, b = p["a"], p["b"]
    inside = [v for v in range(a + 1, b)] or [a]
    cases = [(rng.choice(inside),)]
    if rng.random() < 0.5:
        cases.append((rng.choice([a - rng.randint(3, 20), b + rng.randint(3, 20)]),))
    return cases


BETWEEN = Family(
    name="between",
    signature="inside(n)",
    statements=(
        "Return True if n lies between $a and $b with both ends $ends, and False otherwise.",
        "Is n in the range from $a to $b, both ends $ends? Return True or False.",
    ),
    solution="return $a $rel n $rel $b",
    wrongs=("return $a $other n $other $b", "return $a <= n < $b", "return $a < n <= $b", "return n >= $a or n <= $b"),
    sample=lambda rng: (lambda a: {"a": a, "b": a + rng.randint(2, 12), "ends": rng.choice(["included", "excluded"])})(rng.randint(-10, 20)),
    fields=lambda p: {"rel": "<=" if p["ends"] == "included" else "<", "other": "<" if p["ends"] == "included" else "<="},
    visible=_between_visible,
    hidden=lambda rng, p: [
        (p["a"],), (p["b"],), (p["a"] - 1,), (p["b"] + 1,), (p["a"] + 1,), (p["b"] - 1,), (p["a"] - 40,), (p["b"] + 40,),
        (p["a"] - 2,), (p["b"] + 2,), (-abs(p["a"]) - 15,),
    ],
)  # fmt: skip

_UNTIL = "count = 0\nwhile n <= $limit:\n    n += $k\n    count += 1\nreturn count"


def _until_visible(rng: random.Random, p: dict) -> list:
    k, limit = p["k"], p["limit"]
    pool = [v for v in range(limit - 30, limit) if (limit - v) % k]  # never lands exactly on the limit
    return [(rng.choice(pool or [limit - 1]),)]


REPEAT_UNTIL = Family(
    name="repeat_until",
    signature="steps(n)",
    statements=(
        "Start from n and add $k again and again until the value is greater than $limit. Return how many additions that takes (0 if n is already greater than $limit).",
        "Count the additions of $k to n needed to get above $limit; if n is above $limit already, return 0.",
    ),
    solution=_UNTIL,
    wrongs=(_UNTIL.replace("<=", "<"), "return ($limit - n) // $k + 1", _UNTIL.replace("count = 0", "count = 1")),
    sample=lambda rng: {"k": rng.randint(2, 9), "limit": rng.randint(10, 60)},
    visible=_until_visible,
    hidden=lambda rng, p: [
        (p["limit"],), (p["limit"] + 1,), (p["limit"] - p["k"],), (p["limit"] + 50,), (p["limit"] - 1,), (-20,),
        (p["limit"] - 3 * p["k"],), (p["limit"] - 3 * p["k"] + 1,), (p["limit"] + 2,), (p["limit"] - 2 * p["k"] - 1,),
        (p["limit"] + p["k"],),
    ],
)  # fmt: skip
