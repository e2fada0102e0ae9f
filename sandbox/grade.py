"""Grade a JSONL file of tasks in a sandbox.

    python -m sandbox.grade --backend bwrap --jobs 4 --input tasks.jsonl --output verdicts.jsonl

Input rows: {"id", "language", "solution", "tests": {...}} (see `sandbox.tasks`). Output rows, in input order:
{"id", "passed", "status", "judged", "tests_passed", "tests_total", "duration_s", "cpu_time_s", "detail"}. Every
input row is validated before anything runs; a malformed row stops the run with its line number. `--all-tests` runs
every case and test item (for the fraction passed) instead of stopping at the first failure. A row that is not
judged (`sandbox_error`, `wall_clock_backstop`) is counted, logged and makes the exit code 2: it is no verdict
about the program.
Bad input (a malformed row, a missing file, invalid limits, an engine that is down) ends with one `error:` line and
exit code 2; `CODEALIGN_DEBUG=1` shows the traceback instead.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
from collections import Counter
from contextlib import closing
from pathlib import Path

from sandbox.api import BACKEND_NAMES, get_backend, run_many
from sandbox.base import Limits, SandboxError
from sandbox.tasks import TaskError, iter_jsonl_tasks

logger = logging.getLogger(__name__)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m sandbox.grade", description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=BACKEND_NAMES, required=True)
    parser.add_argument("--input", required=True, help="JSONL file of tasks")
    parser.add_argument("--output", required=True, help="JSONL file of verdicts ('-' for stdout)")
    parser.add_argument("--jobs", type=int, default=2, help="programs graded at once")
    parser.add_argument("--cpu-time-s", type=float, default=Limits.cpu_time_s, help="CPU seconds per run step")
    parser.add_argument("--timeout-s", type=float, default=None, help="wall-clock backstop per run step")
    parser.add_argument("--memory-mb", type=int, default=Limits.memory_mb)
    parser.add_argument("--all-tests", action="store_true", help="run every case / test item (fraction passed)")
    parser.add_argument("--pids", type=int, default=Limits.pids)
    parser.add_argument("--log-level", default="INFO")
    args = parser.parse_args(argv)
    if args.jobs < 1:
        parser.error(f"--jobs must be >= 1, got {args.jobs}")
    return args


def main(argv: list[str] | None = None) -> int:
    try:
        return grade(parse_args(argv))
    except (TaskError, SandboxError, OSError) as exc:  # bad input or an engine that is down, not a bug
        if os.environ.get("CODEALIGN_DEBUG", "") not in ("", "0"):
            raise
        message = f"{exc.filename}: {exc.strerror.lower()}" if isinstance(exc, OSError) and exc.strerror else exc
        print(f"error: {message}", file=sys.stderr)
        return 2


def grade(args: argparse.Namespace) -> int:
    logging.basicConfig(level=args.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    tasks = list(iter_jsonl_tasks(args.input))
    try:
        limits = Limits(cpu_time_s=args.cpu_time_s, timeout_s=args.timeout_s, memory_mb=args.memory_mb, pids=args.pids)
    except ValueError as exc:
        raise TaskError(f"invalid limits: {exc}") from None
    start = time.monotonic()
    concurrency = {"docker": {"pool_size": args.jobs}, "bwrap": {"slots": args.jobs}}.get(args.backend, {})
    with closing(get_backend(args.backend, **concurrency)) as backend:  # one warm slot per job
        results = run_many(tasks, backend, jobs=args.jobs, limits=limits, errors="status", all_tests=args.all_tests)
    elapsed_s = time.monotonic() - start
    text = "".join(json.dumps(result.to_row(task.id)) + "\n" for task, result in zip(tasks, results))
    if args.output == "-":
        sys.stdout.write(text)
    else:
        Path(args.output).write_text(text, encoding="utf-8")
    counts = Counter(r.status.value for r in results)
    logger.info(
        "graded %d programs in %.1f s (%.1f/s): %s",
        len(tasks),
        elapsed_s,
        len(tasks) / max(elapsed_s, 1e-9),
        dict(counts),
    )
    not_judged = sum(not r.judged for r in results)
    if not_judged:
        logger.error(
            "%d rows not judged (sandbox failure or wall-clock backstop): those rows are not verdicts", not_judged
        )
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
