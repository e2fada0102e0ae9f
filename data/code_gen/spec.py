"""What a task family is, and how one (family, parameters) pair becomes a graded Python function task.

A `Family` is declarative: statement templates (a few phrasings), a parameter sampler, a reference-solution body,
the bodies of plausible wrong solutions (the bugs a small model makes: a flipped boundary, a missing empty or
negative case, the wrong order, case sensitivity), and two input generators, one for the thin *visible* examples
(1-2 typical inputs, like a contest statement's examples) and one for the *hidden* cases (edge cases first).
Templates use `string.Template` (`$k`), since Python code is full of the braces `str.format` would need escaped.

`build_task` runs the reference in this process on every input to get the expected outputs. That is safe only
because every template here is the project's own trusted code; model output is never run this way (it goes
through `sandbox/`). The same in-process run tells which wrong solutions the hidden cases catch (one that they
do not catch is dropped, so every kept wrong solution is a real negative) and which pass the visible examples.
In half of the tasks (`EDGE_EXAMPLE_SHARE`) the second example is replaced by the shortest hidden case that
catches one wrong solution the typical examples let through, so visible tests catch each kind of bug on some tasks
and miss it on others: the mix a reward model trained on visible-test labels can learn from.
"""

from __future__ import annotations

import ast
import copy
import json
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from string import Template
from typing import Any

Args = tuple  # the positional arguments of one call
MIN_HIDDEN = 8  # hidden cases beyond the visible ones (issue: >= 8, edge cases included)
HIDDEN_TARGET = 10  # hidden lists shorter than this are topped up with more typical inputs (random tests)
# Contest statements sometimes show an edge case among their examples: this share of tasks swaps its second
# visible example for a hidden case that catches one of the wrong solutions (see the module docstring).
EDGE_EXAMPLE_SHARE = 0.5


class FamilyError(ValueError):
    """A family spec produced an unusable task (a bug in the spec, not in the caller's input)."""


def _no_fields(params: dict) -> dict:
    return {}


@dataclass(frozen=True)
class Family:
    """One parametrised task family. Bodies are written without the `def` line, which comes from `signature`.
    Wrong bodies must end on every input (they run in-process in `build_task`): no unbounded loops."""

    name: str
    signature: str  # "select(xs)": entry point and parameter names
    statements: tuple[str, ...]  # templates of the task statement, one picked per task
    solution: str  # template of the reference body
    wrongs: tuple[str, ...]  # templates of plausible wrong bodies
    sample: Callable[[random.Random], dict[str, Any]]  # the parameters (JSON values): what test must not share
    visible: Callable[[random.Random, dict], list[Args]]  # 1-2 typical inputs
    hidden: Callable[[random.Random, dict], list[Args]]  # edge cases and more, >= MIN_HIDDEN after dedup
    fields: Callable[[dict], dict] = _no_fields  # words derived from the parameters, used only in templates

    @property
    def entry_point(self) -> str:
        return self.signature.split("(", 1)[0]

    def source(self, body: str, words: dict) -> str:
        """The full function: `def signature:` plus the body template filled in and indented. A field may itself
        hold template text (a whole body chosen by a parameter), so a second pass fills what the first put in."""
        filled = Template(Template(body).substitute(words)).substitute(words)
        lines = [f"    {line}" if line else "" for line in filled.strip("\n").split("\n")]
        return f"def {self.signature}:\n" + "\n".join(lines) + "\n"


@dataclass(frozen=True)
class Task:
    """One generated task, before it becomes a JSONL row."""

    family: str
    params: dict[str, Any]
    prompt: str
    solution: str
    entry_point: str
    visible: list[tuple[Args, Any]]  # (arguments, expected output)
    hidden: list[tuple[Args, Any]]
    wrongs: list[str]
    wrong_passes_visible: list[bool] = field(default_factory=list)  # per wrong solution, from the in-process run
    dropped_wrongs: int = 0  # wrong templates identical to another or not caught by the hidden cases


def params_key(params: dict) -> str:
    """The canonical text of a parameter set: train and test never share (family, params_key)."""
    return json.dumps(params, sort_keys=True, separators=(",", ":"))


def load_function(source: str, entry_point: str, where: str) -> Callable:
    namespace: dict[str, Any] = {}
    exec(compile(source, f"<{where}>", "exec"), namespace)  # trusted: the project's own template, see module doc
    return namespace[entry_point]


def _call(fn: Callable, args: Args) -> tuple[bool, Any]:
    """(ok, result) of fn(*args) on a private copy of the arguments; an exception is a result too (ok False)."""
    try:
        return True, fn(*copy.deepcopy(args))
    except Exception as exc:  # a wrong solution may crash: that is how it fails, e.g. IndexError on []
        return False, type(exc).__name__


def _check_literal(value: Any, where: str) -> None:
    """Expected values are written into asserts as `repr`; it must read back as an equal value of the same type."""
    try:
        back = ast.literal_eval(repr(value))
    except (ValueError, SyntaxError) as exc:
        raise FamilyError(f"{where}: expected value {value!r} is not a Python literal ({exc})") from exc
    if back != value or type(back) is not type(value):
        raise FamilyError(f"{where}: expected value {value!r} does not survive repr -> literal_eval")


def _unique(cases: list[Args], exclude: list[Args] = ()) -> list[Args]:
    seen = {repr(a) for a in exclude}
    out = []
    for args in cases:
        if repr(args) not in seen:
            seen.add(repr(args))
            out.append(args)
    return out


def _top_up(fam: Family, params: dict, rng: random.Random, hidden: list[Args], visible: list[Args]) -> list[Args]:
    """Add typical inputs to the hidden cases until there are `HIDDEN_TARGET` distinct ones (or give up trying)."""
    for _ in range(50):
        if len(hidden) >= HIDDEN_TARGET:
            break
        hidden = hidden + _unique(fam.visible(rng, params), exclude=hidden + visible)
    return hidden


def call_text(entry_point: str, args: Args) -> str:
    return f"{entry_point}({', '.join(repr(a) for a in args)})"


def render_prompt(statement: str, signature: str, entry_point: str, visible: list[tuple[Args, Any]]) -> str:
    """Statement, signature and the visible examples, written exactly as the visible asserts check them."""
    examples = "\n".join(f"Example: {call_text(entry_point, a)} == {out!r}" for a, out in visible)
    return f"{statement}\ndef {signature}:\n{examples}"


def asserts(entry_point: str, cases: list[tuple[Args, Any]]) -> str:
    return "".join(f"assert {call_text(entry_point, a)} == {out!r}\n" for a, out in cases)


def _expected(ref: Callable, cases: list[Args], where: str) -> list[tuple[Args, Any]]:
    out = []
    for args in cases:
        ok, value = _call(ref, args)
        if not ok:
            raise FamilyError(f"{where}: the reference raised {value} on {args!r}")
        before = copy.deepcopy(args)
        ref(*args)
        if args != before:
            raise FamilyError(f"{where}: the reference changes its arguments in place on {before!r}")
        _check_literal(value, where)
        out.append((args, value))
    return out


def _wrong_agreement(fam: Family, words: dict, solution: str, cases: list[tuple[Args, Any]], where: str) -> dict:
    """{wrong source: [agrees with the reference on case i]} for the wrong templates that differ from the
    reference (and from each other) in source and, on at least one case, in behaviour."""
    table: dict[str, list[bool]] = {}
    for body in fam.wrongs:
        source = fam.source(body, words)
        if source == solution or source in table:
            continue
        fn = load_function(source, fam.entry_point, f"{where} wrong")
        agrees = [_call(fn, args) == (True, out) for args, out in cases]
        if not all(agrees):  # one that behaves like the reference on every case is no usable negative here
            table[source] = agrees
    return table


def _reveal_one(rng: random.Random, table: dict, n_visible: int, lengths: list[int]) -> int | None:
    """Index (among all cases) of a hidden case that catches one randomly chosen wrong solution which the
    visible cases let through: the edge-case example some contest statements show. None if all are caught."""
    n_cases = len(lengths)
    sneaky = [agrees for agrees in table.values() if all(agrees[:n_visible])]
    if not sneaky:
        return None
    agrees = rng.choice(sneaky)
    revealing = [i for i in range(n_visible, n_cases) if not agrees[i]]
    shortest = min(lengths[i] for i in revealing)  # the shortest one: prompts stay short
    return rng.choice([i for i in revealing if lengths[i] == shortest])


def build_task(fam: Family, params: dict, rng: random.Random) -> Task:
    """Render, run and check one task; raises `FamilyError` when the family's spec cannot make a sound task."""
    where = f"family {fam.name!r} params {params_key(params)}"
    words = {**params, **fam.fields(params)}
    solution = fam.source(fam.solution, words)
    ref = load_function(solution, fam.entry_point, where)
    visible_args = _unique(fam.visible(rng, params))[:2]
    hidden_args = _top_up(fam, params, rng, _unique(fam.hidden(rng, params), exclude=visible_args), visible_args)
    cases = _expected(ref, visible_args + hidden_args, where)
    table = _wrong_agreement(fam, words, solution, cases, where)
    n_visible = len(visible_args)
    lengths = [len(repr(args)) for args, _ in cases]
    edge = _reveal_one(rng, table, n_visible, lengths) if rng.random() < EDGE_EXAMPLE_SHARE else None
    if edge is not None:  # it replaces the second typical example, so there are still at most two
        order = [0, edge] + [i for i in range(1, len(cases)) if i != edge]
        cases, n_visible = [cases[i] for i in order], 2
        table = {src: [agrees[i] for i in order] for src, agrees in table.items()}
    visible, hidden = cases[:n_visible], cases[n_visible:]
    if len(hidden) < MIN_HIDDEN or not table:
        raise FamilyError(
            f"{where}: got {len(hidden)} distinct hidden cases (need >= {MIN_HIDDEN}) and {len(table)} wrong "
            "solutions that the hidden cases catch (need >= 1); add edge cases to the family's generators"
        )
    statement = Template(rng.choice(fam.statements)).substitute(words)
    return Task(
        family=fam.name,
        params=params,
        prompt=render_prompt(statement, fam.signature, fam.entry_point, visible),
        solution=solution,
        entry_point=fam.entry_point,
        visible=visible,
        hidden=hidden,
        wrongs=list(table),
        wrong_passes_visible=[all(agrees[:n_visible]) for agrees in table.values()],
        dropped_wrongs=len(fam.wrongs) - len(table),
    )
