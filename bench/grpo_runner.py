"""One benchmark variant of the GRPO stage in its own process, so each gets a fresh heap and thread pool:

    python -m bench.grpo_runner RESULT.json -- <alignment.grpo arguments>
    PYTHONPATH=<another checkout> python bench/grpo_runner.py RESULT.json -- ...   # that checkout's stage

Runs `alignment.grpo.main` on the arguments (as its command line does) and writes RESULT.json with the process's
peak resident memory and wall time. Also registers the benchmark's `constant` reward (1.0 for every completion, no
work: the step without reward cost) so a variant can name it in `--reward_funcs`.
"""

from __future__ import annotations

import inspect
import json
import resource
import sys
import time
from pathlib import Path


def constant_scores(completions: list[str], context, **columns) -> list[float | None]:
    """1.0 for every completion: the same step as a real reward, minus the reward's own work."""
    return [1.0] * len(completions)


def register_constant_reward() -> None:
    from rewards.registry import REWARDS, RewardSpec

    REWARDS.setdefault(
        "constant",
        RewardSpec(
            scorer=constant_scores, task=None, columns=(), kind="shaping", doc="benchmark baseline: always 1.0"
        ),
    )


def main(argv: list[str]) -> None:
    if len(argv) < 2 or argv[1] != "--":
        raise SystemExit("usage: python -m bench.grpo_runner RESULT.json -- <alignment.grpo arguments>")
    register_constant_reward()
    from alignment import grpo

    start = time.perf_counter()
    # as from the command line: `malloc: tcmalloc` may restart this process with the allocator preloaded, which runs
    # this script again on the same arguments (an older revision's `main` has no `restart` and no `malloc` key)
    restart = {"restart": True} if "restart" in inspect.signature(grpo.main).parameters else {}
    output_dir = grpo.main(argv[2:], **restart)
    result = {
        "output_dir": str(output_dir),
        "wall_s": time.perf_counter() - start,
        "peak_rss_gib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20,  # Linux reports KiB
    }
    Path(argv[0]).write_text(json.dumps(result))


if __name__ == "__main__":
    main(sys.argv[1:])
