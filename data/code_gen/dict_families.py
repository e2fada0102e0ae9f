"""Task families that build or read dicts: letter tallies, value histograms, keys by value, sums by key prefix,
lookups with a default.

Their bugs: zero counts kept, every count 1, keys left in insertion order instead of sorted, case-sensitive
prefixes, `d[key]` where a missing key needs the default.
"""

from __future__ import annotations

import random

from data.code_gen.inputs import (
    CMP_WORDS,
    START_LETTERS,
    WORDS,
    case_fields,
    cmp_fields,
    distinct_ints,
    ints,
    letter_set_fields,
    mixed_around,
    pick_words,
    sentence,
    word_holding,
    words_with,
    words_without,
)
from data.code_gen.spec import Family


def _tally_visible(rng: random.Random, p: dict) -> list:
    chars = p["chars"]
    present = chars if rng.random() < 0.6 else chars[:2]
    held = list(present) + ([present[0]] if rng.random() < 0.4 else [])
    parts = words_without(rng, chars, rng.randint(0, 2)) + [word_holding(rng, c, chars.replace(c, "")) for c in held]
    rng.shuffle(parts)
    return [(sentence(parts),)]


CHAR_TALLY = Family(
    name="char_tally",
    signature="tally(s)",
    statements=(
        "Return a dict from each of the letters $listed_and to its count in s$casenote, leaving out letters that do not occur.",
        "Count the letters $listed_and in s$casenote; return the counts as a dict, without letters that do not occur.",
    ),
    solution="return {c: s$low.count(c) for c in '$chars' if c in s$low}",
    wrongs=(
        "return {c: s$low.count(c) for c in '$chars'}",
        "return {c: s$wrong_low.count(c) for c in '$chars' if c in s$wrong_low}",
        "return {c: 1 for c in s$low if c in '$chars'}",
    ),
    sample=lambda rng: {"chars": "".join(sorted(rng.sample("abcdefghiklmnoprstuw", 3))), "icase": rng.random() < 0.5},
    fields=letter_set_fields,
    visible=_tally_visible,
    hidden=lambda rng, p: [
        ("",), ("xyz",), (p["chars"],), (p["chars"].upper(),), (p["chars"][0] * 3,), (p["chars"] * 2 + " q",),
        (p["chars"][1].upper() + p["chars"][1] + p["chars"][2],), (sentence(pick_words(rng, 6)),),
        (sentence(pick_words(rng, 4)).title(),),
    ],
)  # fmt: skip


def _histogram_visible(rng: random.Random, p: dict) -> list:
    xs = mixed_around(rng, p["k"], p["op"], 3, spread=6)
    if rng.random() < 0.4:
        xs.append(rng.choice(xs))
    return [(xs,)]


HISTOGRAM = Family(
    name="histogram",
    signature="histogram(xs)",
    statements=(
        "Return a dict mapping each value of xs that is $cond $k to how many times it occurs in xs.",
        "Count how often each number $cond $k appears in xs; return a dict from number to count.",
    ),
    solution="return {x: xs.count(x) for x in xs if x $op $k}",
    wrongs=(
        "return {x: xs.count(x) for x in xs if x $flip $k}",
        "return {x: 1 for x in xs if x $op $k}",
        "return {x: xs.count(x) for x in xs if x $rev $k}",
    ),
    sample=lambda rng: {"op": rng.choice(list(CMP_WORDS)), "k": rng.randint(-3, 12)},
    fields=cmp_fields,
    visible=_histogram_visible,
    hidden=lambda rng, p: [
        ([],), ([p["k"]],), ([p["k"], p["k"]],), ([p["k"] + 1] * 3 + [p["k"] - 1] * 2,), ([p["k"] - 4, p["k"] + 4],),
        ([p["k"] + 2, p["k"] - 2, p["k"] + 2, p["k"] - 2],), ([-abs(p["k"]) - 5, 0, 0],), (ints(rng, 8, p["k"] - 3, p["k"] + 3),),
        ([p["k"] + 7, p["k"] - 7],),
    ],
)  # fmt: skip


def _word_dict(rng: random.Random, values: list[int]) -> dict:
    """Distinct lower-case keys in random (rarely alphabetical) order, mapped to `values`."""
    keys = rng.sample([w for w in WORDS if 2 < len(w) < 6], len(values))
    return dict(zip(keys, values))


def _keys_visible(rng: random.Random, p: dict) -> list:
    return [(_word_dict(rng, mixed_around(rng, p["k"], p["op"], 3, spread=6)),)]


KEYS_BY_VALUE = Family(
    name="keys_by_value",
    signature="keys(d)",
    statements=(
        "Return the keys of d whose value is $cond $k, sorted alphabetically.",
        "List, in alphabetical order, every key of d that maps to a number $cond $k.",
    ),
    solution="return sorted(key for key in d if d[key] $op $k)",
    wrongs=(
        "return sorted(key for key in d if d[key] $flip $k)",
        "return [key for key in d if d[key] $op $k]",
        "return sorted(key for key in d if d[key] $rev $k)",
    ),
    sample=lambda rng: {"op": rng.choice(list(CMP_WORDS)), "k": rng.randint(0, 15)},
    fields=cmp_fields,
    visible=_keys_visible,
    hidden=lambda rng, p: [
        ({},), ({"one": p["k"]},), ({"b": p["k"] + 1, "a": p["k"] - 1},), ({"zoo": p["k"] + 3, "ant": p["k"] + 2},),
        ({"zoo": p["k"] - 3, "ant": p["k"] - 2},), ({"x": p["k"], "y": p["k"], "w": p["k"] + 9},),
        ({"neg": -abs(p["k"]) - 4, "zero": 0},), (_word_dict(rng, ints(rng, 6, p["k"] - 4, p["k"] + 4)),),
        (_word_dict(rng, [p["k"] + 1, p["k"], p["k"] - 1]),),
    ],
)  # fmt: skip


def _prefix_visible(rng: random.Random, p: dict) -> list:
    c = p["c"]
    keys = words_with(rng, c, rng.randint(1, 2), at_start=True) + words_without(rng, c, 1)
    if rng.random() < 0.4:
        keys += words_with(rng, c, 1, at_start=False)
    keys = list(dict.fromkeys(keys))
    return [(dict(zip(keys, distinct_ints(rng, len(keys), 1, 20))),)]


def _prefix_hidden(rng: random.Random, p: dict) -> list:
    c, C = p["c"], p["c"].upper()
    inside = words_with(rng, c, 1, at_start=False)[0]
    return [
        ({},), ({c: 5},), ({C + "ab": 4, c + "cd": 3},), ({inside: 7},), ({c + "x": -3, c + "y": 3},), ({C: 2},),
        ({"x" + c: 1, c + "x": 10, C + C: 100},), ({w: i for i, w in enumerate(words_without(rng, c, 3))},),
        ({c + "a": 0, "z" + c: 9, C + "b": -2},),
    ]  # fmt: skip


SUM_BY_PREFIX = Family(
    name="sum_by_prefix",
    signature="prefix_sum(d)",
    statements=(
        "Return the sum of the values in d whose key starts with '$c'$casenote.",
        "Add up d[key] for every key of d that begins with the letter '$c'$casenote.",
    ),
    solution="return sum(v for key, v in d.items() if key$low.startswith('$c'))",
    wrongs=(
        "return sum(v for key, v in d.items() if key$wrong_low.startswith('$c'))",
        "return sum(v for key, v in d.items() if '$c' in key$low)",
        "return len([v for key, v in d.items() if key$low.startswith('$c')])",
    ),
    sample=lambda rng: {"c": rng.choice(START_LETTERS), "icase": rng.random() < 0.5},
    fields=case_fields,
    visible=_prefix_visible,
    hidden=_prefix_hidden,
)


def _lookup_visible(rng: random.Random, p: dict) -> list:
    d = _word_dict(rng, distinct_ints(rng, rng.randint(2, 3), 1, 40, avoid=[p["default"] or 0]))
    return [(d, rng.choice(list(d)))]


GET_OR_DEFAULT = Family(
    name="get_or_default",
    signature="lookup(d, key)",
    statements=(
        "Return the value stored in d under key, or $default if key is not in d.",
        "Look key up in the dict d; when it is missing, return $default instead.",
    ),
    solution="return d.get(key, $default)",
    wrongs=("return d[key]", "return d.get(key)", "return d.get(key, 0)", "return $default if key in d else d.get(key)"),
    sample=lambda rng: {"default": rng.choice([None, *range(-5, 31)])},
    visible=_lookup_visible,
    hidden=lambda rng, p: [
        ({}, "a"), ({"a": 1}, "b"), ({"a": 0}, "a"), ({"x": -4, "y": 4}, "y"), ({"k": p["default"]}, "k"),
        ({"cat": 3}, "Cat"), ({"cat": 3}, "dog"), ({"": 5}, ""), (_word_dict(rng, ints(rng, 3, -9, 9)), "zzz"),
    ],
)  # fmt: skip
