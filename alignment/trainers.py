"""The stages' trainers: TRL's trainers with atomic checkpoints, and GRPO with the extra telemetry.

Each class only adds mixins in front of the TRL class; behaviour, arguments and the loss are TRL's. The mixins
(`alignment.run.checkpointing.AtomicCheckpointMixin`, `alignment.run.telemetry.GRPOTelemetryMixin`,
`alignment.run.overlap.OverlappedRewardsMixin`, `alignment.run.dynamic_sampling.DynamicSamplingMixin`) document what
they add. `CodealignGRPOTrainer` also takes `record=RecordArguments(...)`, `overlap_rewards=True|False` and
`dynamic_sampling=<max oversample factor> | None`.

Order matters: the telemetry is outermost so it times what the step waits for (`reward_wait` includes the wait for
overlapped rewards); dynamic sampling wraps the overlap, so every refill round's rewards overlap too.
"""

from __future__ import annotations

from trl import GRPOTrainer, RewardTrainer, SFTTrainer

from alignment.run.checkpointing import AtomicCheckpointMixin
from alignment.run.dynamic_sampling import DynamicSamplingMixin
from alignment.run.overlap import OverlappedRewardsMixin
from alignment.run.telemetry import GRPOTelemetryMixin


class CodealignSFTTrainer(AtomicCheckpointMixin, SFTTrainer):
    """`trl.SFTTrainer` with atomic checkpoints."""


class CodealignRewardTrainer(AtomicCheckpointMixin, RewardTrainer):
    """`trl.RewardTrainer` with atomic checkpoints."""


class CodealignGRPOTrainer(
    GRPOTelemetryMixin, DynamicSamplingMixin, OverlappedRewardsMixin, AtomicCheckpointMixin, GRPOTrainer
):
    """`trl.GRPOTrainer` with atomic checkpoints, the step profile and reward/sandbox telemetry, rewards off the
    critical path and optional DAPO dynamic sampling."""
