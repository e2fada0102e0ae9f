"""DAPO's dynamic sampling (Yu et al. 2025, arXiv 2503.14476, §3.2) for TRL's `GRPOTrainer`, which lacks it.

A prompt whose G completions all get the same reward has advantage Â = (r − mean)/(std + 1e-4) = 0 for every
completion: its group adds no policy-gradient signal and only shrinks the batch's effective size. DAPO over-samples
and keeps only groups whose rewards differ. With `dynamic_sampling: true`, `DynamicSamplingMixin` does this inside
`_generate_and_score_completions`:

1. the generation batch TRL's sampler drew is generated and scored as usual (one "round");
2. groups with zero reward spread are dropped; while any rank holds fewer groups than it started with, a further
   round generates and scores more prompts, drawn from the training set by `refill_indices` (deterministic in the
   seed, the optimizer step and the round, so a resumed run draws the same ones);
3. the kept groups (the first ones in drawing order; surplus groups are discarded) are merged into one batch of the
   original size and handed back to TRL, which shuffles and splits it for gradient accumulation as usual.

Each rank generates only its own rows, but every decision is made from the rewards TRL gathers from all ranks, so
all ranks run the same rounds and each keeps the same number of groups (the collectives inside generation and
scoring stay in step). A rank's generation batch must hold whole groups (checked in `dynamic_sampling_problems`).

A step generates at most `max_oversample` × the batch's prompts per rank; if the batch is still short it raises
`DynamicSamplingError` rather than train on a smaller batch. Logged every step: `dynamic_sampling/dropped_frac`
(share of generated groups with zero spread), `dynamic_sampling/oversample` (prompts generated / prompts trained),
`dynamic_sampling/rounds` and `dynamic_sampling/refill_s` (wall time of the extra rounds). TRL's own per-batch
metrics (`reward`, `frac_reward_zero_std`, lengths) are averaged over all rounds, i.e. over every generated group.

Deviation from DAPO: with β > 0 the dropped groups' KL term goes too (DAPO has no KL). Advantages must be
per-group (`scale_rewards: group | none`, `multi_objective_aggregation: sum_then_normalize`): a group's
advantages then do not depend on the other groups of the batch, so dropping some leaves the others exact.
With `dynamic_sampling: false` none of this runs: the batch is TRL's, unchanged.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from alignment.run.dynamic_sampling_checks import dynamic_sampling_problems  # noqa: F401 (re-exported)

# Per-row tensors of TRL 1.16's scored batch (grpo_trainer.py ~l.2905) and how each is padded when batches merge.
_LEFT_PADDED = {"prompt_ids": None, "prompt_mask": 0}  # None: the tokenizer's pad id
_RIGHT_PADDED = {
    "completion_ids": None,
    "completion_mask": 0,
    "old_per_token_logps": 0.0,
    "ref_per_token_logps": 0.0,
    "sampling_per_token_logps": 0.0,
    "importance_sampling_ratio": 1.0,
    "tool_mask": 1,  # TRL pads the tool mask with 1
}
_PER_ROW = {"advantages"}
_RECOMPUTED = {"num_items_in_batch"}


class DynamicSamplingError(RuntimeError):
    """The oversampling cap was reached before the batch held enough groups with reward spread."""


def group_spread(rewards_per_func: torch.Tensor, weights: torch.Tensor, group_size: int) -> torch.Tensor:
    """(n_groups,) bool: True where a group's total rewards differ, by TRL's own aggregation and zero-std test.

    rewards_per_func is (N, n_functions) with NaN for None; the total is the weighted nansum, NaN where every
    function returned None; std is Bessel-corrected over the non-NaN totals, NaN with fewer than two.
    """
    from trl.trainer.utils import nanstd

    totals = (rewards_per_func * weights.to(rewards_per_func.device).unsqueeze(0)).nansum(dim=1)  # (N,)
    totals[torch.isnan(rewards_per_func).all(dim=1)] = torch.nan
    std = nanstd(totals.view(-1, group_size), dim=1)  # (n_groups,)
    return torch.isfinite(std) & ~torch.isclose(std, torch.zeros_like(std))


def refill_indices(
    dataset_size: int, n_prompts: int, *, seed: int, step: int, round_: int, world: int, rank: int
) -> list[int]:
    """This rank's `n_prompts` refill prompts: one permutation of the data set (more when it is too small) per
    (seed, step, round), shared by all ranks, rank r taking the r-th slice, as TRL's sampler shards its batch."""
    rng = np.random.default_rng([seed, step, round_])
    draws: list[int] = []
    while len(draws) < n_prompts * world:
        draws.extend(rng.permutation(dataset_size).tolist())
    return draws[rank * n_prompts : (rank + 1) * n_prompts]


def _pad_cat(tensors: Sequence[torch.Tensor], value: float, left: bool, multiple: int | None) -> torch.Tensor:
    width = max(t.size(1) for t in tensors)
    if multiple:
        width = math.ceil(width / multiple) * multiple
    padded = [F.pad(t, (width - t.size(1), 0) if left else (0, width - t.size(1)), value=value) for t in tensors]
    return torch.cat(padded, dim=0)


def merge_batches(
    parts: Sequence[tuple[dict[str, Any], torch.Tensor]], pad_token_id: int, pad_to_multiple_of: int | None = None
) -> dict[str, Any]:
    """The rows `rows` of each scored batch `out`, in order, as one scored batch (re-padded to common widths).

    `num_items_in_batch` is left out: it counts tokens over all ranks and is recomputed by the caller.
    """
    keys = set(parts[0][0])
    unknown = keys - set(_LEFT_PADDED) - set(_RIGHT_PADDED) - _PER_ROW - _RECOMPUTED
    if unknown:
        raise ValueError(
            f"dynamic sampling cannot merge batches holding {sorted(unknown)} (multimodal or tool inputs); "
            "turn `dynamic_sampling` off for this data"
        )
    merged: dict[str, Any] = {}
    for key in sorted(keys - _RECOMPUTED):
        selected = [out[key][rows] for out, rows in parts]
        if key in _PER_ROW:
            merged[key] = torch.cat(selected, dim=0)
            continue
        left = key in _LEFT_PADDED
        value = (_LEFT_PADDED if left else _RIGHT_PADDED)[key]
        merged[key] = _pad_cat(selected, pad_token_id if value is None else value, left, pad_to_multiple_of)
    return merged


class DynamicSamplingMixin:
    """Mix in front of `trl.GRPOTrainer`; `dynamic_sampling=<max oversample factor>` turns it on (None: off)."""

    def __init__(self, *args, dynamic_sampling: float | None = None, **kwargs) -> None:
        self.dynamic_sampling_max_oversample = dynamic_sampling
        self._round_rewards: torch.Tensor | None = None
        self._refill_source = None
        super().__init__(*args, **kwargs)
        if dynamic_sampling is not None and not hasattr(self.train_dataset, "__getitem__"):
            raise ValueError("`dynamic_sampling` draws refill prompts by index: it needs a map-style train dataset")

    def _calculate_rewards(self, *args, **kwargs):
        self._round_rewards = super()._calculate_rewards(*args, **kwargs)  # (world*B, n_functions), gathered
        return self._round_rewards

    def _generate_and_score_completions(self, inputs: list[dict]) -> dict[str, Any]:
        if self.dynamic_sampling_max_oversample is None or not self.model.training:
            return super()._generate_and_score_completions(inputs)
        return self._dynamic_batch(inputs)

    def _dynamic_batch(self, inputs: list[dict]) -> dict[str, Any]:
        G, world, rank = self.num_generations, self.accelerator.num_processes, self.accelerator.process_index
        want = len(inputs) // G  # groups every rank trains on
        cap = max(want, math.floor(self.dynamic_sampling_max_oversample * want))  # groups a rank may generate
        kept = torch.zeros(world, dtype=torch.long)
        parts: list[tuple[dict[str, Any], torch.Tensor]] = []
        generated = with_spread = rounds = 0
        refill_s, batch = 0.0, inputs
        while True:
            start = time.perf_counter()
            out = super()._generate_and_score_completions(batch)
            if rounds:
                refill_s += time.perf_counter() - start
            rounds += 1
            n = len(batch) // G
            spread = group_spread(self._round_rewards, self.reward_weights, G).view(world, n).cpu()  # (world, n)
            generated, with_spread = generated + n, with_spread + int(spread.sum())
            for r in range(world):
                take = spread[r].nonzero().flatten()[: want - int(kept[r])]  # the first groups with spread
                kept[r] += len(take)
                if r == rank and len(take):
                    rows = (take.unsqueeze(1) * G + torch.arange(G)).flatten()  # (len(take)*G,)
                    parts.append((out, rows.to(out["advantages"].device)))
            missing = int((want - kept).max())
            if missing == 0:
                break
            if generated >= cap:
                raise DynamicSamplingError(self._short_batch_message(want, kept, generated, with_spread))
            rate = with_spread / (generated * world)  # share of groups with spread so far, over all ranks
            more = cap - generated if rate == 0 else min(cap - generated, math.ceil(missing / rate))
            batch = self._refill(more, rounds)
        self._log_dynamic_sampling(generated, with_spread, want, rounds, refill_s)
        if rounds == 1 and len(parts[0][1]) == len(inputs):
            return out  # nothing dropped: TRL's batch, untouched
        return self._merged(parts)

    def _merged(self, parts: list[tuple[dict[str, Any], torch.Tensor]]) -> dict[str, Any]:
        merged = merge_batches(parts, self._tokenizer.pad_token_id, self.pad_to_multiple_of)
        loss_mask = merged["completion_mask"] * merged.get("tool_mask", 1)  # as TRL counts the loss tokens
        merged["num_items_in_batch"] = self.accelerator.gather(loss_mask.sum()).sum()
        return merged

    def _refill(self, n_groups: int, round_: int) -> list[dict]:
        """`n_groups` further prompts for this rank, each repeated G times like TRL's sampler repeats them."""
        if self._refill_source is None:
            source = self.train_dataset
            if self.args.remove_unused_columns and hasattr(source, "column_names"):
                source = self._remove_unused_columns(source, description="dynamic sampling")
            self._refill_source = source
        indices = refill_indices(
            len(self._refill_source),
            n_groups,
            seed=self.args.seed,
            step=self.state.global_step,
            round_=round_,
            world=self.accelerator.num_processes,
            rank=self.accelerator.process_index,
        )
        return [self._refill_source[i] for i in indices for _ in range(self.num_generations)]

    def _log_dynamic_sampling(self, generated: int, with_spread: int, want: int, rounds: int, refill_s: float):
        metrics, world = self._metrics["train"], self.accelerator.num_processes
        metrics["dynamic_sampling/dropped_frac"].append(1 - with_spread / (generated * world))
        metrics["dynamic_sampling/oversample"].append(generated / want)
        metrics["dynamic_sampling/rounds"].append(float(rounds))
        metrics["dynamic_sampling/refill_s"].append(refill_s)

    def _short_batch_message(self, want: int, kept: torch.Tensor, generated: int, with_spread: int) -> str:
        world = self.accelerator.num_processes
        return (
            f"dynamic sampling could not fill the batch at step {self.state.global_step}: each process needs {want} "
            f"prompt groups with differing rewards, but after generating {generated} groups per process "
            f"(the cap: dynamic_sampling_max_oversample = {self.dynamic_sampling_max_oversample} x {want}) the "
            f"processes hold {kept.tolist()} such groups; only {with_spread} of {generated * world} groups had any "
            "reward spread (every completion of the others got the same reward). Raise "
            "`dynamic_sampling_max_oversample`, use prompts the policy solves only sometimes, or turn "
            "`dynamic_sampling` off."
        )
