"""Atomic checkpoints and `--resume`.

The HF Trainer (transformers 5.23, `Trainer._save_checkpoint`) writes `checkpoint-N/` in place, file by file: a run
killed during a save leaves a directory that *looks* like a checkpoint but lacks the optimizer or the trainer state,
and `transformers.trainer_utils.get_last_checkpoint` would pick it. `AtomicCheckpointMixin` makes every save go to
`<output_dir>/.staging/checkpoint-N/` and publishes it with one `rename` once every rank has finished writing
(DeepSpeed ranks write their own optimizer shards), so a `checkpoint-N/` directory is either complete or absent.

Mix it in front of a TRL trainer (`class T(AtomicCheckpointMixin, GRPOTrainer)`); `alignment.trainers` does that for
the stages. `resolve_resume(output_dir, resume)` turns `--resume` into the checkpoint to pass to `trainer.train`.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import shutil
from pathlib import Path

from transformers.trainer_utils import PREFIX_CHECKPOINT_DIR, rotate_checkpoints

logger = logging.getLogger(__name__)

STAGING_DIR = ".staging"
TRAINER_STATE_NAME = "trainer_state.json"
_CHECKPOINT_RE = re.compile(rf"^{PREFIX_CHECKPOINT_DIR}-(\d+)$")


class AtomicCheckpointMixin:
    """Trainer mixin: write each checkpoint into a staging directory, then rename it into place."""

    _atomic_staging = False

    def _get_output_dir(self, trial) -> str:
        run_dir = super()._get_output_dir(trial)
        return os.path.join(run_dir, STAGING_DIR) if self._atomic_staging else run_dir

    def _save_checkpoint(self, model, trial) -> None:
        run_dir = Path(super()._get_output_dir(trial))
        name = f"{PREFIX_CHECKPOINT_DIR}-{self.state.global_step}"
        staged = run_dir / STAGING_DIR / name
        if self.args.should_save and staged.exists():
            shutil.rmtree(staged)  # left over from a save that was killed half-way
        self.accelerator.wait_for_everyone()
        self._atomic_staging = True
        try:
            super()._save_checkpoint(model, trial)
        finally:
            self._atomic_staging = False
        self.accelerator.wait_for_everyone()  # every rank has written its shards into `staged`
        if self.args.should_save:
            publish_checkpoint(staged, run_dir / name)
            _remove_if_empty(staged.parent)
            self._repoint_best_checkpoint(staged, run_dir / name)
            rotate_checkpoints(
                output_dir=str(run_dir),
                save_total_limit=self.args.save_total_limit,
                best_model_checkpoint=self.state.best_model_checkpoint,
                use_mtime=False,
            )
        self.accelerator.wait_for_everyone()

    def _issue_warnings_after_load(self, load_result) -> None:
        """A model with tied input/output embeddings (the tiny models, SmolLM2) is saved with the tied copy left out,
        and transformers 5.23 reports it as missing on resume (`missing keys ['lm_head.weight']`) although the
        weights are complete. Re-tie and say nothing for exactly those keys; any other missing key is still reported.
        """
        tied = set(getattr(self.model, "all_tied_weights_keys", None) or ())
        missing = set(load_result.missing_keys)
        if missing and missing <= tied:
            self.model.tie_weights()
            logger.debug("resume: %s tied to their source weights", sorted(missing))
            load_result = load_result._replace(missing_keys=[])
        super()._issue_warnings_after_load(load_result)

    def _repoint_best_checkpoint(self, staged: Path, final: Path) -> None:
        # The base class records the best checkpoint by the path it wrote to; after the rename it lives in `final`.
        best = self.state.best_model_checkpoint
        if best is not None and Path(best) == staged:
            self.state.best_model_checkpoint = str(final)


def _remove_if_empty(directory: Path) -> None:
    with contextlib.suppress(OSError):  # not empty (another save's leftovers) or already gone
        directory.rmdir()


def publish_checkpoint(staged: Path, final: Path) -> None:
    """Move a fully written checkpoint directory into place with a rename (atomic within one filesystem)."""
    if not (staged / TRAINER_STATE_NAME).is_file():
        raise RuntimeError(
            f"refusing to publish {staged}: it has no {TRAINER_STATE_NAME}, so the save did not finish. "
            "Check the log of every rank for the error that interrupted it."
        )
    if final.exists():  # re-saving a step after resuming from an earlier checkpoint
        trash = final.with_name(f".trash-{final.name}")
        shutil.rmtree(trash, ignore_errors=True)
        os.replace(final, trash)
        os.replace(staged, final)
        shutil.rmtree(trash)
    else:
        os.replace(staged, final)
    logger.info("published checkpoint %s", final)


def complete_checkpoints(output_dir: str | Path) -> list[Path]:
    """Published checkpoints in `output_dir` that hold a trainer state, oldest step first."""
    output_dir = Path(output_dir)
    if not output_dir.is_dir():
        return []
    found = []
    for path in output_dir.iterdir():
        match = _CHECKPOINT_RE.match(path.name)
        if match and path.is_dir() and (path / TRAINER_STATE_NAME).is_file():
            found.append((int(match.group(1)), path))
    return [path for _, path in sorted(found)]


def latest_complete_checkpoint(output_dir: str | Path) -> Path | None:
    checkpoints = complete_checkpoints(output_dir)
    return checkpoints[-1] if checkpoints else None


def resolve_resume(output_dir: str | Path, resume: bool | str | None) -> str | None:
    """What to pass as `trainer.train(resume_from_checkpoint=...)` for `--resume [PATH]`.

    `True` picks the latest complete checkpoint in `output_dir`, or starts fresh (with a log line) when there is none,
    so a preempted job can be requeued with the same command. A path must be a complete checkpoint.
    """
    if not resume:
        return None
    if isinstance(resume, str) and resume.lower() not in ("true", "1", "yes"):
        path = Path(resume)
        if not (path / TRAINER_STATE_NAME).is_file():
            raise FileNotFoundError(
                f"--resume {resume}: not a complete checkpoint (no {TRAINER_STATE_NAME} in it). "
                f"Pass a checkpoint-N directory, or --resume true to pick the latest one in {output_dir}."
            )
        return str(path)
    latest = latest_complete_checkpoint(output_dir)
    if latest is None:
        logger.info("--resume: no complete checkpoint in %s yet, starting from the beginning", output_dir)
        return None
    logger.info("--resume: continuing from %s", latest)
    return str(latest)
