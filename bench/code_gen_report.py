"""Report on the generated Python function tasks (`data.code_gen`): every program graded in the bwrap sandbox.

    python -m bench.code_gen_report                      # the default set: 800 train + 240 test, seed 0
    python -m bench.code_gen_report --per-family 3       # a quick look: 3 tasks per family

For every task the reference solution is graded against the visible tests and the hidden tests, and every wrong
solution against both. The table has one line per family: tasks, reference pass rates (visible / hidden), wrong
solutions, how many of them pass the visible tests but fail the hidden ones (the thin-test gap: a compiler signal
on the visible tests scores them 1), the share of tasks with at least one such wrong solution, and the mean
prompt / solution length in tokens of a byte-level BPE trained on the train split (`alignment.model.tiny`), as the tiny
policy of the reward-model experiment would see them. The sandbox verdicts are compared with the generator's own
in-process prediction of which wrong solutions pass the visible tests.

It also checks that the tokenizer `alignment.model.tiny.build_tiny_model` saves round-trips Python source exactly
(decode(encode(x)) == x for every reference solution, every SFT completion and every prompt).

Exit status: 0 when every reference passes both test sets, every wrong solution fails its hidden tests, the
sandbox agrees with the in-process prediction and every text round-trips; 1 otherwise.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from collections import defaultdict
from dataclasses import dataclass, field

from data.code_gen.families import FAMILIES
from data.code_gen.generate import DEFAULT_TEST, DEFAULT_TRAIN, generate
from data.code_gen.spec import Task


@dataclass
class FamilyStats:
    tasks: int = 0
    ref_visible: int = 0
    ref_hidden: int = 0
    wrongs: int = 0
    wrong_fail_hidden: int = 0
    gap_wrongs: int = 0  # pass the visible tests, fail the hidden ones
    gap_tasks: int = 0  # tasks with at least one gap wrong solution
    disagreements: int = 0  # sandbox verdict on visible tests != in-process prediction
    prompt_tokens: list[int] = field(default_factory=list)
    solution_tokens: list[int] = field(default_factory=list)


def grading_rows(row: dict) -> list[tuple[tuple[str, int, str], dict]]:
    """Sandbox task rows for one generated row: (row id, program index (-1 = reference), test set) -> task."""
    programs = [row["solution"], *row["wrong_solutions"]]
    out = []
    for index, program in enumerate(programs):
        for which in ("tests", "hidden_tests"):
            key = (row["id"], index - 1, which)
            task = {"id": f"{row['id']}/{index - 1}/{which}", "language": "python", "solution": program}
            out.append((key, {**task, "tests": row[which]}))
    return out


def grade(rows: list[dict], backend_name: str, jobs: int) -> dict[tuple[str, int, str], bool]:
    """Whether each program passed each test set. A sandbox failure raises: it is never a failed program."""
    from sandbox.api import get_backend, run_many
    from sandbox.base import Status

    keyed = [pair for row in rows for pair in grading_rows(row)]
    with get_backend(backend_name) as backend:
        results = run_many([task for _, task in keyed], backend, jobs=jobs, errors="raise")
    return {key: result.status is Status.PASSED for (key, _), result in zip(keyed, results)}


def sample_per_family(rows: list[dict], tasks: list[Task], per_family: int) -> tuple[list[dict], list[Task]]:
    """The first `per_family` tasks of each family (all when per_family is 0), keeping row order."""
    if per_family <= 0:
        return rows, tasks
    taken: dict[str, int] = defaultdict(int)
    keep = []
    for row, task in zip(rows, tasks):
        if taken[row["family"]] < per_family:
            taken[row["family"]] += 1
            keep.append((row, task))
    return [r for r, _ in keep], [t for _, t in keep]


def family_stats(rows: list[dict], tasks: list[Task], passed: dict, lengths: dict) -> dict[str, FamilyStats]:
    stats: dict[str, FamilyStats] = defaultdict(FamilyStats)
    for row, task in zip(rows, tasks):
        s, rid = stats[row["family"]], row["id"]
        s.tasks += 1
        s.ref_visible += passed[(rid, -1, "tests")]
        s.ref_hidden += passed[(rid, -1, "hidden_tests")]
        gap = [passed[(rid, i, "tests")] and not passed[(rid, i, "hidden_tests")] for i in range(len(task.wrongs))]
        s.wrongs += len(task.wrongs)
        s.wrong_fail_hidden += sum(not passed[(rid, i, "hidden_tests")] for i in range(len(task.wrongs)))
        s.gap_wrongs += sum(gap)
        s.gap_tasks += any(gap)
        s.disagreements += sum(
            passed[(rid, i, "tests")] != predicted for i, predicted in enumerate(task.wrong_passes_visible)
        )
        s.prompt_tokens.append(lengths[rid][0])
        s.solution_tokens.append(lengths[rid][1])
    order = {name: i for i, name in enumerate(FAMILIES)}
    return dict(sorted(stats.items(), key=lambda item: order[item[0]]))


def token_report(train: list[dict], rows: list[dict], vocab_size: int) -> tuple[dict, list[str], int]:
    """Token lengths per row id, the round-trip failures of `build_tiny_model`'s saved tokenizer, its vocab size."""
    from transformers import AutoTokenizer

    from alignment.model.tiny import build_tiny_model
    from data.loading import sft_example

    corpus = [f"{r['prompt']}\n{r['solution']}" for r in train]
    with tempfile.TemporaryDirectory() as tmp:
        build_tiny_model(tmp, corpus, vocab_size=vocab_size)
        tok = AutoTokenizer.from_pretrained(tmp)
    lengths, failures = {}, []
    for row in rows:
        completion = sft_example(row)["completion"][0]["content"]
        for kind, text in (("solution", row["solution"]), ("completion", completion), ("prompt", row["prompt"])):
            ids = tok.encode(text)  # as the brief of the check says; this tokenizer adds no BOS here
            back = tok.decode(ids)
            if back != text:
                failures.append(f"{row['id']} {kind}: {text!r} -> {back!r}")
            if kind == "solution":
                solution_len = len(ids)
            if kind == "prompt":
                lengths[row["id"]] = (len(ids), solution_len)
    return lengths, failures, len(tok)


def render(stats: dict[str, FamilyStats]) -> str:
    header = (
        f"{'family':<18} {'tasks':>5} {'ref vis':>7} {'ref hid':>7} {'wrong':>5} {'fail hid':>8} "
        f"{'gap':>5} {'gap tasks':>9} {'prompt tok':>10} {'sol tok':>7}"
    )
    lines = [header, "-" * len(header)]
    total = FamilyStats()
    for name, s in stats.items():
        lines.append(_line(name, s))
        for attr in ("tasks", "ref_visible", "ref_hidden", "wrongs", "wrong_fail_hidden", "gap_wrongs", "gap_tasks"):
            setattr(total, attr, getattr(total, attr) + getattr(s, attr))
        total.prompt_tokens += s.prompt_tokens
        total.solution_tokens += s.solution_tokens
    lines += ["-" * len(header), _line("all", total)]
    return "\n".join(lines)


def _line(name: str, s: FamilyStats) -> str:
    return (
        f"{name:<18} {s.tasks:>5} {s.ref_visible / s.tasks:>7.2f} {s.ref_hidden / s.tasks:>7.2f} {s.wrongs:>5} "
        f"{s.wrong_fail_hidden:>8} {s.gap_wrongs:>5} {s.gap_tasks / s.tasks:>9.2f} "
        f"{statistics.mean(s.prompt_tokens):>10.1f} {statistics.mean(s.solution_tokens):>7.1f}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--train", type=int, default=DEFAULT_TRAIN)
    parser.add_argument("--test", type=int, default=DEFAULT_TEST)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--per-family", type=int, default=0, help="grade only the first N tasks of each family")
    parser.add_argument("--vocab-size", type=int, default=1000, help="BPE vocabulary trained on the train split")
    parser.add_argument("--backend", default="bwrap", choices=["bwrap", "docker"])
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args(argv)

    result = generate(args.train, args.test, args.seed)
    rows, tasks = sample_per_family(result.train + result.test, result.tasks, args.per_family)
    lengths, failures, vocab = token_report(result.train, rows, args.vocab_size)
    passed = grade(rows, args.backend, args.jobs)
    stats = family_stats(rows, tasks, passed, lengths)
    print(f"{len(rows)} tasks ({len(result.train)} train + {len(result.test)} test generated, seed {args.seed}), "
          f"{len(stats)} families, graded on {args.backend}; tokens: BPE of {vocab} trained on the train split")  # fmt: skip
    print(render(stats))
    print(_verdict(stats, failures))
    ok = all(
        s.ref_visible == s.ref_hidden == s.tasks and s.wrong_fail_hidden == s.wrongs and not s.disagreements
        for s in stats.values()
    )
    return 0 if ok and not failures else 1


def _verdict(stats: dict[str, FamilyStats], failures: list[str]) -> str:
    wrongs = sum(s.wrongs for s in stats.values())
    gap = sum(s.gap_wrongs for s in stats.values())
    tasks = sum(s.tasks for s in stats.values())
    gap_tasks = sum(s.gap_tasks for s in stats.values())
    disagreements = sum(s.disagreements for s in stats.values())
    lines = [
        f"thin-test gap: {gap}/{wrongs} wrong solutions ({gap / wrongs:.1%}) pass the visible tests and fail the "
        f"hidden ones; {gap_tasks}/{tasks} tasks ({gap_tasks / tasks:.1%}) have at least one",
        f"sandbox vs in-process prediction of visible passes: {disagreements} disagreement(s)",
        f"tokenizer round trip (build_tiny_model, decode(encode(x)) == x): {len(failures)} failure(s)",
        *failures[:5],
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
