"""Stage 1, supervised fine-tuning on mixed code + math instruction data (DeepSeek-Coder-V2 §3.5.1).

    python -m alignment.sft --config configs/sft/deepseek_coder_v2_lite.yaml [--key value ...]

Reads top to bottom: parse the recipe, build the data mixture, load model and tokenizer with the chosen chat template,
turn the token budget into gradient accumulation, train with TRL's `SFTTrainer`, save.

Loss is on the responses only: rows become conversational prompt/completion pairs, for which `SFTTrainer` masks the
prompt tokens (`completion_only_loss`, on by default for such data). The paper's batch is stated in tokens
(1M per step, 1B in total); `tokens_per_batch` and `total_tokens` express exactly that, and the stage derives the
gradient accumulation and the step count from world size, micro batch and sequence length.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from alignment.args import EvalArguments, MixtureArguments, RecordArguments
from alignment.run.cli import run_cli
from alignment.run.config import TRL, parse_recipe
from alignment.run.process import setup_logging, world_size

logger = logging.getLogger(__name__)


@dataclass
class SFTArguments(MixtureArguments):
    """codealign's own SFT knobs (beside the data mixture); everything else is TRL's `SFTConfig` and `ModelConfig`."""

    tokens_per_batch: int | None = field(
        default=None, metadata={"help": "Target tokens per optimizer step; sets gradient_accumulation_steps."}
    )
    total_tokens: int | None = field(default=None, metadata={"help": "Tokens to train on in total; sets max_steps."})

    def problems(self, configs: Sequence[Any] = ()) -> list[str]:
        problems = super().problems(configs)
        if self.total_tokens and not self.tokens_per_batch:
            problems.append("`total_tokens` needs `tokens_per_batch` (steps = total_tokens / tokens per step)")
        return problems

    def row_mapper(self):
        from data.loading import sft_example

        return sft_example


# The recipe's dataclasses; TRL's are named, not imported, so a recipe is checked before torch loads.
CONFIGS = (SFTArguments, TRL.ModelConfig, TRL.SFTConfig, RecordArguments, EvalArguments)


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


def apply_token_budget(args: SFTArguments, training_args) -> None:
    """Set gradient accumulation (and max_steps) from the token budget, logging the derivation."""
    if not args.tokens_per_batch:
        return
    world = world_size()
    budget = token_budget(
        args.tokens_per_batch,
        world,
        training_args.per_device_train_batch_size,
        training_args.max_length,
        args.total_tokens,
    )
    training_args.gradient_accumulation_steps = budget.gradient_accumulation_steps
    if budget.max_steps:
        training_args.max_steps = budget.max_steps
    logger.info(
        budget.describe(
            args.tokens_per_batch, world, training_args.per_device_train_batch_size, training_args.max_length
        )
    )
    if not training_args.packing:
        logger.info("packing is off: sequences are padded, so the real tokens per step are at most the figure above")


def main(argv: list[str] | None = None) -> str:
    # ---- parse: keys, values, data rows, model path and output directory, before torch is imported ---------------
    recipe = parse_recipe(CONFIGS, argv, prog="python -m alignment.sft", doc=__doc__, check_inputs=True)
    args, model_args, training_args, record_args, eval_args = recipe.configs
    setup_logging()

    from transformers import AutoModelForCausalLM

    from alignment.evaluation.callback import attach_evaluation
    from alignment.model.loading import default_dtype, load_tokenizer, resolve_model_path
    from alignment.model.templates import ensure_embeddings_fit
    from alignment.run.record import start_run
    from alignment.trainers import CodealignSFTTrainer
    from data.loading import map_rows, mix_sources, sft_example

    # ---- data --------------------------------------------------------------------------------------------------
    mixture = mix_sources(
        args.datasets, args.dataset_weights, training_args.seed, args.mixture_size, args.dataset_split
    )
    train_dataset = map_rows(mixture, sft_example, source="SFT mixture")
    logger.info("SFT data: %d conversations from %d source(s)", len(train_dataset), len(args.datasets))

    # ---- model -------------------------------------------------------------------------------------------------
    model_path = resolve_model_path(model_args.model_name_or_path)
    tokenizer = load_tokenizer(model_path, args.chat_template)
    dtype = default_dtype(model_args.dtype or "auto")
    model = AutoModelForCausalLM.from_pretrained(
        model_path, dtype=dtype, attn_implementation=model_args.attn_implementation
    )
    ensure_embeddings_fit(model, tokenizer)

    # ---- batch geometry ----------------------------------------------------------------------------------------
    apply_token_budget(args, training_args)

    # ---- train -------------------------------------------------------------------------------------------------
    run = start_run(recipe, training_args, record_args, data_paths=args.datasets, checkpoint_paths=[model_path])
    trainer = CodealignSFTTrainer(
        model=model,
        args=training_args,
        train_dataset=train_dataset,
        processing_class=tokenizer,
        callbacks=run.callbacks,
    )
    attach_evaluation(trainer, eval_args)  # held-out pass@k / accuracy every eval_every_steps steps
    trainer.train(resume_from_checkpoint=run.resume_from)

    # ---- save --------------------------------------------------------------------------------------------------
    trainer.save_model(training_args.output_dir)
    if trainer.accelerator.is_main_process:
        tokenizer.save_pretrained(training_args.output_dir)
        logger.info("SFT model and tokenizer saved to %s", training_args.output_dir)
    return training_args.output_dir


if __name__ == "__main__":
    run_cli(main)
