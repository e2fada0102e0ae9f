"""The entry points' error convention: bad input ends in one `error:` message and exit status 2, not a traceback.

What is wrong, where (file and line, key, row id) and the fix all belong in the message; the traceback is shown only
with `--debug` on the command line or `CODEALIGN_DEBUG=1` in the environment. Anything that is not bad input (a bug,
a crash in training) keeps its traceback and exit status 1.

How an entry point adopts it (`alignment/sft.py` and `alignment/evaluate.py` are examples):

1. `main(argv: list[str] | None = None)` raises, it never prints-and-exits. Recipe stages parse with
   `alignment.run.config.parse_recipe(CONFIGS, argv, prog=..., doc=__doc__, check_inputs=True)`, which checks keys,
   values, data files, model paths, the output directory and the sandbox before anything heavy is imported, and raises
   one `ConfigError` listing every problem. argparse stages use `ArgumentParser` from here (its errors become
   `UsageError`s too). A stage that gathers its own problems calls `raise_problems(problems, "the evaluation")`.
2. The bottom of the module is `if __name__ == "__main__": run_cli(main)`.
3. Bad input raises one of the classes `run_cli` recognises: `UsageError` (and `ConfigError`, its subclass),
   `data.loading.DataError`, `sandbox.tasks.TaskError`, `sandbox.base.SandboxError` (an engine that is down) or a
   file-system `OSError` (`FileNotFoundError` from `resolve_model_path`, `PermissionError`, ...). A new error class for
   bad input either subclasses `UsageError` or is added to `INPUT_ERRORS`.

`main` stays callable from Python (tests, `alignment.demo` calling `sft.main`): there the exceptions simply propagate.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Callable, Sequence
from typing import Any, NoReturn

DEBUG_FLAG = "--debug"
DEBUG_ENV = "CODEALIGN_DEBUG"
USAGE_EXIT = 2  # bad input, as argparse, ruff and cargo use it
# Bad-input classes outside `alignment/` (data/ and sandbox/ import nothing of alignment), by module and name: they
# are looked up only if their module was imported, so checking for them imports nothing.
INPUT_ERRORS: list[tuple[str, str]] = [
    ("data.loading", "DataError"),
    ("sandbox.tasks", "TaskError"),
    ("sandbox.base", "SandboxError"),
]
_LOCATED = re.compile(r"^(command line|[^\s:]+:\d+(:\d+)?): ")
_OS_INPUT_ERRORS = (FileNotFoundError, FileExistsError, NotADirectoryError, IsADirectoryError, PermissionError)


class UsageError(ValueError):
    """Bad input to an entry point: the message says what is wrong, where, and how to fix it. `problems` holds the
    single problems when the message lists several (for callers that merge the problems of several checks)."""

    def __init__(self, message: str, problems: Sequence[str] | None = None) -> None:
        super().__init__(message)
        self.problems = list(problems) if problems is not None else [message]


def problems_message(problems: Sequence[str], where: str) -> str:
    """The one format for a list of problems: a count, then one line each; a single problem that names its own
    location (`file:line: ...`, `command line: ...`) is the whole message."""
    if len(problems) == 1:
        return problems[0] if _LOCATED.match(problems[0]) else f"{where}: {problems[0]}"
    return f"{len(problems)} problem(s) in {where}:\n  - " + "\n  - ".join(problems)


def raise_problems(problems: Sequence[str], where: str) -> None:
    """Raise one `UsageError` listing `problems` (gathered before any model loads); nothing when there are none."""
    if problems:
        raise UsageError(problems_message(problems, where), problems)


class ArgumentParser(argparse.ArgumentParser):
    """argparse whose errors are raised as `UsageError` (one `error:` line under `run_cli`, not usage + exit)."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message} (see `{self.prog} --help`)")


def debug_requested(argv: Sequence[str] = ()) -> bool:
    return DEBUG_FLAG in argv or os.environ.get(DEBUG_ENV, "").strip().lower() not in ("", "0", "false", "no")


def input_error_message(exc: BaseException) -> str | None:
    """The message for bad input, or None when `exc` is not one (a bug: it keeps its traceback)."""
    if isinstance(exc, UsageError):
        return str(exc)
    if isinstance(exc, _OS_INPUT_ERRORS):
        if exc.strerror and exc.filename:  # a raw OS error: "[Errno 2] No such file or directory: 'x'"
            return f"{exc.filename}: {exc.strerror.lower()}"
        return str(exc)
    for module_name, class_name in INPUT_ERRORS:
        module = sys.modules.get(module_name)
        cls = getattr(module, class_name, None) if module is not None else None
        if cls is not None and isinstance(exc, cls):
            return str(exc)
    return None


def run_cli(main: Callable[[list[str]], Any], argv: Sequence[str] | None = None) -> NoReturn:
    """Run an entry point's `main(argv)` under the convention above, and exit with its status."""
    args = list(sys.argv[1:] if argv is None else argv)
    debug = debug_requested(args)
    args = [a for a in args if a != DEBUG_FLAG]
    try:
        result = main(args)
    except KeyboardInterrupt:
        if debug:
            raise
        print("error: interrupted", file=sys.stderr)
        raise SystemExit(130) from None
    except Exception as exc:
        message = input_error_message(exc)
        if message is None or debug:
            raise
        print(f"error: {message}", file=sys.stderr)
        raise SystemExit(USAGE_EXIT) from None
    raise SystemExit(result if isinstance(result, int) and not isinstance(result, bool) else 0)
