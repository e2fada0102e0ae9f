"""Where the reward models of the `rm` reward live during GRPO: placed like TRL places its own model rewards.

`RewardModelScorer` loads its checkpoint lazily in each process, a full copy on `reward_model_device`. Under
DeepSpeed that would cost every GPU a whole reward model; TRL instead runs its model rewards through
`prepare_deepspeed`, so under ZeRO-3 they are partitioned across the ranks like the policy (and under ZeRO-1/2
replicated in bf16 without optimizer state). `RewardModelPlacementMixin` does the same for our scorers, once the
trainer's accelerator exists, and attaches the prepared model to the scorer. A ZeRO-3 forward pass is collective:
every rank must run the same number of batches, so an attached partitioned model scores *all* of its process's rows
(the reward adapter then keeps the routed ones; `RewardModelScorer.collective`).

Without DeepSpeed, `reward_model_device: auto` becomes this process's device, so data-parallel ranks each score on
their own GPU.
"""

from __future__ import annotations

import logging
from typing import Any

logger = logging.getLogger(__name__)


def reward_model_scorers(reward_funcs: list[Any]) -> list[Any]:
    """The distinct `RewardModelScorer`s behind a trainer's reward functions."""
    from rewards.model_rewards import RewardModelScorer

    found: dict[int, Any] = {}
    for func in reward_funcs:
        scorer = getattr(getattr(func, "context", None), "reward_model", None)
        if isinstance(scorer, RewardModelScorer):
            found.setdefault(id(scorer), scorer)
    return list(found.values())


class RewardModelPlacementMixin:
    """Mix in front of `trl.GRPOTrainer`: after it is built, place the `rm` reward's model like TRL's model rewards."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for scorer in reward_model_scorers(self.reward_funcs):
            self.place_reward_model(scorer)

    def place_reward_model(self, scorer: Any) -> None:
        if not self.is_deepspeed_enabled:
            if scorer.device == "auto":
                scorer.device = str(self.accelerator.device)
            return
        from trl.models import prepare_deepspeed

        model, tokenizer = scorer.load_model(device="cpu")
        stage = self.accelerator.state.deepspeed_plugin.zero_stage
        scorer.attach(prepare_deepspeed(model, self.accelerator), tokenizer, collective=stage == 3)
        logger.info("reward model %s placed by DeepSpeed (ZeRO stage %d)", scorer.path, stage)
