"""Reward routing: routes parse with every problem named, expand into weighted TRL reward functions, and each
function judges exactly its route's rows (a data-source route wins over the task route)."""

from __future__ import annotations

import pytest

from rewards.registry import REWARDS, RewardFunction, build_routed_reward_functions
from rewards.routing import expand, parse_routes, route_of

DATASETS = ["data/code_tasks/tasks.jsonl", "data/math/train.jsonl", "extra/hard.jsonl"]


def test_routes_parse_with_aliases_and_mixes():
    routes, problems = parse_routes({"code": {"rm": 1.0}, "math": "rule", "hard": {"execution": 0.5, "rm": 0.5}},
                                    DATASETS, REWARDS)  # fmt: skip
    assert problems == []
    assert [(r.key, r.by, r.components) for r in routes] == [
        ("code", "task", (("rm", 1.0),)),
        ("math", "task", (("math", 1.0),)),
        ("hard", "dataset", (("code", 0.5), ("rm", 0.5))),  # "hard" is the stem of extra/hard.jsonl
    ]


@pytest.mark.parametrize(
    "raw,fragment",
    [
        ({"cod": "execution"}, "key 'cod' is neither a task (code, math) nor one of `datasets`"),  # typo of a task
        ({"code": "exec"}, "unknown reward 'exec'; known: boxed_format, code, execution, math, rm, rule"),
        ({"code": {"execution": -1}}, "weight must be a number >= 0, got -1"),
        ({"code": {"execution": True}}, "weight must be a number >= 0, got True"),
        ({"code": []}, "must be a reward name or a mapping of names to weights"),
        ({}, "`reward_routes` is empty"),
    ],
)
def test_route_problems_name_the_key_and_the_fix(raw, fragment):
    _, problems = parse_routes(raw, DATASETS, REWARDS)
    assert len(problems) == 1 and fragment in problems[0], problems


def test_expansion_adds_a_zero_weight_execution_monitor_where_rm_trains_alone():
    routes, _ = parse_routes({"code": "rm", "math": {"rule": 1.0, "rm": 0.2}}, DATASETS, REWARDS)
    names = [(name, reward, weight) for name, reward, weight, _ in expand(routes)]
    assert names == [
        ("code/rm", "rm", 1.0),
        ("code/code", "code", 0.0),
        ("math/math", "math", 1.0),
        ("math/rm", "rm", 0.2),
    ]  # fmt: skip  (math rows have no tests: no monitor there)
    assert [n for n, *_ in expand(routes, monitor_execution=False)] == ["code/rm", "math/math", "math/rm"]


def test_a_dataset_route_wins_over_the_task_route():
    routes, _ = parse_routes({"code": "execution", "math": "rule", "hard.jsonl": "rm"}, DATASETS, REWARDS)
    assert route_of("code", "extra/hard.jsonl", routes) == "hard.jsonl"
    assert route_of("code", "data/code_tasks/tasks.jsonl", routes) == "code"
    assert route_of("math", None, routes) == "math"
    assert route_of("chat", "data/math/train.jsonl", routes) is None  # no route: the stage refuses such rows


class FixedScorer:
    """A reward model stand-in for routing only: scores by completion length (the real scorer is tested with a
    trained checkpoint in tests/integration)."""

    def score(self, prompts, completions):
        return [float(len(c)) for c in completions]


def test_routed_functions_judge_only_their_rows():
    routes, _ = parse_routes({"math": "rule", "hard": "rm"}, DATASETS, REWARDS)
    functions, weights = build_routed_reward_functions(routes, reward_model=FixedScorer())
    assert [f.__name__ for f in functions] == ["math/math", "hard/rm", "hard/code"] and weights == [1.0, 1.0, 0.0]
    rows = [  # (completion, task, dataset, solution)
        ("\\boxed{4}", "math", "data/math/train.jsonl", "4"),  # math route: the checker
        ("\\boxed{5}", "math", "extra/hard.jsonl", "4"),  # a math row of the hard source: the RM, not the checker
    ]
    kwargs = dict(task=[r[1] for r in rows], dataset=[r[2] for r in rows], solution=[r[3] for r in rows])
    prompts = [[{"role": "user", "content": "2+2?"}]] * 2
    math_fn, rm_fn, monitor = functions
    assert math_fn(prompts, [r[0] for r in rows], **kwargs) == [1.0, None]
    assert rm_fn(prompts, [r[0] for r in rows], **kwargs) == [None, 9.0]
    assert monitor(prompts, [r[0] for r in rows], **kwargs) == [None, None]  # it grades code rows only


def test_rm_without_a_scorer_says_what_to_set():
    with pytest.raises(ValueError, match="set `reward_model_path`"):
        RewardFunction("rm")(prompts=["q"], completions=["a"], task=["code"])
