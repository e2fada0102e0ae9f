"""The stages' trainers: TRL's trainers with atomic checkpoints, GRPO with the extra telemetry, and a pointwise RM.

Each TRL-based class only adds mixins in front of the TRL class; behaviour, arguments and the loss are TRL's. The
mixins (`alignment.run.checkpointing.AtomicCheckpointMixin`, `alignment.run.telemetry.GRPOTelemetryMixin`,
`alignment.run.overlap.OverlappedRewardsMixin`, `alignment.run.dynamic_sampling.DynamicSamplingMixin`,
`alignment.run.sampling.FastSamplingMixin`, `alignment.run.prefix.PromptGroupingMixin`,
`alignment.run.precision.BF16GenerationMixin`,
`alignment.model.placement.RewardModelPlacementMixin`, `PointwiseLossMixin` below) document what they add.
`CodealignGRPOTrainer` also takes `record=RecordArguments(...)`, `overlap_rewards=True|False`,
`dynamic_sampling=<max oversample factor> | None`, `fast_sampling`, `bf16_reference`, `bf16_generation` and
`dense_logprobs`, `share_prompt_prefix`, `lean_activations` (each True|False), and `no_grad_batch_size` (rows per reference-pass
forward; 0: TRL's).

Order matters: the telemetry is outermost so it times what the step waits for (`reward_wait` includes the wait for
overlapped rewards); dynamic sampling wraps the overlap, so every refill round's rewards overlap too.

TRL 1.16 has no pointwise reward-model trainer (its `RewardTrainer` is pairwise Bradley-Terry only; RECIPE §5.4), so
`CodealignPointwiseRewardTrainer` is transformers' `Trainer` with one method replaced: `compute_loss`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
from transformers import Trainer
from trl import GRPOTrainer, RewardTrainer, SFTTrainer

from alignment.model.placement import RewardModelPlacementMixin
from alignment.run.checkpointing import AtomicCheckpointMixin
from alignment.run.dynamic_sampling import DynamicSamplingMixin
from alignment.run.kv_cache import PreallocatedCacheMixin
from alignment.run.overlap import OverlappedRewardsMixin
from alignment.run.precision import BF16GenerationMixin
from alignment.run.prefix import PromptGroupingMixin
from alignment.run.sampling import FastSamplingMixin
from alignment.run.telemetry import GRPOTelemetryMixin
from rewards.model_rewards import pad_right


class CodealignSFTTrainer(AtomicCheckpointMixin, SFTTrainer):
    """`trl.SFTTrainer` with atomic checkpoints."""


class CodealignRewardTrainer(AtomicCheckpointMixin, RewardTrainer):
    """`trl.RewardTrainer` (pairwise Bradley-Terry, -log sigmoid(r_chosen - r_rejected - margin)), atomic saves."""


class CodealignGRPOTrainer(
    GRPOTelemetryMixin,
    DynamicSamplingMixin,
    OverlappedRewardsMixin,
    FastSamplingMixin,
    PreallocatedCacheMixin,
    PromptGroupingMixin,
    BF16GenerationMixin,
    RewardModelPlacementMixin,
    AtomicCheckpointMixin,
    GRPOTrainer,
):
    """`trl.GRPOTrainer` with atomic checkpoints, the `rm` reward's model placed like TRL's model rewards, the step
    profile and reward/sandbox telemetry, rewards off the critical path, optional DAPO dynamic sampling, bf16
    generation without per-token weight casts, HF generation on a preallocated KV cache, and the CPU speed options
    (sampler, reference-pass batch)."""


class PointwiseLossMixin:
    """`compute_loss`: binary cross-entropy of the sequence classifier's one logit against a target in [0, 1].

    loss = mean_i BCE(sigmoid(r_i), y_i), with r_i = logits[i, 0] pooled at the last non-pad token by the model and
    y_i the 0/1 execution label or the pass fraction (soft label); the ORM/verifier loss of RECIPE §5.1 step 3. It is
    a per-micro-batch mean, so the Trainer divides it by the gradient-accumulation steps (`loss_is_scaled_for_ga`).
    """

    loss_is_scaled_for_ga = False

    def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
        outputs = model(input_ids=inputs["input_ids"], attention_mask=inputs["attention_mask"], use_cache=False)
        logits = outputs.logits[:, 0].float()  # (B,)
        targets = inputs["labels"].to(logits.dtype)  # (B,)
        loss = torch.nn.functional.binary_cross_entropy_with_logits(logits, targets)
        return (loss, outputs) if return_outputs else loss


class CodealignPointwiseRewardTrainer(PointwiseLossMixin, AtomicCheckpointMixin, Trainer):
    """transformers' `Trainer` with the pointwise BCE loss and atomic checkpoints (takes TRL's `RewardConfig`)."""


@dataclass
class PointwiseCollator:
    """Right-pads `input_ids` (to the batch's longest) and stacks the float `labels`."""

    pad_token_id: int

    def __call__(self, examples: list[dict[str, Any]]) -> dict[str, torch.Tensor]:
        input_ids, attention_mask = pad_right([e["input_ids"] for e in examples], self.pad_token_id)  # (B, T) each
        labels = torch.tensor([float(e["labels"]) for e in examples], dtype=torch.float)  # (B,)
        return {"input_ids": input_ids, "attention_mask": attention_mask, "labels": labels}
