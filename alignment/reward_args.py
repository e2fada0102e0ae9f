"""The GRPO stage's reward knobs: which rewards, how they are routed and weighted, and where they run.

Two ways to say which rewards train the policy:

* `reward_funcs` (+ TRL's `reward_weights`): registry names applied to every row they can judge (the math reward
  judges math rows, the code reward code rows). `reward_model_path` adds the `rm` reward when `reward_funcs` does
  not name it.
* `reward_routes`: per task or data source, a component or a weighted mix (see `rewards.routing`); the stage derives
  the reward functions and their weights, so `reward_weights` stays unset.

The reward model is scored by `rewards.model_rewards.RewardModelScorer`: batched, on `reward_model_device`, with the
checkpoint's own tokenizer and chat template. `reward_model_normalize` turns its logit into the reward: `none` keeps
the logit (GRPO's group normalisation removes any shift and scale, so this is the default for a single signal),
`sigmoid` gives a pass probability (pointwise RMs; comparable with 0/1 execution rewards in a mix), `standardize`
subtracts the mean and divides by the std of the RM's own held-out scores (a unit scale for mixing pairwise RMs).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from alignment.run.config import find_config


@dataclass
class RewardArguments:
    """Rewards, routes, the reward model and the sandbox of the GRPO stage."""

    # Keys that replace each other: one of them given on the command line drops the others from the recipe file
    # (`--reward_funcs code` on a recipe that routes rewards), while both in one file is an error.
    EXCLUSIVE_KEYS = (("reward_funcs", "reward_routes"),)

    reward_funcs: list[str] | None = field(
        default=None,
        metadata={"help": "Registry names (rewards.registry.REWARDS); default [math]. Or use reward_routes."},
    )
    reward_routes: dict[str, Any] | str | None = field(
        default=None,
        metadata={
            "help": "Per task or data source, the rewards that judge its rows, e.g. {code: {rm: 1.0}, math: rule} "
            "(components: rule, execution, rm or any registry name; JSON on the command line)."
        },
    )
    monitor_execution: bool = field(
        default=True,
        metadata={"help": "Where a route trains on `rm` alone, still grade its code rows in the sandbox (weight 0)."},
    )
    reward_model_path: str | None = field(
        default=None, metadata={"help": "The trained reward model (sequence classifier) of the `rm` reward."}
    )
    reward_model_device: str = field(default="auto", metadata={"help": "auto (cuda if present), cpu, cuda:N."})
    reward_model_batch_size: int = field(default=32, metadata={"help": "Completions the RM scores per forward pass."})
    reward_model_normalize: Literal["none", "sigmoid", "standardize"] = field(
        default="none",
        metadata={"help": "RM logit -> reward: none | sigmoid | standardize (see alignment/reward_args.py)."},
    )
    sandbox_backend: str = field(
        default="bwrap", metadata={"help": "Sandbox of execution rewards: bwrap | docker (see sandbox/)."}
    )
    sandbox_jobs: int = field(default=4, metadata={"help": "Programs the sandbox grades at once."})

    def routes_mapping(self) -> dict[str, Any] | None:
        """`reward_routes` as a mapping (a JSON string on the command line), None when unset or not JSON."""
        if isinstance(self.reward_routes, str):
            try:
                return json.loads(self.reward_routes)
            except json.JSONDecodeError:
                return None
        return self.reward_routes

    def plain_rewards(self) -> list[str]:
        """The registry names without routes: `reward_funcs` (default [math]), plus `rm` for `reward_model_path`."""
        names = list(self.reward_funcs if self.reward_funcs is not None else ["math"])
        if self.reward_model_path and "rm" not in names:
            names.append("rm")
        return names

    def routes(self, datasets: Sequence[str]):
        from rewards.registry import REWARDS
        from rewards.routing import parse_routes

        return parse_routes(self.routes_mapping() or {}, datasets, REWARDS)

    def reward_names(self, datasets: Sequence[str] = ()) -> list[str]:
        """The reward functions TRL gets, in order (TRL's `reward_weights` must follow it)."""
        if self.reward_routes is None:
            return self.plain_rewards()
        from rewards.routing import expand

        return [name for name, *_ in expand(self.routes(datasets)[0], self.monitor_execution)]

    def rewards_used(self, datasets: Sequence[str] = ()) -> list[str]:
        """Registry names of every reward that trains the policy (routes' components, or the plain rewards)."""
        if self.reward_routes is None:
            return self.plain_rewards()
        if self.routes_mapping() is None:
            return []
        return [name for route in self.routes(datasets)[0] for name, _ in route.components]

    def sandbox_settings(self):
        from rewards.code_rewards import SandboxSettings

        return SandboxSettings(backend=self.sandbox_backend, jobs=self.sandbox_jobs)

    def reward_problems(self, datasets: Sequence[str], configs: Sequence[Any]) -> list[str]:
        from rewards.registry import unknown_rewards

        problems = self.sandbox_settings().problems()
        weights = getattr(find_config(configs, "GRPOConfig"), "reward_weights", None)
        if self.reward_routes is None:
            problems += unknown_rewards(self.plain_rewards())
        else:
            problems += self._route_problems(datasets, weights)
        used = self.rewards_used(datasets)
        if "rm" in used and not self.reward_model_path:
            problems.append("the `rm` reward needs `reward_model_path`: the reward-model stage's output directory")
        if self.reward_model_path and "rm" not in used:
            problems.append("`reward_model_path` is set but no reward uses it: route a task to `rm` or drop the path")
        if self.reward_model_batch_size < 1:
            problems.append(f"`reward_model_batch_size` must be at least 1, got {self.reward_model_batch_size}")
        if self.reward_routes is None and weights is not None and len(weights) != len(self.reward_names()):
            problems.append(
                f"`reward_weights` has {len(weights)} entries for {len(self.reward_names())} rewards "
                f"{self.reward_names()}: give one weight per reward, in that order"
            )
        return problems

    def _route_problems(self, datasets: Sequence[str], weights: list[float] | None) -> list[str]:
        if self.reward_funcs is not None:
            return ["set either `reward_funcs` or `reward_routes`, not both (routes name their rewards themselves)"]
        if self.routes_mapping() is None:
            return [f"`reward_routes` must be a mapping (JSON on the command line), got {self.reward_routes!r}"]
        problems = self.routes(datasets)[1]
        if weights is not None:
            problems.append("with `reward_routes`, leave `reward_weights` unset: the routes carry the weights")
        return problems

    def reward_input_problems(self, datasets: Sequence[str]) -> list[str]:
        """What the rewards point to: the reward model's checkpoint, and the sandbox engine when a reward runs code."""
        from alignment.run.inputs import model_problems, sandbox_problems
        from rewards.registry import needs_sandbox

        problems = model_problems(self.reward_model_path, "reward_model_path") if self.reward_model_path else []
        if self.reward_routes is not None and self.routes_mapping() is None:
            return problems  # the route problem is reported already
        if self.reward_routes is None:
            used = self.plain_rewards()
        else:
            from rewards.routing import expand

            used = [name for _, name, *_ in expand(self.routes(datasets)[0], self.monitor_execution)]
        if needs_sandbox(used) and not self.sandbox_settings().problems():
            problems += sandbox_problems(self.sandbox_backend)
        return problems

    def reward_model_scorer(self):
        """The batched RM scorer of `reward_model_path` (loaded lazily, on its own device), or None."""
        if not self.reward_model_path:
            return None
        from rewards.model_rewards import RewardModelScorer

        return RewardModelScorer(
            self.reward_model_path,
            device=self.reward_model_device,
            batch_size=self.reward_model_batch_size,
            normalize=self.reward_model_normalize,
        )

    def build_rewards(self, datasets: Sequence[str]) -> tuple[list, list[float] | None]:
        """The reward functions for TRL and, with routes, their weights (None: the recipe's `reward_weights`)."""
        from rewards.registry import build_reward_functions, build_routed_reward_functions

        scorer = self.reward_model_scorer()
        if self.reward_routes is None:
            return build_reward_functions(self.plain_rewards(), self.sandbox_settings(), scorer), None
        routes = self.routes(datasets)[0]
        return build_routed_reward_functions(routes, self.sandbox_settings(), scorer, self.monitor_execution)
