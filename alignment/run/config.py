"""Strict recipe parsing: `--config file.yaml` plus `--key value` overrides, onto our own and TRL's dataclasses.

TRL's `TrlParser` merges a YAML file with command-line flags; what it lacks is a helpful error, and it needs TRL's
dataclasses, whose import (torch, transformers) takes 15-50 s. `parse_recipe` works in two passes:

1. `check_recipe`, before TRL is imported: the file is read once; every key is checked against the field specs
   (`alignment.run.fields`: codealign's dataclasses directly, TRL's from a committed snapshot) and every value
   converted as TRL's parser would (`alignment.run.values`); then each of codealign's dataclasses lists its problems
   in `problems(configs)`, with every other dataclass of the recipe at hand (TRL's as `ConfigView`s of their parsed
   values), for checks that span them, such as reward weights against rewards. With `check_inputs=True` (the stages'
   entry points) the world is checked too: the parser checks the model reference and the output directory, and each
   dataclass may add `input_problems(configs)` (data files and their rows, the sandbox engine). All problems are
   raised together, in one `ConfigError`, before any model, data set or sandbox is touched.
2. TRL's parser builds the real dataclasses (its `__post_init__` checks surface as `ConfigError` too).

Stages name TRL's dataclasses as `TRL.GRPOConfig` etc. (`alignment.run.fields.ConfigRef`), so nothing imports TRL
before the first pass is done; real classes work as well. `-h`/`--help` and `--help-all` print the recipe's keys
(`alignment.run.help`) without importing TRL.
"""

from __future__ import annotations

import dataclasses
import os
import re
import sys
import types
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from alignment.run.cli import UsageError, problems_message
from alignment.run.fields import TRL, ConfigRef, config_name, is_own, lineage, specs, structured_fields
from alignment.run.files import to_jsonable
from alignment.run.values import TRUE_SPELLINGS, CheckedValues, check_settings, cli_settings, file_settings

__all__ = ["TRL", "ConfigError", "ConfigView", "ParsedRecipe", "check_recipe", "find_config", "parse_recipe"]

# Keys a recipe may hold that belong to no dataclass: `env` is TRL's (exported to the environment before parsing).
_RESERVED_KEYS = {"env"}
HELP_FLAGS = {"-h", "--help", "--help-all"}
_KEY_PROBLEM = re.compile(r"^`(\w+)`")  # a problem that starts with the key it is about


class ConfigError(UsageError):
    """A recipe file or a command-line override is wrong. The message lists every problem found."""


class ConfigView(types.SimpleNamespace):
    """A TRL dataclass in the first pass: its fields' parsed values as attributes, before TRL is imported.
    `find_config` finds it by the class names in `_lineage` (e.g. GRPOConfig, TrainingArguments)."""


@dataclass
class ParsedRecipe:
    """The result of parsing: one instance per dataclass, plus the explicit settings that produced them."""

    configs: tuple[Any, ...]
    explicit: dict[str, Any] = field(default_factory=dict)  # YAML values, then CLI overrides, in that order
    config_path: str | None = None
    parsed: dict[str, Any] = field(default_factory=dict)  # resolved() right after parsing, before a stage edits it
    notes: list[str] = field(default_factory=list)  # decisions the stage logs once logging is set up

    def resolved(self) -> dict[str, Any]:
        """Every field of every dataclass, as plain data (for manifests and wandb's run config)."""
        merged: dict[str, Any] = {}
        for cfg in self.configs:
            for f in dataclasses.fields(cfg):
                if f.init:
                    merged[f.name] = to_jsonable(getattr(cfg, f.name))
        return merged


@dataclass
class CheckedRecipe:
    """The first pass's result: the recipe's settings, and its dataclasses built from them (TRL's as views)."""

    dataclass_types: tuple[Any, ...]
    configs: tuple[Any, ...]
    cli: list[str]  # the command line without `--config FILE`
    file_values: dict[str, Any]
    config_path: str | None
    notes: list[str] = field(default_factory=list)  # what the parser decided for the recipe (`bf16: auto`)


def valid_keys(dataclass_types: Sequence[Any]) -> set[str]:
    return {s.name for dc in dataclass_types for s in specs(dc)}


def load_yaml_mapping(path: str | os.PathLike) -> dict[str, Any]:
    """A recipe file as a flat mapping (its `base:` resolved; see `read_recipe_file`)."""
    return read_recipe_file(path)[0]


def read_recipe_file(path: str | os.PathLike, _including: tuple[Path, ...] = ()) -> tuple[dict[str, Any], dict]:
    """A recipe file as a flat mapping, and the line of each key. `base: other.yaml` (a path relative to this file)
    makes the file a set of documented overrides of another recipe: the base's keys first, this file's on top."""
    path = Path(path)
    if not path.is_file():
        kind = "is a directory" if path.is_dir() else "does not exist"
        raise ConfigError(f"config file {str(path)!r} {kind}; pass the path of a YAML recipe, e.g. configs/…")
    loaded, lines = _load_yaml(path)
    base = loaded.pop("base", None)
    if base is None:
        return loaded, lines
    base_path = (path.parent / str(base)).resolve()
    if base_path in _including or base_path == path.resolve():
        raise ConfigError(f"config file {str(path)!r}: `base: {base}` includes itself")
    merged, merged_lines = read_recipe_file(base_path, (*_including, path.resolve()))
    merged.update(loaded)
    merged_lines.update(lines)
    return merged, merged_lines


def _load_yaml(path: Path) -> tuple[dict[str, Any], dict[str, str]]:
    """Parse once, keeping each top-level key's line (`file:line`) for messages."""
    loader = yaml.SafeLoader(path.read_text())
    try:
        node = loader.get_single_node()
        loaded = loader.construct_document(node) if node is not None else None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(
            f"{where}: not valid YAML ({problem}); a recipe is a flat mapping of `key: value` lines"
        ) from None
    finally:
        loader.dispose()
    if loaded is None:
        return {}, {}
    if not isinstance(loaded, dict):
        raise ConfigError(
            f"config file {str(path)!r} must hold a flat YAML mapping of key: value, got {type(loaded).__name__}"
        )
    return loaded, {key.value: f"{path}:{key.start_mark.line + 1}" for key, _ in node.value}


def _split_config(args: list[str]) -> tuple[list[str], str | None]:
    """`--config FILE` or `--config=FILE` out of the command line."""
    for i, token in enumerate(args):
        if token.startswith("--config="):
            return args[:i] + args[i + 1 :], token.split("=", 1)[1]
        if token == "--config":
            if i + 1 >= len(args) or args[i + 1].startswith("--"):
                raise ConfigError(
                    "--config needs the path of a YAML recipe, e.g. `--config configs/grpo/tiny_cpu.yaml`"
                )
            return args[:i] + args[i + 2 :], args[i + 1]
    return args, None


def check_recipe(
    dataclass_types: Sequence[Any], argv: Sequence[str] | None = None, *, check_inputs: bool = False
) -> CheckedRecipe:
    """The first pass (no TRL import): every key, value and `problems(configs)`, and with `check_inputs` the
    model, output directory and each dataclass's `input_problems(configs)`. Raises one `ConfigError` for all."""
    args, path = _split_config(list(sys.argv[1:] if argv is None else argv))
    file_values, lines = read_recipe_file(path) if path else ({}, {})
    file_values, args, notes = resolve_auto_bf16(dataclass_types, file_values, args)
    file_values = _drop_replaced(dataclass_types, file_values, args)  # a flag replaces its group's file keys
    problems = _export_env(file_values.get("env"), path)
    spec_map, strict = {}, set()
    for dc in dataclass_types:
        loose = structured_fields(dc) if is_own(dc) else set()  # read once per dataclass, not once per field
        for spec in specs(dc):
            spec_map[spec.name] = spec
            if is_own(dc) and spec.name not in loose:
                strict.add(spec.name)
    settings = file_settings({k: v for k, v in file_values.items() if k not in _RESERVED_KEYS}, lines, path or "")
    cli, cli_problems = cli_settings(args)
    checked = check_settings(settings + cli, spec_map, strict)
    configs = tuple(_build(dc, checked) for dc in dataclass_types)
    later = recipe_problems(configs)
    if check_inputs:
        from alignment.run.inputs import input_problems

        later += input_problems(configs)
    places = {**lines, **{s.key: "command line" for s in cli}}
    problems += cli_problems + checked.problems + [_located(p, places) for p in later]
    if problems:
        raise ConfigError(problems_message(problems, f"recipe {path!r}" if path else "the command line"), problems)
    return CheckedRecipe(tuple(dataclass_types), configs, args, file_values, path, notes)


def _located(problem: str, places: dict[str, str]) -> str:
    """A dataclass's problem about `key` gets the place the key was set (`file:line`, command line), if any."""
    match = _KEY_PROBLEM.match(problem)
    place = places.get(match.group(1)) if match else None
    return f"{place}: {problem}" if place else problem


def _build(dc: Any, checked: CheckedValues) -> Any:
    """codealign's dataclasses for real (no `__post_init__` checks by contract); others as `ConfigView`s."""
    names = [s.name for s in specs(dc)]
    given = {k: checked.values[k] for k in names if k in checked.values}
    if is_own(dc):
        return dc(**given)
    defaults = {s.name: s.default for s in specs(dc)}
    return ConfigView(**{**defaults, **given}, _lineage=lineage(dc))


def recipe_problems(configs: Sequence[Any]) -> list[str]:
    """Every `problems(configs)` of codealign's dataclasses."""
    return [p for cfg in configs if hasattr(cfg, "problems") for p in cfg.problems(configs)]


def validate(configs: Sequence[Any], path: str | None = None) -> None:
    """The one validation pass: every `problems(configs)` of codealign's dataclasses, raised together."""
    problems = recipe_problems(configs)
    if problems:
        raise ConfigError(problems_message(problems, f"recipe {path!r}" if path else "the recipe"), problems)


def parse_recipe(
    dataclass_types: Sequence[Any],
    argv: Sequence[str] | None = None,
    *,
    prog: str | None = None,
    doc: str | None = None,
    check_inputs: bool = False,
) -> ParsedRecipe:
    """Parse `argv` (default: sys.argv[1:]) into instances of `dataclass_types`, strictly.

    Precedence: dataclass defaults < YAML file < command-line flags. `-h`/`--help`/`--help-all` print the keys
    (with `prog` and the stage's `doc`) and exit 0. Everything wrong is raised as one `ConfigError`.
    """
    args = list(sys.argv[1:] if argv is None else argv)
    if HELP_FLAGS & set(args):
        from alignment.run.help import render_help

        print(render_help(dataclass_types, prog or _prog(), doc, full="--help-all" in args))
        raise SystemExit(0)
    if prog and not args:  # an entry point run bare: say how to run it rather than what an empty recipe lacks
        raise ConfigError(
            f"no recipe given: run `{prog} --config RECIPE.yaml [--key value ...]` (`--help` lists the keys)"
        )
    checked = check_recipe(dataclass_types, args, check_inputs=check_inputs)
    return _parse_with_trl(checked)


def _parse_with_trl(checked: CheckedRecipe) -> ParsedRecipe:
    """The second pass: TRL's parser builds the real dataclasses from the checked settings."""
    from trl import TrlParser

    path = checked.config_path
    classes = [dc.load() if isinstance(dc, ConfigRef) else dc for dc in checked.dataclass_types]
    explicit = {k: v for k, v in checked.file_values.items() if k not in _RESERVED_KEYS}
    args = checked.cli + _precision_defaults(classes, checked.file_values, checked.cli)
    parser = TrlParser(dataclass_types=classes)
    parser.error = _raise_parser_error(path)  # argparse would print its 200-line usage and exit
    parser.set_defaults_with_config(**explicit)  # the file, read once; flags override it
    try:
        configs = parser.parse_args_into_dataclasses(args=args)
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"invalid recipe {path or '(command line)'}: {exc}") from exc
    explicit.update(_cli_overrides(checked.cli, configs))
    recipe = ParsedRecipe(configs=tuple(configs), explicit=explicit, config_path=path, notes=checked.notes)
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


def _raise_parser_error(path: str | None):
    def error(message: str):
        raise ConfigError(f"invalid recipe {path or '(command line)'}: {message}")

    return error


def _prog() -> str:
    main = sys.modules.get("__main__")
    spec = getattr(main, "__spec__", None)
    return f"python -m {spec.name}" if spec is not None and spec.name else Path(sys.argv[0]).name


def find_config(configs: Sequence[Any], cls: type | ConfigRef | str) -> Any:
    """The parsed instance of `cls` (a class, a `TRL.X` reference or a class name) among `configs`, matching
    subclasses and first-pass `ConfigView`s; None when the stage has none."""
    name = cls if isinstance(cls, str) else config_name(cls)
    for cfg in configs:
        if isinstance(cls, type) and isinstance(cfg, cls):
            return cfg
        names = getattr(cfg, "_lineage", None) or [k.__name__ for k in type(cfg).__mro__]
        if name in names:
            return cfg
    return None


def _export_env(env: Any, path: str | None) -> list[str]:
    """A recipe's `env:` mapping goes to the environment before anything reads it (TRL's convention): here,
    before torch is imported, so thread counts and the like take effect."""
    if env is None:
        return []
    if not isinstance(env, dict):
        return [f"{path}: `env` must be a mapping of VARIABLE: value, got {type(env).__name__}"]
    for key, value in env.items():
        os.environ[str(key)] = str(value)
    return []


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


def resolve_auto_bf16(
    dataclass_types: Sequence[Any], file_values: dict[str, Any], cli_args: Sequence[str]
) -> tuple[dict[str, Any], list[str], list[str]]:
    """`bf16: auto` (file or command line) becomes `true` where this machine runs bf16 matmuls natively (a CUDA GPU
    with bf16, a CPU with AVX512-BF16 or AMX) and `false` elsewhere, where bf16 autocast is emulated and far slower
    than fp32 (on an AVX2 CPU torch's bf16 GEMM ran at 1 GFLOP/s against 130 for fp32). The recipe, the manifest
    and the run's config then hold the value this machine chose. Resolved to false, it also turns off the keys a
    dataclass names in `BF16_ONLY_KEYS` (settings that exist only under bf16 autocast, e.g. `bf16_reference`).
    Returns the file values, the command line and a note per decision, for the stage to log."""
    values = {st.key: st.value[0] for st in cli_settings(cli_args)[0] if len(st.value) == 1}  # the last one wins
    given = values.get("bf16", file_values.get("bf16"))
    if not any(_is_auto(v) for v in (values.get("bf16"), file_values.get("bf16"))):
        return file_values, list(cli_args), []
    from alignment.run.precision import native_bf16

    native, why = native_bf16()
    if _is_auto(file_values.get("bf16")):  # replaced even where the command line overrides it, for the checks
        file_values = {**file_values, "bf16": native}
    if _is_auto(values.get("bf16")):
        cli_args = _set_cli_value(cli_args, "bf16", str(native).lower())
    if not _is_auto(given):
        return file_values, list(cli_args), []
    notes = [f"bf16: auto -> {str(native).lower()} ({why})"]
    if native:
        return file_values, list(cli_args), notes
    for key in (k for dc in dataclass_types for k in getattr(dc, "BF16_ONLY_KEYS", ())):
        value = values.get(key, file_values.get(key))
        if value is True or (isinstance(value, str) and value.strip().lower() in TRUE_SPELLINGS):
            file_values = {**file_values, key: False} if key in file_values else file_values
            cli_args = _set_cli_value(cli_args, key, "false")
            notes.append(f"{key}: true -> false (it applies only under bf16 autocast)")
    return file_values, list(cli_args), notes


def _is_auto(value: Any) -> bool:
    return isinstance(value, str) and value.strip().lower() == "auto"


def _set_cli_value(args: Sequence[str], key: str, value: str) -> list[str]:
    """`args` with the value of every `--key` on it replaced by `value` (nothing added where `--key` is absent)."""
    out = list(args)
    for i, token in enumerate(out):
        name, eq, _ = token[2:].partition("=") if token.startswith("--") else ("", "", "")
        if name.replace("-", "_") != key:
            continue
        if eq:
            out[i] = f"--{name}={value}"
        elif i + 1 < len(out) and not out[i + 1].startswith("--"):
            out[i + 1] = value
    return out


def _cli_keys(args: Sequence[str]) -> list[str]:
    """Names of the `--key` flags on a command line (`--key=value` and `--key value` forms)."""
    return [t[2:].split("=", 1)[0].replace("-", "_") for t in args if t.startswith("--") and len(t) > 2]


def parse_or_exit(dataclass_types: Sequence[Any], argv: Sequence[str] | None = None, **kwargs: Any) -> ParsedRecipe:
    """`parse_recipe` for entry points not yet wrapped in `alignment.run.cli.run_cli`: a recipe problem ends the
    program with the message and exit status 2, not a traceback."""
    try:
        return parse_recipe(dataclass_types, argv, **kwargs)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None


def _cli_overrides(cli_args: Sequence[str], configs: Sequence[Any]) -> dict[str, Any]:
    """The parsed values of the keys set on the command line (typed by the dataclasses, not raw strings)."""
    keys = set(_cli_keys(cli_args))
    values = {}
    for cfg in configs:
        for f in dataclasses.fields(cfg):
            if f.name in keys:
                values[f.name] = to_jsonable(getattr(cfg, f.name))
    return values
