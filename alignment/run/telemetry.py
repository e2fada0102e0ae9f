"""Per-step GRPO telemetry that TRL 1.16 does not log by itself.

`GRPOTelemetryMixin` goes in front of `trl.GRPOTrainer` (see `alignment.trainers`) and adds to TRL's own metric
buffer (`self._metrics["train"]`), so the values reach wandb, TensorBoard and `metrics.jsonl` through the normal
logging path, averaged over `logging_steps` like TRL's metrics:

* `timing/*`, the step profile: seconds per optimizer step (summed over its gradient-accumulation micro-steps) in
  each phase, which add up to `timing/step_s`:
  `generation_s` (TRL's `_generate`: HF generate or vLLM, and decoding), `logprobs_old_s` (old-policy log-probs,
  only when TRL needs them), `logprobs_ref_s` (reference-model log-probs, β > 0), `reward_wait_s` (the time the
  step blocks in `_calculate_rewards`: the whole reward computation on the sequential path, only the wait for
  results that are not ready yet when rewards overlap, `alignment.run.overlap`), `loss_s` (policy forward and
  loss), `backward_s`, `optimizer_s` (gradient clipping and `optimizer.step`) and `other_s` (the rest: padding,
  advantages, gathers, scheduler). The registry adds each reward's own compute time (`timing/reward_<name>_s`,
  off the critical path when overlapped) and the code reward the time during which the sandbox was running the
  batch's programs (`timing/sandbox_s`, which may start during generation: alignment/run/overlap.py).
* (TRL logs `rewards/<name>/mean` and `/std`, NaN-aware; the registry's adapter logs `rewards/<name>/frac_none`.)
* `execution/pass_rate`: share of judged completions whose execution reward is exactly 1.0 (all tests passed). The
  execution reward is the reward function whose `kind` is "execution" (the registry says which: `code`).
* `reward_model/score_mean`, `reward_model/exec_gap`: mean RM score, and mean(sigmoid(score) - passed) over the
  completions both judged, where `passed` is the verified outcome (the execution reward, or for math rows the rule
  reward, is 1.0). `reward_model/within_prompt_auc` (and `reward_model/auc_groups`, the prompts it averages over):
  how often, within one prompt's group, the RM scores a verified pass above a verified fail; a falling AUC while the
  RM score rises is reward hacking. For a pointwise (BCE) RM sigmoid(score) is its pass probability, so the gap is its
  calibration error; a gap that grows during RL is the reward-hacking signal of RECIPE §5.3. The RM is a reward
  function of kind "model", or a sequence classifier TRL loaded from `reward_model_path`.
* (The code reward logs `sandbox/calls`, `sandbox/throughput_per_s`, `sandbox/latency_{p50,p90,p99}_s` itself,
  through TRL's `log_metric`.)
* Every `completions_table_every_n_steps` steps, the completions table (`alignment.run.tracking`).

At construction every rank logs where the policy, the reference model and any model-based reward live
(`placement_summary`): device, and under ZeRO-3 how many of the parameters' elements this rank holds. TRL wraps the
reference model and reward models with `prepare_deepspeed` (grpo_trainer.py ~l.1182-1211), so under ZeRO-3 they
are partitioned like the policy, not replicated on every rank.
"""

from __future__ import annotations

import logging
import math
import time
from contextlib import contextmanager

import torch
from transformers import TrainerCallback

from alignment.run.tracking import RecordArguments, write_completions_table

logger = logging.getLogger(__name__)


def reward_kind(func: object) -> str | None:
    """ "execution", "model", ... for a reward function: the registry adapter's `kind`; TRL's loaded classifiers are
    reward models."""
    if isinstance(func, torch.nn.Module):
        return "model"
    return getattr(func, "kind", None)


def _passed(column: torch.Tensor) -> torch.Tensor:
    """1.0 where a verifiable reward is exactly 1 (all tests passed, answer right), 0.0 below, NaN where unjudged."""
    return (column == 1.0).float().masked_fill(torch.isnan(column), float("nan"))


def _coalesce(rewards: torch.Tensor, columns: list[int]) -> torch.Tensor | None:
    """One value per completion from columns that judge disjoint rows (e.g. `code/rm` and `math/rm`); later columns
    win where several judged. None without columns."""
    merged = None
    for i in columns:
        column = rewards[:, i]  # (B*G,)
        merged = column if merged is None else torch.where(torch.isnan(column), merged, column)
    return merged


def within_prompt_auc(scores: torch.Tensor, passed: torch.Tensor, group_size: int) -> tuple[float, int]:
    """Mean over groups (one prompt's completions) holding both a pass and a fail of P(score_pass > score_fail),
    ties counted half; and the number of such groups. (B*G,) inputs, NaN = not judged."""
    aucs = []
    for s, p in zip(scores.view(-1, group_size), passed.view(-1, group_size)):  # (G,), (G,)
        valid = ~torch.isnan(s) & ~torch.isnan(p)
        pos, neg = s[valid & (p == 1.0)], s[valid & (p == 0.0)]
        if len(pos) and len(neg):
            diff = pos[:, None] - neg[None, :]  # (n_pass, n_fail)
            aucs.append(((diff > 0).float() + 0.5 * (diff == 0).float()).mean().item())
    return (sum(aucs) / len(aucs) if aucs else float("nan")), len(aucs)


def reward_metrics(rewards: torch.Tensor, kinds: list[str | None], group_size: int | None = None) -> dict[str, float]:
    """Metrics from the gathered rewards (B*G, n_functions) and each column's kind; NaN marks a `None` reward.

    The reward model is compared with the verified outcome of each completion: its execution reward where one judged
    it (code), else its rule reward (the math checker). With `group_size` (G, completions per prompt), also their
    agreement within each prompt's group: the within-prompt AUC, the quantity GRPO's advantages consume.
    """
    metrics: dict[str, float] = {}
    of_kind = {kind: [i for i, k in enumerate(kinds) if k == kind] for kind in ("rule", "execution", "model")}
    executed = _coalesce(rewards, of_kind["execution"])
    if executed is not None:
        metrics["execution/pass_rate"] = torch.nanmean(_passed(executed)).item()
    verified = _coalesce(rewards, of_kind["rule"] + of_kind["execution"])  # execution last: it wins
    rm_score = _coalesce(rewards, of_kind["model"])
    if rm_score is not None:
        metrics["reward_model/score_mean"] = torch.nanmean(rm_score).item()
    if verified is not None and rm_score is not None:
        passed = _passed(verified)
        metrics["reward_model/exec_gap"] = torch.nanmean(torch.sigmoid(rm_score) - passed).item()
        if group_size:
            auc, groups = within_prompt_auc(rm_score, passed, group_size)
            metrics["reward_model/auc_groups"] = float(groups)
            if groups:  # a step without a group holding both outcomes has no AUC (a NaN would poison the means)
                metrics["reward_model/within_prompt_auc"] = auc
    return metrics


def placement_summary(model: torch.nn.Module) -> dict[str, object]:
    """Device and ZeRO-3 partitioning of a model on this rank (DeepSpeed marks partitioned parameters `ds_numel`)."""
    module = getattr(model, "module", model)  # a DeepSpeed engine wraps the model
    params = list(module.parameters())
    partitioned = [p for p in params if hasattr(p, "ds_numel")]
    full = sum(p.ds_numel if hasattr(p, "ds_numel") else p.numel() for p in params)
    local = sum(p.ds_tensor.numel() if hasattr(p, "ds_tensor") else p.numel() for p in params)
    device = (partitioned[0].ds_tensor if partitioned else params[0]).device if params else "none"
    return {"zero3": bool(partitioned), "local_numel": local, "full_numel": full, "device": str(device)}


PROFILE_PHASES = ("generation", "logprobs_old", "logprobs_ref", "reward_wait", "loss", "backward", "optimizer")


class _StepClock(TrainerCallback):
    """Times the optimizer step from the Trainer's own events and hands the profile to the mixin at its end."""

    def __init__(self, trainer: GRPOTelemetryMixin) -> None:
        self.trainer = trainer
        self.step_start = 0.0

    def on_step_begin(self, args, state, control, **kwargs):
        self.step_start = time.perf_counter()

    def on_optimizer_step(self, args, state, control, **kwargs):
        # clipping and the step, from the end of the last micro-step's backward
        self.trainer._phase_s["optimizer"] += time.perf_counter() - self.trainer._micro_step_end

    def on_step_end(self, args, state, control, **kwargs):
        self.trainer._flush_profile(time.perf_counter() - self.step_start)


class GRPOTelemetryMixin:
    """Mix in front of `trl.GRPOTrainer`; pass `record=RecordArguments(...)` to the constructor."""

    def __init__(self, *args, record: RecordArguments | None = None, **kwargs) -> None:
        self.record = record or RecordArguments()
        self._phase_s = dict.fromkeys(PROFILE_PHASES, 0.0)
        self._micro_step_end = time.perf_counter()
        self._prepare_s = self._loss_s = 0.0  # per micro-step; compute_loss also runs in evaluation
        self._last_table_step = -1
        super().__init__(*args, **kwargs)
        self.add_callback(_StepClock(self))
        self._log_placement()

    def _log_placement(self) -> None:
        """One line per model on the main process, with every rank's share (gathered: other ranks log warnings only)."""
        from accelerate.utils import gather_object

        from alignment.model.placement import reward_model_scorers

        models = {"policy": self.model, "reference": self.ref_model}
        models.update(
            {n: f for n, f in zip(self.reward_func_names, self.reward_funcs) if isinstance(f, torch.nn.Module)}
        )
        # the `rm` reward's model, where the trainer placed it (otherwise it loads lazily on its own device)
        placed = [s._model for s in reward_model_scorers(self.reward_funcs) if s._model is not None]
        models.update({f"rm{i or ''}": model for i, model in enumerate(placed)})
        for role, model in models.items():
            if model is None:
                continue
            per_rank = gather_object([placement_summary(model)])
            if self.accelerator.is_main_process:
                logger.info("placement role=%s per rank: %s", role, per_rank)

    @contextmanager
    def _timed(self, phase: str):
        """Adds the block's wall time to `phase` during training (evaluation steps are not profiled)."""
        start = time.perf_counter()
        try:
            yield
        finally:
            if self.model.training:
                self._phase_s[phase] += time.perf_counter() - start

    def _generate(self, *args, **kwargs):
        with self._timed("generation"):
            return super()._generate(*args, **kwargs)

    def _get_per_token_logps_and_entropies(self, model, *args, **kwargs):
        if torch.is_grad_enabled():  # the loss's own forward: timed by compute_loss
            return super()._get_per_token_logps_and_entropies(model, *args, **kwargs)
        with self._timed("logprobs_ref" if model is self.ref_model else "logprobs_old"):
            return super()._get_per_token_logps_and_entropies(model, *args, **kwargs)

    def _calculate_rewards(self, *args, **kwargs):
        with self._timed("reward_wait"):
            rewards = super()._calculate_rewards(*args, **kwargs)  # (B*G, n_functions), gathered
        mode = "train" if self.model.training else "eval"
        group_size = self.num_generations if mode == "train" else self.num_generations_eval
        extra = reward_metrics(rewards, [reward_kind(f) for f in self.reward_funcs], group_size)
        for key, value in extra.items():
            self._metrics[mode][key].append(value)
        return rewards

    def _prepare_inputs(self, *args, **kwargs):
        start = time.perf_counter()
        try:
            return super()._prepare_inputs(*args, **kwargs)
        finally:
            self._prepare_s += time.perf_counter() - start

    def compute_loss(self, *args, **kwargs):
        start = time.perf_counter()
        try:
            return super().compute_loss(*args, **kwargs)
        finally:
            self._loss_s += time.perf_counter() - start

    def training_step(self, *args, **kwargs):
        """One micro-step: generation and scoring (in `_prepare_inputs`), the loss, then backward (the rest)."""
        self._prepare_s = self._loss_s = 0.0
        start = time.perf_counter()
        output = super().training_step(*args, **kwargs)
        self._micro_step_end = time.perf_counter()
        self._phase_s["loss"] += self._loss_s
        self._phase_s["backward"] += self._micro_step_end - start - self._prepare_s - self._loss_s
        return output

    def _flush_profile(self, step_s: float) -> None:
        metrics = self._metrics["train"]
        for phase, seconds in self._phase_s.items():
            metrics[f"timing/{phase}_s"].append(seconds)
        metrics["timing/step_s"].append(step_s)
        metrics["timing/other_s"].append(step_s - sum(self._phase_s.values()))
        self._phase_s = dict.fromkeys(PROFILE_PHASES, 0.0)

    def log(self, logs: dict[str, float], start_time: float | None = None) -> None:
        super().log(logs, start_time)
        every = self.record.completions_table_every_n_steps
        step = self.state.global_step
        if not (every and step % every == 0 and step != self._last_table_step and self.model.training):
            return
        self._last_table_step = step  # the end-of-training log repeats the last step
        if self.accelerator.is_main_process:
            write_completions_table(self.args.output_dir, step, self._completion_rows(), self.args)

    def _completion_rows(self) -> list[dict]:
        """The latest generation batch from TRL's rolling buffer `_logs`: prompt, completion, rewards, advantage."""
        rows = []
        for i, (prompt, completion) in enumerate(zip(self._logs["prompt"], self._logs["completion"])):
            row = {"prompt": prompt, "completion": completion}  # strings, or message lists for chat prompts
            row.update({name: _finite(values[i]) for name, values in self._logs["rewards"].items()})
            row["advantage"] = _finite(self._logs["advantages"][i])
            rows.append(row)
        return rows


def _finite(value: float) -> float | None:
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else float(value)
