"""Experiment tracking: wandb / TensorBoard through TRL's `report_to`, and the run's own JSONL logs.

One switch picks the dashboard: `report_to: wandb` or `report_to: tensorboard` (TRL's own field; the HF callbacks do
the per-step logging). What this module adds:

* `RecordArguments` (defined in `alignment.args`, torch-free, for the recipe parser): `--resume`, wandb project/entity/tags/group/mode and the completions-table period. `wandb_mode: auto`
  means online when credentials exist (`WANDB_API_KEY` or a netrc entry for api.wandb.ai), offline otherwise, so
  a run never blocks on a login prompt.
* `setup_tracking(...)`: on the main process, opens the wandb run *before* the trainer does, so the run carries
  the manifest and the resolved config as its config and keeps one id across `--resume` restarts; points
  TensorBoard at `<output_dir>/tensorboard`.
* `RunLogCallback`: appends every logged dict to `<output_dir>/metrics.jsonl` on world rank 0. This file is what
  `python -m alignment.report` reads, so reports never need wandb. On resume it drops rows past the checkpoint,
  which a killed run may have logged before dying, so the file matches an uninterrupted run.
* `write_completions_table(...)`: the completions table (prompt, completion, each reward, advantage) every N steps,
  to `<output_dir>/completions.jsonl` and to whichever dashboard is on.
"""

from __future__ import annotations

import json
import logging
import netrc
import os
import secrets
from pathlib import Path
from typing import Any

from transformers import TrainerCallback

from alignment.args import RecordArguments
from alignment.run.files import append_jsonl, read_jsonl, to_jsonable, write_jsonl_atomic

logger = logging.getLogger(__name__)

METRICS_NAME = "metrics.jsonl"
COMPLETIONS_NAME = "completions.jsonl"
WANDB_ID_NAME = "wandb_run_id"
TENSORBOARD_DIR = "tensorboard"


def has_wandb_credentials() -> bool:
    if os.environ.get("WANDB_API_KEY"):
        return True
    try:
        return netrc.netrc().authenticators("api.wandb.ai") is not None
    except (OSError, netrc.NetrcParseError):
        return False


def resolve_wandb_mode(mode: str) -> str:
    if mode != "auto":
        return mode
    if has_wandb_credentials():
        return "online"
    logger.info("wandb: no credentials found (WANDB_API_KEY or ~/.netrc), logging offline; `wandb sync` uploads later")
    return "offline"


def reports_to(training_args: Any, backend: str) -> bool:
    report_to = training_args.report_to or []
    return backend in ([report_to] if isinstance(report_to, str) else report_to)


def setup_tracking(
    training_args: Any, tracking: RecordArguments, run_config: dict[str, Any], is_main_process: bool
) -> None:
    """Prepare the dashboards chosen by `report_to` before the trainer is built. Call on every rank."""
    output_dir = Path(training_args.output_dir)
    if reports_to(training_args, "tensorboard"):
        os.environ.setdefault("TENSORBOARD_LOGGING_DIR", str(output_dir / TENSORBOARD_DIR))
        if is_main_process and run_config:
            _tensorboard_config(run_config)
    if reports_to(training_args, "wandb") and is_main_process:
        _init_wandb(training_args, tracking, run_config)


def _init_wandb(training_args: Any, tracking: RecordArguments, run_config: dict[str, Any]) -> None:
    try:
        import wandb
    except ImportError as error:
        raise ImportError("report_to: wandb needs the wandb package: pip install 'codealign[wandb]'") from error
    output_dir = Path(training_args.output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    id_file = output_dir / WANDB_ID_NAME
    run_id = id_file.read_text().strip() if id_file.exists() else secrets.token_hex(4)
    id_file.write_text(run_id)
    os.environ["WANDB_PROJECT"] = tracking.wandb_project  # the HF WandbCallback reads it
    wandb.init(
        project=tracking.wandb_project,
        entity=tracking.wandb_entity,
        name=training_args.run_name,
        group=tracking.wandb_group,
        tags=tracking.wandb_tags or None,
        mode=resolve_wandb_mode(tracking.wandb_mode),
        dir=str(output_dir),
        id=run_id,
        resume="allow",  # a --resume restart continues the same run
        config=run_config,
    )


class RunLogCallback(TrainerCallback):
    """Append every log dict to `metrics.jsonl` (world rank 0 only), one JSON object per line with its step.

    At the start of training both `metrics.jsonl` and `completions.jsonl` are cut back to the starting step: rows a
    killed run wrote after its last checkpoint go (a resumed run writes them again), and a fresh run starts empty.
    """

    def __init__(self, output_dir: str | Path) -> None:
        self.path = Path(output_dir) / METRICS_NAME

    def on_train_begin(self, args, state, control, **kwargs):
        if not state.is_world_process_zero:
            return
        last_step = state.global_step if state.global_step > 0 else -1  # a fresh run drops step-0 rows too
        for path in (self.path, self.path.with_name(COMPLETIONS_NAME)):
            if path.exists():
                truncate_metrics(path, last_step=last_step)

    def on_log(self, args, state, control, logs=None, **kwargs):
        if not state.is_world_process_zero or not logs:
            return
        append_jsonl(self.path, [{"step": state.global_step, **logs}])


def truncate_metrics(path: Path, last_step: int) -> None:
    """Keep only rows up to `last_step` (the checkpoint a resumed run starts from)."""
    write_jsonl_atomic(path, [row for row in read_jsonl(path) if row.get("step", 0) <= last_step])


def write_completions_table(output_dir: str | Path, step: int, rows: list[dict[str, Any]], training_args: Any) -> None:
    """Write one step's completions table to `completions.jsonl` and to the dashboards `report_to` names."""
    append_jsonl(Path(output_dir) / COMPLETIONS_NAME, [{"step": step, **row} for row in rows])
    if reports_to(training_args, "wandb"):
        import wandb

        if wandb.run is not None and rows:
            columns = list(rows[0])
            table = wandb.Table(columns=columns, data=[[_cell(row[c]) for c in columns] for row in rows])
            wandb.log({"completions": table, "train/global_step": step})
    if reports_to(training_args, "tensorboard"):
        _tensorboard_text(Path(output_dir), step, rows)


def _cell(value: Any) -> Any:
    """A table cell: scalars as they are, message lists as their JSON text."""
    return value if value is None or isinstance(value, (str, int, float, bool)) else json.dumps(to_jsonable(value))


def _tensorboard_config(run_config: dict[str, Any]) -> None:
    """TensorBoard has no run config: the manifest and resolved config go in as text at step 0."""
    from torch.utils.tensorboard import SummaryWriter

    with SummaryWriter(log_dir=os.environ["TENSORBOARD_LOGGING_DIR"]) as writer:
        for name, value in run_config.items():
            writer.add_text(name, "```json\n" + json.dumps(value, indent=2, default=str) + "\n```", global_step=0)


def _tensorboard_text(output_dir: Path, step: int, rows: list[dict[str, Any]]) -> None:
    from torch.utils.tensorboard import SummaryWriter

    if not rows:
        return
    columns = list(rows[0])
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += [
        "| " + " | ".join(str(_cell(row[c])).replace("\n", "\\n").replace("|", "\\|") for c in columns) + " |"
        for row in rows
    ]
    logdir = os.environ.get("TENSORBOARD_LOGGING_DIR", str(output_dir / TENSORBOARD_DIR))
    with SummaryWriter(log_dir=logdir) as writer:
        writer.add_text("completions", "\n".join(lines), global_step=step)
