"""The reward registry's TRL adapter: routing by task, None for rows it cannot judge, pickling, threads, metrics."""

import pickle
from concurrent.futures import ThreadPoolExecutor

import pytest

from rewards.registry import REWARDS, RewardFunction, completion_text, needs_sandbox, unknown_rewards

MATH_ROWS = [
    # (completion, task, solution, expected)
    ("9 + 5 = 14. The answer is \\boxed{14}.", "math", "14", 1.0),  # right answer, boxed
    ("9 + 5 = 13. The answer is \\boxed{13}.", "math", "14", 0.0),  # wrong answer
    ("I am not sure.", "math", "14", 0.0),  # no answer at all is wrong, not unjudgeable
    ("The answer is \\boxed{\\frac{1}{2}}", "math", "0.5", 1.0),  # equal values in different forms
    ("```python\nprint(1)\n```", "code", None, None),  # a code row: the math reward does not judge it
]


def call(fn, rows, **extra):
    completions = [[{"role": "assistant", "content": c}] for c, *_ in rows]  # conversational form, as TRL passes
    return fn(
        prompts=[[{"role": "user", "content": "q"}]] * len(rows),
        completions=completions,
        task=[t for _, t, _, _ in rows],
        solution=[s for _, _, s, _ in rows],
        **extra,
    )


def test_math_reward_routes_by_task_and_scores():
    assert call(RewardFunction("math"), MATH_ROWS) == [e for *_, e in MATH_ROWS]


def test_logged_extras_describe_coverage():
    logged = {}
    call(RewardFunction("math"), MATH_ROWS, log_metric=lambda k, v: logged.__setitem__(k, v))
    assert logged["rewards/math/frac_applicable"] == pytest.approx(4 / 5)
    assert logged["rewards/math/frac_none"] == 0.0
    assert logged["timing/reward_math_s"] >= 0.0


def test_unusable_gold_is_none_not_zero():
    rows = [("\\boxed{3}", "math", "", None)]
    assert call(RewardFunction("math"), rows) == [None]


def test_boxed_format_judges_every_row():
    rows = [("\\boxed{1}", "math", "1", 1.0), ("no box", "code", None, 0.0), ("\\boxed{unbalanced", "math", "1", 0.0)]
    assert call(RewardFunction("boxed_format"), rows) == [1.0, 0.0, 0.0]


def test_adapter_is_picklable_and_keeps_its_name():
    fn = pickle.loads(pickle.dumps(RewardFunction("math")))
    assert fn.__name__ == "math" and call(fn, MATH_ROWS[:2]) == [1.0, 0.0]


def test_same_results_from_worker_threads():
    fn = RewardFunction("math")
    expected = [e for *_, e in MATH_ROWS]
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda _: call(fn, MATH_ROWS), range(16)))
    assert all(r == expected for r in results)


def test_unknown_names_list_the_registry():
    with pytest.raises(KeyError, match="registered rewards: boxed_format, code, math"):
        RewardFunction("maths")


def test_missing_column_is_named():
    with pytest.raises(KeyError, match=r"needs data set columns \['solution'\]"):
        RewardFunction("math")(prompts=["q"], completions=["\\boxed{1}"], task=["math"])


def test_every_entry_is_documented_and_holds_its_scorer():
    for name, spec in REWARDS.items():
        assert spec.doc and callable(spec.scorer) and spec.kind in ("rule", "execution", "model", "shaping"), name


def test_execution_rewards_need_a_sandbox_and_say_so():
    assert needs_sandbox(["math", "code"]) and not needs_sandbox(["math", "boxed_format"])
    with pytest.raises(ValueError, match="no sandbox was given"):
        RewardFunction("code")(prompts=["q"], completions=["```python\nx=1\n```"], task=["code"],
                               tests=['{"kind": "assert", "code": "assert x == 1"}'], language=["python"])  # fmt: skip


def test_recipe_validation_lists_every_unknown_name():
    problems = unknown_rewards(["math", "maths", "cod"])
    assert len(problems) == 2 and "'maths'" in problems[0] and "'cod'" in problems[1]
    assert all("registered: boxed_format, code, math" in p for p in problems)


def test_completion_text_rejects_unknown_shapes():
    assert completion_text("x") == "x" and completion_text([{"role": "assistant", "content": "y"}]) == "y"
    with pytest.raises(TypeError):
        completion_text(42)
