"""The knobs every training stage shares: the data mixture and the chat template.

Each stage's own dataclass (`SFTArguments`, `GRPOArguments`, ...) extends `MixtureArguments`. Validation is not done
in `__post_init__`: `problems(configs)` lists what is wrong, and `alignment.run.config.validate` reports the problems of
every dataclass of a recipe together, right after parsing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any


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
        if self.dataset_weights is not None and len(self.dataset_weights) != len(self.datasets):
            problems.append(
                f"`dataset_weights` has {len(self.dataset_weights)} entries for {len(self.datasets)} datasets"
            )
        if self.chat_template != "model" and self.chat_template not in TEMPLATES:
            problems.append(f"`chat_template` {self.chat_template!r} is not one of model, {', '.join(TEMPLATES)}")
        return problems
