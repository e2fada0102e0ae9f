"""Call-based test cases (argument lists and expected return values) as sandbox `assert` test code.

The generated code runs in the sandbox's checker process after the solution loaded (see `sandbox/py_harness.py`):
it finds the function the way the format's grader does -- `Solution().<fn_name>` when the solution defines a class
`Solution` (LeetCode-derived rows), else the module-level `<fn_name>` -- calls it once per case and compares.

Two comparison rules, each the one its data set's own grader applies:

* ``"apps"`` (APPS `eval/testing_util.py`, TACO `metrics/testing_util.py`, PrimeIntellect's function_call cases,
  which are TACO's): a returned tuple counts as a list; the result passes if it equals the expected value *or*, when
  the expected value is a non-empty list, its first element -- these data sets wrap most expected values in a
  one-element list (`"outputs": [[3]]` for a function returning 3) and the graders accept both readings; a list of
  tuples is also compared as a list of lists against that first element. JSON can only have string keys, so a dict
  argument in first position and a dict expected value get integer keys where every key is an integer, as the
  graders do. (Their graders then drop every argument after such a dict, which looks like a bug: we keep them.)
* ``"lcb"`` (LiveCodeBench `grade_call_based`): a returned tuple counts as a list, then plain equality.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, Literal

from data.loading import DataError

CallRule = Literal["apps", "lcb"]

_TEMPLATE = """import json as _json

_FN = {fn!r}
_APPS_RULE = {apps!r}  # APPS/TACO: accept the expected value or its one-element-list wrapping
_CASES = _json.loads({cases!r})


def _int_keys(value):
    try:
        return {{int(k): v for k, v in value.items()}}
    except (TypeError, ValueError):
        return value


def _prepared(args, expected):
    if _APPS_RULE:
        if args and isinstance(args[0], dict):
            args = [_int_keys(args[0]), *args[1:]]
        if isinstance(expected, dict):
            expected = [_int_keys(expected)]
        elif isinstance(expected, list) and expected and isinstance(expected[0], dict):
            expected = [_int_keys(expected[0])]
    return args, expected


def _same(got, expected):
    if type(got) is tuple:
        got = list(got)
    if got == expected:
        return True
    if not (_APPS_RULE and isinstance(expected, list) and expected):
        return False
    if got == expected[0]:
        return True
    try:
        return isinstance(got[0], tuple) and [list(x) for x in got] == expected[0]
    except Exception:
        return False


def _target():
    # The names are written out, not looked up in globals(): the sandbox's harness hands the tests the solution's
    # globals they name.
    try:
        return getattr(Solution(), _FN)
    except NameError:
        pass
    try:
        return {fn}
    except NameError:
        raise NameError(f"the solution defines neither a function {{_FN!r}} nor a class Solution") from None


_fn = _target()
for _i, (_args, _expected) in enumerate(_CASES):
    _args, _expected = _prepared(_args, _expected)
    _got = _fn(*_args)
    assert _same(_got, _expected), (
        f"case {{_i}}: {{_FN}}{{tuple(_args)!r:.300}} returned {{_got!r:.300}}, expected {{_expected!r:.300}}"
    )
"""


def call_cases(inputs: Sequence[Any], outputs: Sequence[Any], where: str) -> list[list[Any]]:
    """Pair argument lists with expected values, checking the shapes the graders rely on (`fn(*args)`)."""
    if len(inputs) != len(outputs):
        raise DataError(f"{where} has {len(inputs)} inputs but {len(outputs)} outputs")
    cases = []
    for i, (args, expected) in enumerate(zip(inputs, outputs)):
        if not isinstance(args, list):
            raise DataError(f"{where} input {i} must be a list of arguments, got {type(args).__name__}: {args!r:.60}")
        cases.append([args, expected])
    return cases


def call_tests(fn_name: str, cases: list[list[Any]], rule: CallRule) -> dict[str, Any]:
    """A sandbox `assert` tests object that calls `fn_name` on every case and compares by `rule`."""
    if not fn_name.isidentifier():
        raise DataError(f"fn_name {fn_name!r} is not a Python identifier: the tests cannot call it")
    payload = json.dumps(cases, ensure_ascii=True)
    code = _TEMPLATE.format(fn=fn_name, apps=rule == "apps", cases=payload)
    return {"kind": "assert", "code": code, "entry_point": fn_name}
