"""The first pass over a recipe: every key and value checked against the field specs, before TRL is imported.

A setting comes from the YAML file (with its line) or from the command line (`--key value`, `--key=value`,
`--flag`, `--no_flag`). Each is checked the way TRL's parser would treat it, and a little stricter where TRL would
take a value that fails later (a number where text is wanted is fine; text where a number is wanted is not; a value
outside a field's choices is named with the closest choice). Every problem is returned, each starting with where it
is (`recipe.yaml:7:` or `command line:`), so a user fixes them all in one go.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from alignment.run.fields import FieldSpec

# argparse's own test for "a value, not an option" (Python 3.11 `ArgumentParser._negative_number_matcher`).
_NEGATIVE_NUMBER = re.compile(r"^-\d+$|^-\d*\.\d+$")
TRUE_SPELLINGS, _FALSE = ("yes", "true", "t", "y", "1"), ("no", "false", "f", "n", "0")  # transformers' string_to_bool
_KIND_NAMES = {
    "int": "a whole number (such as 100)",
    "float": "a number (such as 0.5 or 1e-5)",
    "bool": "true or false",
}


@dataclass
class Setting:
    """One key set in the recipe file or on the command line, before conversion."""

    key: str
    value: Any  # the YAML value, or the list of strings that followed `--key` on the command line
    where: str  # "recipe.yaml:7" or "command line"
    cli: bool = False
    flag: str = ""  # the command-line token, e.g. "--learning-rate"


@dataclass
class CheckedValues:
    """Converted values by field name (the last setting wins) and every problem found on the way."""

    values: dict[str, Any] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    broken: set[str] = field(default_factory=set)  # keys whose value could not be converted


def file_settings(values: dict[str, Any], lines: dict[str, str], path: str) -> list[Setting]:
    """Settings of a recipe file; `lines` holds each key's `file:line` (a `base:` recipe's keys name that file)."""
    return [Setting(key, value, lines.get(key, path)) for key, value in values.items()]


def cli_settings(args: Sequence[str]) -> tuple[list[Setting], list[str]]:
    """`--key v1 v2`, `--key=v`, `--flag` tokens as settings; stray tokens as problems."""
    settings: list[Setting] = []
    problems: list[str] = []
    current: Setting | None = None
    for token in args:
        if token.startswith("--") and len(token) > 2:
            key, eq, value = token[2:].partition("=")
            setting = Setting(key.replace("-", "_"), [value] if eq else [], "command line", cli=True, flag=token)
            settings.append(setting)
            current = None if eq else setting
        elif token.startswith("-") and len(token) > 1 and not _NEGATIVE_NUMBER.match(token):
            problems.append(f"command line: unknown option {token!r}: keys are set as `--key value` (see --help)")
            current = None
        elif current is None:
            problems.append(
                f"command line: unexpected argument {token!r}: keys are set as `--key value`, a recipe file as "
                "`--config FILE.yaml`"
            )
        else:
            current.value.append(token)
    return settings, problems


def check_settings(settings: Iterable[Setting], specs: dict[str, FieldSpec], strict: set[str]) -> CheckedValues:
    """Convert every setting with its spec; `strict` names fields whose list type is known to be a list (ours)."""
    out = CheckedValues()
    for setting in settings:
        spec = specs.get(setting.key)
        negated = specs.get(setting.key.removeprefix("no_")) if setting.cli and setting.key.startswith("no_") else None
        if spec is None and negated is not None and negated.negatable:
            if setting.value:
                out.problems.append(f"{setting.where}: `{setting.flag}` takes no value, got {' '.join(setting.value)}")
            else:
                out.values[negated.name] = False
            continue
        if spec is None:
            out.problems.append(unknown_key_message(setting.key, setting.where, specs))
            continue
        try:
            out.values[spec.name] = convert(spec, setting, strict=spec.name in strict)
        except ValueError as exc:
            out.problems.append(f"{setting.where}: `{spec.name}`: {exc}")
            out.broken.add(spec.name)
    return out


def unknown_key_message(key: str, where: str, known: Iterable[str]) -> str:
    close = difflib.get_close_matches(key, sorted(known), n=3, cutoff=0.6)
    hint = f"did you mean {' or '.join(repr(c) for c in close)}?" if close else "no similar option exists"
    return f"{where}: unknown key {key!r}: {hint}"


def convert(spec: FieldSpec, setting: Setting, strict: bool = False) -> Any:
    """The value TRL's parser would produce (or a ValueError saying why it would fail, or fail later)."""
    return _from_cli(spec, setting) if setting.cli else _from_file(spec, setting.value, strict)


def _from_cli(spec: FieldSpec, setting: Setting) -> Any:
    words = setting.value
    if spec.kind == "dict":
        raise ValueError("a mapping cannot be given on the command line; set it in the recipe file")
    if spec.nargs == "+":
        if not words:
            raise ValueError(f"`{setting.flag}` needs one or more values")
        return [_scalar(spec, w) for w in words]
    if spec.nargs == "?" and not words:
        return True  # a bare `--flag` (TRL's bool fields and `fsdp` take `const=True`)
    if len(words) != 1:
        got = f"got {len(words)}: {' '.join(words)}" if words else "got none"
        raise ValueError(f"`{setting.flag}` takes one value, {got}")
    return _scalar(spec, words[0])


def _from_file(spec: FieldSpec, value: Any, strict: bool) -> Any:
    if value is None:
        return None
    if spec.kind == "dict":
        if not isinstance(value, dict):
            raise ValueError(f"must be a mapping (key: value lines indented under it), got {_shown(value)}")
        return value
    if spec.kind == "str" and not strict and isinstance(value, dict | list):
        return value  # TRL's text fields often take structures too (`report_to: [wandb]`, `model_init_kwargs: {..}`)
    if isinstance(value, dict):
        raise ValueError(f"must be {_expected(spec)}, got a mapping")
    if spec.nargs == "+":
        if isinstance(value, list):
            return [_scalar(spec, v) for v in value]
        if strict:
            raise ValueError(f"takes a list: write `{spec.name}: [{value}]`")
        return _scalar(spec, value)
    if isinstance(value, list):
        raise ValueError(f"takes one value, got a list {_shown(value)}")
    return _scalar(spec, value)


def _scalar(spec: FieldSpec, value: Any) -> Any:
    kind = spec.kind
    if kind == "choice":
        return _choice(spec, value)
    if kind == "bool":
        return _bool(value)
    if kind in ("int", "float"):
        return _number(spec, value)
    return value  # text, and kinds only TRL's own code checks


def _number(spec: FieldSpec, value: Any) -> int | float:
    if isinstance(value, bool):
        raise ValueError(f"is {value}, not {_expected(spec)}")
    if isinstance(value, str):
        try:
            value = int(value) if spec.kind == "int" else float(value)
        except ValueError:
            raise ValueError(f"{value!r} is not {_expected(spec)}") from None
    if not isinstance(value, int | float):
        raise ValueError(f"{_shown(value)} is not {_expected(spec)}")
    if spec.kind == "int":
        if isinstance(value, float) and not (math.isfinite(value) and value.is_integer()):
            raise ValueError(f"{value!r} is not {_expected(spec)}")
        return int(value)
    return float(value)


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.lower() in TRUE_SPELLINGS + _FALSE:
        return value.lower() in TRUE_SPELLINGS
    raise ValueError(f"{_shown(value)} is not true or false (also accepted: yes/no, 1/0)")


def _choice(spec: FieldSpec, value: Any) -> Any:
    choices = spec.choices or ()
    same = [c for c in choices if type(c) is type(value) and c == value]  # `True` is not the choice `1`
    if same:
        return same[0]
    by_text = {str(c): c for c in choices}
    if str(value) in by_text:
        return by_text[str(value)]
    close = difflib.get_close_matches(str(value), list(by_text), n=1, cutoff=0.6)
    hint = f": did you mean {close[0]!r}?" if close else ""
    raise ValueError(f"{_shown(value)} is not one of {', '.join(by_text)}{hint}")


def _expected(spec: FieldSpec) -> str:
    return _KIND_NAMES.get(spec.kind, spec.kind)


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
