"""Side-by-side benchmark: our math answer checker vs Math-Verify on the project's labelled table.

    python -m bench.bench_math                 # accuracy, false positives/negatives, latency, speed ratio
    python -m bench.bench_math --show-errors   # also list every row a checker gets wrong
    python -m bench.bench_math --no-parallel   # skip the 8-thread / process-pool consistency checks

Both checkers see the same (gold, prediction) strings in the same process, one after the other per row, so the
ratio compares like with like. Math-Verify runs with its defaults (`parse` + `verify`, 5 s `signal.alarm`
timeouts), which is also why it has to run in the main thread; bare LaTeX answers are given `$...$` delimiters
for it, as its documentation asks. Math-Verify is a bench/dev extra only.
"""

from __future__ import annotations

import argparse
import logging
import multiprocessing
import statistics
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from multiprocessing.connection import Connection

from bench.math_cases import MathCase, load_cases
from rewards.math_rewards import math_rewards_batch, verify, warmup

HANG_LIMIT_S = 2.0  # a call longer than this would be killed by the GRPO step's external watchdog


def _ours(case: MathCase) -> bool:
    return verify(case.gold, case.prediction)


def _math_verify_checker() -> Callable[[MathCase], bool]:
    try:
        from math_verify import parse
        from math_verify import verify as mv_verify
    except ImportError as err:
        raise SystemExit(
            "Math-Verify is not installed; install the bench extra: pip install 'codealign[bench]'"
        ) from err

    def delimited(text: str) -> str:
        """Math-Verify only reads LaTeX inside $...$, \\(...\\), \\[...\\] or \\boxed{}; give bare answers delimiters."""
        if any(mark in text for mark in ("$", "\\(", "\\[", "\\boxed")):
            return text
        return f"${text}$"

    def check(case: MathCase) -> bool:
        try:
            return bool(mv_verify(parse(delimited(case.gold)), parse(delimited(case.prediction))))
        except Exception:  # noqa: BLE001 - a crash of the reference tool counts as "not equal", as in its own metric
            return False

    return check


def _run(check: Callable[[MathCase], bool], cases: list[MathCase]) -> tuple[list[bool], list[float]]:
    verdicts, times_s = [], []
    for case in cases:
        start = time.perf_counter()
        verdicts.append(check(case))
        times_s.append(time.perf_counter() - start)
    return verdicts, times_s


def _summary(name: str, cases: list[MathCase], verdicts: list[bool], times_s: list[float]) -> dict[str, object]:
    right = [v == c.expected for v, c in zip(verdicts, cases)]
    real = [r for r, c in zip(right, cases) if c.real_completion]
    negatives = sum(not c.expected for c in cases)
    false_pos = sum(v and not c.expected for v, c in zip(verdicts, cases))
    false_neg = sum(not v and c.expected for v, c in zip(verdicts, cases))
    ordered = sorted(times_s)
    return {
        "checker": name,
        "accuracy": sum(right) / len(cases),
        "acc_real": sum(real) / len(real) if real else float("nan"),
        "fp": false_pos,
        "fp_rate": false_pos / max(1, negatives),
        "fn": false_neg,
        "mean_ms": 1000 * statistics.fmean(times_s),
        "median_ms": 1000 * statistics.median(times_s),
        "p99_ms": 1000 * ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))],
        "max_ms": 1000 * ordered[-1],
        "hangs": sum(t > HANG_LIMIT_S for t in times_s),
    }


def _print_table(rows: list[dict[str, object]]) -> None:
    header = (
        f"{'checker':<14}{'accuracy':>9}{'acc_real':>9}{'FP':>5}{'FP rate':>9}{'FN':>5}"
        f"{'mean ms':>10}{'median ms':>11}{'p99 ms':>10}{'max ms':>10}{'>2s':>5}"
    )
    print(header)
    print("-" * len(header))
    for r in rows:
        print(
            f"{r['checker']:<14}{r['accuracy']:>9.3f}{r['acc_real']:>9.3f}{r['fp']:>5}{r['fp_rate']:>9.3%}{r['fn']:>5}"
            f"{r['mean_ms']:>10.3f}{r['median_ms']:>11.3f}{r['p99_ms']:>10.2f}{r['max_ms']:>10.1f}{r['hangs']:>5}"
        )


def _by_group(cases: list[MathCase], ours: list[bool], theirs: list[bool]) -> None:
    """Accuracy per part of the table: our own rows were written alongside the checker, the published ones not."""
    groups = {
        "published (public grader suites)": lambda c: c.origin != "handwritten",
        "handwritten bare answers": lambda c: (
            c.origin == "handwritten" and "/" not in c.category and c.category != "guard"
        ),
        "handwritten completions": lambda c: c.origin == "handwritten" and "/" in c.category,
        "pathological guards": lambda c: c.category == "guard",
    }
    print(f"\n{'rows':<36}{'n':>5}{'ours':>8}{'math-verify':>13}")
    for name, member in groups.items():
        index = [i for i, c in enumerate(cases) if member(c)]
        mine = sum(ours[i] == cases[i].expected for i in index) / max(1, len(index))
        ref = sum(theirs[i] == cases[i].expected for i in index) / max(1, len(index))
        print(f"{name:<36}{len(index):>5}{mine:>8.3f}{ref:>13.3f}")


def _consistency(cases: list[MathCase], sequential: list[bool]) -> None:
    with ThreadPoolExecutor(max_workers=8) as pool:
        threaded = list(pool.map(_ours, cases))
    pooled = math_rewards_batch([c.prediction for c in cases], [c.gold for c in cases], max_workers=2)
    pooled_verdicts = [score == 1.0 for score in pooled]
    print(f"8 threads give the sequential verdicts: {threaded == sequential}")
    print(f"process pool (2 workers) gives the sequential verdicts: {pooled_verdicts == sequential}")
    print(f"cases killed by a {HANG_LIMIT_S:.0f} s external watchdog: {_external_kill_hangs(cases)}")


def _watch(conn: Connection, cases: list[MathCase]) -> None:
    for index, case in enumerate(cases):
        verify(case.gold, case.prediction)
        conn.send(index)


def _external_kill_hangs(cases: list[MathCase], limit_s: float = HANG_LIMIT_S) -> int:
    """Run our checker in a child that a watchdog kills when one case takes longer than `limit_s`; count kills."""
    context = multiprocessing.get_context("spawn")
    hangs, start = 0, 0
    while start < len(cases):
        parent, child = context.Pipe()
        process = context.Process(target=_watch, args=(child, cases[start:]), daemon=True)
        process.start()
        done = start
        while done < len(cases) and parent.poll(limit_s if done > start else 60.0):
            done = start + parent.recv() + 1
        if done < len(cases):
            hangs += 1
            process.kill()
            done += 1  # skip the case that hung
        process.join()
        start = done
    return hangs


def _show_errors(name: str, cases: list[MathCase], verdicts: list[bool]) -> None:
    print(f"\nrows {name} gets wrong:")
    for index, (case, verdict) in enumerate(zip(cases, verdicts)):
        if verdict != case.expected:
            kind = "FP" if verdict else "FN"
            print(f"  [{index}] {kind} {case.category}: gold={case.gold[-80:]!r} pred={case.prediction[-100:]!r}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--show-errors", action="store_true", help="list the rows each checker gets wrong")
    parser.add_argument("--no-parallel", action="store_true", help="skip the thread/process-pool consistency check")
    args = parser.parse_args()

    logging.getLogger("math_verify").setLevel(logging.CRITICAL)  # its per-case timeout messages flood the table
    logging.getLogger("latex2sympy2_extended").setLevel(logging.CRITICAL)
    cases = load_cases()
    warmup()
    math_verify = _math_verify_checker()
    _run(_ours, cases[:20])  # warm caches and imports of both tools before timing
    _run(math_verify, cases[:20])
    ours_verdicts, ours_times = _run(_ours, cases)
    mv_verdicts, mv_times = _run(math_verify, cases)

    real = sum(c.real_completion for c in cases)
    negatives = sum(not c.expected for c in cases)
    print(f"{len(cases)} labelled cases ({real} real model completions, {negatives} not-equal)\n")
    ours = _summary("ours", cases, ours_verdicts, ours_times)
    theirs = _summary("math-verify", cases, mv_verdicts, mv_times)
    _print_table([ours, theirs])
    print(f"\nspeed ratio (math-verify mean / ours mean): {theirs['mean_ms'] / ours['mean_ms']:.1f}x")
    print(f"p99 ratio: {theirs['p99_ms'] / ours['p99_ms']:.1f}x")
    _by_group(cases, ours_verdicts, mv_verdicts)
    if not args.no_parallel:
        _consistency(cases, ours_verdicts)
    if args.show_errors:
        _show_errors("ours", cases, ours_verdicts)
        _show_errors("math-verify", cases, mv_verdicts)


if __name__ == "__main__":
    main()
