"""The recipe checks of DAPO dynamic sampling (alignment/run/dynamic_sampling.py), without importing torch: they run
in the first pass over a recipe, before anything heavy loads."""

from __future__ import annotations

from typing import Any


def dynamic_sampling_problems(enabled: bool, max_oversample: float, training_args: Any | None) -> list[str]:
    """Recipe problems of the dynamic-sampling keys (see `alignment.grpo.GRPOArguments`)."""
    problems = []
    if max_oversample < 1:
        problems.append(f"`dynamic_sampling_max_oversample` is {max_oversample}: it must be >= 1 (1 = no refill)")
    if not enabled or training_args is None:
        return problems
    if training_args.scale_rewards not in ("group", "none", True, False):
        problems.append(
            f"`dynamic_sampling` needs per-group advantages, but `scale_rewards` is {training_args.scale_rewards!r}: "
            "use group or none (batch scaling makes every advantage depend on the dropped groups)"
        )
    if training_args.multi_objective_aggregation != "sum_then_normalize":
        problems.append(
            "`dynamic_sampling` needs `multi_objective_aggregation: sum_then_normalize` (the other normalises over "
            "the whole batch, so advantages would depend on the dropped groups)"
        )
    rows = training_args.per_device_train_batch_size * (training_args.steps_per_generation or 1)
    if rows % training_args.num_generations:
        problems.append(
            f"`dynamic_sampling` needs whole groups on every process: per_device_train_batch_size x "
            f"steps_per_generation = {rows} is not a multiple of num_generations = {training_args.num_generations}"
        )
    return problems
