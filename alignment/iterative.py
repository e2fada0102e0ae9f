"""Iterative RL (DeepSeekMath §4.1.4, Algorithm 1): refresh the reward model and the reference during GRPO.

Every `refresh_every_steps` optimizer steps the GRPO stage pauses and, with `IterativeRefresh`:

1. saves the current policy (`<output_dir>/refresh/step-N/policy`);
2. collects from it: `alignment.collect` with the recipe `refresh_collect_config`, prompts from `refresh_datasets`
   (default: the GRPO data), round = the refresh's number;
3. continues training the current reward model on the new samples plus a replay of the older data
   (`rm_replay_fraction`: DSM "incorporates 10% of historical data": that share of the prompts of every earlier round,
   each prompt with all its samples, drawn with the run's seed) with the recipe `refresh_reward_model_config`, into
   `<output_dir>/refresh/step-N/rm`, and points every `rm` reward at it;
4. resets the reference model to the policy's weights (`refresh_reset_reference`, DSM: π_ref ← π_θ);
5. records the refresh in `<output_dir>/refresh/state.json` (atomically, last), and logs `refresh/*` metrics.

The refresh keeps the training run's random state untouched (saved before, restored after), and it runs before
the step's checkpoint is written, so a checkpoint at step N already holds the refreshed state. `--resume` from a
checkpoint reloads the reward model and the reference of the last refresh at or before it; a refresh the killed run
had started after that checkpoint is done again from scratch, and its collection and training are seeded, so a
killed-and-resumed run ends like the uninterrupted one.

Scope: one process or several data-parallel processes (rank 0 collects and trains, every rank then loads the new
reward model and resets its reference from the saved policy). Under ZeRO-3 the reference model is partitioned, and
resetting it is not supported: the stage refuses the combination before training.
"""

from __future__ import annotations

import contextlib
import json
import logging
import random
import shutil
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from transformers import TrainerCallback

logger = logging.getLogger(__name__)

REFRESH_DIR = "refresh"
STATE_NAME = "state.json"


# ---- state ----------------------------------------------------------------------------------------------------------
def read_state(output_dir: str | Path) -> list[dict[str, Any]]:
    path = Path(output_dir) / REFRESH_DIR / STATE_NAME
    return json.loads(path.read_text())["refreshes"] if path.is_file() else []


def write_state(output_dir: str | Path, refreshes: list[dict[str, Any]]) -> None:
    from alignment.run.files import write_atomic

    write_atomic(Path(output_dir) / REFRESH_DIR / STATE_NAME, json.dumps({"refreshes": refreshes}, indent=2))


@contextlib.contextmanager
def preserved_rng():
    """The training run's random state, untouched by whatever the refresh draws."""
    import numpy as np
    import torch

    states = random.getstate(), np.random.get_state(), torch.get_rng_state()
    cuda = torch.cuda.get_rng_state_all() if torch.cuda.is_available() else None
    try:
        yield
    finally:
        random.setstate(states[0])
        np.random.set_state(states[1])
        torch.set_rng_state(states[2])
        if cuda is not None:
            torch.cuda.set_rng_state_all(cuda)


# ---- replay ---------------------------------------------------------------------------------------------------------
def replay_rows(history: Sequence[str | Path], fraction: float, seed: int) -> list[dict[str, Any]]:
    """`fraction` of the prompts of the earlier rounds' labelled data (each with all its samples), seeded."""
    from alignment.run.files import read_jsonl
    from data.labelled import collection_files

    by_prompt: dict[str, list[dict]] = {}
    for path in collection_files(history):
        if path.suffix == ".parquet":
            import pyarrow.parquet as pq

            rows = pq.read_table(path).to_pylist()
        else:
            rows = read_jsonl(path)
        for row in rows:
            by_prompt.setdefault(row["prompt_id"], []).append(row)
    prompts = sorted(by_prompt)
    keep = sorted(random.Random(seed).sample(prompts, round(fraction * len(prompts))))
    return [row for pid in keep for row in by_prompt[pid]]


# ---- the refresh ----------------------------------------------------------------------------------------------------
class IterativeRefresh(TrainerCallback):
    """The refresh of the module docstring, as a callback of the GRPO trainer (which it needs to save the policy
    and reach the reference model and the rewards)."""

    def __init__(self, trainer: Any, args: Any, initial_rm: str, rm_history: Sequence[str]) -> None:
        self.trainer, self.args = trainer, args
        self.output_dir = Path(trainer.args.output_dir)
        self.initial_rm, self.rm_history = initial_rm, list(rm_history)
        self.refreshes: list[dict[str, Any]] = []

    # -- resume: the refreshed state of the checkpoint's step ------------------------------------------------------
    def on_train_begin(self, args, state, control, **kwargs):
        self.refreshes = [r for r in read_state(self.output_dir) if r["step"] <= state.global_step]
        if self.refreshes:
            last = self.refreshes[-1]
            logger.info("refresh: resuming with the reward model and reference of step %d", last["step"])
            self._use_reward_model(last["rm"])
            if self.args.refresh_reset_reference:
                self._reset_reference(last["policy"])

    def on_step_end(self, args, state, control, **kwargs):
        every = self.args.refresh_every_steps
        if every and state.global_step % every == 0 and state.global_step < state.max_steps:
            self.refresh(state.global_step)

    def refresh(self, step: int) -> None:
        start = time.perf_counter()
        step_dir = self.output_dir / REFRESH_DIR / f"step-{step}"
        accelerator = self.trainer.accelerator
        policy_dir = step_dir / "policy"
        self.trainer.save_model(str(policy_dir))  # collective under ZeRO; the main process writes
        if accelerator.is_main_process:
            self.trainer.processing_class.save_pretrained(str(policy_dir))
            with preserved_rng():
                metrics = self._collect_and_train(step, step_dir, policy_dir)
        accelerator.wait_for_everyone()
        record = {"step": step, "round": len(self.refreshes) + 1, "policy": str(policy_dir), "rm": str(step_dir / "rm"),
                  "collection": str(step_dir / "collect")}  # fmt: skip
        self._use_reward_model(record["rm"])
        if self.args.refresh_reset_reference:
            self._reset_reference(str(policy_dir))
        self.refreshes.append(record)
        if accelerator.is_main_process:
            write_state(self.output_dir, self.refreshes)
            metrics["refresh/time_s"] = time.perf_counter() - start
            self.trainer.log({**metrics, "refresh/round": float(record["round"])})
        logger.info("refresh at step %d done in %.1f s", step, time.perf_counter() - start)

    def _collect_and_train(self, step: int, step_dir: Path, policy_dir: Path) -> dict[str, float]:
        from alignment import collect, reward_model
        from alignment.run.config import parse_recipe
        from alignment.run.files import write_jsonl_atomic

        round_ = len(self.refreshes) + 1
        seed = self.trainer.args.seed * 1000 + round_
        datasets = self.args.refresh_datasets or self.args.datasets
        collect_args = ["--config", self.args.refresh_collect_config, "--model_name_or_path", str(policy_dir),
                        "--datasets", *datasets, "--output_dir", str(step_dir / "collect"), "--round", str(round_),
                        "--seed", str(seed), "--chat_template", self.args.chat_template]  # fmt: skip
        recipe = parse_recipe((collect.CollectArguments,), collect_args)
        summary = collect.collect(recipe.configs[0], recipe)
        history = self.rm_history + [r["collection"] for r in self.refreshes]
        replay = replay_rows(history, self.args.rm_replay_fraction, seed)
        write_jsonl_atomic(step_dir / "replay.jsonl", replay)
        rm_dir = step_dir / "rm"
        shutil.rmtree(rm_dir, ignore_errors=True)  # a refresh the killed run had begun: train it again, whole
        previous = self.refreshes[-1]["rm"] if self.refreshes else self.initial_rm
        rm_args = ["--config", self.args.refresh_reward_model_config, "--model_name_or_path", previous,
                   "--datasets", str(step_dir / "collect" / "shards"), str(step_dir / "replay.jsonl"),
                   "--output_dir", str(rm_dir), "--seed", str(seed), "--report_to", "none"]  # fmt: skip
        reward_model.main(rm_args)
        trained = json.loads((rm_dir / reward_model.EVAL_RESULTS_NAME).read_text())["trained_rm"]
        new_rows = summary["rows"]
        return {
            "refresh/collected_rows": float(new_rows),
            "refresh/replay_rows": float(len(replay)),
            "refresh/replay_share": len(replay) / max(len(replay) + new_rows, 1),
            "refresh/policy_pass_rate": _overall_pass_rate(summary),
            "refresh/rm_within_prompt_auc": float(trained["within_prompt_auc"]),
        }

    # -- what the refresh changes in the trainer --------------------------------------------------------------------
    def _use_reward_model(self, path: str) -> None:
        """Point every reward-model reward at the checkpoint `path` (same device, batch size and normalisation)."""
        from rewards.model_rewards import RewardModelScorer

        for func in self.trainer.reward_funcs:
            scorer = getattr(getattr(func, "context", None), "reward_model", None)
            if isinstance(scorer, RewardModelScorer):
                fresh = RewardModelScorer(path, scorer.device, scorer.batch_size, None, scorer.normalize)
                func.context = replace(func.context, reward_model=fresh)

    def _reset_reference(self, policy_dir: str) -> None:
        """π_ref ← π_θ: the reference model takes the policy's weights (saved at the refresh, so a resumed run
        loads exactly what the uninterrupted one copied)."""
        ref = getattr(self.trainer, "ref_model", None)
        if ref is None:
            return  # beta = 0: no reference model
        from safetensors.torch import load_file

        weights = load_file(str(Path(policy_dir) / "model.safetensors"))
        missing, unexpected = self.trainer.accelerator.unwrap_model(ref).load_state_dict(weights, strict=False)
        tied = {"lm_head.weight"}  # tied embeddings are saved once
        if set(missing) - tied or unexpected:
            raise RuntimeError(f"reference reset from {policy_dir}: missing {missing}, unexpected {unexpected}")


def _overall_pass_rate(summary: dict[str, Any]) -> float:
    tasks = summary["by_task"].values()
    total = sum(t["completions"] for t in tasks)
    return sum(t["pass_rate"] * t["completions"] for t in tasks if t["pass_rate"] is not None) / max(total, 1)
