"""The run record, started by every stage in one call before its trainer is built.

    run = start_run(recipe, training_args, record_args, data_paths=args.datasets, checkpoint_paths=[model_path])
    trainer = CodealignGRPOTrainer(..., callbacks=run.callbacks, record=record_args)
    trainer.train(resume_from_checkpoint=run.resume_from)

`start_run` writes `manifest.json` and `config.yaml` (main process only, `alignment.run.manifest`), opens the dashboard
chosen by `report_to` with the manifest as the run's config (`alignment.run.tracking`), returns the callbacks that write
`metrics.jsonl`, and resolves `--resume` to the latest complete checkpoint (`alignment.run.checkpointing`).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from transformers import TrainerCallback

from alignment.run.checkpointing import resolve_resume
from alignment.run.files import write_atomic
from alignment.run.manifest import write_run_record
from alignment.run.tracking import RecordArguments, RunLogCallback, setup_tracking

logger = logging.getLogger(__name__)

DEFAULT_SANDBOX_IMAGE = "codealign-sandbox:latest"
REPLICAS_NAME = "replicas.json"


@dataclass
class RunRecord:
    callbacks: list[TrainerCallback] = field(default_factory=list)
    resume_from: str | None = None
    manifest: dict[str, Any] | None = None  # on the main process only


def sandbox_image_name(uses_sandbox: bool) -> str | None:
    """The Docker sandbox image code rewards run in (same variable the Docker backend reads), when code is graded."""
    return os.environ.get("CODEALIGN_SANDBOX_IMAGE", DEFAULT_SANDBOX_IMAGE) if uses_sandbox else None


def start_run(
    recipe: Any,
    training_args: Any,
    record: RecordArguments,
    *,
    data_paths: Iterable[str | Path | None] = (),
    checkpoint_paths: Iterable[str | Path | None] = (),
    uses_sandbox: bool = False,
) -> RunRecord:
    """Write the manifest, start tracking, and resolve `--resume`. Call on every rank; only rank 0 writes.

    `recipe` is the `alignment.run.config.ParsedRecipe` of the stage (its `resolved()` and `explicit` settings).
    """
    is_main = training_args.process_index == 0
    for note in getattr(recipe, "notes", ()) if is_main else ():
        logger.info("recipe: %s", note)
    manifest = None
    if is_main:
        manifest = write_run_record(
            training_args.output_dir,
            recipe.parsed,
            recipe.explicit,
            stage_overrides=_stage_overrides(recipe),
            world_size=training_args.world_size,
            data_paths=data_paths,
            checkpoint_paths=checkpoint_paths if record.manifest_hash_checkpoints else (),
            sandbox_image=sandbox_image_name(uses_sandbox),
        )
    run_config = {"codealign": manifest["config"], "manifest": manifest} if manifest else {}
    setup_tracking(training_args, record, run_config, is_main_process=is_main)
    resume_from = resolve_resume(training_args.output_dir, record.resume or training_args.resume_from_checkpoint)
    callbacks: list[TrainerCallback] = [RunLogCallback(training_args.output_dir)]
    if record.check_replicas:
        callbacks.append(ReplicaCheckCallback(training_args.output_dir))
    return RunRecord(callbacks=callbacks, resume_from=resume_from, manifest=manifest)


def _stage_overrides(recipe: Any) -> dict[str, Any]:
    """Settings the stage derived after parsing (e.g. gradient accumulation from a token budget, model dtype)."""
    live = recipe.resolved()
    return {k: v for k, v in live.items() if recipe.parsed.get(k) != v}


def weights_fingerprint(model: Any) -> str:
    """sha256 over every parameter's name and full value; ZeRO-3 shards are gathered one parameter at a time.

    Collective under ZeRO-3: every rank must call it, and they walk the parameters in the same (sorted) order.
    """
    import torch

    module = getattr(model, "module", model)
    digest = hashlib.sha256()
    for name, param in sorted(module.named_parameters()):
        with _gathered(param):
            digest.update(name.encode() + b"\0")
            digest.update(param.detach().to("cpu", torch.float32).contiguous().numpy().tobytes())
    return digest.hexdigest()


def _gathered(param: Any):
    if hasattr(param, "ds_id"):  # a ZeRO-3 partitioned parameter
        import deepspeed

        return deepspeed.zero.GatheredParameters([param], modifier_rank=None)
    import contextlib

    return contextlib.nullcontext()


class ReplicaCheckCallback(TrainerCallback):
    """At the end of training, record every rank's weights fingerprint in `replicas.json` (written by rank 0).

    Data-parallel ranks must end with the same model; different fingerprints mean gradients or updates were not
    synchronised. The mismatch is logged as an error and recorded, not raised, so the trained model is still saved.
    """

    def __init__(self, output_dir: str | Path) -> None:
        self.path = Path(output_dir) / REPLICAS_NAME

    def on_train_end(self, args, state, control, model=None, **kwargs):
        from accelerate.utils import gather_object

        fingerprints = gather_object([weights_fingerprint(model)])
        if not state.is_world_process_zero:
            return
        identical = len(set(fingerprints)) == 1
        record = {"step": state.global_step, "fingerprints": fingerprints, "identical": identical}
        write_atomic(self.path, json.dumps(record, indent=2))
        if not identical:
            logger.error("ranks hold different weights at step %d: %s", state.global_step, fingerprints)
