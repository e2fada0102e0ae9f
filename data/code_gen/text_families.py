"""Task families over strings: word lengths and initials, letters and their positions, replacing, shifting,
truncating and re-joining words.

Visible examples are lower case and single-spaced, so the typical string bugs survive them: case sensitivity,
`split(' ')` for `split()`, a letter counted once instead of every time, `strip` for `replace`, no wrap-around.
"""

from __future__ import annotations

import random

from data.code_gen.inputs import (
    LEN_WORDS,
    START_LETTERS,
    WORDS,
    case_fields,
    cmp_fields,
    letter_set_fields,
    pick_words,
    sentence,
    word_holding,
    words_with,
    words_without,
)
from data.code_gen.spec import Family


def _len_fields(p: dict) -> dict:
    phrase = {">": "longer than $k letters", ">=": "at least $k letters long", "<": "shorter than $k letters"}
    phrase["<="] = "at most $k letters long"
    return {**cmp_fields(p), "len_phrase": phrase[p["op"]].replace("$k", str(p["k"]))}


def _words_visible(rng: random.Random, p: dict) -> list:
    return [(sentence(pick_words(rng, rng.randint(3, 6), avoid_len=[p["k"]])),)]


def _spaced_hidden(rng: random.Random, p: dict) -> list:
    """Strings around a word-length parameter: empty, exactly k letters, doubled and outer spaces."""
    k = p["k"]
    exact = pick_words(rng, 2, lengths=[k]) if any(len(w) == k for w in WORDS) else ["x" * k] * 2
    return [
        ("",), (exact[0],), (" ".join([exact[1], "ab", exact[0]]),), ("a  bb   ccc",), ("  leading and trailing  ",),
        (sentence(pick_words(rng, 5)),), ("x" * (k + 1) + " " + "y" * max(1, k - 1),), ("Hello World",),
        (sentence(pick_words(rng, 7)) + "  " + exact[0],),
    ]  # fmt: skip


COUNT_WORDS_LEN = Family(
    name="count_words_len",
    signature="count_words(s)",
    statements=(
        "Count the words of s that are $len_phrase. Words are separated by spaces.",
        "Return how many space-separated words in s are $len_phrase.",
    ),
    solution="return sum(1 for w in s.split() if len(w) $op $k)",
    wrongs=(
        "return sum(1 for w in s.split() if len(w) $flip $k)",
        "return sum(1 for w in s.split(' ') if len(w) $op $k)",
        "return sum(1 for w in s.split() if len(w) $rev $k)",
    ),
    sample=lambda rng: {"op": rng.choice(list(LEN_WORDS)), "k": rng.randint(1, 8)},
    fields=_len_fields,
    visible=_words_visible,
    hidden=_spaced_hidden,
)


def _letter_sentence(rng: random.Random, c: str, hits: int, decoys: bool) -> str:
    """Lower-case words: `hits` starting with c, the rest without c, or with c inside when `decoys`."""
    words = words_with(rng, c, hits, at_start=True) + words_without(rng, c, rng.randint(1, 3))
    if decoys:
        words += words_with(rng, c, 1, at_start=False)
    rng.shuffle(words)
    return sentence(words)


def _letter_hidden(rng: random.Random, p: dict) -> list:
    c, C = p["c"], p["c"].upper()
    inside = words_with(rng, c, 2, at_start=False)
    return [
        ("",), (c,), (C,), (f"{C}{inside[0]} {c}{inside[1]}",), (sentence(inside),), (f"{c}{c} {c}x{c}  {C}",),
        (sentence(words_without(rng, c, 3)),), (f"x{c} {c}x {C}{C}",), (sentence(words_with(rng, c, 3, at_start=True)),),
        (f"  {c}  {C}{c}  ",),
    ]  # fmt: skip


WORDS_STARTING = Family(
    name="words_starting",
    signature="starting(s)",
    statements=(
        "Return the words of s that start with the letter '$c'$casenote, in order.",
        "List, in order, the space-separated words of s beginning with '$c'$casenote.",
    ),
    solution="return [w for w in s.split() if w$low.startswith('$c')]",
    wrongs=(
        "return [w for w in s.split() if w$wrong_low.startswith('$c')]",
        "return [w for w in s.split() if '$c' in w$low]",
        "return [w for w in s.split() if w$low.endswith('$c')]",
    ),
    sample=lambda rng: {"c": rng.choice(START_LETTERS), "icase": rng.random() < 0.5},
    fields=case_fields,
    visible=lambda rng, p: [(_letter_sentence(rng, p["c"], rng.randint(1, 2), rng.random() < 0.4),)],
    hidden=_letter_hidden,
)


def _count_visible(rng: random.Random, p: dict) -> list:
    hits = 1 if rng.random() < 0.5 else rng.randint(2, 3)
    return [(_letter_sentence(rng, p["c"], hits, decoys=False),)]


COUNT_CHAR = Family(
    name="count_char",
    signature="count_char(s)",
    statements=("Count how many times the letter '$c' occurs in s$casenote.", "Return the number of '$c' letters in s$casenote."),
    solution="return s$low.count('$c')",
    wrongs=("return s$wrong_low.count('$c')", "return int('$c' in s$low)", "return len(s$low.split('$c'))"),
    sample=lambda rng: {"c": rng.choice(START_LETTERS), "icase": rng.random() < 0.5},
    fields=case_fields,
    visible=_count_visible,
    hidden=_letter_hidden,
)  # fmt: skip

_REPLACEMENTS = ["-", "_", "*", "", "", "x", "o", "e"]


def _replace_fields(p: dict) -> dict:
    a, b = p["a"], p["b"]
    todo = f"remove every '{a}' from s" if b == "" else f"replace every '{a}' in s with '{b}'"
    return {"todo": todo, "upper": a.upper()}


REPLACE_CHAR = Family(
    name="replace_char",
    signature="swap(s)",
    statements=("In the string s, $todo, and return the result.", "Return the string you get when you $todo."),
    solution="return s.replace('$a', '$b')",
    wrongs=(
        "return s.replace('$a', '$b', 1)",
        "return s.replace('$a', '$b').replace('$upper', '$b')",
        "return s.strip('$a')",
    ),
    sample=lambda rng: (lambda a: {"a": a, "b": rng.choice([b for b in _REPLACEMENTS if b != a])})(rng.choice(START_LETTERS)),
    fields=_replace_fields,
    visible=lambda rng, p: [(_letter_sentence(rng, p["a"], 1 if rng.random() < 0.6 else 2, decoys=False),)],
    hidden=lambda rng, p: [
        ("",), (p["a"],), (p["a"] * 3,), (p["a"].upper(),), (f"{p['a']}x{p['a']}",), (f"{p['a'].upper()}{p['a']} {p['a']}",),
        (sentence(words_without(rng, p["a"], 2)),), (sentence(words_with(rng, p["a"], 3, at_start=False)),),
        (f"x{p['a']}x {p['a']}",),
    ],
)  # fmt: skip


def _caesar_visible(rng: random.Random, p: dict) -> list:
    low = "abcdefghijklmnopqrstuvwxyz"[: 26 - p["k"]]  # letters that do not wrap past 'z'
    words = ["".join(rng.choice(low) for _ in range(rng.randint(2, 5))) for _ in range(rng.randint(1, 2))]
    return [(sentence(words),)]


CAESAR = Family(
    name="caesar",
    signature="shift(s)",
    statements=(
        "Shift every lower-case letter of s $k places forward in the alphabet, wrapping from 'z' back to 'a'; keep all other characters.",
        "Return s with each lower-case letter moved $k letters later in the alphabet (after 'z' comes 'a'); other characters stay.",
    ),
    solution="return ''.join(chr((ord(c) - 97 + $k) % 26 + 97) if c.islower() else c for c in s)",
    wrongs=(
        "return ''.join(chr(ord(c) + $k) if c.islower() else c for c in s)",
        "return ''.join(chr((ord(c) - 97 + $k) % 26 + 97) for c in s)",
        "return ''.join(chr((ord(c) - 97 + $k) % 26 + 97) if c.isalpha() else c for c in s)",
        "return ''.join(chr((ord(c) - 97 - $k) % 26 + 97) if c.islower() else c for c in s)",
    ),
    sample=lambda rng: {"k": rng.randint(1, 25)},
    visible=_caesar_visible,
    hidden=lambda rng, p: [
        ("",), ("z",), ("xyz",), ("zebra",), ("Hello World",), ("a b",), ("3 apples!",), ("ABC",), ("mixed Case zz",),
        ("abcdefghijklmnopqrstuvwxyz",),
    ],
)  # fmt: skip


def _initials_visible(rng: random.Random, p: dict) -> list:
    return [(sentence(pick_words(rng, rng.randint(3, 5), avoid_len=[p["k"]])),)]


INITIALS = Family(
    name="initials",
    signature="initials(s)",
    statements=(
        "Return the first letters of the words of s that have at least $k letters, in $case case, $joined.",
        "Take the initial of every space-separated word of s with $k or more letters, make it $case case, and return them $joined.",
    ),
    solution="return '$sep'.join(w[0].$case() for w in s.split() if len(w) >= $k)",
    wrongs=(
        "return '$sep'.join(w[0].$case() for w in s.split() if len(w) > $k)",
        "return '$sep'.join(w[0] for w in s.split() if len(w) >= $k)",
        "return '$sep'.join(w[0].$other_case() for w in s.split() if len(w) >= $k)",
    ),
    sample=lambda rng: {"k": rng.randint(1, 5), "case": rng.choice(["upper", "lower"]), "sep": rng.choice(["", ".", "-"])},
    fields=lambda p: {
        "joined": "joined together" if p["sep"] == "" else f"joined by '{p['sep']}'",
        "other_case": "lower" if p["case"] == "upper" else "upper",
    },
    visible=_initials_visible,
    hidden=lambda rng, p: [
        ("",), ("x" * p["k"],), ("x" * (p["k"] - 1) or "Q",), ("Big Red Fox",), ("apple Banana cherry",),
        (sentence(pick_words(rng, 5)),), (sentence(pick_words(rng, 3, lengths=[p["k"]])) if p["k"] > 0 else "a",),
        ("  " + "w" * p["k"] + "  " + "Z" * (p["k"] + 1),), ("ONE two Three",),
    ],
)  # fmt: skip


def _shorten_visible(rng: random.Random, p: dict) -> list:
    long = sentence(pick_words(rng, 8))[: p["k"] + rng.randint(2, 8)].strip()
    while len(long) <= p["k"] + 1:
        long += "s"
    cases = [(long,)]
    if rng.random() < 0.5:
        cases.append((sentence(pick_words(rng, 6))[: rng.randint(1, p["k"] - 1)].strip() or "a",))
    return cases


SHORTEN = Family(
    name="shorten",
    signature="shorten(s)",
    statements=(
        "If s is longer than $k characters, return its first $k characters followed by '$m'; otherwise return s unchanged.",
        "Cut s down to $k characters and add '$m' when it has more than $k; shorter or equal strings come back as they are.",
    ),
    solution="return s[:$k] + '$m' if len(s) > $k else s",
    wrongs=(
        "return s[:$k] + '$m' if len(s) >= $k else s",
        "return s[:$k] + '$m'",
        "return s[:$k]",
        "return s[:$k - 1] + '$m' if len(s) > $k else s",
    ),
    sample=lambda rng: {"k": rng.randint(3, 20), "m": rng.choice(["...", "~", "+"])},
    visible=_shorten_visible,
    hidden=lambda rng, p: [
        ("",), ("a" * p["k"],), ("b" * (p["k"] + 1),), ("c" * (p["k"] - 1),), ("x",), ("d" * (3 * p["k"]),),
        (sentence(pick_words(rng, 9)),), ("A B " * p["k"],), ("e" * (p["k"] + 2),),
    ],
)  # fmt: skip


def _set_sentence(rng: random.Random, chars: str, repeats: bool) -> str:
    """A lower-case sentence that contains each of `chars` once, or some of them twice with `repeats`."""
    held = list(chars) + (list(chars[:2]) if repeats else [])
    parts = words_without(rng, chars, rng.randint(0, 2)) + [word_holding(rng, c, chars.replace(c, "")) for c in held]
    rng.shuffle(parts)
    return sentence(parts)


COUNT_IN_SET = Family(
    name="count_in_set",
    signature="count_in(s)",
    statements=(
        "Count the characters of s that are $listed$casenote.",
        "Return how many characters of s are one of $listed$casenote.",
    ),
    solution="return sum(1 for c in s$low if c in '$chars')",
    wrongs=(
        "return sum(1 for c in s$wrong_low if c in '$chars')",
        "return sum(1 for c in set(s$low) if c in '$chars')",
        "return len([c for c in '$chars' if c in s$low])",
    ),
    sample=lambda rng: {"chars": "".join(sorted(rng.sample("abcdefghiklmnoprstuw", 3))), "icase": rng.random() < 0.5},
    fields=letter_set_fields,
    visible=lambda rng, p: [(_set_sentence(rng, p["chars"], rng.random() < 0.4),)],
    hidden=lambda rng, p: [
        ("",), (p["chars"],), (p["chars"].upper(),), (p["chars"] * 3,), (p["chars"][0] * 4 + "zzz",), ("xyz qj",),
        (p["chars"][1].upper() + p["chars"][1] + " " + p["chars"][2],), (sentence(pick_words(rng, 6)),),
        ("Mixed " + p["chars"][::-1].upper() + p["chars"],),
    ],
)  # fmt: skip

_ORDERS = {
    "reverse": ("in reverse order", "s.split()[::-1]"),
    "sorted": ("in alphabetical order", "sorted(s.split())"),
    "original": ("in their original order", "s.split()"),
}


JOIN_WORDS = Family(
    name="join_words",
    signature="join_words(s)",
    statements=(
        "Return the space-separated words of s $order_word, joined by '$sep'.",
        "Split s into words, put them $order_word and join them with '$sep'.",
    ),
    solution="return '$sep'.join($words)",
    wrongs=(
        "return '$sep'.join($words_sp)",
        "return s.replace(' ', '$sep')",
        "return '$sep'.join(s.split()[::-1])",
        "return '$sep'.join(sorted(s.split()))",
        "return '$sep'.join(sorted(s.split(), reverse=True))",
    ),
    sample=lambda rng: {"order": rng.choice(list(_ORDERS)), "sep": rng.choice([", ", "-", "_", "+", "/", " | "])},
    fields=lambda p: {
        "order_word": _ORDERS[p["order"]][0],
        "words": _ORDERS[p["order"]][1],
        "words_sp": _ORDERS[p["order"]][1].replace("split()", "split(' ')"),
    },
    visible=lambda rng, p: [(sentence(rng.sample(WORDS, rng.randint(3, 4))),)],
    hidden=lambda rng, p: [
        ("",), ("one",), ("b a",), ("a  b",), ("  lead trail  ",), ("dog cat dog",), ("zoo ant mole bee",),
        (sentence(rng.sample(WORDS, 5)),), ("x y z",),
    ],
)  # fmt: skip

_POSITIONS = "[$pos for i, ch in enumerate(s) if ch == '$c']"


def _position_visible(rng: random.Random, p: dict) -> list:
    hits = 1 if rng.random() < 0.6 else 2
    return [(_letter_sentence(rng, p["c"], hits, decoys=rng.random() < 0.3),)]


CHAR_POSITIONS = Family(
    name="char_positions",
    signature="positions(s)",
    statements=(
        "Return the list of positions where the letter '$c' occurs in s, counting positions from $base.",
        "Give every index (the first character has index $base) at which s contains '$c', in increasing order.",
    ),
    solution=f"return {_POSITIONS}",
    wrongs=(
        "return [$other_pos for i, ch in enumerate(s) if ch == '$c']",
        "return [$pos for i, ch in enumerate(s) if ch.lower() == '$c']",
        "return [s.index('$c') + $base]",
    ),
    sample=lambda rng: {"c": rng.choice(START_LETTERS), "base": rng.choice([0, 1])},
    fields=lambda p: {"pos": "i" if p["base"] == 0 else "i + 1", "other_pos": "i + 1" if p["base"] == 0 else "i"},
    visible=_position_visible,
    hidden=_letter_hidden,
)
