"""A data set where half the prompts always get the same reward, its reward, and a GRPO trainer on it.

`HalfFixedReward` gives every completion of a `fixed` prompt 0.5 (so the group has zero spread, whatever the
policy writes) and every other completion a value that depends on its tokens (a tiny random policy samples
different tokens, so those groups have spread). It is a real reward function, picklable, and reads the
`completion_ids` and a data column like any TRL reward. Also importable by the two-process script.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


class HalfFixedReward:
    __name__ = "half_fixed"

    def __call__(self, prompts, completions, completion_ids, fixed, **kwargs: Any) -> list[float]:
        return [0.5 if f else (sum(ids) % 1009) / 1009 for f, ids in zip(fixed, completion_ids)]


def half_fixed_rows(n: int = 16, all_fixed: bool = False) -> list[dict]:
    """`n` prompts, every other one fixed (or all of them); the question text tells them apart."""
    return [
        {
            "prompt": [{"role": "user", "content": f"Question {i}: what is {i} plus {i}?"}],
            "fixed": all_fixed or i % 2 == 0,
        }
        for i in range(n)
    ]


def grpo_config(output_dir: Path, **overrides: Any):
    from trl import GRPOConfig

    settings = dict(
        output_dir=str(output_dir), use_cpu=True, bf16=False, report_to="none", seed=0, logging_steps=1,
        num_generations=4, per_device_train_batch_size=8, max_completion_length=12, temperature=1.0,
        learning_rate=1e-2, lr_scheduler_type="constant", max_steps=2, beta=0.04, loss_type="grpo",
        scale_rewards="group", use_bias_correction_kl=False, save_strategy="no", dataloader_pin_memory=False,
        gradient_checkpointing=False,
    )  # fmt: skip
    settings.update(overrides)
    return GRPOConfig(**settings)


def make_trainer(
    model: Path,
    output_dir: Path,
    rows: list[dict],
    dynamic_sampling: float | None,
    trainer_class=None,
    reward_funcs: list | None = None,
    **overrides,
):
    """A `CodealignGRPOTrainer` (or a subclass) on `rows`, rewarded by `HalfFixedReward` unless told otherwise."""
    import datasets

    from alignment.model.loading import load_tokenizer
    from alignment.trainers import CodealignGRPOTrainer

    trainer_class = trainer_class or CodealignGRPOTrainer
    return trainer_class(
        model=str(model),
        reward_funcs=reward_funcs or [HalfFixedReward()],
        args=grpo_config(output_dir, **overrides),
        train_dataset=datasets.Dataset.from_list(rows),
        processing_class=load_tokenizer(str(model), "deepseek_coder_v2"),
        dynamic_sampling=dynamic_sampling,
    )


def trainer_with(**flags):
    """`CodealignGRPOTrainer` with its own keyword arguments `flags` (e.g. `dense_logprobs=True`) always passed."""
    from alignment.trainers import CodealignGRPOTrainer

    class Trainer(CodealignGRPOTrainer):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **flags, **kwargs)

    return Trainer


def prompt_token_ids(trainer, n: int = 4) -> list[list[int]]:
    """The first `n` prompts of `half_fixed_rows` as the trainer's tokenizer renders them for generation."""
    tokenizer = trainer.processing_class
    texts = [
        tokenizer.apply_chat_template(row["prompt"], tokenize=False, add_generation_prompt=True)
        for row in half_fixed_rows(n)
    ]
    return [tokenizer(text, add_special_tokens=False)["input_ids"] for text in texts]


def group_advantages(batch: dict, group_size: int) -> list[list[float]]:
    """The scored batch's advantages, one list per group (TRL keeps a group's rows together before shuffling)."""
    values = batch["advantages"].tolist()
    return [values[i : i + group_size] for i in range(0, len(values), group_size)]
