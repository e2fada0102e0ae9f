"""DAPO dynamic sampling on a real tiny GRPO run: only groups with reward spread train, the dropped share is logged,
a batch the cap cannot fill stops the run with a clear error, off means TRL's batch, and resume continues exactly."""

from __future__ import annotations

import pytest
import torch

from tests.integration.throughput_helpers import group_advantages, half_fixed_rows, make_trainer

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def policy(tmp_path_factory):
    from alignment.model.tiny import build_tiny_model

    return build_tiny_model(tmp_path_factory.mktemp("policy"), hidden_size=32, num_layers=2, num_heads=2)


def _recording_trainer():
    from alignment.trainers import CodealignGRPOTrainer

    class Recording(CodealignGRPOTrainer):
        """Keeps every scored batch handed to training (before TRL shuffles and splits it)."""

        batches: list[dict] = []

        def _generate_and_score_completions(self, inputs):
            batch = super()._generate_and_score_completions(inputs)
            if self.model.training:
                self.batches.append(batch)
            return batch

    Recording.batches = []
    return Recording


def _logged(trainer, key: str) -> list[float]:
    return [row[key] for row in trainer.state.log_history if key in row]


def _weights(trainer) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in trainer.model.state_dict().items()}


def test_trains_only_on_groups_with_spread_and_logs_the_dropped_share(policy, tmp_path):
    recording = _recording_trainer()
    # gradient accumulation: 2 micro-batches of 4 rows per step, generated together (steps_per_generation = 2)
    trainer = make_trainer(
        policy, tmp_path, half_fixed_rows(), 3.0, recording,
        max_steps=3, per_device_train_batch_size=4, gradient_accumulation_steps=2,
    )  # fmt: skip
    trainer.train()
    assert trainer.state.global_step == 3
    assert len(recording.batches) == 3
    for batch in recording.batches:
        assert batch["advantages"].shape == (8,) and batch["completion_ids"].size(0) == 8  # the full batch
        for advantages in group_advantages(batch, 4):
            assert any(a != 0 for a in advantages), "a group with zero reward spread was trained on"
    dropped = _logged(trainer, "dynamic_sampling/dropped_frac")
    assert len(dropped) == 3, "the dropped share is logged every step"
    assert all(0 <= d < 1 for d in dropped) and sum(dropped) > 0, dropped  # half the prompts always tie
    rounds = _logged(trainer, "dynamic_sampling/rounds")
    oversample = _logged(trainer, "dynamic_sampling/oversample")
    assert all(o >= 1 for o in oversample) and any(r > 1 for r in rounds), (rounds, oversample)
    assert len(_logged(trainer, "dynamic_sampling/refill_s")) == 3


def test_without_dynamic_sampling_zero_spread_groups_are_trained_on(policy, tmp_path):
    """The same data with the switch off: TRL's batch, fixed prompts included (so the test above can fail)."""
    recording = _recording_trainer()
    trainer = make_trainer(policy, tmp_path, half_fixed_rows(), None, recording, max_steps=3)
    trainer.train()
    groups = [g for batch in recording.batches for g in group_advantages(batch, 4)]
    assert any(all(a == 0 for a in g) for g in groups)
    assert not _logged(trainer, "dynamic_sampling/dropped_frac")


def test_switched_off_it_is_trls_trainer_exactly(policy, tmp_path):
    from trl import GRPOTrainer

    from tests.integration.throughput_helpers import HalfFixedReward, grpo_config

    ours = make_trainer(policy, tmp_path / "ours", half_fixed_rows(), None)
    ours.train()
    import datasets

    from alignment.model.loading import load_tokenizer

    trl_trainer = GRPOTrainer(
        model=str(policy),
        reward_funcs=[HalfFixedReward()],
        args=grpo_config(tmp_path / "trl"),
        train_dataset=datasets.Dataset.from_list(half_fixed_rows()),
        processing_class=load_tokenizer(str(policy), "deepseek_coder_v2"),
    )
    trl_trainer.train()
    theirs = _weights(trl_trainer)
    assert all(torch.equal(v, theirs[k]) for k, v in _weights(ours).items())
    assert any(not torch.equal(v, p) for v, p in zip(theirs.values(), _initial(policy).values()))


def _initial(policy):
    from safetensors.torch import load_file

    return load_file(str(policy / "model.safetensors"))


def test_a_batch_the_cap_cannot_fill_stops_with_a_clear_error(policy, tmp_path):
    from alignment.run.dynamic_sampling import DynamicSamplingError

    trainer = make_trainer(policy, tmp_path, half_fixed_rows(all_fixed=True), 2.0)
    with pytest.raises(DynamicSamplingError, match=r"could not fill the batch at step 0.*0 of 4 groups.*max_overs"):
        trainer.train()
    assert trainer.state.global_step == 0, "no step may train on a short batch"


def test_resume_continues_exactly(policy, tmp_path):
    straight = make_trainer(policy, tmp_path / "a", half_fixed_rows(), 3.0, save_strategy="steps", save_steps=1)
    straight.train()
    resumed = make_trainer(policy, tmp_path / "b", half_fixed_rows(), 3.0)
    resumed.train(resume_from_checkpoint=str(tmp_path / "a" / "checkpoint-1"))
    assert resumed.state.global_step == 2
    expected = _weights(straight)
    assert all(torch.equal(v, expected[k]) for k, v in _weights(resumed).items())
    assert (
        _logged(resumed, "dynamic_sampling/dropped_frac")[-1] == _logged(straight, "dynamic_sampling/dropped_frac")[-1]
    )
