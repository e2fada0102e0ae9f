"""Convert a public data set into canonical rows (or sandbox task rows) as JSONL.

    python -m data.formats --input taco_test.parquet --output taco.jsonl              # format detected
    python -m data.formats --input mbpp.jsonl --format mbpp --output mbpp.jsonl
    python -m data.formats --benchmark humaneval --sandbox-rows --output he.jsonl     # -> python -m sandbox.grade

`--sandbox-rows` writes {"id", "language", "solution", "tests"} for every row with a reference solution, graded on
all its tests (visible and hidden), so `python -m sandbox.grade` checks that the conversion is right.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from data.formats.registry import FORMATS, all_tests
from data.formats.sources import BENCHMARKS, load_benchmark, load_rows
from data.loading import DataError

logger = logging.getLogger(__name__)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m data.formats", description=__doc__.split("\n\n")[0])
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--input", help="a .jsonl[.gz] / .json / .parquet file or a hub id (org/name[:config])")
    source.add_argument("--benchmark", choices=sorted(BENCHMARKS))
    parser.add_argument("--format", choices=sorted(FORMATS), help="default: detected from the first row's columns")
    parser.add_argument("--split", default="train", help="hub data sets only")
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--skip-unsupported", action="store_true", help="skip rows the sandbox cannot grade")
    parser.add_argument("--sandbox-rows", action="store_true", help="write sandbox task rows instead")
    parser.add_argument("--output", required=True, help="JSONL file ('-' for stdout)")
    return parser.parse_args(argv)


def _sandbox_row(row: dict) -> dict | None:
    if row["task"] != "code" or not row["solution"]:
        return None
    return {"id": row["id"], "language": row["language"], "solution": row["solution"], "tests": all_tests(row)}


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level="INFO", format="%(levelname)s %(name)s: %(message)s")
    try:
        if args.benchmark:
            rows = load_benchmark(args.benchmark, limit=args.limit)
        else:
            rows = list(load_rows(args.input, args.format, args.limit, args.split, args.skip_unsupported))
    except DataError as exc:
        logger.error("%s", exc)
        return 1
    if args.sandbox_rows:
        rows = [r for r in map(_sandbox_row, rows) if r is not None]
    text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
    if args.output == "-":
        sys.stdout.write(text)
    else:
        Path(args.output).write_text(text, encoding="utf-8")
    logger.info("wrote %d rows", len(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
