"""Strict recipe parsing: `--config file.yaml` plus `--key value` overrides, onto our own and TRL's dataclasses.

TRL's `TrlParser` already merges a YAML file with command-line flags; what it lacks is a helpful error. An unknown key in
the YAML only fails with the raw leftovers, and a misspelled flag is an argparse usage error that names no alternative.
`parse_recipe` reads the file once, checks every key first, then runs one validation pass over the parsed recipe:
each of codealign's dataclasses lists its problems in `problems(configs)` (with every other parsed dataclass at hand,
for checks that span them, such as reward weights against rewards). All problems are raised at once, naming each
bad key or value and how to fix it, before any model or data set is touched.
"""

from __future__ import annotations

import dataclasses
import difflib
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from alignment.run.files import to_jsonable

# Keys a recipe may hold that belong to no dataclass: `env` is TRL's (exported to the environment before parsing).
_RESERVED_KEYS = {"env"}


class ConfigError(ValueError):
    """A recipe file or a command-line override is wrong. The message lists every problem found."""


@dataclass
class ParsedRecipe:
    """The result of parsing: one instance per dataclass, plus the explicit settings that produced them."""

    configs: tuple[Any, ...]
    explicit: dict[str, Any] = field(default_factory=dict)  # YAML values, then CLI overrides, in that order
    config_path: str | None = None
    parsed: dict[str, Any] = field(default_factory=dict)  # resolved() right after parsing, before a stage edits it

    def resolved(self) -> dict[str, Any]:
        """Every field of every dataclass, as plain data (for manifests and wandb's run config)."""
        merged: dict[str, Any] = {}
        for cfg in self.configs:
            for f in dataclasses.fields(cfg):
                if f.init:
                    merged[f.name] = to_jsonable(getattr(cfg, f.name))
        return merged


def valid_keys(dataclass_types: Sequence[type]) -> set[str]:
    return {f.name for dc in dataclass_types for f in dataclasses.fields(dc) if f.init}


def _cli_keys(args: Sequence[str]) -> list[str]:
    """Names of the `--key` flags on a command line (`--key=value` and `--key value` forms)."""
    keys = []
    for token in args:
        if token.startswith("--") and len(token) > 2:
            keys.append(token[2:].split("=", 1)[0].replace("-", "_"))
    return keys


def _unknown_key_message(key: str, where: str, known: set[str]) -> str:
    close = difflib.get_close_matches(key, sorted(known), n=3, cutoff=0.6)
    hint = f"did you mean {' or '.join(repr(c) for c in close)}?" if close else "no similar option exists"
    return f"unknown key {key!r} in {where}: {hint}"


def load_yaml_mapping(path: str | os.PathLike, _including: tuple[Path, ...] = ()) -> dict[str, Any]:
    """A recipe file as a flat mapping. `base: other.yaml` (a path relative to this file) makes the file a set of
    documented overrides of another recipe: the base's keys first, this file's on top."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"config file {str(path)!r} does not exist; pass the path of a YAML recipe, e.g. configs/…")
    try:
        loaded = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        raise ConfigError(f"config file {str(path)!r} is not valid YAML: {exc}") from exc
    if loaded is None:
        return {}
    if not isinstance(loaded, dict):
        raise ConfigError(
            f"config file {str(path)!r} must hold a flat YAML mapping of key: value, got {type(loaded).__name__}"
        )
    base = loaded.pop("base", None)
    if base is None:
        return loaded
    base_path = (path.parent / str(base)).resolve()
    if base_path in _including or base_path == path.resolve():
        raise ConfigError(f"config file {str(path)!r}: `base: {base}` includes itself")
    merged = load_yaml_mapping(base_path, (*_including, path.resolve()))
    merged.update(loaded)
    return merged


def check_keys(
    dataclass_types: Sequence[type], file_values: dict[str, Any], cli_args: Sequence[str], path: str | None
) -> None:
    """Raise one `ConfigError` listing every unknown key in the file and on the command line."""
    known = valid_keys(dataclass_types)
    problems = []
    for key in file_values:
        if key not in known and key not in _RESERVED_KEYS:
            problems.append(_unknown_key_message(key, f"config file {path!r}", known))
    for key in _cli_keys(cli_args):
        if key not in known and key != "config":
            problems.append(_unknown_key_message(key, "the command line", known))
    if problems:
        names = ", ".join(dc.__name__ for dc in dataclass_types)
        raise ConfigError(
            f"{len(problems)} problem(s) in the recipe:\n  - "
            + "\n  - ".join(problems)
            + f"\n(valid keys are the fields of {names}; "
            "see the recipe files under configs/ for documented examples)"
        )


def parse_recipe(dataclass_types: Sequence[type], argv: Sequence[str] | None = None) -> ParsedRecipe:
    """Parse `argv` (default: sys.argv[1:]) into instances of `dataclass_types`, strictly.

    Precedence: dataclass defaults < YAML file < command-line flags. TRL's own `__post_init__` checks surface as
    `ConfigError`; codealign's dataclasses are then validated together (`validate`).
    """
    import sys

    from trl import TrlParser

    args = list(sys.argv[1:] if argv is None else argv)
    file_values: dict[str, Any] = {}
    path = None
    if "--config" in args:
        i = args.index("--config")
        if i + 1 >= len(args):
            raise ConfigError("--config needs a path to a YAML recipe")
        path = args[i + 1]
        file_values = load_yaml_mapping(path)
        del args[i : i + 2]
    check_keys(dataclass_types, file_values, args, path)
    explicit = _drop_replaced(dataclass_types, {k: v for k, v in file_values.items() if k not in _RESERVED_KEYS}, args)
    _export_env(file_values.get("env"), path)
    cli = list(args)  # what the user typed, for the record; the machine's precision defaults come after it
    args += _precision_defaults(dataclass_types, file_values, cli)

    parser = TrlParser(dataclass_types=list(dataclass_types))
    parser.set_defaults_with_config(**explicit)  # the file, read once above; flags below override it
    try:
        configs = parser.parse_args_into_dataclasses(args=args)
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"invalid recipe {path or '(command line)'}: {exc}") from exc
    validate(configs, path)
    explicit.update(_cli_overrides(cli, configs))
    recipe = ParsedRecipe(configs=tuple(configs), explicit=explicit, config_path=path)
    recipe.parsed = recipe.resolved()
    return recipe


def _drop_replaced(dataclass_types: Sequence[type], file_values: dict[str, Any], cli_args: Sequence[str]) -> dict:
    """File values that a command-line key of the same exclusive group replaces (a dataclass's `EXCLUSIVE_KEYS`)."""
    given = set(_cli_keys(cli_args))
    replaced = {
        other
        for dc in dataclass_types
        for group in getattr(dc, "EXCLUSIVE_KEYS", ())
        if given & set(group)
        for other in group
        if other not in given
    }
    return {k: v for k, v in file_values.items() if k not in replaced}


def validate(configs: Sequence[Any], path: str | None = None) -> None:
    """The one validation pass: every `problems(configs)` of codealign's dataclasses, raised together."""
    problems = [p for cfg in configs if hasattr(cfg, "problems") for p in cfg.problems(configs)]
    if problems:
        where = f"recipe {path!r}" if path else "the recipe"
        raise ConfigError(f"{len(problems)} problem(s) in {where}:\n  - " + "\n  - ".join(problems))


def find_config(configs: Sequence[Any], cls: type) -> Any:
    """The parsed instance of `cls` (or a subclass) among `configs`; None when the stage has none."""
    return next((c for c in configs if isinstance(c, cls)), None)


def _export_env(env: Any, path: str | None) -> None:
    """A recipe's `env:` mapping goes to the environment before anything reads it (TRL's convention)."""
    if env is None:
        return
    if not isinstance(env, dict):
        raise ConfigError(f"`env` in {path!r} must be a mapping of VARIABLE: value")
    for key, value in env.items():
        os.environ[str(key)] = str(value)


def _precision_defaults(dataclass_types: Sequence[type], file_values: dict, cli_args: Sequence[str]) -> list[str]:
    """Without CUDA, default to fp32 so GPU recipes (which leave `bf16` to TRL's default: on) parse and run on a CPU,
    and to `use_cpu: true`: with it unset, transformers 5.23 reports a world size of 1 under a CPU DeepSpeed launch
    (`accelerate launch --config_file configs/accelerate/cpu_zero3.yaml`) and DeepSpeed's batch-size check fails.

    A recipe that sets `bf16: true` explicitly still fails on a CPU, loudly, as it should.
    """
    import torch

    if torch.cuda.is_available():
        return []
    given = set(file_values) | set(_cli_keys(cli_args))
    defaults = {"bf16": "false", "use_cpu": "true"}
    known = valid_keys(dataclass_types)
    return [arg for key, value in defaults.items() if key in known and key not in given for arg in (f"--{key}", value)]


def parse_or_exit(dataclass_types: Sequence[type], argv: Sequence[str] | None = None) -> ParsedRecipe:
    """`parse_recipe` for entry points: a recipe problem ends the program with the message, not a traceback."""
    try:
        return parse_recipe(dataclass_types, argv)
    except ConfigError as exc:
        raise SystemExit(f"error: {exc}") from None


def _cli_overrides(cli_args: Sequence[str], configs: Sequence[Any]) -> dict[str, Any]:
    """The parsed values of the keys set on the command line (typed by the dataclasses, not raw strings)."""
    keys = set(_cli_keys(cli_args))
    values = {}
    for cfg in configs:
        for f in dataclasses.fields(cfg):
            if f.name in keys:
                values[f.name] = to_jsonable(getattr(cfg, f.name))
    return values
