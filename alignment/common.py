"""Small pieces every stage shares: logging, world size, and the token-budget batch arithmetic."""

from __future__ import annotations

import logging
import math
import os
from dataclasses import dataclass, field

logger = logging.getLogger(__name__)


def setup_logging(process_index: int | None = None) -> None:
    """INFO on the main process, WARNING elsewhere, so multi-GPU runs print one copy of each line."""
    rank = int(os.environ.get("RANK", 0)) if process_index is None else process_index
    logging.basicConfig(
        level=logging.INFO if rank == 0 else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        datefmt="%H:%M:%S",
    )


def world_size() -> int:
    """Number of training processes, as set by `accelerate launch` / `torchrun` (1 for a plain `python -m`)."""
    return int(os.environ.get("WORLD_SIZE", 1))


@dataclass(frozen=True)
class TokenBudget:
    """How a `tokens_per_batch` target maps onto micro batches (see `token_budget`)."""

    gradient_accumulation_steps: int
    tokens_per_step: int  # world * micro batch * sequence length * accumulation
    max_steps: int | None  # total_tokens / tokens_per_step, rounded up
    relative_error: float  # (tokens_per_step - target) / target

    def describe(self, target: int, world: int, micro_batch: int, seq_len: int) -> str:
        steps = f"; {self.max_steps} optimizer steps for the token total" if self.max_steps else ""
        return (
            f"token budget: target {target:,} tokens/step = {world} process(es) x {micro_batch} sequences x "
            f"{seq_len} tokens x {self.gradient_accumulation_steps} accumulation steps = {self.tokens_per_step:,} "
            f"({100 * self.relative_error:+.1f}%){steps}"
        )


def token_budget(
    tokens_per_batch: int, world: int, micro_batch: int, seq_len: int, total_tokens: int | None = None
) -> TokenBudget:
    """Gradient accumulation that brings one optimizer step closest to `tokens_per_batch` tokens.

    DSC2 §3.5.1 states the SFT batch in tokens (1M) and the run length in tokens (1B): 1B / 1M = 1000 steps. Each
    micro batch holds `micro_batch` sequences of `seq_len` tokens (exact with packing; an upper bound without it).
    """
    for name, value in (
        ("tokens_per_batch", tokens_per_batch),
        ("world", world),
        ("micro_batch", micro_batch),
        ("seq_len", seq_len),
    ):
        if value <= 0:
            raise ValueError(f"{name} must be positive, got {value}")
    per_micro_step = world * micro_batch * seq_len
    accumulation = max(1, round(tokens_per_batch / per_micro_step))
    tokens_per_step = per_micro_step * accumulation
    max_steps = math.ceil(total_tokens / tokens_per_step) if total_tokens else None
    return TokenBudget(
        accumulation, tokens_per_step, max_steps, (tokens_per_step - tokens_per_batch) / tokens_per_batch
    )


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

    def __post_init__(self):
        from alignment.templates import TEMPLATES

        problems = []
        if not self.datasets:
            problems.append("`datasets` is empty: list one or more data files or hub ids")
        if self.dataset_weights is not None and len(self.dataset_weights) != len(self.datasets):
            problems.append(
                f"`dataset_weights` has {len(self.dataset_weights)} entries for {len(self.datasets)} datasets"
            )
        if self.chat_template != "model" and self.chat_template not in TEMPLATES:
            problems.append(f"`chat_template` {self.chat_template!r} is not one of model, {', '.join(TEMPLATES)}")
        if problems:
            raise ValueError("; ".join(problems))
