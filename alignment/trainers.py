"""The stages' trainers: TRL's trainers with atomic checkpoints, and GRPO with the extra telemetry.

Each class only adds mixins in front of the TRL class; behaviour, arguments and the loss are TRL's. The mixins
(`alignment.run.checkpointing.AtomicCheckpointMixin`, `alignment.run.telemetry.GRPOTelemetryMixin`,
`alignment.run.overlap.OverlappedRewardsMixin`, `alignment.run.dynamic_sampling.DynamicSamplingMixin`,
`alignment.run.precision.BF16GenerationMixin`) document what they add. `CodealignGRPOTrainer` also takes
`record=RecordArguments(...)`, `overlap_rewards=True|False`, `dynamic_sampling=<max oversample factor> | None` and
`bf16_reference=True|False`.

Order matters: the telemetry is outermost so it times what the step waits for (`reward_wait` includes the wait for
overlapped rewards); dynamic sampling wraps the overlap, so every refill round's rewards overlap too.
"""

from __future__ import annotations

from trl import GRPOTrainer, RewardTrainer, SFTTrainer

from alignment.run.checkpointing import AtomicCheckpointMixin
from alignment.run.dynamic_sampling import DynamicSamplingMixin
from alignment.run.overlap import OverlappedRewardsMixin
from alignment.run.precision import BF16GenerationMixin
from alignment.run.telemetry import GRPOTelemetryMixin


class CodealignSFTTrainer(AtomicCheckpointMixin, SFTTrainer):
    """`trl.SFTTrainer` with atomic checkpoints."""


class CodealignRewardTrainer(AtomicCheckpointMixin, RewardTrainer):
    """`trl.RewardTrainer` with atomic checkpoints."""


class CodealignGRPOTrainer(
    GRPOTelemetryMixin,
    DynamicSamplingMixin,
    OverlappedRewardsMixin,
    BF16GenerationMixin,
    AtomicCheckpointMixin,
    GRPOTrainer,
):
    """`trl.GRPOTrainer` with atomic checkpoints, the step profile and reward/sandbox telemetry, rewards off the
    critical path, optional DAPO dynamic sampling, and bf16 generation without per-token weight casts."""
