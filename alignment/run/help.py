"""`--help` and `--help-all` pages for recipe stages, built from the field specs (no TRL import).

`--help` is one terminal's worth: the launch form, the stage's own keys with their defaults and help, then the shared
codealign keys (run record, evaluation) and TRL's keys by dataclass, names only. `--help-all` gives every key with its type, default and help, grouped the same way.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from typing import Any

from alignment.run.fields import FieldSpec, config_name, is_own, own_field_names, specs

WIDTH = 119
_KEY_COLUMN = 34
_METAVARS = {"int": "N", "float": "X", "str": "TEXT", "bool": "BOOL", "dict": "MAPPING"}


def render_help(dataclass_types: Sequence[Any], prog: str, doc: str | None, full: bool = False) -> str:
    lines = [f"usage: {prog} --config RECIPE.yaml [--key value ...] [--debug]", ""]
    lines += _description(doc)
    lines += [
        "A recipe sets keys as `key: value` lines in the YAML file or as `--key value` on the command line (the",
        "command line wins; lists are `--key a b c`; a bare `--flag` is true, `--no_flag` false where listed).",
        "",
    ]
    own = [dc for dc in dataclass_types if is_own(dc)]
    theirs = [dc for dc in dataclass_types if not is_own(dc)]
    for i, dc in enumerate(own):  # the stage's own knobs in full; the shared ones (record, evaluation) by name
        title = f"{config_name(dc)} (codealign)"
        lines += _section(title, specs(dc)) if full or i == 0 else _names(title, specs(dc))
    shared: list[str] = []
    for dc in theirs:
        own_names = own_field_names(dc)
        fields = specs(dc) if own_names is None else [s for s in specs(dc) if s.name in own_names]
        title = (
            f"{config_name(dc)} (TRL)" if own_names is None else f"{config_name(dc)} (TRL, beside TrainingArguments)"
        )
        lines += _section(title, fields) if full else _names(title, fields)
        if own_names is not None:
            shared += [s.name for s in specs(dc) if s.name not in own_names and s.name not in shared]
    if shared:
        base = [s for dc in theirs for s in specs(dc) if s.name in shared]
        base = list({s.name: s for s in base}.values())
        title = "TrainingArguments (transformers, via TRL)"
        lines += _section(title, base) if full else _names(title, base)
    if not full and theirs:
        lines += [f"`{prog} --help-all` shows every key with its type, default and help.", ""]
    lines += [
        "Bad input ends with `error:` lines naming each problem, its place and the fix, and exit status 2; `--debug`",
        "(or CODEALIGN_DEBUG=1) shows the traceback instead.",
    ]
    return "\n".join(lines)


def _description(doc: str | None) -> list[str]:
    """The docstring's summary and launch form: paragraphs up to and including the first indented (command) one."""
    if not doc:
        return []
    out: list[str] = []
    for paragraph in textwrap.dedent(doc).strip().split("\n\n"):
        out += [*paragraph.splitlines(), ""]
        if paragraph.startswith("    "):
            break
    return out


def _section(title: str, fields: Sequence[FieldSpec]) -> list[str]:
    lines = [f"{title}:"]
    for spec in fields:
        lines += _entry(spec)
    return [*lines, ""]


def _entry(spec: FieldSpec) -> list[str]:
    flag = f"  --{spec.name} {metavar(spec)}"
    text = spec.help.strip()
    default = "required" if spec.required else f"default: {_default(spec)}"
    text = f"{text} [{default}]" if text else f"[{default}]"
    if spec.negatable:
        text += f" (--no_{spec.name} turns it off)"
    wrapped = textwrap.wrap(text, WIDTH - _KEY_COLUMN) or [""]
    if len(flag) < _KEY_COLUMN - 1:
        first = [flag.ljust(_KEY_COLUMN) + wrapped[0]]
        rest = wrapped[1:]
    else:
        first, rest = [flag], wrapped
    return first + [" " * _KEY_COLUMN + line for line in rest]


def _names(title: str, fields: Sequence[FieldSpec]) -> list[str]:
    body = ", ".join(s.name for s in fields)
    return [
        f"{title}, {len(fields)} keys:",
        *textwrap.wrap(body, WIDTH, initial_indent="  ", subsequent_indent="  "),
        "",
    ]


def metavar(spec: FieldSpec) -> str:
    if spec.kind == "choice":
        shown = [str(c) for c in spec.choices or ()]
        one = "{" + ",".join(shown) + "}" if len(",".join(shown)) <= 40 else "{" + ",".join(shown[:3]) + ",...}"
    else:
        one = _METAVARS.get(spec.kind, spec.kind.upper())
    if spec.nargs == "+":
        return f"{one} [{one} ...]"
    return f"[{one}]" if spec.nargs == "?" else one


def _default(spec: FieldSpec) -> str:
    value = spec.default
    if isinstance(value, str):
        return repr(value) if value else "''"
    return "none" if value is None else str(value).lower() if isinstance(value, bool) else str(value)
