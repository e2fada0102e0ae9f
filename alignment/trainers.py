"""The stages' trainers: TRL's trainers with atomic checkpoints, and GRPO with the extra telemetry.

Each class only adds mixins in front of the TRL class; behaviour, arguments and the loss are TRL's. The mixins
(`alignment.run.checkpointing.AtomicCheckpointMixin`, `alignment.run.telemetry.GRPOTelemetryMixin`) document what they add.
`CodealignGRPOTrainer` also takes `record=RecordArguments(...)`.
"""

from __future__ import annotations

from trl import GRPOTrainer, RewardTrainer, SFTTrainer

from alignment.run.checkpointing import AtomicCheckpointMixin
from alignment.run.telemetry import GRPOTelemetryMixin


class CodealignSFTTrainer(AtomicCheckpointMixin, SFTTrainer):
    """`trl.SFTTrainer` with atomic checkpoints."""


class CodealignRewardTrainer(AtomicCheckpointMixin, RewardTrainer):
    """`trl.RewardTrainer` with atomic checkpoints."""


class CodealignGRPOTrainer(GRPOTelemetryMixin, AtomicCheckpointMixin, GRPOTrainer):
    """`trl.GRPOTrainer` with atomic checkpoints, the step-time split and reward/sandbox telemetry."""
