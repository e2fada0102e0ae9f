"""Atomic checkpoints: a save that dies half-way leaves no checkpoint; `--resume` only picks complete ones."""

from __future__ import annotations

import pytest
import torch
from datasets import Dataset
from transformers import LlamaConfig, LlamaForCausalLM, Trainer, TrainingArguments

from alignment.run.checkpointing import (
    STAGING_DIR,
    TRAINER_STATE_NAME,
    AtomicCheckpointMixin,
    complete_checkpoints,
    latest_complete_checkpoint,
    publish_checkpoint,
    resolve_resume,
)


def _checkpoint(root, name, complete=True):
    path = root / name
    path.mkdir(parents=True)
    if complete:
        (path / TRAINER_STATE_NAME).write_text("{}")
    return path


def test_latest_complete_checkpoint_orders_by_step_and_skips_incomplete(tmp_path):
    _checkpoint(tmp_path, "checkpoint-9")
    ten = _checkpoint(tmp_path, "checkpoint-10")  # numeric, not lexical, order
    _checkpoint(tmp_path, "checkpoint-11", complete=False)  # written in place by a killed, non-atomic save
    _checkpoint(tmp_path, f"{STAGING_DIR}/checkpoint-12")  # staged, never published
    _checkpoint(tmp_path, "checkpoint-13-old")  # not a checkpoint name
    assert latest_complete_checkpoint(tmp_path) == ten
    assert [p.name for p in complete_checkpoints(tmp_path)] == ["checkpoint-9", "checkpoint-10"]


def test_no_checkpoint_or_no_directory(tmp_path):
    assert latest_complete_checkpoint(tmp_path) is None
    assert latest_complete_checkpoint(tmp_path / "missing") is None


@pytest.mark.parametrize("resume", [None, False, ""])
def test_resume_off(tmp_path, resume):
    _checkpoint(tmp_path, "checkpoint-1")
    assert resolve_resume(tmp_path, resume) is None


@pytest.mark.parametrize("resume", [True, "true", "1"])
def test_resume_on_picks_latest(tmp_path, resume):
    _checkpoint(tmp_path, "checkpoint-1")
    latest = _checkpoint(tmp_path, "checkpoint-2")
    assert resolve_resume(tmp_path, resume) == str(latest)


def test_resume_with_nothing_saved_starts_fresh(tmp_path):
    assert resolve_resume(tmp_path, True) is None


def test_resume_from_incomplete_path_says_what_is_wrong(tmp_path):
    bad = _checkpoint(tmp_path, "checkpoint-3", complete=False)
    with pytest.raises(FileNotFoundError, match="not a complete checkpoint.*--resume true"):
        resolve_resume(tmp_path, str(bad))


def test_publish_refuses_an_unfinished_save(tmp_path):
    staged = _checkpoint(tmp_path, f"{STAGING_DIR}/checkpoint-4", complete=False)
    with pytest.raises(RuntimeError, match="did not finish"):
        publish_checkpoint(staged, tmp_path / "checkpoint-4")
    assert not (tmp_path / "checkpoint-4").exists()


def test_publish_replaces_an_existing_checkpoint(tmp_path):
    old = _checkpoint(tmp_path, "checkpoint-5")
    (old / "stale.bin").write_bytes(b"old")
    staged = _checkpoint(tmp_path, f"{STAGING_DIR}/checkpoint-5")
    (staged / "fresh.bin").write_bytes(b"new")
    publish_checkpoint(staged, old)
    assert sorted(p.name for p in old.iterdir()) == ["fresh.bin", TRAINER_STATE_NAME]
    assert not staged.exists() and not list(tmp_path.glob(".trash-*"))


class _AtomicTrainer(AtomicCheckpointMixin, Trainer):
    pass


class _CrashingSaveTrainer(_AtomicTrainer):
    """Dies after the weights are written but before the trainer state: a save interrupted half-way."""

    def _save_rng_state(self, output_dir):
        if self.state.global_step == 4:
            raise KeyboardInterrupt("killed during save")
        super()._save_rng_state(output_dir)


def _train(trainer_cls, output_dir):
    torch.manual_seed(0)
    config = LlamaConfig(
        vocab_size=32, hidden_size=16, intermediate_size=32, num_hidden_layers=1, num_attention_heads=2
    )
    data = Dataset.from_dict({"input_ids": [[1, 2, 3, 4]] * 8, "labels": [[1, 2, 3, 4]] * 8})
    args = TrainingArguments(
        output_dir=str(output_dir), max_steps=4, save_steps=2, per_device_train_batch_size=2,
        report_to=[], use_cpu=True, disable_tqdm=True,
    )  # fmt: skip
    trainer = trainer_cls(model=LlamaForCausalLM(config), args=args, train_dataset=data)
    trainer.train()


def test_trainer_publishes_complete_checkpoints_only(tmp_path):
    _train(_AtomicTrainer, tmp_path)
    assert [p.name for p in complete_checkpoints(tmp_path)] == ["checkpoint-2", "checkpoint-4"]
    assert not (tmp_path / STAGING_DIR).exists()
    for checkpoint in complete_checkpoints(tmp_path):
        assert {"model.safetensors", "optimizer.pt", "scheduler.pt", TRAINER_STATE_NAME} <= {
            p.name for p in checkpoint.iterdir()
        }


def test_save_killed_half_way_leaves_the_previous_checkpoint_as_latest(tmp_path):
    with pytest.raises(KeyboardInterrupt):
        _train(_CrashingSaveTrainer, tmp_path)
    assert not (tmp_path / "checkpoint-4").exists()
    assert (tmp_path / STAGING_DIR / "checkpoint-4" / "model.safetensors").exists()  # the half-written save
    assert latest_complete_checkpoint(tmp_path) == tmp_path / "checkpoint-2"
