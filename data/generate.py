"""Generate the project's own small math data sets: word problems and equations with exact answers.

Everything is produced from templates and a seed, so the bundled files are reproducible byte for byte (`--force`
replaces existing files; without it the command refuses, so the bundled sets are never overwritten by accident):

    python -m data.generate --out data/math --train 4000 --test 400 --seed 0 --force
    python -m data.generate --out data/math_small --train 3000 --test 400 --seed 1 --kinds add_small sub_small mul_small --force

Each row: `id`, `task` ("math"), `kind`, `question`, `answer` (the exact gold, a bare integer or fraction) and
`solution` (a short worked solution ending in `\\boxed{answer}`, the SFT target).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

NAMES = ["Ana", "Ben", "Chen", "Dara", "Eli", "Fatima", "Gus", "Hana", "Ivan", "Jade", "Kofi", "Lena", "Mateo", "Nia"]
ITEMS = ["apples", "marbles", "stickers", "books", "pencils", "coins", "shells", "cards", "cookies", "stamps"]


def _add(rng: random.Random, low: int = 10, high: int = 89) -> tuple[str, str, int]:
    name, item = rng.choice(NAMES), rng.choice(ITEMS)
    a, b = rng.randint(low, high), rng.randint(low, high)
    q = f"{name} has {a} {item} and gets {b} more. How many {item} does {name} have now?"
    return q, f"{a} + {b} = {a + b}.", a + b


def _sub(rng: random.Random, low: int = 30, high: int = 99) -> tuple[str, str, int]:
    name, item = rng.choice(NAMES), rng.choice(ITEMS)
    a = rng.randint(low, high)
    b = rng.randint(low // 3, a - 1)
    q = f"{name} had {a} {item} and gave away {b}. How many {item} are left?"
    return q, f"{a} - {b} = {a - b}.", a - b


def _mul(rng: random.Random, high: int = 12) -> tuple[str, str, int]:
    name, item = rng.choice(NAMES), rng.choice(ITEMS)
    a, b = rng.randint(2, 9), rng.randint(2, high)
    q = f"{name} buys {a} packs of {item} with {b} {item} in each pack. How many {item} is that in total?"
    return q, f"{a} * {b} = {a * b}.", a * b


def _sub_small(rng: random.Random) -> tuple[str, str, int]:
    name, item = rng.choice(NAMES), rng.choice(ITEMS)
    b, result = rng.randint(1, 9), rng.randint(1, 9)
    q = f"{name} had {b + result} {item} and gave away {b}. How many {item} are left?"
    return q, f"{b + result} - {b} = {result}.", result


def _two_step(rng: random.Random) -> tuple[str, str, int]:
    name, item = rng.choice(NAMES), rng.choice(ITEMS)
    a, b, c = rng.randint(2, 9), rng.randint(2, 9), rng.randint(1, 20)
    q = f"{name} has {a} bags with {b} {item} each, and {c} loose {item}. How many {item} does {name} have?"
    return q, f"{a} * {b} = {a * b}, and {a * b} + {c} = {a * b + c}.", a * b + c


def _linear(rng: random.Random) -> tuple[str, str, int]:
    a, x, b = rng.randint(2, 9), rng.randint(-9, 12), rng.randint(1, 30)
    c = a * x + b
    q = f"Solve for x: {a}x + {b} = {c}."
    return q, f"{a}x = {c} - {b} = {c - b}, so x = {c - b}/{a} = {x}.", x


def _fraction(rng: random.Random) -> tuple[str, str, Fraction]:
    a, b = rng.randint(1, 9), rng.randint(2, 9)
    c, d = rng.randint(1, 9), rng.randint(2, 9)
    value = Fraction(a, b) + Fraction(c, d)
    q = f"What is $\\frac{{{a}}}{{{b}}} + \\frac{{{c}}}{{{d}}}$? Give the answer as a fraction in lowest terms."
    return q, f"The common denominator gives {value}.", value


KINDS: dict[str, Callable[[random.Random], tuple[str, str, object]]] = {
    "add": _add,
    "sub": _sub,
    # Single-digit variants: few enough facts (81 + ~80 + 64) that a model trained from scratch on a CPU half-knows
    # them after minutes of SFT, which is where GRPO's sharpening shows (the demo).
    "add_small": lambda rng: _add(rng, 1, 9),
    "sub_small": lambda rng: _sub_small(rng),
    "mul_small": lambda rng: _mul(rng, 9),
    "mul": _mul,
    "two_step": _two_step,
    "linear": _linear,
    "fraction": _fraction,
}


STANDARD_KINDS = ["add", "sub", "mul", "two_step", "linear", "fraction"]  # data/math; the *_small ones are the demo's


def _latex(value: object) -> str:
    if isinstance(value, Fraction) and value.denominator != 1:
        sign = "-" if value < 0 else ""
        return f"{sign}\\frac{{{abs(value.numerator)}}}{{{value.denominator}}}"
    return str(int(value))


def math_problems(
    n: int, seed: int, kinds: list[str] | None = None, id_prefix: str = "math", direct_share: float = 0.0
) -> list[dict]:
    """`n` distinct problems drawn uniformly over `kinds` (default: `STANDARD_KINDS`).

    With `direct_share` > 0, that share of the solutions states the answer without the worked computation
    ("The answer is \\boxed{14}."), as terse instruction data often does; the rest show their work first.
    """
    kinds = kinds or STANDARD_KINDS
    unknown = sorted(set(kinds) - set(KINDS))
    if unknown:
        raise ValueError(f"unknown problem kinds {unknown}; valid kinds: {sorted(KINDS)}")
    rng = random.Random(seed)
    rows, seen = [], set()
    while len(rows) < n:
        kind = kinds[len(rows) % len(kinds)]
        question, work, value = KINDS[kind](rng)
        if question in seen:
            continue
        seen.add(question)
        answer = _latex(value)
        rows.append(
            {
                "id": f"{id_prefix}-{len(rows):05d}",
                "task": "math",
                "kind": kind,
                "question": question,
                "answer": answer,
                "solution": (
                    f"The answer is \\boxed{{{answer}}}."
                    if direct_share and rng.random() < direct_share
                    else f"{work} The answer is \\boxed{{{answer}}}."
                ),
            }
        )
    return rows


def split_disjoint(rows: list[dict], n_test: int) -> tuple[list[dict], list[dict]]:
    """Hold out the last `n_test` rows; questions are unique, so train and test never share a problem."""
    return rows[:-n_test], rows[-n_test:]


def write_jsonl(rows: list[dict], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")


class _Parser(argparse.ArgumentParser):
    """argparse with the project's one-line `error:` message (exit status 2) instead of usage + error."""

    def error(self, message: str):
        self.exit(2, f"error: {message} (see `{self.prog} --help`)\n")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line; every bad value is reported at once, as one `error:` line with exit status 2."""
    parser = _Parser(
        prog="python -m data.generate", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--out", type=Path, required=True, help="directory for train.jsonl and test.jsonl")
    parser.add_argument("--train", type=int, default=4000, help="training problems (default: 4000)")
    parser.add_argument("--test", type=int, default=400, help="held-out problems (default: 400)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--kinds", nargs="+", default=None, help=f"subset of {', '.join(KINDS)}")
    parser.add_argument("--direct-share", type=float, default=0.0, help="share of answers given without working")
    parser.add_argument("--force", action="store_true", help="replace existing train.jsonl / test.jsonl in --out")
    args = parser.parse_args(argv)
    problems = []
    if args.train < 1 or args.test < 1:
        problems.append(f"--train and --test must be at least 1, got {args.train} and {args.test}")
    if not 0.0 <= args.direct_share <= 1.0:
        problems.append(f"--direct-share must be between 0 and 1, got {args.direct_share}")
    unknown = sorted(set(args.kinds or []) - set(KINDS))
    if unknown:
        problems.append(f"unknown --kinds {', '.join(unknown)}; valid kinds: {', '.join(KINDS)}")
    existing = [str(args.out / name) for name in ("train.jsonl", "test.jsonl") if (args.out / name).exists()]
    if existing and not args.force:
        problems.append(
            f"{' and '.join(existing)} already exist: pass --force to replace them, or choose another --out"
        )
    if args.out.exists() and not args.out.is_dir():
        problems.append(f"--out {str(args.out)!r} is a file, not a directory")
    if problems:
        parser.error("; ".join(problems))
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    rows = math_problems(args.train + args.test, args.seed, args.kinds, direct_share=args.direct_share)
    train, test = split_disjoint(rows, args.test)
    try:
        write_jsonl(train, args.out / "train.jsonl")
        write_jsonl(test, args.out / "test.jsonl")
    except OSError as exc:
        print(f"error: cannot write to --out {str(args.out)!r}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    kinds = ", ".join(args.kinds or STANDARD_KINDS)
    print(f"wrote {len(train)} training and {len(test)} held-out problems ({kinds}; seed {args.seed}) to {args.out}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
