"""Stage 3, GRPO with outcome rewards (DeepSeekMath §4.1; DeepSeek-Coder-V2 §3.5.2), on TRL's `GRPOTrainer`.

    python -m alignment.grpo --config configs/grpo/deepseek_coder_v2_lite.yaml [--key value ...]

The objective that runs with the DeepSeekMath-faithful recipe (`loss_type: grpo`, `scale_rewards: group`,
`beta: 0.04`, `use_bias_correction_kl: false`, `num_iterations: 1`), per prompt q with G sampled outputs o_i:

    r_i      = Σ_k w_k · r_k(o_i)                      rewards from the registry, weighted by `reward_weights`;
                                                       a reward returning None (not applicable) is skipped (nansum)
    Â_i      = (r_i − mean_j r_j) / (std_j r_j + 1e-4)  group-normalised outcome advantage, the same for every token
                                                       of o_i (DSM §4.1.2); std is Bessel-corrected (TRL)
    ρ_i,t    = π_θ(o_i,t | q, o_i,<t) / π_θold(o_i,t | q, o_i,<t)
    KL_i,t   = π_ref/π_θ − log(π_ref/π_θ) − 1           k3 estimator (DSM Eq. 4), π_ref = the initial (SFT) model
    L(θ)     = −1/G Σ_i 1/|o_i| Σ_t [ min(ρ Â_i, clip(ρ, 1−ε, 1+ε) Â_i) − β · KL_i,t ]      (DSM Eq. 3)

Loss aggregation is per sequence (token mean), then over sequences ("grpo" in TRL; TRL additionally divides by the
gradient-accumulation steps, which only rescales the learning rate). The KL sits in the loss, not in the reward.

Deviations from the paper, all deliberate and visible in the recipe:
* TRL's defaults are *not* this objective: `loss_type="dapo"` (token-level normalisation over the global batch),
  `beta=0.0` (no KL, no reference model) and `use_bias_correction_kl=True` (k3 multiplied by the importance ratio,
  DeepSeek-V3.2 style). The recipes set all three explicitly.
* std + 1e-4 in the advantage denominator (TRL); DSM writes plain std.
* With μ = 1 (`num_iterations: 1`) π_θold = π_θ, so ρ = 1 and clipping is inert (DSM App. A.1.6); ε is exposed anyway.
* DSC2 gives no GRPO hyper-parameters; the recipe takes DSM §4.2's (lr 1e-6, β 0.04, G = 64, max length 1024).
* Rewards: DSC2 uses a trained reward model for code; here the compiler 0/1 signal ("code"), the math checker
  ("math") and a reward model ("rm", `reward_model_path`) are all available, mixed by `reward_funcs`/`reward_weights`
  or routed per task or data source by `reward_routes` (`alignment/reward_args.py`, `rewards/routing.py`).
  Execution rewards grade in the sandbox the recipe names (`sandbox_backend`, `sandbox_jobs`), handed to them here.
* `dynamic_sampling: true` (off by default; DAPO §3.2, not DSM) trains only on groups whose rewards differ,
  refilling the batch with further prompts (alignment/run/dynamic_sampling.py); the dropped groups' KL term goes
  too. `overlap_rewards` (on), `bf16_reference`, `bf16_generation`, `dense_logprobs`, `no_grad_batch_size`,
  `share_prompt_prefix`, `lean_activations`, `return_freed_memory` and `malloc` change when, how and in what
  precision things are computed or kept, not the objective (alignment/run/overlap.py, alignment/run/precision.py,
  alignment/run/prefix.py, alignment/run/lean.py, alignment/run/allocator.py); `fast_sampling` draws from the same
  distribution by one uniform number per row instead of torch's `multinomial` (alignment/run/sampling.py), so a
  seed gives other samples than with it off.
"""

from __future__ import annotations

import functools
import json
import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from alignment.args import EvalArguments, MixtureArguments, RecordArguments, RefreshArguments
from alignment.reward_args import RewardArguments
from alignment.run.cli import UsageError, run_cli
from alignment.run.config import TRL, find_config, parse_recipe
from alignment.run.process import setup_logging

logger = logging.getLogger(__name__)


@dataclass
class GRPOArguments(RefreshArguments, RewardArguments, MixtureArguments):
    """codealign's own GRPO knobs (data, the rewards of `alignment.reward_args`, the iterative refresh of
    `alignment.iterative`); everything else is TRL's `GRPOConfig` and `ModelConfig`."""

    # Settings that exist only under bf16 autocast: `bf16: auto` resolved to false turns them off (alignment.run.config)
    BF16_ONLY_KEYS = ("bf16_reference", "bf16_generation")

    prompt_suffix: str = field(
        default="",
        metadata={"help": "Appended to every prompt, e.g. 'Put the final answer in \\boxed{}.'"},
    )
    # ---- throughput (alignment/run/overlap.py, alignment/run/dynamic_sampling.py) ----
    overlap_rewards: bool = field(
        default=True,
        metadata={"help": "Start each reward in its own thread once completions exist; false: TRL's sequential "
                  "path (same rewards and weights)."},
    )  # fmt: skip
    dynamic_sampling: bool = field(
        default=False,
        metadata={"help": "DAPO dynamic sampling (§3.2): drop equal-reward groups, refill."},
    )  # fmt: skip
    dynamic_sampling_max_oversample: float = field(
        default=3.0,
        metadata={"help": "With dynamic sampling, the most prompts a step may generate, as a multiple of the "
                  "batch's prompts; a batch still short then stops the run with an error."},
    )  # fmt: skip
    bf16_reference: bool = field(
        default=False,
        metadata={"help": "Under bf16, reference linears kept in bf16 (same log-probs)."},
    )  # fmt: skip
    bf16_generation: bool = field(
        default=False,
        metadata={"help": "Generate from a bf16 copy of the weights (allows a static cache)."},
    )  # fmt: skip
    dense_logprobs: bool = field(
        default=False,
        metadata={"help": "One dense LM-head GEMM over completion tokens, not TRL's tiled head."},
    )  # fmt: skip
    share_prompt_prefix: bool = field(
        default=False,
        metadata={"help": "Run each distinct prompt once per forward (needs dense_logprobs)."},
    )  # fmt: skip
    fast_sampling: bool = field(
        default=False,
        metadata={"help": "Sample without torch.multinomial (same law, faster on CPU)."},
    )  # fmt: skip
    lean_activations: bool = field(
        default=False,
        metadata={"help": "RMSNorm and SwiGLU MLPs save fewer tensors for backward."},
    )  # fmt: skip
    no_grad_batch_size: int = field(
        default=0,
        metadata={"help": "Rows per reference-pass forward (0: per_device_train_batch_size)."},
    )  # fmt: skip
    torch_threads: int = field(
        default=0,
        metadata={"help": "torch threads (0: one per core; 1 leaves cores to a sandbox)."},
    )  # fmt: skip
    hold_freed_memory: bool = field(
        default=False,
        metadata={"help": "Keep freed blocks in malloc, not unmapped (CPU speed)."},
    )  # fmt: skip
    return_freed_memory: bool = field(
        default=False,
        metadata={"help": "Unmap freed blocks above 128 KiB at once (CPU peak memory)."},
    )  # fmt: skip
    malloc: Literal["system", "tcmalloc", "jemalloc"] = field(
        default="system",
        metadata={"help": "Allocator (tcmalloc, jemalloc: preloaded by a restart; Linux)."},
    )  # fmt: skip

    def problems(self, configs: Sequence[Any] = ()) -> list[str]:
        from alignment.run.dynamic_sampling_checks import dynamic_sampling_problems

        uses_rm = "rm" in self.rewards_used(self.datasets)
        problems = (
            super().problems(configs) + self.reward_problems(self.datasets, configs) + self.refresh_problems(uses_rm)
        )
        training_args = find_config(configs, "GRPOConfig")
        problems += dynamic_sampling_problems(
            self.dynamic_sampling, self.dynamic_sampling_max_oversample, training_args
        )
        if self.hold_freed_memory and self.return_freed_memory:
            problems.append("`hold_freed_memory` and `return_freed_memory` set malloc's thresholds opposite ways: "
                            "set one of them false")  # fmt: skip
        for key in ("hold_freed_memory", "return_freed_memory"):
            if getattr(self, key) and self.malloc != "system":
                problems.append(f"`{key}` tunes glibc's malloc, which `malloc: {self.malloc}` replaces: set it false")
        if self.bf16_reference and training_args is not None and not training_args.bf16:
            problems.append("`bf16_reference: true` needs `bf16: true` (the reference is exact only under autocast)")
        if (
            training_args is not None
            and training_args.cache_implementation == "static"
            and training_args.bf16
            and not self.bf16_generation
        ):
            problems.append(
                "`cache_implementation: static` with `bf16: true` needs `bf16_generation: true`: under autocast the "
                "keys leave the rotary embedding in fp32 and the values in bf16, which one static cache cannot hold"
            )
        if self.share_prompt_prefix and training_args is not None and checkpoints_activations(training_args):
            problems.append(
                "`share_prompt_prefix: true` does not combine with activation checkpointing: set one false"
            )
        if self.share_prompt_prefix and not self.dense_logprobs:
            problems.append(
                "`share_prompt_prefix: true` is part of the dense log-prob head: set `dense_logprobs: true`"
            )
        if self.no_grad_batch_size < 0:
            problems.append(f"`no_grad_batch_size` is {self.no_grad_batch_size}: give 1 or more, or 0 for TRL's size")
        if self.torch_threads < 0:
            problems.append(f"`torch_threads` is {self.torch_threads}: give 1 or more, or 0 for torch's default")
        return problems

    def row_mapper(self):
        from data.loading import grpo_example

        return grpo_example

    def input_problems(self, configs: Sequence[Any] = ()) -> list[str]:
        """The data (as every stage), the reward model's path, and the sandbox engine when a reward runs code."""
        return super().input_problems(configs) + self.reward_input_problems(self.datasets)


def checkpoints_activations(training_args) -> bool:
    """`activation_checkpointing` where the recipe sets it, else its older name `gradient_checkpointing` (TRL's
    default: true)."""
    value = getattr(training_args, "activation_checkpointing", None)
    return bool(training_args.gradient_checkpointing if value is None else value)


# The recipe's dataclasses; TRL's are named, not imported, so a recipe is checked before torch loads.
CONFIGS = (GRPOArguments, TRL.ModelConfig, TRL.GRPOConfig, RecordArguments, EvalArguments)


def add_refresh(trainer, args: GRPOArguments) -> None:
    """Iterative RL: refresh the RM and the reference every `refresh_every_steps` (see `alignment.iterative`)."""
    if not args.refresh_every_steps:
        return
    from alignment.iterative import IterativeRefresh

    if trainer.is_deepspeed_enabled and trainer.accelerator.state.deepspeed_plugin.zero_stage == 3:
        raise UsageError("`refresh_every_steps` cannot reset a ZeRO-3 partitioned reference model; use ZeRO-2")
    trainer.add_callback(
        IterativeRefresh(trainer, args, args.reward_model_path, rm_training_data(args.reward_model_path))
    )


def rm_training_data(rm_dir: str) -> list[str]:
    """The labelled data the reward model was trained on (its run manifest), the first round of the replay."""
    manifest = Path(rm_dir) / "manifest.json"
    if not manifest.is_file():
        logger.warning("refresh: %s has no manifest.json, so its training data cannot be replayed", rm_dir)
        return []
    return list(json.loads(manifest.read_text())["config"].get("datasets") or [])


def check_routes_cover(dataset, args: GRPOArguments) -> None:
    """With `reward_routes`, every prompt must have a route: say which tasks and sources have none."""
    if args.reward_routes is None:
        return
    from rewards.routing import route_of

    routes = args.routes(args.datasets)[0]
    uncovered = Counter(
        (task, source)
        for task, source in zip(dataset["task"], dataset["dataset"])
        if route_of(task, source, routes) is None
    )
    if uncovered:
        listed = "; ".join(f"{n} {task} rows of {source}" for (task, source), n in sorted(uncovered.items()))
        raise UsageError(f"`reward_routes` has no route for {listed}: add a route for their task or source")


def warn_if_not_faithful(training_args) -> None:
    """Say so when the recipe departs from DeepSeekMath's GRPO (RECIPE §4.5 gotcha 1)."""
    departures = []
    if training_args.loss_type != "grpo":
        departures.append(f"loss_type={training_args.loss_type!r} (DSM: 'grpo')")
    if training_args.beta == 0:
        departures.append("beta=0: no KL term and no reference model (DSM: 0.04)")
    if training_args.beta and training_args.use_bias_correction_kl:
        departures.append("use_bias_correction_kl=True multiplies k3 by the importance ratio (DSM: plain k3)")
    if training_args.scale_rewards not in ("group", True):
        departures.append(f"scale_rewards={training_args.scale_rewards!r} (DSM: group std)")
    if departures:
        logger.warning("this recipe is not DeepSeekMath GRPO: %s", "; ".join(departures))


def main(argv: list[str] | None = None, *, restart: bool = False) -> str:
    """Run the stage on `argv` (default: the command line); returns the output directory. `restart`: the entry
    point may start its process again to preload the recipe's `malloc` (the command line; never in-process)."""
    # ---- parse: keys, values, data rows, model paths, output directory and sandbox, before torch is imported -----
    recipe = parse_recipe(CONFIGS, argv, prog="python -m alignment.grpo", doc=__doc__, check_inputs=True)
    args, model_args, training_args, record_args, eval_args = recipe.configs
    setup_logging()
    if args.malloc != "system":  # before torch: the allocator must serve every allocation of the run
        from alignment.run.allocator import preload_malloc

        preload_malloc(args.malloc, reexec=restart)

    from alignment.evaluation.callback import attach_evaluation
    from alignment.model.generation import resolve_vllm
    from alignment.model.loading import dtype_name, load_tokenizer, resolve_model_path
    from alignment.run.precision import warn_if_slow_bf16
    from alignment.run.record import start_run
    from alignment.trainers import CodealignGRPOTrainer
    from data.loading import add_instruction, grpo_example, map_rows, mix_sources
    from rewards.registry import needs_sandbox

    if args.hold_freed_memory:
        from alignment.run.allocator import hold_freed_memory

        hold_freed_memory()
    if args.return_freed_memory:
        from alignment.run.allocator import return_freed_memory

        return_freed_memory()
    if args.torch_threads:
        import torch

        torch.set_num_threads(args.torch_threads)
    warn_if_not_faithful(training_args)
    warn_if_slow_bf16(training_args)
    resolve_vllm(training_args)  # no CUDA or no vllm: HF generate, with a warning

    # ---- data --------------------------------------------------------------------------------------------------
    mixture = mix_sources(
        args.datasets, args.dataset_weights, training_args.seed, args.mixture_size, args.dataset_split
    )
    train_dataset = add_instruction(map_rows(mixture, grpo_example, source="GRPO mixture"), args.prompt_suffix)
    logger.info("GRPO prompts: %d (%s)", len(train_dataset), dict(Counter(train_dataset["task"])))
    check_routes_cover(train_dataset, args)

    # ---- model -------------------------------------------------------------------------------------------------
    # TRL loads the policy (and rebuilds the reference model) from this path, so it must be a checkpoint on disk.
    model_path = resolve_model_path(model_args.model_name_or_path)
    tokenizer = load_tokenizer(model_path, args.chat_template)
    training_args.model_init_kwargs = {
        **(training_args.model_init_kwargs or {}),
        "dtype": dtype_name(model_args.dtype or "auto"),
    }

    # ---- rewards -----------------------------------------------------------------------------------------------
    reward_funcs, routed_weights = args.build_rewards(args.datasets)
    if routed_weights is not None:
        training_args.reward_weights = routed_weights
        logger.info("reward routes: %s", dict(zip(args.reward_names(args.datasets), routed_weights)))

    # ---- train -------------------------------------------------------------------------------------------------
    run = start_run(
        recipe,
        training_args,
        record_args,
        data_paths=args.datasets,
        checkpoint_paths=[model_path, args.reward_model_path],
        uses_sandbox=needs_sandbox([f.reward for f in reward_funcs]),
    )
    trainer = CodealignGRPOTrainer(
        model=model_path,
        reward_funcs=reward_funcs,
        args=training_args,
        train_dataset=train_dataset,
        processing_class=tokenizer,
        callbacks=run.callbacks,
        record=record_args,
        overlap_rewards=args.overlap_rewards,
        dynamic_sampling=args.dynamic_sampling_max_oversample if args.dynamic_sampling else None,
        bf16_reference=args.bf16_reference,
        bf16_generation=args.bf16_generation,
        dense_logprobs=args.dense_logprobs,
        no_grad_batch_size=args.no_grad_batch_size,
        share_prompt_prefix=args.share_prompt_prefix,
        lean_activations=args.lean_activations,
        fast_sampling=args.fast_sampling,
    )
    add_refresh(trainer, args)
    attach_evaluation(trainer, eval_args)  # held-out pass@k / accuracy every eval_every_steps steps
    trainer.train(resume_from_checkpoint=run.resume_from)

    # ---- save --------------------------------------------------------------------------------------------------
    trainer.save_model(training_args.output_dir)
    if trainer.accelerator.is_main_process:
        tokenizer.save_pretrained(training_args.output_dir)
        logger.info("GRPO policy and tokenizer saved to %s", training_args.output_dir)
    return training_args.output_dir


if __name__ == "__main__":
    run_cli(functools.partial(main, restart=True))
