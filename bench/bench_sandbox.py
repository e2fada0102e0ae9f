"""Sandbox throughput: one batch of short Python assert-style programs graded through a fresh container per
program (`docker-run`), the warm Docker pool, bwrap and a plain subprocess, side by side in one run.

    python -m bench.bench_sandbox                       # 160 programs, 20 for docker-run, --jobs 2
    python -m bench.bench_sandbox --programs 400 --jobs 4 --backends docker bwrap

Half the programs are canonical solutions, half perturbed ones, so every backend must also agree on the verdicts
(the `verdicts ok` column; a wrong verdict makes the run exit non-zero). docker-run grades only the first
`--docker-run-programs` programs (it is ~20x slower); rates are per program, so the ratios stay comparable.
Backend start-up (the pool's warm containers) is timed separately and excluded from programs/s, since a trainer
pays it once. Backends are timed in interleaved rounds (median and best shown) so that other load on the
machine hits all alike; the header prints the load average, since absolute rates mean little on a busy machine.
Targets from issue 4, on 2 cores: bwrap >= 45 programs/s and >= 8x docker-run; warm Docker pool >= 25 programs/s
and >= 4.5x docker-run.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

from sandbox.base import SandboxError

BACKENDS = ("docker-run", "docker", "bwrap", "subprocess")
TARGETS = {"docker": (25.0, 4.5), "bwrap": (45.0, 8.0)}  # (programs/s, x docker-run), issue 4 acceptance

# (entry point, canonical solution, perturbed solution, HumanEval-style check) -- small, fast, varied.
PROGRAMS = [
    ("add", "def add(a, b):\n    return a + b\n", "def add(a, b):\n    return a - b\n",
     "def check(candidate):\n    assert candidate(1, 2) == 3\n    assert candidate(-4, 4) == 0\n"),
    ("rev", "def rev(s):\n    return s[::-1]\n", "def rev(s):\n    return s[::-1][1:]\n",
     "def check(candidate):\n    assert candidate('abc') == 'cba'\n    assert candidate('') == ''\n"),
    ("fib", "def fib(n):\n    a, b = 0, 1\n    for _ in range(n):\n        a, b = b, a + b\n    return a\n",
     "def fib(n):\n    a, b = 1, 1\n    for _ in range(n):\n        a, b = b, a + b\n    return a\n",
     "def check(candidate):\n    assert [candidate(i) for i in range(8)] == [0, 1, 1, 2, 3, 5, 8, 13]\n"),
    ("is_pal", "def is_pal(s):\n    return s == s[::-1]\n", "def is_pal(s):\n    return s[0] == s[-1]\n",
     "def check(candidate):\n    assert candidate('abba') is True\n    assert candidate('abca') is False\n"),
    ("gcd", "def gcd(a, b):\n    while b:\n        a, b = b, a % b\n    return a\n",
     "def gcd(a, b):\n    return min(a, b)\n",
     "def check(candidate):\n    assert candidate(12, 18) == 6\n    assert candidate(7, 3) == 1\n"),
    ("uniq", "def uniq(xs):\n    return sorted(set(xs))\n", "def uniq(xs):\n    return list(set(xs))[::-1]\n",
     "def check(candidate):\n    assert candidate([3, 1, 3, 2]) == [1, 2, 3]\n"),
    ("vowels", "def vowels(s):\n    return sum(c in 'aeiou' for c in s.lower())\n",
     "def vowels(s):\n    return sum(c in 'aeiou' for c in s)\n",
     "def check(candidate):\n    assert candidate('Apple') == 2\n    assert candidate('xyz') == 0\n"),
    ("sq_sum", "def sq_sum(n):\n    return sum(i * i for i in range(1, n + 1))\n",
     "def sq_sum(n):\n    return sum(i * i for i in range(n))\n",
     "def check(candidate):\n    assert candidate(3) == 14\n    assert candidate(1) == 1\n"),
]  # fmt: skip


def make_rows(count: int) -> list[tuple[dict, bool]]:
    """`count` task rows (schema of `python -m sandbox.grade`), alternating canonical and perturbed solutions."""
    rows = []
    for i in range(count):
        entry, good, bad, check = PROGRAMS[(i // 2) % len(PROGRAMS)]
        canonical = i % 2 == 0
        tests = {"kind": "assert", "code": check, "entry_point": entry}
        rows.append(({"id": f"b{i}", "language": "python", "solution": good if canonical else bad, "tests": tests},
                     canonical))  # fmt: skip
    return rows


def make_backend(name: str, jobs: int):
    """The backend under test; the two baselines are built directly, the product's through `sandbox.api.get_backend`."""
    if name == "docker-run":
        from bench.docker_run_backend import DockerRunBackend

        return DockerRunBackend()
    if name == "subprocess":
        from bench.subprocess_backend import SubprocessBackend

        return SubprocessBackend()
    from sandbox.api import get_backend

    return get_backend(name, pool_size=jobs) if name == "docker" else get_backend(name)


def start(name: str, jobs: int) -> dict:
    """Build the backend (timed) or record why it is unavailable."""
    started = time.perf_counter()
    try:
        backend = make_backend(name, jobs)
    except (SandboxError, OSError) as exc:
        return {"name": name, "error": str(exc).splitlines()[0][:90]}
    return {"name": name, "backend": backend, "startup_s": time.perf_counter() - started, "rates": [], "wrong": 0}


def grade_once(entry: dict, rows: list[tuple[dict, bool]], jobs: int) -> None:
    """One timed pass of `rows` through the entry's backend; records the rate and the wrong verdicts."""
    from sandbox.api import run_many
    from sandbox.tasks import parse_task

    tasks = [parse_task(row) for row, _ in rows]
    t0 = time.perf_counter()
    results = run_many(tasks, entry["backend"], jobs=jobs)
    entry["rates"].append(len(tasks) / (time.perf_counter() - t0))
    entry["wrong"] += sum(r.passed != canonical for r, (_, canonical) in zip(results, rows))
    entry["programs"] = len(tasks)


def measure(rows: list[tuple[dict, bool]], args: argparse.Namespace) -> list[dict]:
    """Start every backend, warm each up, then time them in interleaved rounds, so that load from other work on
    the machine hits all of them alike."""
    from sandbox.api import run_many
    from sandbox.tasks import parse_task

    entries = [start(name, args.jobs) for name in args.backends]
    live = [e for e in entries if "backend" in e]
    try:
        for entry in live:  # warm-up: imports, page cache, first containers
            run_many([parse_task(row) for row, _ in rows[: args.jobs]], entry["backend"], jobs=args.jobs)
        for round_index in range(args.repeats):
            for entry in live:
                count = args.docker_run_programs if entry["name"] == "docker-run" else args.programs
                grade_once(entry, rows[:count], args.jobs)
            print(f"  round {round_index + 1}/{args.repeats} done", file=sys.stderr)
    finally:
        for entry in live:
            entry.pop("backend").close()
    for entry in live:
        entry["rate"], entry["best"] = statistics.median(entry["rates"]), max(entry["rates"])
    return entries


def print_table(measured: list[dict]) -> bool:
    """Print the comparison; True when every verdict was right and every target met."""
    base = next((m["rate"] for m in measured if m["name"] == "docker-run" and "rate" in m), None)
    print(f"{'backend':<12}{'programs':>9}{'startup s':>11}{'programs/s':>12}{'best':>7}{'x docker-run':>14}"
          f"{'verdicts ok':>13}  target")  # fmt: skip
    ok = True
    for m in measured:
        if "error" in m:
            print(f"{m['name']:<12}  unavailable: {m['error']}")
            continue
        ratio = m["rate"] / base if base else float("nan")
        target = TARGETS.get(m["name"])
        verdict = ""
        if target:
            met = m["rate"] >= target[0] and (base is None or ratio >= target[1])
            verdict = f"{'met' if met else 'MISSED'} (>= {target[0]:.0f}/s, >= {target[1]}x)"
            ok &= met
        ok &= m["wrong"] == 0
        total = m["programs"] * len(m["rates"])
        print(f"{m['name']:<12}{m['programs']:>9}{m['startup_s']:>11.2f}{m['rate']:>12.1f}{m['best']:>7.1f}"
              f"{ratio:>14.1f}{total - m['wrong']:>8}/{total:<4}  {verdict}")  # fmt: skip
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--programs", type=int, default=160, help="batch size for every backend but docker-run")
    parser.add_argument("--docker-run-programs", type=int, default=20, help="batch size for docker-run")
    parser.add_argument("--jobs", type=int, default=2, help="concurrent programs (and Docker pool size)")
    parser.add_argument("--repeats", type=int, default=3, help="interleaved timed rounds (median and best shown)")
    parser.add_argument("--backends", nargs="+", choices=BACKENDS, default=list(BACKENDS))
    args = parser.parse_args(argv)
    rows = make_rows(max(args.programs, args.docker_run_programs))
    measured = measure(rows, args)
    print(f"\nSandbox throughput: {args.jobs} concurrent, median of {args.repeats} interleaved round(s), Python "
          f"assert-style programs (half canonical, half perturbed); {os.cpu_count()} CPUs, "
          f"load average {os.getloadavg()[0]:.1f}")  # fmt: skip
    return 0 if print_table(measured) else 1


if __name__ == "__main__":
    sys.exit(main())
