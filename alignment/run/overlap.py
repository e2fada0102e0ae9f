"""Rewards off the critical path: every reward function starts as soon as the completions exist.

TRL 1.16's `_generate_and_score_completions` runs generation, then the old/reference log-probability passes, then
`_calculate_rewards`, which calls the synchronous reward functions one after another (grpo_trainer.py ~l.2700 and
~l.1579). With execution rewards the sandbox then sits on the critical path for its whole grading time.
`OverlappedRewardsMixin` moves it off:

* `_generate_and_score_completions` remembers the batch's rows (reward functions read their columns);
* `_generate`, once TRL's generation has returned, submits every reward function with exactly the arguments TRL
  would pass it: synchronous ones each to their own worker thread (so rewards also run concurrently with each
  other), `async def` ones to TRL's own event loop;
* `_calculate_rewards` waits for those results and hands them to TRL's own `_calculate_rewards` through stand-ins,
  so None handling, length checks, the cross-process gather and all logging stay TRL's.

Code grading starts earlier still, while the batch is generating: during HF generation a forward pre-hook on the
policy sees every sampled token fed back in, notices each row whose last token is an end-of-sequence token, and
hands that finished completion to the reward functions that can `prefetch` (the registry's `code` reward starts
its program in the sandbox). When the whole-batch call runs, the grader takes those runs' results; a completion
the hook decoded differently from TRL is simply graded then (the grader matches runs by their program, so a
prefetch can save time but never change a score).

Reward models loaded by TRL as `nn.Module`s are not moved: TRL scores them inline on the accelerator. The registry's
`rm` reward overlaps like the others, except when its model is partitioned (ZeRO-3): scoring is then a collective
operation that every process must reach at the same point (`RewardFunction.collective`), so it stays on the main
thread, at TRL's own place in the step.

Determinism: a reward function sees the same arguments as on the sequential path and its result is used unchanged;
calls to `log_metric`/`log_extra` made in a worker are recorded and replayed in reward-function order when the
result is collected, so the logged values do not depend on thread timing. The workers never touch torch's random
number generator (the registry's scorers use none), so generation and training draw the same numbers as on the
sequential path; tests/integration/test_grpo_throughput.py checks rewards and weights are equal.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import torch

logger = logging.getLogger(__name__)

# Input columns TRL does not forward to reward functions (they are passed by name instead).
_NOT_FORWARDED = ("prompt", "completion", "completion_ids")


@dataclass
class _Recorder:
    """A worker's `log_metric` / `log_extra` calls, replayed in order on the main thread."""

    calls: list[tuple[str, str, Any]] = field(default_factory=list)

    def metric(self, name: str, value: float) -> None:
        self.calls.append(("metric", name, value))

    def extra(self, column: str, values: list) -> None:
        self.calls.append(("extra", column, values))

    def replay(self, log_metric, log_extra) -> None:
        for kind, name, value in self.calls:
            (log_metric if kind == "metric" else log_extra)(name, value)


@dataclass
class _Pending:
    """The rewards started for one generated batch, keyed by the identity of its completions list."""

    completions: list
    futures: dict[int, tuple[Future, _Recorder]]  # reward function index -> (result, its logging calls)

    def wait(self) -> None:
        for future, _ in self.futures.values():
            future.exception()  # blocks until done; a failure is raised when the result is used


class _Ready:
    """Stands in for a reward function whose result is already computed: TRL calls it like the function."""

    def __init__(self, func: Any, result: list, recorder: _Recorder) -> None:
        self.__name__ = getattr(func, "__name__", type(func).__name__)
        self.kind = getattr(func, "kind", None)
        self._result, self._recorder = result, recorder

    def __call__(self, *, log_metric=None, log_extra=None, **kwargs: Any) -> list:
        self._recorder.replay(log_metric or (lambda *a: None), log_extra or (lambda *a: None))
        return self._result


def _is_async(func: Any) -> bool:
    from trl.trainer.utils import is_async_callable

    return is_async_callable(func)


class _FinishWatcher:
    """Forward pre-hook on the policy during HF `generate`: after the prompt pass, each call's last input column is
    the token just sampled for every row; a row is finished at its first end-of-sequence token."""

    def __init__(self, eos_ids: Sequence[int], on_finished: Callable[[list[int], list[list[int]]], None]) -> None:
        self.eos, self.on_finished = set(eos_ids), on_finished
        self.tokens: list[list[int]] | None = None  # per row, what it generated so far
        self.done: list[bool] = []

    def __call__(self, module, args, kwargs) -> None:
        ids = kwargs.get("input_ids", args[0] if args else None)  # (B, T)
        if ids is None:
            return
        if self.tokens is None:  # the prompt pass
            self.tokens, self.done = [[] for _ in range(ids.size(0))], [False] * ids.size(0)
            return
        finished = []
        for row, token in enumerate(ids[:, -1].tolist()):
            if not self.done[row]:
                self.tokens[row].append(token)
                if token in self.eos:
                    self.done[row] = True
                    finished.append(row)
        if finished:
            self.on_finished(finished, [self.tokens[row] for row in finished])


class OverlappedRewardsMixin:
    """Mix in front of `trl.GRPOTrainer`; `overlap_rewards=False` keeps TRL's sequential path exactly."""

    def __init__(self, *args, overlap_rewards: bool = True, **kwargs) -> None:
        self.overlap_rewards = overlap_rewards
        self._reward_rows: list[dict] | None = None
        self._pending_rewards: _Pending | None = None
        self._reward_pool: ThreadPoolExecutor | None = None
        super().__init__(*args, **kwargs)

    def _overlappable(self) -> list[int]:
        """Indices of the reward functions that can start early: everything but TRL's inline reward models."""
        if not self.overlap_rewards or self.rollout_func is not None:  # rollout_func adds columns after generation
            return []
        return [
            i
            for i, f in enumerate(self.reward_funcs)
            if not isinstance(f, torch.nn.Module) and not getattr(f, "collective", False)
        ]

    def _generate_and_score_completions(self, inputs: list[dict]) -> dict:
        self._reward_rows = inputs
        try:
            return super()._generate_and_score_completions(inputs)
        finally:
            self._reward_rows = None
            self._discard_pending()

    def _generate_single_turn(self, prompt_ids, *args, **kwargs):
        prefetching = [f for f in self.reward_funcs if callable(getattr(f, "prefetch", None))]
        plain_hf = not (self.use_vllm or self.use_transformers_continuous_batching or self.tools)
        if not (prefetching and plain_hf and self.overlap_rewards and self._reward_rows is not None):
            return super()._generate_single_turn(prompt_ids, *args, **kwargs)
        rows, conversational = self._reward_rows, isinstance(self._reward_rows[0].get("prompt"), list)

        def on_finished(indices: list[int], token_lists: list[list[int]]) -> None:
            texts = self.processing_class.batch_decode(token_lists, skip_special_tokens=True)
            completions = [[{"role": "assistant", "content": t}] for t in texts] if conversational else texts
            columns = {k: [rows[i][k] for i in indices] for k in rows[0] if k not in _NOT_FORWARDED}
            for func in prefetching:
                try:
                    func.prefetch(completions=completions, **columns)
                except Exception:  # an early start only saves time: the whole-batch call reports any failure
                    logger.exception("prefetching reward %s failed; it will run with the whole batch", func)

        watcher = _FinishWatcher(self.eos_token_ids, on_finished)
        hook = self.accelerator.unwrap_model(self.model).register_forward_pre_hook(watcher, with_kwargs=True)
        try:
            return super()._generate_single_turn(prompt_ids, *args, **kwargs)
        finally:
            hook.remove()

    def _generate(self, prompts: list):
        output = super()._generate(prompts)
        indices = self._overlappable()
        if indices and self._reward_rows is not None:
            _, completion_ids, _, completions, *_ = output
            self._start_rewards(indices, prompts, completions, completion_ids)
        return output

    def _reward_kwargs(self, prompts: list, completions: list, completion_ids: list) -> dict[str, Any]:
        """The keyword arguments TRL's `_calculate_rewards` passes every reward function (grpo_trainer.py ~l.1583)."""
        rows = self._reward_rows
        columns = {key: [row[key] for row in rows] for key in rows[0] if key not in _NOT_FORWARDED}
        kwargs = {"prompts": prompts, "completions": completions, "completion_ids": completion_ids, **columns}
        kwargs["trainer_state"] = self.state
        if self.environments is not None:
            kwargs["environments"] = self.environments
        return kwargs

    def _start_rewards(self, indices: list[int], prompts: list, completions: list, completion_ids: list) -> None:
        self._discard_pending()
        if self._reward_pool is None:
            self._reward_pool = ThreadPoolExecutor(max_workers=len(indices), thread_name_prefix="codealign-reward")
        kwargs = self._reward_kwargs(prompts, completions, completion_ids)
        futures = {}
        for i in indices:
            func, recorder = self.reward_funcs[i], _Recorder()
            call = {**kwargs, "log_metric": recorder.metric, "log_extra": recorder.extra}
            if _is_async(func):
                future = asyncio.run_coroutine_threadsafe(func(**call), self.async_loop)
            else:
                future = self._reward_pool.submit(func, **call)
            futures[i] = (future, recorder)
        self._pending_rewards = _Pending(completions, futures)

    def _discard_pending(self) -> None:
        """Wait out rewards nobody collected (the step failed after generation), so batches never overlap."""
        pending, self._pending_rewards = self._pending_rewards, None
        if pending is not None:
            pending.wait()

    def _calculate_rewards(self, inputs, prompts, completions, completion_ids_list):
        pending, self._pending_rewards = self._pending_rewards, None
        if pending is None or pending.completions is not completions:
            if pending is not None:
                pending.wait()
            return super()._calculate_rewards(inputs, prompts, completions, completion_ids_list)
        pending.wait()  # all of them, so a failure never leaves another reward running into the next batch
        original = self.reward_funcs
        ready = list(original)
        for i, (future, recorder) in pending.futures.items():
            ready[i] = _Ready(original[i], future.result(), recorder)  # re-raises a reward's failure here
        self.reward_funcs = ready
        try:
            return super()._calculate_rewards(inputs, prompts, completions, completion_ids_list)
        finally:
            self.reward_funcs = original

    def train(self, *args, **kwargs):
        try:
            return super().train(*args, **kwargs)
        finally:
            if self._reward_pool is not None:
                self._reward_pool.shutdown(wait=True)
                self._reward_pool = None
