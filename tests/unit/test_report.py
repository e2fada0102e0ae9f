"""Reports: plots and a comparison table from two runs' own logs (real GRPO runs: tests/integration)."""

from __future__ import annotations

import json

import pytest

from alignment.report import config_differences, load_run, main, mean_step_times

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _run(root, name, lr, rewards, with_eval=False):
    run = root / name
    run.mkdir()
    rows = []
    for step, reward in enumerate(rewards, start=1):
        row = {
            "step": step, "reward": reward, "rewards/exec/mean": reward, "rewards/rm/mean": reward * 2,
            "execution/pass_rate": reward, "kl": 0.01 * step, "entropy": 2.0 - 0.1 * step, "loss": 0.0,
            "completions/mean_length": 10.0 + step, "completions/clipped_ratio": 0.5,
            "timing/generation_s": 1.0, "timing/logprobs_ref_s": 0.125, "timing/reward_wait_s": 0.5,
            "timing/loss_s": 0.25, "timing/backward_s": 0.5, "timing/optimizer_s": 0.25,
        }  # fmt: skip
        rows.append(row)
    if with_eval:
        rows.append({"step": len(rewards), "eval_hidden_pass_rate": 0.4})
    rows.append({"step": len(rewards), "train_runtime": 3.0})  # end-of-training summary row, no per-step keys
    (run / "metrics.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    manifest = {"config": {"run_name": name, "learning_rate": lr, "beta": 0.04, "output_dir": str(run)}}
    (run / "manifest.json").write_text(json.dumps(manifest))
    return run


def test_report_from_two_runs(tmp_path):
    first = _run(tmp_path, "compiler", 1e-5, [0.1, 0.2, 0.4], with_eval=True)
    second = _run(tmp_path, "reward-model", 2e-5, [0.2, 0.3, float("nan")])
    report = main([str(first), str(second), "--out", str(tmp_path / "out")])

    expected = {
        "reward.png", "reward_components.png", "accuracy.png", "kl.png", "entropy.png", "lengths.png",
        "loss.png", "step_time.png",
    }  # fmt: skip
    for name in expected:
        assert (tmp_path / "out" / name).read_bytes()[:8] == PNG_MAGIC, name
    text = report.read_text()
    assert "| compiler | 3 | 0.4 |" in text
    assert "| reward-model | 3 | 0.3 |" in text  # last finite value: NaN rows are skipped
    assert "| learning_rate | `1e-05` | `2e-05` |" in text
    assert "beta" not in text.split("## Config differences")[1].split("## Plots")[0]  # equal: not a difference
    assert "1/0.125/0.5/1 |" in text  # step time split gen/log-probs/reward wait/train (0.25 + 0.5 + 0.25)


def test_accuracy_plot_includes_eval_keys(tmp_path):
    run = load_run(_run(tmp_path, "a", 1e-5, [0.1], with_eval=True))
    assert run.series("eval_hidden_pass_rate") == ([1], [0.4])
    assert mean_step_times(run) == {
        "timing/generation_s": 1.0, "timing/logprobs_ref_s": 0.125, "timing/reward_wait_s": 0.5,
        "timing/loss_s": 0.25, "timing/backward_s": 0.5, "timing/optimizer_s": 0.25,
    }  # fmt: skip


def test_config_differences_ignore_paths(tmp_path):
    runs = [load_run(_run(tmp_path, n, 1e-5, [0.1])) for n in ("a", "b")]
    assert config_differences(runs) == {}


def test_not_a_run_directory(tmp_path):
    from alignment.run.cli import UsageError

    with pytest.raises(UsageError, match="no metrics.jsonl.*output_dir"):
        main([str(tmp_path), "--out", str(tmp_path / "out")])


def test_accuracy_keys_take_the_verifiable_rewards_of_the_recipe(tmp_path):
    from alignment.report import accuracy_keys

    run = load_run(_run(tmp_path, "a", 1e-5, [0.1], with_eval=True))
    run.manifest["config"]["reward_funcs"] = ["math", "boxed_format"]
    keys = run.keys() | {"rewards/math/mean", "rewards/boxed_format/mean"}
    # math is a rule reward (its mean is an accuracy); boxed_format is shaping and stays out
    assert accuracy_keys(keys, [run]) == ["execution/pass_rate", "rewards/math/mean", "eval_hidden_pass_rate"]
