"""Building blocks for the families' input generators: integer lists, words and sentences, shared parameter words.

Visible inputs are *typical*: short, lower-case, single-spaced, no value on a boundary. That is what makes them
thin. Hidden inputs add the edge cases on purpose: empty input, zero, negatives, a value equal to the parameter,
duplicates, upper case, doubled spaces.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

# Short common words, lower case, lengths 1-9, so word-length parameters have words on both sides of them.
WORDS: tuple[str, ...] = (
    "a", "i", "an", "at", "be", "go", "in", "it", "me", "no", "on", "up", "we", "ant", "bag", "cat", "dog", "egg",
    "fox", "hat", "ink", "jam", "kid", "map", "net", "owl", "pen", "rug", "sun", "toy", "van", "web", "yak", "bird",
    "cake", "desk", "fish", "gold", "home", "idea", "jump", "kite", "lamp", "moon", "nest", "road", "ship", "tree",
    "wind", "apple", "bread", "chair", "dream", "earth", "flame", "grape", "house", "lemon", "music", "night",
    "ocean", "piano", "river", "stone", "tiger", "water", "animal", "banana", "castle", "garden", "island",
    "jungle", "market", "orange", "pencil", "rabbit", "silver", "window", "blanket", "diamond", "kitchen",
    "morning", "rainbow", "teacher", "elephant", "mountain", "sandwich", "umbrella", "butterfly", "chocolate",
)  # fmt: skip

# Comparison operators with their English words, the boundary flip a model makes, and the reversed direction.
CMP_WORDS = {">": "greater than", ">=": "at least", "<": "less than", "<=": "at most"}
CMP_FLIP = {">": ">=", ">=": ">", "<": "<=", "<=": "<"}
CMP_REVERSE = {">": "<", ">=": "<=", "<": ">", "<=": ">="}
# Word-length comparisons read differently: "longer than 3 letters", "at least 3 letters long".
LEN_WORDS = {">": "longer than", ">=": "at least", "<": "shorter than", "<=": "at most"}

# Letters that start at least two words of WORDS and occur inside at least one other.
START_LETTERS = "abcdeghiklmnoprstuw"


def case_fields(p: dict) -> dict:
    """`$low` lower-cases before comparing when the task ignores case; `$wrong_low` is the opposite mistake."""
    icase = p["icase"]
    return {
        "low": ".lower()" if icase else "",
        "wrong_low": "" if icase else ".lower()",
        "casenote": ", ignoring case" if icase else " (upper case does not count)",
    }


def letter_set_fields(p: dict) -> dict:
    """Case words plus `$listed`, the letters of `chars` written out: "'a', 'e' or 'o'"."""
    letters = list(p["chars"])
    head = ", ".join(f"'{c}'" for c in letters[:-1])
    return {**case_fields(p), "listed": f"{head} or '{letters[-1]}'", "listed_and": f"{head} and '{letters[-1]}'"}


def holds(op: str, a: int, b: int) -> bool:
    """`a op b` for the four comparison operators above (no eval)."""
    return {">": a > b, ">=": a >= b, "<": a < b, "<=": a <= b, "==": a == b}[op]


def cmp_fields(params: dict) -> dict:
    op = params["op"]
    return {"cond": CMP_WORDS[op], "flip": CMP_FLIP[op], "rev": CMP_REVERSE[op]}


def ints(rng: random.Random, n: int, lo: int, hi: int, avoid: Sequence[int] = ()) -> list[int]:
    """`n` random integers in [lo, hi] (repeats allowed), none of them in `avoid`."""
    pool = [v for v in range(lo, hi + 1) if v not in avoid]
    return [rng.choice(pool) for _ in range(n)]


def distinct_ints(rng: random.Random, n: int, lo: int, hi: int, avoid: Sequence[int] = ()) -> list[int]:
    """`n` distinct random integers in [lo, hi], none in `avoid`, in random order."""
    pool = [v for v in range(lo, hi + 1) if v not in avoid]
    return rng.sample(pool, min(n, len(pool)))


def mixed_around(rng: random.Random, k: int, op: str, n: int, spread: int = 8) -> list[int]:
    """`n` distinct values near `k`, none equal to it, with at least one on each side of the comparison."""
    while True:
        xs = distinct_ints(rng, n, k - spread, k + spread, avoid=[k])
        if any(holds(op, x, k) for x in xs) and not all(holds(op, x, k) for x in xs):
            return xs


def pick_words(
    rng: random.Random, n: int, *, lengths: Sequence[int] | None = None, avoid_len: Sequence[int] = ()
) -> list[str]:
    """`n` random lower-case words, optionally only of some lengths, never of a length in `avoid_len`."""
    pool = [w for w in WORDS if (lengths is None or len(w) in lengths) and len(w) not in avoid_len]
    return [rng.choice(pool) for _ in range(n)]


def words_with(rng: random.Random, letter: str, n: int, *, at_start: bool) -> list[str]:
    """`n` words that contain `letter`, at the start (`at_start`) or only after it; falls back to made-up words."""
    if at_start:
        pool = [w for w in WORDS if w.startswith(letter)]
    else:
        pool = [w for w in WORDS if letter in w[1:] and not w.startswith(letter)]
    if not pool:
        pool = [letter + "ox", letter + "end"] if at_start else ["o" + letter + "a", "e" + letter]
    return [rng.choice(pool) for _ in range(n)]


def words_without(rng: random.Random, letters: str, n: int) -> list[str]:
    """`n` words that contain none of `letters`."""
    pool = [w for w in WORDS if not set(w) & set(letters)]
    return [rng.choice(pool) for _ in range(n)]


def word_holding(rng: random.Random, letter: str, others: str = "") -> str:
    """A word with `letter` exactly once and none of `others`; the bare letter when WORDS has none."""
    pool = [w for w in WORDS if w.count(letter) == 1 and not set(w) & set(others)]
    return rng.choice(pool) if pool else letter


def sentence(words: Sequence[str]) -> str:
    return " ".join(words)


def shuffled(rng: random.Random, xs: Sequence) -> list:
    out = list(xs)
    rng.shuffle(out)
    return out
