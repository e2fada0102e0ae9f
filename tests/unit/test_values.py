"""The first pass's value checks: each setting converted as TRL's parser would, or named with why it fails."""

import pytest

from alignment.run.fields import TRL, specs
from alignment.run.values import Setting, check_settings, cli_settings

SPECS = {s.name: s for s in specs(TRL.GRPOConfig) + specs(TRL.ModelConfig)}
OURS = {"datasets"}  # a list field of ours: a bare string is an error, not silently a one-letter-per-row list
SPECS["datasets"] = type(SPECS["reward_weights"])("datasets", "str", nargs="+", default=[])


def from_file(key, value):
    return check_settings([Setting(key, value, "r.yaml:3")], SPECS, OURS)


def from_cli(*tokens):
    settings, problems = cli_settings(list(tokens))
    checked = check_settings(settings, SPECS, OURS)
    return checked.values, problems + checked.problems


# (key, YAML value, converted value or None, fragment of the problem or None)
FILE_CASES = [
    ("learning_rate", "1e-6", 1e-6, None),             # PyYAML reads 1e-6 as a string; argparse converts it
    ("learning_rate", 3, 3.0, None),                   # an int is a fine float
    ("learning_rate", "fast", None, "'fast' is not a number"),
    ("learning_rate", True, None, "is True, not a number"),  # YAML `yes`: a bool is not a number
    ("max_steps", 350, 350, None),
    ("max_steps", 1.0e3, 1000, None),                  # integral float: what the user meant
    ("max_steps", 2.5, None, "2.5 is not a whole number"),
    ("max_steps", [1, 2], None, "takes one value, got a list"),
    ("bf16", "false", False, None),                    # transformers' string_to_bool spellings
    ("bf16", "yes", True, None),
    ("bf16", "maybe", None, "'maybe' is not true or false"),
    ("lr_scheduler_type", "cosine", "cosine", None),
    ("lr_scheduler_type", "cosin", None, "did you mean 'cosine'?"),
    ("reward_weights", [1, 0.5], [1.0, 0.5], None),
    ("reward_weights", [1, "x"], None, "'x' is not a number"),
    ("report_to", ["wandb", "tensorboard"], ["wandb", "tensorboard"], None),  # TRL takes a list for this text field
    ("datasets", "a.jsonl", None, "takes a list: write `datasets: [a.jsonl]`"),
    ("datasets", ["a.jsonl"], ["a.jsonl"], None),
    ("model_init_kwargs", {"a": 1}, {"a": 1}, None),   # a str field TRL parses as JSON: a mapping passes through
    ("learning_rate", None, None, None),               # `key:` with no value is null, as TRL takes it
]  # fmt: skip


@pytest.mark.parametrize(("key", "value", "expected", "problem"), FILE_CASES)
def test_file_values(key, value, expected, problem):
    checked = from_file(key, value)
    if problem is None:
        assert checked.problems == [] and checked.values[key] == expected
    else:
        assert len(checked.problems) == 1 and problem in checked.problems[0], checked.problems
        assert checked.problems[0].startswith(f"r.yaml:3: `{key}`") and key in checked.broken


# (command line, converted values or None, fragment of the problem or None)
CLI_CASES = [
    (["--learning_rate", "3e-4"], {"learning_rate": 3e-4}, None),
    (["--learning-rate=3e-4"], {"learning_rate": 3e-4}, None),        # hyphens and `=`, as argparse takes them
    (["--reward_weights", "1", "-0.5"], {"reward_weights": [1.0, -0.5]}, None),  # a negative number is a value
    (["--disable_dropout"], {"disable_dropout": True}, None),           # a bare flag means true
    (["--bf16"], None, "`--bf16` takes one value, got none"),          # bool | None = None: argparse wants a value
    (["--bf16", "false"], {"bf16": False}, None),
    (["--no_use_bias_correction_kl"], {"use_bias_correction_kl": False}, None),  # the `--no_` twin of a True bool
    (["--no_bf16"], None, "unknown key 'no_bf16'"),                    # bf16 defaults to None: it has no twin
    (["--beta"], None, "`--beta` takes one value, got none"),
    (["--beta", "1", "2"], None, "takes one value, got 2: 1 2"),
    (["--reward_weights"], None, "needs one or more values"),
    (["--bta", "0.1"], None, "unknown key 'bta': did you mean 'beta'?"),
    (["stray"], None, "unexpected argument 'stray'"),
    (["-x"], None, "unknown option '-x'"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("tokens", "expected", "problem"), CLI_CASES, ids=lambda c: " ".join(c) if isinstance(c, list) else None
)
def test_command_line_values(tokens, expected, problem):
    values, problems = from_cli(*tokens)
    if problem is None:
        assert problems == [] and values == expected
    else:
        assert len(problems) == 1 and problem in problems[0] and problems[0].startswith("command line:"), problems


def test_the_last_setting_wins_and_every_problem_is_kept():
    settings = [Setting("beta", 0.1, "r.yaml:1"), Setting("beta", ["0.2"], "command line", cli=True, flag="--beta")]
    settings += [Setting("seed", "x", "r.yaml:2"), Setting("max_steps", "y", "r.yaml:3")]
    checked = check_settings(settings, SPECS, OURS)
    assert checked.values["beta"] == 0.2 and len(checked.problems) == 2 and checked.broken == {"seed", "max_steps"}
