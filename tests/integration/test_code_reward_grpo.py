"""The `code` reward through the registry adapter and a real GRPO run, graded in the bwrap sandbox."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytestmark = [pytest.mark.integration, pytest.mark.bwrap]
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def code_tasks() -> list[dict]:
    from tests.sandbox_cases import bwrap_skip_reason

    reason = bwrap_skip_reason()
    if reason:
        pytest.skip(reason)
    with open(ROOT / "data/code_tasks/tasks.jsonl") as f:
        return [json.loads(line) for line in f]


def _fenced(code: str, language: str) -> str:
    return f"Here is my solution.\n```{language}\n{code}```\n"


def test_registry_code_reward_grades_canonical_and_perturbed(code_tasks):
    from rewards.code_rewards import CodeGrader
    from rewards.registry import RewardContext, RewardFunction

    picked = [t for t in code_tasks if t["language"] == "python"][:4] + [
        t for t in code_tasks if t["language"] == "c"
    ][:1]
    completions, tests, languages, expected = [], [], [], []
    for task in picked:
        for code, verdict in ((task["solution"], 1.0), (task["perturbed"][0], 0.0)):
            completions.append(_fenced(code, task["language"]))
            tests.append(json.dumps(task["tests"]))  # as stored by data.loading.grpo_example
            languages.append(task["language"])
            expected.append(verdict)
    completions.append("I cannot solve this.")  # no program at all: a wrong answer, not an unjudgeable one
    tests.append(tests[0]), languages.append("python"), expected.append(0.0)
    n = len(completions)
    scores = RewardFunction("code", RewardContext(grader=CodeGrader()))(
        prompts=["p"] * n, completions=completions, task=["code"] * n, tests=tests, language=languages
    )
    assert scores == expected


def test_grpo_runs_with_the_code_reward_in_the_sandbox(tiny_sft_model, tmp_path, code_tasks):
    from alignment import grpo

    out = tmp_path / "grpo-code"
    grpo.main(
        [
            "--config", str(ROOT / "configs/grpo/tiny_cpu.yaml"),
            "--model_name_or_path", str(tiny_sft_model),
            "--datasets", str(ROOT / "data/code_tasks/tasks.jsonl"), str(ROOT / "data/math_small/train.jsonl"),
            "--dataset_weights", "0.5", "0.5",
            "--reward_funcs", "code", "math",
            "--sandbox_backend", "bwrap",
            "--output_dir", str(out),
            "--save_strategy", "steps", "--save_steps", "2",
        ]
    )  # fmt: skip
    state = json.loads((out / "checkpoint-2" / "trainer_state.json").read_text())
    assert state["global_step"] == 2
    logs = [e for e in state["log_history"] if "rewards/code/frac_applicable" in e]
    assert len(logs) == 2, "the code reward logs its coverage every step"
    # Over both steps each reward judged some rows (and only its own: the shares add up to 1 per step).
    assert sum(e["rewards/code/frac_applicable"] for e in logs) > 0
    assert sum(e["rewards/math/frac_applicable"] for e in logs) > 0
    assert all(e["rewards/code/frac_applicable"] + e["rewards/math/frac_applicable"] == 1 for e in logs)
    assert all(e.get("rewards/code/frac_none", 0) == 0 for e in logs)


def test_grpo_with_reward_routes_logs_each_routed_component(tiny_sft_model, tmp_path, code_tasks):
    from alignment import grpo

    out = tmp_path / "grpo-routes"
    grpo.main(
        [
            "--config", str(ROOT / "configs/grpo/tiny_cpu.yaml"),
            "--model_name_or_path", str(tiny_sft_model),
            "--datasets", str(ROOT / "data/code_tasks/tasks.jsonl"), str(ROOT / "data/math_small/train.jsonl"),
            "--dataset_weights", "0.5", "0.5",
            "--reward_routes", json.dumps({"code": "execution", "math": {"rule": 1.0, "boxed_format": 0.5}}),
            "--output_dir", str(out),
            "--save_strategy", "steps", "--save_steps", "2",
        ]
    )  # fmt: skip
    state = json.loads((out / "checkpoint-2" / "trainer_state.json").read_text())
    logs = [e for e in state["log_history"] if "rewards/math/math/mean" in e or "rewards/code/code/mean" in e]
    assert len(logs) == 2
    for entry in logs:  # every routed component has its own curve; the code route's pass rate is logged
        assert {"rewards/code/code/frac_applicable", "rewards/math/boxed_format/frac_applicable"} <= set(entry)
        assert entry["rewards/code/code/frac_applicable"] + entry["rewards/math/math/frac_applicable"] == 1
        assert entry["rewards/math/boxed_format/frac_applicable"] == entry["rewards/math/math/frac_applicable"]
        assert "execution/pass_rate" in entry


def test_grpo_refuses_rows_no_route_covers(tiny_sft_model, tmp_path, code_tasks):
    from alignment import grpo
    from alignment.run.cli import UsageError

    with pytest.raises(UsageError, match="no route for .* code rows of .*tasks.jsonl"):
        grpo.main(
            [
                "--config", str(ROOT / "configs/grpo/tiny_cpu.yaml"),
                "--model_name_or_path", str(tiny_sft_model),
                "--datasets", str(ROOT / "data/code_tasks/tasks.jsonl"), str(ROOT / "data/math_small/train.jsonl"),
                "--reward_routes", '{"math": "rule"}',
                "--output_dir", str(tmp_path / "x"),
            ]
        )  # fmt: skip


def test_grpo_with_the_rm_on_code_logs_its_agreement_with_execution(tiny_sft_model, tmp_path, code_tasks):
    """rm alone trains the code route: the sandbox still grades the rollouts (weight 0) and the step logs the RM's
    score, the pass rate and their within-prompt agreement; a mixed route logs both of its components."""
    from alignment import grpo
    from tests.integration.run_helpers import build_policy_and_reward_model

    _, reward_model = build_policy_and_reward_model(tmp_path / "models", policy=tiny_sft_model)
    out = tmp_path / "grpo-rm"
    routes = {"code": "rm", "math": {"rule": 1.0, "rm": 0.1}}
    grpo.main(
        [
            "--config", str(ROOT / "configs/grpo/tiny_cpu.yaml"),
            "--model_name_or_path", str(tiny_sft_model),
            "--datasets", str(ROOT / "data/code_tasks/tasks.jsonl"), str(ROOT / "data/math_small/train.jsonl"),
            "--dataset_weights", "0.5", "0.5",
            "--reward_routes", json.dumps(routes), "--reward_model_path", str(reward_model),
            "--output_dir", str(out), "--save_strategy", "steps", "--save_steps", "2",
        ]
    )  # fmt: skip
    state = json.loads((out / "checkpoint-2" / "trainer_state.json").read_text())
    logs = [e for e in state["log_history"] if "rewards/code/rm/mean" in e or "rewards/math/math/mean" in e]
    assert len(logs) == 2
    keys = set().union(*logs)
    assert {"rewards/code/code/frac_applicable", "rewards/math/rm/frac_applicable", "reward_model/score_mean",
            "reward_model/exec_gap", "timing/reward_model_scoring_s"} <= keys, sorted(keys)  # fmt: skip
    assert "execution/pass_rate" in keys  # the weight-0 monitor: graded, logged, no effect on the reward
    for entry in logs:
        if "reward_model/within_prompt_auc" in entry:  # only steps with a group holding a pass and a fail
            assert 0.0 <= entry["reward_model/within_prompt_auc"] <= 1.0 and entry["reward_model/auc_groups"] >= 1


def test_prefetched_programs_give_the_scores_of_a_plain_call(code_tasks):
    """Completions prefetched as they finish (some twice, one never) are scored exactly like a grader that never
    saw a prefetch, and every program still runs once per completion."""
    from rewards.code_rewards import CodeGrader
    from rewards.registry import RewardContext, RewardFunction

    picked = [t for t in code_tasks if t["language"] == "python"][:3]
    rows = []  # (completion, tests json, language)
    for task in picked:
        for code in (task["solution"], task["perturbed"][0], task["solution"]):  # a repeated program too
            rows.append((_fenced(code, "python"), json.dumps(task["tests"]), "python"))
    rows.append(("no program here", rows[0][1], "python"))
    columns = {"task": ["code"] * len(rows), "tests": [r[1] for r in rows], "language": [r[2] for r in rows]}
    completions = [r[0] for r in rows]

    def scores(prefetch_rows: list[int]) -> tuple[list, dict]:
        grader = CodeGrader()
        reward = RewardFunction("code", RewardContext(grader=grader))
        if prefetch_rows:
            reward.prefetch(
                completions=[completions[i] for i in prefetch_rows],
                **{k: [v[i] for i in prefetch_rows] for k, v in columns.items()},
            )
        logged = {}
        result = reward(prompts=["p"] * len(rows), completions=completions, log_metric=logged.__setitem__, **columns)
        grader.close()
        return result, logged

    plain, plain_logged = scores([])
    early, early_logged = scores([0, 1, 4, 9, 9])  # row 9 has no program; prefetching it twice changes nothing
    assert early == plain == [1.0, 0.0, 1.0] * 3 + [0.0]
    assert early_logged["sandbox/calls"] == plain_logged["sandbox/calls"] == 9  # one run per program row
    assert early_logged["timing/sandbox_s"] > 0
