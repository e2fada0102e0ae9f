"""The evaluation callback in a two-process DeepSpeed ZeRO-3 run on CPU (gloo): each rank samples its share of the
held-out problems with the partitioned model, rank 0 gathers every share, grades, logs and writes, once."""

from __future__ import annotations

import json

import pytest

from tests.integration.run_helpers import ROOT, accelerate_launch, build_policy_and_reward_model, sft_args, tail

pytestmark = [pytest.mark.integration, pytest.mark.distributed, pytest.mark.slow]


def test_zero3_run_evaluates_every_problem_once_from_rank_0(tmp_path):
    policy, _ = build_policy_and_reward_model(tmp_path / "models")
    output_dir, audit_dir = tmp_path / "run", tmp_path / "audit"
    held_out = ["--eval_benchmark", str(ROOT / "data/math_small/test.jsonl"), "--eval_every_steps", "1",
                "--eval_limit", "7", "--eval_n", "2", "--eval_k", "1", "2", "--eval_max_new_tokens", "6"]  # fmt: skip
    args = sft_args(policy, output_dir, "--max_steps", "2", *held_out)
    proc = accelerate_launch("cpu_zero3.yaml", "alignment.sft", args, audit_dir, output_dir)
    assert proc.returncode == 0, tail(proc)

    rows = [json.loads(line) for line in (output_dir / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in rows if "eval_math_small_test/pass@1" in r] == [0, 1, 2]  # once each, from rank 0
    for step in (0, 1, 2):
        per_problem = (output_dir / f"eval/math_small_test/step-{step}.jsonl").read_text().splitlines()
        problems = [json.loads(line) for line in per_problem]
        assert len({p["id"] for p in problems}) == len(problems) == 7  # rank 1's padding added no problem
        assert all(len(p["completions"]) == 2 for p in problems), "a rank's share was not gathered"
    rank1 = audit_dir / "rank1.log"
    written = rank1.read_text() if rank1.exists() else ""
    assert "/eval/" not in written, "rank 1 wrote evaluation files"
