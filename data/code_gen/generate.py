"""Generate the Python function task set: `train.jsonl` and `test.jsonl`, deterministic by seed, byte for byte.

    python -m data.code_gen --out data/code_functions --train 800 --test 240 --seed 0

Every task is one (family, parameters) pair, used once: train and test never share a pair. Test tasks come from
the same families as train, with parameter sets that no train task has (e.g. train has "greater than 7" and
"at least 9", test has "greater than 9"); single parameter values such as the 7 do recur across the split.
Families are walked round-robin, so each contributes about equally until its parameter space runs out; every
`round(total / test)`-th pair of that walk goes to test, so test spreads over the families in the same way.

Each row (JSON object):

    id, family, task ("code"), language ("python"), params (the parameter set, canonical JSON text),
    prompt (statement, signature, the visible examples), solution (the reference function),
    tests ({"kind": "assert", "code": visible asserts, "entry_point"}: what every training signal sees),
    hidden_tests (same schema: the visible cases plus >= 8 more, edge cases included; evaluation only),
    wrong_solutions (plausible wrong functions; every one fails hidden_tests, some pass tests)

The rows load with `data.loading`: `prompt` + `solution` + `language` is an SFT row (the solution becomes a fenced
block), `prompt` + `tests` + `language` a GRPO code row. Existing output files are never overwritten without
`--force`.
"""

from __future__ import annotations

import argparse
import json
import logging
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from data.code_gen.families import FAMILIES
from data.code_gen.spec import Family, Task, asserts, build_task, params_key

logger = logging.getLogger(__name__)

DEFAULT_TRAIN, DEFAULT_TEST = 800, 240
_MAX_REPEATS = 400  # consecutive already-seen draws after which a family's parameter space counts as used up


@dataclass(frozen=True)
class GeneratedSet:
    train: list[dict]
    test: list[dict]
    tasks: list[Task]  # train tasks then test tasks, in row order

    def gap_share(self) -> float:
        """Share of tasks where some wrong solution passes the visible tests (the thin-test gap), in-process."""
        return sum(any(t.wrong_passes_visible) for t in self.tasks) / max(1, len(self.tasks))


def unique_params(fam: Family, seed: int) -> Iterator[dict]:
    """The family's parameter sets in a seeded random order, each once, until the space looks used up."""
    rng = random.Random(f"{seed}|{fam.name}|params")
    seen: set[str] = set()
    repeats = 0
    while repeats < _MAX_REPEATS:
        params = fam.sample(rng)
        key = params_key(params)
        if key in seen:
            repeats += 1
            continue
        seen.add(key)
        repeats = 0
        yield params


def plan(seed: int, total: int, families: Sequence[Family]) -> list[tuple[Family, dict]]:
    """`total` distinct (family, params) pairs, taken from the families in turn."""
    pools = {fam.name: unique_params(fam, seed) for fam in families}
    picked: list[tuple[Family, dict]] = []
    active = list(families)
    while len(picked) < total and active:
        for fam in list(active):
            params = next(pools[fam.name], None)
            if params is None:
                active.remove(fam)
                continue
            picked.append((fam, params))
            if len(picked) == total:
                break
    if len(picked) < total:
        raise ValueError(
            f"asked for {total} tasks but the {len(families)} families have only {len(picked)} distinct parameter "
            "sets; ask for fewer tasks (--train/--test) or add families"
        )
    return picked


def split_plan(pairs: list, n_test: int) -> tuple[list, list]:
    """Spread `n_test` test picks evenly along the round-robin order (Bresenham), the rest is train."""
    total = len(pairs)
    is_test = [(i + 1) * n_test // total > i * n_test // total for i in range(total)]
    return [p for p, t in zip(pairs, is_test) if not t], [p for p, t in zip(pairs, is_test) if t]


def task_row(task: Task, row_id: str) -> dict:
    visible_code = asserts(task.entry_point, task.visible)
    return {
        "id": row_id,
        "family": task.family,
        "task": "code",
        "language": "python",
        "params": params_key(task.params),
        "prompt": task.prompt,
        "solution": task.solution,
        "tests": {"kind": "assert", "code": visible_code, "entry_point": task.entry_point},
        "hidden_tests": {
            "kind": "assert",
            "code": visible_code + asserts(task.entry_point, task.hidden),
            "entry_point": task.entry_point,
        },
        "wrong_solutions": task.wrongs,
    }


def generate(
    n_train: int = DEFAULT_TRAIN, n_test: int = DEFAULT_TEST, seed: int = 0, families: Sequence[str] | None = None
) -> GeneratedSet:
    """Build both splits in memory. Each task's text depends only on (seed, family, params)."""
    if n_train < 1 or n_test < 1:
        raise ValueError(f"--train and --test must be at least 1, got {n_train} and {n_test}")
    names = list(families) if families else list(FAMILIES)
    unknown = sorted(set(names) - set(FAMILIES))
    if unknown:
        raise ValueError(f"unknown task families {unknown}; valid: {sorted(FAMILIES)}")
    train_plan, test_plan = split_plan(plan(seed, n_train + n_test, [FAMILIES[n] for n in names]), n_test)
    out: dict[str, list[dict]] = {"train": [], "test": []}
    tasks: list[Task] = []
    for split, pairs in (("train", train_plan), ("test", test_plan)):
        for i, (fam, params) in enumerate(pairs):
            task = build_task(fam, params, random.Random(f"{seed}|{fam.name}|{params_key(params)}"))
            out[split].append(task_row(task, f"{split}-{i:04d}-{fam.name}"))
            tasks.append(task)
    return GeneratedSet(train=out["train"], test=out["test"], tasks=tasks)


def write_jsonl(rows: list[dict], path: Path) -> None:
    """Write atomically (temp file, then rename), so a reader never sees half a file."""
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("w", encoding="utf-8", newline="\n") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    tmp.replace(path)


def summary_line(result: GeneratedSet, out: Path) -> str:
    wrongs = sum(len(t.wrongs) for t in result.tasks)
    passing = sum(sum(t.wrong_passes_visible) for t in result.tasks)
    return (
        f"wrote {len(result.train)} train + {len(result.test)} test tasks from {len(FAMILIES)} families to {out} "
        f"(test: same families, parameter sets unseen in train); {wrongs} wrong solutions, {passing} of them pass "
        f"the visible tests; thin-test gap on {result.gap_share():.1%} of tasks"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, required=True, help="directory for train.jsonl and test.jsonl")
    parser.add_argument("--train", type=int, default=DEFAULT_TRAIN, help="number of train tasks")
    parser.add_argument("--test", type=int, default=DEFAULT_TEST, help="number of test tasks")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--families", nargs="+", default=None, help=f"subset of: {' '.join(FAMILIES)}")
    parser.add_argument("--force", action="store_true", help="overwrite existing train.jsonl / test.jsonl")
    args = parser.parse_args(argv)
    targets = [args.out / "train.jsonl", args.out / "test.jsonl"]
    existing = [str(p) for p in targets if p.exists()]
    if existing and not args.force:
        parser.error(f"{', '.join(existing)} already exist(s); pass --force to overwrite or choose another --out")
    try:
        result = generate(args.train, args.test, args.seed, args.families)
    except ValueError as exc:
        parser.error(str(exc))
    args.out.mkdir(parents=True, exist_ok=True)
    write_jsonl(result.train, targets[0])
    write_jsonl(result.test, targets[1])
    print(summary_line(result, args.out))  # noqa: T201 (the CLI's one summary line)
    return 0
