"""Run manifest: contents, hashes, git state, atomic writes, and the config round trip through `--config`."""

from __future__ import annotations

import hashlib
import json
import subprocess
from pathlib import Path

import pytest
import yaml
from trl import GRPOConfig

from alignment.run import manifest
from alignment.run.config import parse_recipe
from alignment.run.tracking import RecordArguments


def _parse(argv: list[str]):
    return parse_recipe((RecordArguments, GRPOConfig), argv)


def _recipe(tmp_path: Path) -> Path:
    recipe = tmp_path / "recipe.yaml"
    recipe.write_text(
        "output_dir: " + str(tmp_path / "run") + "\n"
        "learning_rate: 1.0e-5\n"
        "beta: 0.04\n"
        "use_cpu: true\n"
        "bf16: false\n"
        "loss_type: grpo\n"
        "report_to: [wandb]\n"
        "wandb_tags: [ablation, rm]\n"
        "lr_scheduler_type: cosine\n"
        "steps_per_generation: 2\n"  # TRL derives generation_batch_size from it: the two may not both be given
    )
    return recipe


def test_config_yaml_reproduces_the_resolved_config_exactly(tmp_path):
    argv = [
        "--config",
        str(_recipe(tmp_path)),
        "--seed",
        "7",
        "--temperature",
        "0.7",
        "--wandb_group",
        "g1",
        "--resume",
    ]
    recipe = _parse(argv)
    manifest.write_run_record(tmp_path / "run", recipe.resolved(), recipe.explicit, world_size=1)

    replayed = _parse(["--config", str(tmp_path / "run" / manifest.CONFIG_NAME)])
    assert replayed.resolved() == {**recipe.resolved(), "resume": False}  # --resume restarts, it is not the run
    # ...and the recorded file holds typed values, not the strings typed on the command line.
    written = yaml.safe_load((tmp_path / "run" / manifest.CONFIG_NAME).read_text())
    assert written["temperature"] == 0.7 and written["seed"] == 7 and written["lr_scheduler_type"] == "cosine"
    assert "generation_batch_size" not in written  # derived by TRL, so not recorded


def test_reproducible_config_drops_restart_flags_and_pins_precision():
    resolved = {"seed": 1, "resume": True, "resume_from_checkpoint": "x", "bf16": False}
    explicit = {"seed": 1, "resume": True, "resume_from_checkpoint": "x"}
    assert manifest.reproducible_config(resolved, explicit) == {"seed": 1, "bf16": False}


def test_unknown_explicit_key_is_reported():
    with pytest.raises(ValueError, match=r"\['lerning_rate'\]"):
        manifest.reproducible_config({"learning_rate": 1.0}, {"lerning_rate": 1.0})


def test_manifest_records_everything_issue_asks_for(tmp_path):
    data = tmp_path / "train.jsonl"
    data.write_text('{"prompt": "1+1"}\n')
    checkpoint = tmp_path / "ckpt"
    checkpoint.mkdir()
    (checkpoint / "model.safetensors").write_bytes(b"weights")
    recipe = _parse(["--config", str(_recipe(tmp_path)), "--seed", "11"])
    manifest.write_run_record(
        tmp_path / "run",
        recipe.resolved(),
        recipe.explicit,
        world_size=2,
        data_paths=[data, "hub-org/some-dataset"],
        checkpoint_paths=[checkpoint],
        sandbox_image=None,
    )
    record = json.loads((tmp_path / "run" / manifest.MANIFEST_NAME).read_text())
    assert record["world_size"] == 2
    assert record["seeds"] == {"seed": 11, "data_seed": None}
    assert record["config"]["beta"] == 0.04 and record["config"]["wandb_tags"] == ["ablation", "rm"]
    assert record["data_sha256"] == {
        str(data): hashlib.sha256(b'{"prompt": "1+1"}\n').hexdigest(),
        "hub-org/some-dataset": None,  # not a local path: nothing to hash
    }
    assert record["checkpoint_sha256"][str(checkpoint)] == manifest.sha256_path(checkpoint)
    assert record["packages"]["trl"] == "1.16.0" and record["packages"]["python"]
    assert record["hardware"]["cpu_count"] >= 1 and isinstance(record["hardware"]["gpus"], list)
    assert record["sandbox_image"] == {"name": None, "id": None}
    assert set(record["git"]) >= {"commit", "dirty"}
    assert not list((tmp_path / "run").glob(".*tmp*")), "atomic writes leave no temporary files"


def test_directory_hash_depends_on_names_and_contents(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "x.bin").write_bytes(b"1")
    first = manifest.sha256_path(tmp_path / "a")
    (tmp_path / "a" / "x.bin").rename(tmp_path / "a" / "y.bin")
    renamed = manifest.sha256_path(tmp_path / "a")
    (tmp_path / "a" / "y.bin").write_bytes(b"2")
    assert len({first, renamed, manifest.sha256_path(tmp_path / "a")}) == 3


def test_git_state_sees_uncommitted_changes(tmp_path):
    def git(*args: str) -> None:
        subprocess.run(["git", *args], cwd=tmp_path, check=True, capture_output=True)

    git("init", "-q")
    (tmp_path / "f.py").write_text("x = 1\n")
    git("add", "f.py")
    git("-c", "user.email=a@b", "-c", "user.name=a", "commit", "-qm", "init")
    clean = manifest.git_state(tmp_path)
    (tmp_path / "f.py").write_text("x = 2\n")
    dirty = manifest.git_state(tmp_path)
    assert clean["dirty"] is False and dirty["dirty"] is True
    assert clean["commit"] == dirty["commit"] and len(clean["commit"]) == 40
    assert dirty["changed_files"] == ["f.py"]


def test_git_state_outside_a_repository(tmp_path):
    assert manifest.git_state(tmp_path)["commit"] is None


def test_missing_sandbox_image_is_recorded_as_none(caplog):
    assert manifest.sandbox_image_id("codealign-no-such-image:never") is None
