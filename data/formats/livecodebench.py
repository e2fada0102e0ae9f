"""LiveCodeBench (code_generation / code_generation_lite) rows, and a decoder for their compressed test cases that
never unpickles an object.

Published columns: `question_title`, `question_content`, `platform`, `question_id`, `contest_id`, `contest_date`,
`starter_code`, `difficulty`, `public_test_cases` (a JSON list of {"input", "output", "testtype": "stdin" |
"functional"}), `private_test_cases` (the same list; in the lite release base64 of zlib of a *pickled JSON string*)
and `metadata` (JSON; `func_name` for functional problems).

`public_test_cases` become `tests`, `private_test_cases` `hidden_tests`; LiveCodeBench grades on both.
Functional cases pass the arguments as newline-separated JSON values and the expected return value as JSON; they are
compared by LiveCodeBench's rule (`calls.py`, "lcb"). Stdin cases: LiveCodeBench compares stripped lines, then the
lines' tokens as `Decimal`s (so "1.0" equals "1", with no tolerance) -> the ``tokens`` checker, which accepts the
same outputs except numerically equal spellings of one number.
"""

from __future__ import annotations

import base64
import binascii
import json
import pickletools
import zlib
from collections.abc import Mapping
from typing import Any

from data.formats.base import (
    GRADER_PREAMBLE,
    canonical_row,
    code_prompt,
    identifier,
    json_field,
    row_id,
    split_tests,
    stdio_case,
    stdio_tests,
    text_field,
)
from data.formats.calls import call_cases, call_tests
from data.loading import DataError

MAX_DECOMPRESSED_BYTES = 1 << 30  # the largest private test sets are a few hundred MB; more is refused, not inflated
# The opcodes a pickle of one `str` is made of (protocols 0-5). Nothing here can look up a class or call anything:
# GLOBAL/STACK_GLOBAL (find_class), REDUCE, BUILD, NEWOBJ, INST, OBJ and persistent ids are all refused.
_FRAMING = {"PROTO", "FRAME", "MEMOIZE", "PUT", "BINPUT", "LONG_BINPUT", "STOP"}
_STRINGS = {"UNICODE", "SHORT_BINUNICODE", "BINUNICODE", "BINUNICODE8"}


def pickled_string(data: bytes) -> str:
    """The string a pickle holds, read opcode by opcode (`pickletools.genops` parses, it never executes); any
    pickle that would build something other than one plain string is refused with `DataError`."""
    found: str | None = None
    try:
        for opcode, arg, pos in pickletools.genops(data):
            if opcode.name in _STRINGS and found is None:
                found = arg
            elif opcode.name not in _FRAMING:
                raise DataError(
                    f"refusing to unpickle: opcode {opcode.name} at byte {pos} would build something other than "
                    "a plain string (test data must never run code)"
                )
    except DataError:
        raise
    except ValueError as exc:  # pickletools' own complaint about malformed data
        raise DataError(f"not a valid pickle ({exc})") from exc
    if found is None:
        raise DataError("the pickle holds no string")
    return found


def _inflate(raw: bytes) -> bytes:
    inflater = zlib.decompressobj()
    try:
        data = inflater.decompress(raw, MAX_DECOMPRESSED_BYTES)
    except zlib.error as exc:
        raise DataError(f"base64 data that is not zlib-compressed ({exc})") from exc
    if inflater.unconsumed_tail:
        raise DataError(f"compressed test data inflates to more than {MAX_DECOMPRESSED_BYTES} bytes")
    if not inflater.eof:
        raise DataError("compressed test data is truncated")
    return data


def decode_test_cases(value: Any, column: str) -> list:
    """A test-case column as a list: plain JSON (code_generation), or base64(zlib(pickle(JSON string))) (the
    lite release), decoded without unpickling (`pickled_string`). Empty or missing -> []."""
    if value is None or value == "" or isinstance(value, list):
        return list(value or [])
    if not isinstance(value, str):
        raise DataError(f"column {column!r} must be a JSON or base64 string, got {type(value).__name__}")
    try:
        text = value if value.lstrip()[:1] in ("[", "{") else None
        if text is None:
            text = pickled_string(_inflate(base64.b64decode(value.encode("ascii"), validate=True)))
        cases = json.loads(text)
    except (binascii.Error, UnicodeEncodeError) as exc:
        raise DataError(f"column {column!r} is neither JSON nor base64 ({exc})") from exc
    except json.JSONDecodeError as exc:
        raise DataError(f"column {column!r} does not decode to JSON ({exc.msg} at char {exc.pos})") from exc
    except DataError as exc:
        raise DataError(f"column {column!r}: {exc}") from exc
    if not isinstance(cases, list):
        raise DataError(f"column {column!r} must decode to a list of test cases, got {type(cases).__name__}")
    return cases


def _check_cases(cases: list, column: str) -> set[str]:
    for i, case in enumerate(cases):
        if not isinstance(case, Mapping) or not {"input", "output"} <= case.keys():
            raise DataError(f"{column}[{i}] must be an object with 'input', 'output', 'testtype', got {case!r:.80}")
    return {str(c.get("testtype", "stdin")) for c in cases}


def _functional(cases: list, column: str) -> list[list]:
    """LiveCodeBench's functional encoding: one JSON value per input line (blank lines ignored)."""
    inputs, outputs = [], []
    for i, case in enumerate(cases):
        try:
            inputs.append([json.loads(line) for line in case["input"].split("\n") if line.strip()])
            outputs.append(json.loads(case["output"]))
        except (json.JSONDecodeError, AttributeError) as exc:
            raise DataError(f"{column}[{i}] of a functional problem must hold JSON values ({exc})") from exc
    return call_cases(inputs, outputs, column)


def adapt_livecodebench(row: Mapping, fmt: str, index: int | None) -> dict[str, Any]:
    public = decode_test_cases(row.get("public_test_cases"), "public_test_cases")
    private = decode_test_cases(row.get("private_test_cases"), "private_test_cases")
    kinds = _check_cases(public, "public_test_cases") | _check_cases(private, "private_test_cases")
    metadata = json_field(row, "metadata", default={}) or {}
    fn_name = None
    if kinds == {"functional"}:
        fn_name = identifier(metadata.get("func_name"), "metadata.func_name of a functional problem")
        pairs = (_functional(public, "public_test_cases"), _functional(private, "private_test_cases"))
        tests, hidden = split_tests(*pairs, lambda cases: call_tests(fn_name, cases, "lcb"))
    elif kinds <= {"stdin"}:
        pairs = tuple(
            [stdio_case(c["input"], c["output"], f"{col}[{k}]") for k, c in enumerate(cases)]
            for cases, col in ((public, "public_test_cases"), (private, "private_test_cases"))
        )
        tests, hidden = split_tests(*pairs, lambda cases: stdio_tests(cases, checker="tokens"))
    else:
        raise DataError(f"test cases mix or use unknown testtypes {sorted(kinds)}; expected stdin or functional")
    keys = ("question_id", "question_title", "platform", "contest_id", "contest_date", "difficulty")
    return canonical_row(
        id=row_id(row, fmt, index, ("question_id",)),
        source=fmt,
        task="code",
        prompt=code_prompt(text_field(row, "question_content"), row.get("starter_code"), fn_name),
        language="python",
        tests=tests,
        hidden_tests=hidden,
        meta={**{k: row.get(k) for k in keys}, "func_name": fn_name, "preamble": GRADER_PREAMBLE},
    )
