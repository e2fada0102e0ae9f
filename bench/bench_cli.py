"""Time to the first message: how long a user waits for `--help` or for the error of a mistyped recipe.

    python -m bench.bench_cli                          # now vs. importing TRL's configs first, 5 interleaved rounds
    python -m bench.bench_cli --before ../main-clone   # and vs. another checkout of the project (e.g. before a change)

Each case is a real `python -m ...` process; rounds are interleaved so that other load on the machine hits every
variant alike, and the header prints the load average, since absolute seconds mean little on a busy machine. The
`after TRL import` variant runs the same command after `from trl import GRPOConfig, ModelConfig, SFTConfig`, which
every call paid before the recipe check moved ahead of it (torch, transformers and TRL load there).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TRL_FIRST = "from trl import GRPOConfig, ModelConfig, SFTConfig; import runpy, sys; sys.argv = sys.argv[1:]; "


def cases(recipe: str) -> dict[str, list[str]]:
    return {
        "grpo typo in the recipe": ["alignment.grpo", "--config", recipe],
        "sft --help": ["alignment.sft", "--help"],
    }


def timed(argv: list[str], cwd: Path) -> tuple[float, int]:
    start = time.perf_counter()
    proc = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(cwd)})
    return time.perf_counter() - start, proc.returncode


def variants(module_args: list[str], before: Path | None) -> dict[str, tuple[list[str], Path]]:
    module, *args = module_args
    out = {
        "now": ([sys.executable, "-m", module, *args], ROOT),
        "after TRL import": (
            [sys.executable, "-c", TRL_FIRST + f"runpy.run_module({module!r}, run_name='__main__')", module, *args],
            ROOT,
        ),
    }
    if before is not None:
        out["--before checkout"] = ([sys.executable, "-m", module, *args], before)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.bench_cli", description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--before", type=Path, default=None, help="another checkout to time the same commands in")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        recipe = Path(tmp) / "typo.yaml"
        recipe.write_text("datasets: [data/math_small/train.jsonl]\nlearnig_rate: 1.0e-6\n")
        print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; {args.rounds} rounds, median (best)")
        print(f"{'case':28} {'variant':20} {'seconds':>16} {'x now':>7}  exit")
        for name, module_args in cases(str(recipe)).items():
            runs = variants(module_args, args.before)
            times: dict[str, list[float]] = {label: [] for label in runs}
            codes: dict[str, int] = {}
            for _ in range(args.rounds):
                for label, (command, cwd) in runs.items():
                    seconds, codes[label] = timed(command, cwd)
                    times[label].append(seconds)
            now = statistics.median(times["now"])
            for label, values in times.items():
                median = statistics.median(values)
                shown = f"{median:.2f} ({min(values):.2f})"
                print(f"{name:28} {label:20} {shown:>16} {median / now:>6.1f}x  {codes[label]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
