"""Each prompt once per forward: the GRPO log-prob passes share a group's prompt instead of recomputing it per row.

A GRPO group is `num_generations` completions of one prompt, and TRL scores every row as prompt + completion: the
prompt's tokens go through every layer once per completion, forward and backward. With SmolLM2's chat template the
prompt is ~65 of a row's ~160 tokens, so 7/8 of those passes' prompt work is repeated. `share_prompt_prefix: true`
(needs `dense_logprobs`) runs the distinct prompts of a forward once, with a KV cache, then all completions on
top of their prompt's cache, and trims the columns that are padding in every row. Positions and masks are the ones
TRL's forward uses (the prompt keeps its left padding, the completions continue at the same positions), so the
log-probs and gradients are TRL's up to float rounding (tested against the full forward).

Which rows share a prompt depends on the micro-batch: TRL shuffles the generation batch across groups before
splitting it into micro-batches, so two rows of a micro-batch of 2 share a prompt about half the time.
`PromptGroupingMixin` reorders the rows after TRL's shuffle so that each micro-batch holds rows of as few prompts
as possible (group order stays shuffled). The step's gradient does not depend on how its rows are split into equal
micro-batches for every loss TRL normalises per row, per step or by a fixed length (`grpo`, `dr_grpo`, `dapo`, ...);
`bnpo` normalises by each micro-batch's token count, so there the rows are left as TRL put them, as they are when
one generation feeds several optimizer steps (`steps_per_generation` above `gradient_accumulation_steps`).
"""

from __future__ import annotations

import logging

import torch

logger = logging.getLogger(__name__)

# Losses whose step gradient depends on which rows share a micro-batch (per-micro-batch token normalisation).
SPLIT_DEPENDENT_LOSSES = frozenset({"bnpo"})
# Generation-batch keys that are per image or per tile, not per row: such batches are left as TRL made them.
MULTIMODAL_KEYS = frozenset({"pixel_values", "image_grid_thw", "pixel_attention_mask", "spatial_shapes", "image_sizes",
                             "num_images", "num_tiles", "image_position_ids"})  # fmt: skip


def distinct_prefixes(input_ids: torch.Tensor, attention_mask: torch.Tensor, length: int):
    """Rows with the same first `length` tokens and mask: (first row of each distinct prefix (U,), each row's
    prefix index (B,)), in order of first appearance."""
    key = torch.cat([input_ids[:, :length], attention_mask[:, :length].to(input_ids.dtype)], dim=1)
    _, inverse = torch.unique(key, dim=0, return_inverse=True)
    rows = torch.arange(len(key), device=key.device)
    first = torch.full((int(inverse.max()) + 1,), len(key), device=key.device).scatter_reduce(
        0, inverse, rows, reduce="amin"
    )
    order = torch.argsort(first)  # distinct prefixes numbered by first appearance
    rank = torch.empty_like(order).scatter_(0, order, torch.arange(len(order), device=key.device))
    return first[order], rank[inverse]


def scored_span(labels: torch.Tensor, attention_mask: torch.Tensor) -> tuple[int, int]:
    """(first scored column, end of the last column any row attends to) of a batch TRL labelled for scoring."""
    scored = (labels != -100).any(0).nonzero()
    end = int(attention_mask.any(0).nonzero().max()) + 1 if attention_mask.any() else 0
    return (int(scored.min()), end) if len(scored) else (labels.size(1), end)


def shared_prompt_hidden(base_model, input_ids, attention_mask, prompt_length: int, end: int):
    """Hidden states at positions `prompt_length - 1 .. end - 2` (those that predict tokens `prompt_length ..
    end - 1`), (B, end - prompt_length, H), computing each distinct prompt once; None when no two rows share one
    or the model's cache is not a plain per-layer key/value cache (then the caller runs the full forward)."""
    from transformers import DynamicCache
    from transformers.cache_utils import DynamicLayer

    if prompt_length == 0 or end <= prompt_length:  # nothing before the scored tokens, or nothing scored
        return None
    first, index = distinct_prefixes(input_ids, attention_mask, prompt_length)
    if len(first) == len(input_ids):
        return None
    cache = DynamicCache(config=base_model.config)
    if not all(type(layer) is DynamicLayer for layer in cache.layers):  # sliding windows, linear attention, ...
        return None
    prompt = base_model(
        input_ids=input_ids[first, :prompt_length],
        attention_mask=attention_mask[first, :prompt_length],
        past_key_values=cache,
        use_cache=True,
    )
    # every row continues from its prompt's keys and values; indexing copies them, and its backward sums the
    # rows' gradients back into the one prompt forward
    rows_cache = DynamicCache(ddp_cache_data=[(layer.keys[index], layer.values[index]) for layer in cache.layers])
    completion = base_model(
        input_ids=input_ids[:, prompt_length:end],
        attention_mask=attention_mask[:, :end],
        past_key_values=rows_cache,
        use_cache=True,
    )
    last_prompt = prompt.last_hidden_state[index, -1:]  # (B, 1, H): predicts the first completion token
    return torch.cat([last_prompt, completion.last_hidden_state[:, :-1]], dim=1)


def group_rows(batch: dict) -> dict | None:
    """`batch` (TRL's shuffled generation batch, one dict) with its rows ordered so that rows of one prompt are
    adjacent, prompts in the order they first appear; None when there is nothing to reorder."""
    prompt_ids, prompt_mask = batch["prompt_ids"], batch["prompt_mask"]
    first, index = distinct_prefixes(prompt_ids, prompt_mask, prompt_ids.size(1))
    if len(first) == len(prompt_ids) or len(first) == 1:
        return None
    order = torch.argsort(index, stable=True)  # (B,): rows of prompt 0, then prompt 1, ...
    regrouped = {}
    for key, value in batch.items():
        if isinstance(value, torch.Tensor) and value.ndim > 0:
            regrouped[key] = value[order.to(value.device)]
        elif isinstance(value, list):
            regrouped[key] = [value[i] for i in order.tolist()]
        else:
            regrouped[key] = value
    return regrouped


class PromptGroupingMixin:
    """Mix in front of `trl.GRPOTrainer`: after TRL buffers a generation's micro-batches, reorder their rows so that
    each micro-batch holds as few prompts as possible (see the module docstring); `share_prompt_prefix=True`
    turns it on, together with the dense head's shared prompt forward (alignment/run/precision.py)."""

    def __init__(self, *args, share_prompt_prefix: bool = False, **kw) -> None:
        super().__init__(*args, share_prompt_prefix=share_prompt_prefix, **kw)
        self._group_micro_batches = share_prompt_prefix and self._split_invariant()
        if share_prompt_prefix:
            logger.info(
                "share_prompt_prefix: each distinct prompt computed once per forward%s",
                "; micro-batches hold whole prompt groups" if self._group_micro_batches else
                f" (micro-batches as TRL shuffles them: loss_type {self.loss_type!r} / steps_per_generation "
                f"{self.args.steps_per_generation} depend on the split)",
            )  # fmt: skip

    def _split_invariant(self) -> bool:
        one_step = self.args.steps_per_generation == self.args.gradient_accumulation_steps
        return one_step and self.loss_type not in SPLIT_DEPENDENT_LOSSES

    def _prepare_inputs(self, generation_batch):
        buffered = self._buffered_inputs
        inputs = super()._prepare_inputs(generation_batch)
        fresh = self.model.training and self._buffered_inputs is not buffered
        if not (fresh and self._group_micro_batches) or MULTIMODAL_KEYS & set(self._buffered_inputs[0]):
            return inputs
        from trl.trainer.utils import split_tensor_dict

        chunks = self._buffered_inputs
        whole = {}
        for key, value in chunks[0].items():
            if isinstance(value, torch.Tensor) and value.ndim > 0:
                whole[key] = torch.cat([chunk[key] for chunk in chunks])
            elif isinstance(value, list):
                whole[key] = [item for chunk in chunks for item in chunk[key]]
            else:
                whole[key] = value
        regrouped = group_rows(whole)
        if regrouped is None:
            return inputs
        self._buffered_inputs = split_tensor_dict(regrouped, len(chunks))
        return self._buffered_inputs[self._step % self.args.steps_per_generation]
