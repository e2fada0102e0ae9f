"""The field specs the first parsing pass uses: the committed TRL snapshot matches the live dataclasses, and our own
dataclasses are read exactly as transformers' `HfArgumentParser` reads them."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from trl import GRPOConfig, ModelConfig, RewardConfig, SFTConfig

from alignment.args import MixtureArguments, RecordArguments
from alignment.grpo import GRPOArguments
from alignment.run import fields
from alignment.run.fields import TRL, FieldSpec, build_snapshot, dump_snapshot, live_specs, own_specs, specs
from alignment.sft import SFTArguments

ROOT = Path(__file__).resolve().parents[2]


def test_the_committed_snapshot_is_what_the_installed_trl_defines():
    """Fails after a TRL/transformers bump until `python -m alignment.run.fields --write` is run and committed."""
    assert fields.SNAPSHOT_PATH.read_text() == dump_snapshot(build_snapshot())


@pytest.mark.parametrize("cls", [ModelConfig, SFTConfig, GRPOConfig, RewardConfig], ids=lambda c: c.__name__)
def test_snapshot_specs_equal_the_live_parser_field_by_field(cls):
    snapshot = {s.name: s for s in specs(getattr(TRL, cls.__name__))}
    live = {s.name: s for s in live_specs(cls)}
    assert snapshot == live


@pytest.mark.parametrize(
    "cls", [MixtureArguments, SFTArguments, GRPOArguments, RecordArguments], ids=lambda c: c.__name__
)
def test_our_dataclasses_are_read_with_hfargumentparser_rules(cls):
    assert own_specs(cls) == live_specs(cls)


def test_specs_carry_what_the_checks_and_help_need():
    by_name = {s.name: s for s in specs(TRL.GRPOConfig)}
    assert by_name["beta"] == FieldSpec("beta", "float", default=by_name["beta"].default, help=by_name["beta"].help)
    assert by_name["reward_weights"].nargs == "+" and by_name["reward_weights"].kind == "float"
    assert "cosine" in by_name["lr_scheduler_type"].choices  # an Enum field: its values are the choices
    assert by_name["disable_dropout"].kind == "bool" and by_name["disable_dropout"].nargs == "?"
    assert fields.lineage(TRL.GRPOConfig) == ("GRPOConfig", "TrainingArguments")
    record = {s.name: s for s in own_specs(RecordArguments)}
    assert record["manifest_hash_checkpoints"].negatable  # bool defaulting to True: `--no_...` exists
    assert record["wandb_mode"].choices == ("auto", "online", "offline", "disabled")  # a Literal


def test_spec_rows_round_trip_through_json():
    for spec in specs(TRL.GRPOConfig) + own_specs(GRPOArguments):
        assert FieldSpec.from_row(json.loads(json.dumps(spec.to_row()))) == spec


def test_reading_trl_specs_imports_neither_torch_nor_trl():
    code = (
        "import sys; from alignment.run.fields import TRL, specs; "
        "n = sum(len(specs(getattr(TRL, c))) for c in ('ModelConfig', 'SFTConfig', 'GRPOConfig')); "
        "print(n, sorted({'torch', 'trl', 'transformers'} & set(sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    count, imported = out.split(" ", 1)
    assert int(count) > 300 and imported.strip() == "[]"


def test_installed_versions_other_than_the_snapshot_fall_back_to_the_live_dataclasses(monkeypatch):
    monkeypatch.setattr(fields, "installed_versions", lambda: {"trl": "0.0.0", "transformers": "0.0.0"})
    fields._snapshot.cache_clear()
    try:
        assert {s.name for s in specs(TRL.GRPOConfig)} == {s.name for s in live_specs(GRPOConfig)}
        assert fields._snapshot() is None
    finally:
        fields._snapshot.cache_clear()
