"""Evaluation inside training: the harness on a held-out set every N optimizer steps of SFT or GRPO.

Recipe keys (`EvalArguments`, parsed beside each stage's own dataclasses; off unless `eval_every_steps` > 0)::

    eval_benchmark: humaneval     # a named benchmark (humaneval, code_tasks, math, math_small) or a file / hub id
    eval_every_steps: 50          # also at step 0 (`eval_at_start`) and at the last step, so curves have both ends
    eval_limit: 64                # the first N problems of the set
    eval_n: 1                     # samples per problem; with eval_temperature unset, n = 1 is greedy, n > 1 uses 0.8
    eval_k: [1]                   # pass@k (and maj@k for math) for each k <= eval_n
    eval_max_new_tokens: 512

The policy samples with HF generate (the same prompts and extraction as `python -m alignment.evaluate`, see
`alignment.evaluation.prompts`), in eval mode and inside `torch.random.fork_rng`, so the training run's own random
stream, and hence its trajectory, is the same with or without evaluation. Code is graded in the sandbox the keys
name (`eval_sandbox_backend`, `eval_sandbox_jobs`), math by the checker; a sandbox failure raises, as in training.

Logged through the trainer's callback handler, so wandb, TensorBoard and `metrics.jsonl` receive the same dict:
`eval_<benchmark>/pass@1` (and `_low` / `_high`, the 95% interval), `maj@k` and `accuracy` for math, and
`eval_<benchmark>/generation_s`, `/grading_s`. The dashboards show these as `eval/<benchmark>/pass@1` (transformers'
integrations turn an `eval_` prefix into `eval/`); `python -m alignment.report` plots them from `metrics.jsonl`.
Every evaluation's per-problem rows go to `<output_dir>/eval/<benchmark>/step-<N>.jsonl`.

Distributed: each rank samples a contiguous share of the problems, padded so that every rank makes the same
generate calls (ZeRO-3's forward passes are collective; TRL's `unwrap_model_for_generation` gathers the parameters
when `ds3_gather_for_generation` is on); rank 0 gathers the completions, grades them and logs.
"""

from __future__ import annotations

import logging
import math
from pathlib import Path
from typing import Any

from transformers import TrainerCallback

from alignment.args import EvalArguments  # noqa: F401 (the recipe keys live with the other shared ones)

logger = logging.getLogger(__name__)


def attach_evaluation(trainer: Any, eval_args: EvalArguments) -> None:
    """Add the evaluation callback to `trainer` when the recipe turns it on (`eval_every_steps` > 0)."""
    if eval_args.enabled:
        trainer.add_callback(EvaluationCallback(trainer, eval_args))


class EvaluationCallback(TrainerCallback):
    """Runs the harness on the held-out set at step 0, every `eval_every_steps` steps and at the last step."""

    def __init__(self, trainer: Any, eval_args: EvalArguments) -> None:
        self.trainer, self.eval_args = trainer, eval_args
        self.settings = eval_args.settings()
        self.label = eval_args.label()
        self.problems: list = []
        self.backend = None
        self.last_step: int | None = None

    # ---- events -------------------------------------------------------------------------------------------------
    def on_train_begin(self, args, state, control, **kwargs):
        from alignment.evaluation.prompts import build_problem

        rows, _ = self.eval_args.rows()
        tokenizer = self.trainer.processing_class
        suffix = self.eval_args.eval_prompt_suffix
        self.problems = [build_problem(row, tokenizer, "model", suffix) for row in rows]
        if state.is_world_process_zero and any(p.task == "code" for p in self.problems):
            from sandbox.api import get_backend

            jobs = self.eval_args.eval_sandbox_jobs
            sizing = {"bwrap": {"slots": jobs}, "docker": {"pool_size": jobs}}[self.eval_args.eval_sandbox_backend]
            self.backend = get_backend(self.eval_args.eval_sandbox_backend, **sizing)
        if self.eval_args.eval_at_start and state.global_step == 0:
            self.evaluate(args, state, control)

    def on_step_end(self, args, state, control, **kwargs):
        step = state.global_step
        if step % self.eval_args.eval_every_steps == 0 or step == state.max_steps:
            self.evaluate(args, state, control)

    def on_train_end(self, args, state, control, **kwargs):
        if self.backend is not None:
            self.backend.close()
            self.backend = None

    # ---- one evaluation -----------------------------------------------------------------------------------------
    def evaluate(self, args, state, control) -> None:
        import time

        import torch
        from trl.models import unwrap_model_for_generation

        if self.last_step == state.global_step:
            return
        self.last_step = state.global_step
        trainer = self.trainer
        start = time.perf_counter()
        devices = list(range(torch.cuda.device_count())) if torch.cuda.is_available() else []
        with (
            torch.random.fork_rng(devices=devices),
            unwrap_model_for_generation(
                trainer.model_wrapped,
                trainer.accelerator,
                gather_deepspeed3_params=getattr(args, "ds3_gather_for_generation", True),
                gradient_checkpointing_kwargs=args.gradient_checkpointing_kwargs,
            ) as model,
        ):
            was_training = model.training
            model.eval()
            try:
                completions = self.sample(model)
            finally:
                model.train(was_training)
        generation_s = time.perf_counter() - start
        if state.is_world_process_zero:
            self.grade_and_log(args, state, control, completions, generation_s)

    def sample(self, model: Any) -> list[list[str]]:
        """Every problem's completions on every rank: each rank samples its share, then all shares are gathered."""
        from accelerate.utils import gather_object

        from alignment.model.generation import CompletionSampler

        accelerator = self.trainer.accelerator
        rank, world = accelerator.process_index, accelerator.num_processes
        sampler = CompletionSampler(
            model=model, tokenizer=self.trainer.processing_class, batch_size=self.settings.prompts_per_call
        )
        completions: list[list[str] | None] = [None] * len(self.problems)
        groups: dict[tuple[str, ...], list[int]] = {}
        for i, problem in enumerate(self.problems):
            groups.setdefault(problem.stop, []).append(i)
        for stop, members in groups.items():  # the same groups, in the same order, on every rank
            share = math.ceil(len(members) / world)
            mine = members[rank * share : (rank + 1) * share]
            padded = mine + [members[-1]] * (share - len(mine))  # equal generate calls on every rank
            samples = []
            for start in range(0, share, self.settings.prompts_per_call):
                batch = padded[start : start + self.settings.prompts_per_call]
                sampling = self.settings.sampling(self.settings.seed + batch[0], stop)
                samples += sampler.sample([self.problems[i].text for i in batch], sampling)
            for i, group in gather_object(list(zip(mine, samples[: len(mine)]))):
                completions[i] = group
        return completions

    def grade_and_log(self, args, state, control, completions: list[list[str]], generation_s: float) -> None:
        from alignment.evaluation.grading import grade
        from alignment.evaluation.harness import problem_rows
        from alignment.evaluation.metrics import summarize
        from alignment.run.files import write_jsonl_atomic

        graded, grading_s = grade(self.problems, completions, self.backend, self.eval_args.eval_sandbox_jobs)
        timing = {"chunk_start": 0, "generation_s": round(generation_s, 3), "grading_s": round(grading_s, 3)}
        rows = problem_rows(self.problems, completions, graded, timing)
        folder = Path(args.output_dir) / "eval" / self.label
        folder.mkdir(parents=True, exist_ok=True)
        write_jsonl_atomic(folder / f"step-{state.global_step}.jsonl", rows)
        prefix = f"eval_{self.label}"
        logs: dict[str, float] = {}
        for name, interval in summarize(rows, self.settings.ks, self.settings.greedy).items():
            logs.update({f"{prefix}/{name}": interval.estimate, f"{prefix}/{name}_low": interval.low})
            logs[f"{prefix}/{name}_high"] = interval.high
        logs.update({f"{prefix}/generation_s": timing["generation_s"], f"{prefix}/grading_s": timing["grading_s"]})
        logger.info("step %d: %s", state.global_step, {k: round(v, 4) for k, v in logs.items()})
        state.log_history.append({**logs, "step": state.global_step})
        should_log = control.should_log  # the handler clears it: the trainer's own log of this step would be lost
        self.trainer.callback_handler.on_log(args, state, control, logs)
        control.should_log = should_log
