"""The knobs every training stage shares: the data mixture, the chat template, and the run record.

Each stage's own dataclass (`SFTArguments`, `GRPOArguments`, ...) extends `MixtureArguments`; `RecordArguments` sits
beside them in every recipe. Validation is not done in `__post_init__`: `problems(configs)` lists what is wrong with
the recipe itself, `input_problems(configs)` what is wrong with what it points to (data files and their rows), and
`alignment.run.config.check_recipe` reports the problems of every dataclass of a recipe together, before TRL, torch,
a model or a data set is loaded. Nothing here imports torch.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal


@dataclass
class MixtureArguments:
    """Data mixture and chat template knobs shared by the SFT and GRPO stages."""

    datasets: list[str] = field(
        default_factory=list, metadata={"help": "Local .jsonl/.json/.parquet files or hub ids ('org/name[:config]')."}
    )
    dataset_weights: list[float] | None = field(
        default=None, metadata={"help": "Share of each source in the mixture (normalised). Default: equal."}
    )
    dataset_split: str = field(default="train", metadata={"help": "Split to read from hub data sets."})
    mixture_size: int | None = field(default=None, metadata={"help": "Rows in the mixture (default: all sources)."})
    chat_template: str = field(
        default="model",
        metadata={"help": "model | deepseek_coder_v1 | deepseek_coder_v2 (for tokenizers lacking one)."},
    )

    def problems(self, configs: Sequence[Any] = ()) -> list[str]:
        from alignment.model.templates import TEMPLATES

        problems = []
        if not self.datasets:
            problems.append("`datasets` is empty: list one or more data files or hub ids")
        weights = self.dataset_weights
        if weights is not None and len(weights) != len(self.datasets):
            problems.append(
                f"`dataset_weights` has {len(weights)} entries for {len(self.datasets)} datasets "
                f"{self.datasets}: give one weight per data set, in that order"
            )
        elif weights is not None and (any(w < 0 for w in weights) or sum(weights) <= 0):
            problems.append(f"`dataset_weights` {weights} must be non-negative with a positive sum")
        if self.mixture_size is not None and self.mixture_size < 1:
            problems.append(f"`mixture_size` must be at least 1, got {self.mixture_size}")
        if self.chat_template != "model" and self.chat_template not in TEMPLATES:
            problems.append(f"`chat_template` {self.chat_template!r} is not one of model, {', '.join(TEMPLATES)}")
        return problems

    def row_mapper(self) -> Callable[[dict, str], Any] | None:
        """The function that turns one data row into this stage's training example (None: rows are not checked)."""
        return None

    def input_problems(self, configs: Sequence[Any] = ()) -> list[str]:
        """Every data source exists and every row of a local file maps to a training example (streamed)."""
        from data.checks import source_problems

        mapper = self.row_mapper()
        return [problem for source in self.datasets for problem in source_problems(source, mapper)]


@dataclass
class RecordArguments:
    """Resume and dashboard settings (the dashboard is chosen with TRL's `report_to`, the run name with `run_name`)."""

    resume: bool = field(
        default=False,
        metadata={
            "help": "Continue from the latest complete checkpoint in output_dir (start fresh if there is none)."
        },
    )
    manifest_hash_checkpoints: bool = field(
        default=True,
        metadata={"help": "sha256 the initial checkpoints in manifest.json (minutes for 100+ GB models: turn off)."},
    )
    check_replicas: bool = field(
        default=False,
        metadata={
            "help": "At the end, hash each rank's full weights into replicas.json: all ranks must hold the same model "
            "(gathers ZeRO-3 shards one parameter at a time; slow for very large models)."
        },
    )
    wandb_project: str = field(default="codealign", metadata={"help": "wandb project."})
    wandb_entity: str | None = field(default=None, metadata={"help": "wandb entity (team or user); None: default."})
    wandb_tags: list[str] = field(default_factory=list, metadata={"help": "wandb run tags."})
    wandb_group: str | None = field(default=None, metadata={"help": "wandb group, e.g. one per ablation sweep."})
    wandb_mode: Literal["auto", "online", "offline", "disabled"] = field(
        default="auto", metadata={"help": "auto: online with credentials, offline without."}
    )
    completions_table_every_n_steps: int = field(
        default=10, metadata={"help": "Log a completions table (prompt, completion, rewards, advantage); 0: never."}
    )

    def problems(self, configs: Sequence[Any] = ()) -> list[str]:
        if self.completions_table_every_n_steps < 0:
            return [
                f"`completions_table_every_n_steps` is {self.completions_table_every_n_steps}: must be >= 0 "
                "(0 disables the table)"
            ]
        return []
