"""Reward routing: which rewards judge which rows, with what weights, written once in the recipe.

    reward_routes:
      code: {rm: 1.0}                     # code rows: the trained reward model (DSC2 §3.5.2)
      math: rule                          # math rows: the math checker
      data/extra.jsonl: {execution: 0.5, rm: 0.5}   # a data source may have a route of its own

A route's key is a row's `task` (`code`, `math`) or a data source (an entry of `datasets`, or its file name or
stem); a source route wins over the task route for that source's rows. A route's value is a component name or a
mapping of components to weights. Components are the registry's names plus three aliases that say what they are:
`rule` (= `math`, the math checker), `execution` (= `code`, the sandbox's 0/1 signal) and `rm` (the reward model of
`reward_model_path`).

Each (route, component) becomes one TRL reward function named `<route>/<component>` that judges only that route's
rows (None elsewhere), with its weight in TRL's `reward_weights`, so every component of every route is logged as
`rewards/<route>/<component>/mean`. When a route's training signal includes the reward model but not the execution
reward, the execution reward is added for the route's code rows with weight 0 (`monitor_execution`, on by
default): it does not change the reward, but the sandbox still grades the same rollouts, so the dashboard shows
the RM score beside the execution pass rate and their agreement, and a widening gap (reward hacking) is visible.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ALIASES = {"rule": "math", "execution": "code", "rm": "rm"}


@dataclass(frozen=True)
class Route:
    """One route: its key, whether the key names a task or a data source, and its weighted components."""

    key: str
    by: str  # "task" | "dataset"
    components: tuple[tuple[str, float], ...]  # (registry name, weight)


@dataclass(frozen=True)
class RowSelector:
    """Which rows a routed reward function judges: those whose route is `key`. Picklable (no closures)."""

    key: str
    by: str
    dataset_routes: frozenset[str]  # keys of the dataset routes, which take precedence over task routes

    def selects(self, task: str | None, dataset: str | None) -> bool:
        routed_by_dataset = dataset_key(dataset, self.dataset_routes)
        if self.by == "dataset":
            return routed_by_dataset == self.key
        return routed_by_dataset is None and task == self.key


def dataset_key(dataset: str | None, keys: frozenset[str] | set[str]) -> str | None:
    """The dataset route key that names `dataset` (exactly, by file name, or by file stem), or None."""
    if not dataset:
        return None
    path = Path(dataset)
    for candidate in (dataset, path.name, path.stem):
        if candidate in keys:
            return candidate
    return None


def parse_routes(
    raw: Mapping[str, Any], datasets: Sequence[str], registry: Mapping[str, Any]
) -> tuple[list[Route], list[str]]:
    """The routes of a recipe's `reward_routes`, and every problem found (empty when they are valid)."""
    problems: list[str] = []
    routes: list[Route] = []
    dataset_names = {n for d in datasets for n in (d, Path(d).name, Path(d).stem)}
    known = sorted(set(registry) | set(ALIASES))
    for key, value in raw.items():
        by = "task" if key in ("code", "math") else "dataset"
        if by == "dataset" and key not in dataset_names:
            problems.append(
                f"`reward_routes` key {key!r} is neither a task (code, math) nor one of `datasets` "
                f"({', '.join(datasets) or 'none'}); route by task or by a data source the recipe lists"
            )
            continue
        weighted = {value: 1.0} if isinstance(value, str) else value
        if not isinstance(weighted, Mapping) or not weighted:
            problems.append(
                f"`reward_routes.{key}` must be a reward name or a mapping of names to weights, got {value!r}"
            )
            continue
        components = []
        for name, weight in weighted.items():
            resolved = ALIASES.get(name, name)
            if resolved not in registry:
                problems.append(f"`reward_routes.{key}` names unknown reward {name!r}; known: {', '.join(known)}")
            elif not isinstance(weight, (int, float)) or isinstance(weight, bool) or weight < 0:
                problems.append(f"`reward_routes.{key}.{name}` weight must be a number >= 0, got {weight!r}")
            else:
                components.append((resolved, float(weight)))
        routes.append(Route(key=str(key), by=by, components=tuple(components)))
    if not raw:
        problems.append("`reward_routes` is empty: give at least one route, e.g. {code: execution, math: rule}")
    return routes, problems


def route_of(task: str | None, dataset: str | None, routes: Sequence[Route]) -> str | None:
    """The route key that judges a row, or None when no route covers it."""
    by_dataset = dataset_key(dataset, {r.key for r in routes if r.by == "dataset"})
    if by_dataset is not None:
        return by_dataset
    return next((r.key for r in routes if r.by == "task" and r.key == task), None)


def expand(routes: Sequence[Route], monitor_execution: bool = True) -> list[tuple[str, str, float, RowSelector]]:
    """(function name, registry name, weight, selector) for every routed reward function, in a stable order."""
    dataset_routes = frozenset(r.key for r in routes if r.by == "dataset")
    expanded = []
    for route in routes:
        selector = RowSelector(route.key, route.by, dataset_routes)
        names = [name for name, _ in route.components]
        for name, weight in route.components:
            expanded.append((f"{route.key}/{name}", name, weight, selector))
        if monitor_execution and "rm" in names and "code" not in names and route.key != "math":
            expanded.append((f"{route.key}/code", "code", 0.0, selector))  # graded, logged, weight 0
    return expanded
