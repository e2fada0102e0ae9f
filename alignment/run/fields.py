"""The keys a recipe may set, as field specs: what TRL's parser accepts, known without importing TRL.

A stage's recipe is codealign's own dataclasses plus TRL's (`ModelConfig`, `SFTConfig`, `GRPOConfig`, ...). Importing
TRL's dataclasses imports transformers and torch, 15-50 s before a typo could be reported. So the parser's view of
every field (`FieldSpec`: name, value kind, nargs, choices, default, help) comes from:

* codealign's dataclasses: read directly, with the rules of transformers' `HfArgumentParser._parse_dataclass_field`
  (Optional stripped, `Literal`/`Enum` as choices, `bool` as an optional flag with a `--no_` twin when it defaults to
  True, `list[X]` as one-or-more values); a test checks these rules against `HfArgumentParser` itself;
* TRL's dataclasses, named by `TRL.GRPOConfig` etc. (a `ConfigRef`, imported only when the real parse runs): the
  committed snapshot `trl_fields.json`, taken from `HfArgumentParser` for the pinned TRL and transformers versions.
  A test compares it with the live dataclasses, so it cannot drift silently; when the installed versions differ from
  the snapshot's, the specs are read live instead (slower start, still correct). Regenerate it after a version bump:

      python -m alignment.run.fields --write

Why a snapshot rather than our own parser for TRL's keys: TRL's parser stays the one that builds the configs (its
conversions and `__post_init__` checks are the reference), and the snapshot only lets the first pass reject what that
parser would reject, or what would fail later, without paying for the import.
"""

from __future__ import annotations

import argparse
import dataclasses
import enum
import functools
import importlib
import importlib.metadata
import json
import logging
import sys
import types
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Union

from alignment.run.files import to_jsonable

logger = logging.getLogger(__name__)

SNAPSHOT_PATH = Path(__file__).with_name("trl_fields.json")
# The TRL dataclasses the snapshot holds (what stages pair with their own), and the transformers base they share.
SNAPSHOT_CLASSES = ("ModelConfig", "SFTConfig", "GRPOConfig", "RewardConfig")
SHARED_BASE = ("transformers", "TrainingArguments")
_PINNED = ("trl", "transformers")
_THIRD_PARTY = ("trl", "transformers", "peft")  # dataclasses read through the snapshot or HfArgumentParser


@dataclass(frozen=True)
class FieldSpec:
    """One `--key` of a recipe, as TRL's parser (`HfArgumentParser`) builds it from a dataclass field."""

    name: str
    kind: str  # int | float | str | bool | choice | dict | the class name of anything else (not checked early)
    nargs: str | None = None  # None: one value; "?": zero or one (a bare `--flag` means True); "+": one or more
    choices: tuple[Any, ...] | None = None
    default: Any = None  # as plain JSON data
    help: str = ""
    negatable: bool = False  # a `--no_<name>` flag sets it False (bool fields that default to True)
    required: bool = False

    def to_row(self) -> dict[str, Any]:
        """Plain JSON, leaving out the attributes that hold their class default (the default value is kept)."""
        unset = {"nargs": None, "choices": None, "help": "", "negatable": False, "required": False}
        row = {
            k: v
            for k, v in dataclasses.asdict(self).items()
            if k not in unset or not (type(v) is type(unset[k]) and v == unset[k])
        }
        if self.choices is not None:
            row["choices"] = list(self.choices)
        return row

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> FieldSpec:
        choices = row.get("choices")
        return cls(**{**row, "choices": tuple(choices) if choices is not None else None})


@dataclass(frozen=True)
class ConfigRef:
    """A TRL (or transformers) dataclass named without importing it; `load()` imports it for the real parse."""

    module: str
    name: str

    @property
    def __name__(self) -> str:  # reads like a class in messages and help pages
        return self.name

    def load(self) -> type:
        return getattr(importlib.import_module(self.module), self.name)


TRL = types.SimpleNamespace(**{name: ConfigRef("trl", name) for name in SNAPSHOT_CLASSES})


def config_name(cls: type | ConfigRef) -> str:
    return cls.__name__


def is_own(cls: type | ConfigRef) -> bool:
    """codealign's dataclasses (and a script's, in `__main__`) are read directly; TRL's and transformers' through the
    snapshot or `HfArgumentParser`."""
    return isinstance(cls, type) and cls.__module__.split(".")[0] not in _THIRD_PARTY


def lineage(cls: type | ConfigRef) -> tuple[str, ...]:
    """The class and base-class names `find_config` matches (e.g. GRPOConfig, TrainingArguments)."""
    if isinstance(cls, ConfigRef):
        entry = _snapshot_entry(cls.name)
        if entry is None:
            return lineage(cls.load())
        return (cls.name, *([entry["base"]] if entry.get("base") else []))
    return tuple(k.__name__ for k in cls.__mro__ if k is not object)


def specs(cls: type | ConfigRef) -> list[FieldSpec]:
    """Every init field of `cls` as the parser sees it, without importing TRL when `cls` is a `ConfigRef`."""
    if isinstance(cls, ConfigRef):
        entry = _snapshot_entry(cls.name)
        return entry["specs"] if entry is not None else live_specs(cls.load())
    return own_specs(cls) if is_own(cls) else live_specs(cls)


# ---- codealign's own dataclasses: HfArgumentParser's rules, applied to the type hints ------------------------------
def own_specs(cls: type) -> list[FieldSpec]:
    hints = typing.get_type_hints(cls)
    return [_own_spec(f, hints[f.name]) for f in dataclasses.fields(cls) if f.init]


def structured_fields(cls: type) -> set[str]:
    """Fields typed as text *or* a structure (`dict[str, Any] | str | None`): a mapping in the recipe file, JSON text
    on the command line. HfArgumentParser reads them as `str`; the first pass lets a file give them a mapping."""
    hints = typing.get_type_hints(cls)
    out = set()
    for f in dataclasses.fields(cls):
        args = typing.get_args(hints[f.name]) if typing.get_origin(hints[f.name]) in (Union, types.UnionType) else ()
        if str in args and any(typing.get_origin(a) in (dict, list) or a in (dict, list) for a in args):
            out.add(f.name)
    return out


def _strip_optional(hint: Any) -> Any:
    if typing.get_origin(hint) in (Union, types.UnionType):
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        if len(args) == 1 and args[0] is not bool:
            return args[0]
        if str in args:  # HfArgumentParser reads a union with str as text
            return str
    return hint


def _own_spec(f: dataclasses.Field, hint: Any) -> FieldSpec:
    hint, default = _strip_optional(hint), _field_default(f)
    required = default is dataclasses.MISSING
    common = dict(
        name=f.name, default=None if required else to_jsonable(default), help=_clean_help(f.metadata.get("help", ""))
    )
    if typing.get_origin(hint) is Literal or (isinstance(hint, type) and issubclass(hint, enum.Enum)):
        choices = typing.get_args(hint) if typing.get_origin(hint) is Literal else tuple(x.value for x in hint)
        return FieldSpec(kind="choice", choices=tuple(to_jsonable(c) for c in choices), required=required, **common)
    if hint is bool or hint == bool | None:
        optional = hint is bool or default not in (None, dataclasses.MISSING)
        negatable = default is True
        if required and hint is bool:
            common["default"] = False
        return FieldSpec(kind="bool", nargs="?" if optional else None, negatable=negatable, **common)
    if typing.get_origin(hint) is list:
        return FieldSpec(kind=_kind(typing.get_args(hint)[0]), nargs="+", required=required, **common)
    return FieldSpec(kind=_kind(hint), required=required, **common)


def _field_default(f: dataclasses.Field) -> Any:
    if f.default is not dataclasses.MISSING:
        return f.default
    if f.default_factory is not dataclasses.MISSING:
        return f.default_factory()
    return dataclasses.MISSING


def _kind(tp: Any) -> str:
    return {int: "int", float: "float", str: "str", dict: "dict"}.get(tp, getattr(tp, "__name__", repr(tp)))


def _clean_help(text: str) -> str:
    return " ".join(str(text or "").split())


# ---- anyone's dataclasses, live: what HfArgumentParser actually builds ---------------------------------------------
def live_specs(cls: type) -> list[FieldSpec]:
    """The specs `HfArgumentParser` builds for `cls` (imports transformers; the source of the snapshot)."""
    from transformers import HfArgumentParser

    parser = HfArgumentParser([cls])
    negatable = {a.dest for a in parser._actions if isinstance(a, argparse._StoreFalseAction)}
    out = []
    for action in parser._actions:
        if isinstance(action, (argparse._HelpAction, argparse._StoreFalseAction)):
            continue
        out.append(
            FieldSpec(
                name=action.dest,
                kind=_action_kind(action),
                nargs=action.nargs,
                choices=tuple(to_jsonable(c) for c in action.choices) if action.choices is not None else None,
                default=to_jsonable(action.default),
                help=_clean_help(action.help),
                negatable=action.dest in negatable,
                required=bool(action.required),
            )
        )
    return out


def _action_kind(action: argparse.Action) -> str:
    if action.choices is not None:
        return "choice"
    name = getattr(action.type, "__name__", "str")
    return "bool" if name == "string_to_bool" else _kind(action.type) if action.type is not None else "str"


# ---- the snapshot --------------------------------------------------------------------------------------------------
def installed_versions() -> dict[str, str]:
    return {name: importlib.metadata.version(name) for name in _PINNED}


@functools.cache
def _snapshot() -> dict[str, Any] | None:
    """The committed snapshot, or None when it is missing or was taken for other TRL/transformers versions."""
    if not SNAPSHOT_PATH.is_file():
        return None
    data = json.loads(SNAPSHOT_PATH.read_text())
    if data["versions"] != installed_versions():
        logger.warning(
            "%s was taken for %s, installed are %s: reading TRL's fields live (slower start); regenerate it with "
            "`python -m alignment.run.fields --write`",
            SNAPSHOT_PATH.name,
            data["versions"],
            installed_versions(),
        )
        return None
    return data


def _snapshot_entry(name: str) -> dict[str, Any] | None:
    data = _snapshot()
    if data is None or name not in data["dataclasses"]:
        return None
    entry = data["dataclasses"][name]
    own = [FieldSpec.from_row(r) for r in entry["fields"]]
    base = data["dataclasses"].get(entry.get("base") or "", {"fields": []})
    overridden = {s.name for s in own}
    inherited = [FieldSpec.from_row(r) for r in base["fields"] if r["name"] not in overridden]
    return {"base": entry.get("base"), "specs": own + inherited, "own": own}


def own_field_names(cls: type | ConfigRef) -> set[str] | None:
    """For help pages: the fields a TRL config adds or changes over `TrainingArguments` (None: not known)."""
    entry = _snapshot_entry(config_name(cls))
    return {s.name for s in entry["own"]} if entry and entry["base"] else None


def build_snapshot() -> dict[str, Any]:
    """The snapshot as the installed TRL/transformers define it: each config's fields that differ from the shared
    `TrainingArguments` ones, and those once."""
    base_cls = getattr(importlib.import_module(SHARED_BASE[0]), SHARED_BASE[1])
    base_specs = {s.name: s for s in live_specs(base_cls)}
    classes: dict[str, Any] = {SHARED_BASE[1]: {"module": SHARED_BASE[0], "fields": []}}
    for name in SNAPSHOT_CLASSES:
        cls = ConfigRef("trl", name).load()
        shared = issubclass(cls, base_cls)
        fields = [s for s in live_specs(cls) if not (shared and base_specs.get(s.name) == s)]
        classes[name] = {"module": "trl", "base": SHARED_BASE[1] if shared else None, "fields": fields}
    classes[SHARED_BASE[1]]["fields"] = list(base_specs.values())
    for entry in classes.values():
        entry["fields"] = [s.to_row() for s in entry["fields"]]
    return {"generated_by": "python -m alignment.run.fields --write", "versions": installed_versions(),
            "dataclasses": classes}  # fmt: skip


def dump_snapshot(snapshot: dict[str, Any]) -> str:
    """JSON with one field per line, so a version bump shows up in a diff as the fields it changed."""
    lines = [
        "{",
        f' "generated_by": {json.dumps(snapshot["generated_by"])},',
        f' "versions": {json.dumps(snapshot["versions"])},',
    ]
    lines.append(' "dataclasses": {')
    entries = list(snapshot["dataclasses"].items())
    for i, (name, entry) in enumerate(entries):
        head = {k: v for k, v in entry.items() if k != "fields"}
        lines.append(f'  {json.dumps(name)}: {json.dumps(head)[:-1]}, "fields": [')
        lines += [f"   {json.dumps(row)}," for row in entry["fields"]]
        lines[-1] = lines[-1].rstrip(",")
        lines.append("  ]}" + ("," if i < len(entries) - 1 else ""))
    lines += [" }", "}"]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m alignment.run.fields", description=__doc__.split("\n\n")[0])
    parser.add_argument("--write", action="store_true", help=f"rewrite {SNAPSHOT_PATH.name} from the installed TRL")
    args = parser.parse_args(argv)
    text = dump_snapshot(build_snapshot())
    if args.write:
        SNAPSHOT_PATH.write_text(text)
        print(f"wrote {SNAPSHOT_PATH} ({len(text) // 1024} KiB)")
        return 0
    same = SNAPSHOT_PATH.is_file() and SNAPSHOT_PATH.read_text() == text
    print(f"{SNAPSHOT_PATH.name} is {'up to date' if same else 'out of date: run with --write'}")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
