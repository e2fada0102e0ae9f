"""The Figure 3 report: held-out pass rate against RL step per arm, paired differences, RM quality, wall times.

Inputs are the stages' own records: each GRPO arm's per-problem evaluation rows
(`<arm>/eval/<label>/step-<N>.jsonl`, written by `alignment.evaluation.callback`: greedy, one verdict per problem),
the reward model's `eval_results.json`, the collection's `summary.json`, the arms' `metrics.jsonl` (RM scoring time
per step) and the pipeline's stage wall times. Outputs in the pipeline's folder: `results.json`, `report.md` and
`pass_rate.png`.

Intervals: a pass rate over problems gets a 95% Wilson interval; a comparison of two models on the same problems the
95% normal interval of the per-problem paired differences (`alignment.evaluation.stats`). Both arms start from the
same SFT checkpoint, so their step-0 evaluations are the same SFT figure.
"""

from __future__ import annotations

import json
import re
import statistics
from pathlib import Path
from typing import Any

from alignment.evaluation.stats import paired_difference, wilson_interval
from alignment.run.files import read_jsonl, to_jsonable, write_atomic

ARM_LABELS = {
    "compiler": "Compiler signal",
    "reward_model": "Reward model signal",
    "reward_model_hidden": "Reward model on all tests (more information)",
}


def problem_scores(arm_dir: Path) -> dict[int, dict[str, float]]:
    """step -> {problem id: 1.0 / 0.0} from an arm's per-problem evaluation rows (greedy: one verdict each)."""
    scores: dict[int, dict[str, float]] = {}
    for path in Path(arm_dir).glob("eval/*/step-*.jsonl"):
        step = int(re.search(r"step-(\d+)", path.name).group(1))
        scores[step] = {row["id"]: float(sum(row["verdicts"]) / len(row["verdicts"])) for row in read_jsonl(path)}
    return dict(sorted(scores.items()))


def curve(scores: dict[int, dict[str, float]]) -> list[dict[str, float]]:
    points = []
    for step, per_problem in scores.items():
        n, passed = len(per_problem), round(sum(per_problem.values()))
        interval = wilson_interval(passed, n)
        points.append(
            {"step": step, "pass_rate": interval.estimate, "low": interval.low, "high": interval.high, "n": n}
        )
    return points


def paired(after: dict[str, float], before: dict[str, float]) -> dict[str, float]:
    common = sorted(set(after) & set(before))
    diff = paired_difference([after[i] for i in common], [before[i] for i in common])
    return {"difference": diff.estimate, "low": diff.low, "high": diff.high, "problems": len(common)}


def rm_quality(rm_dir: str) -> dict[str, Any]:
    results = json.loads((Path(rm_dir) / "eval_results.json").read_text())
    keep = ("within_prompt_auc", "within_prompt_auc_prompts", "pairwise_accuracy", "global_auc", "hidden/agreement")
    return {
        which: {k: v for k, v in results[which].items() if k in keep or k.startswith(("best_of_", "hidden/best_of_"))}
        for which in ("untrained_head", "trained_rm")
    }


def best_of_n_lines(quality: dict[str, Any]) -> list[str]:
    """One line per n: the RM's pick against random and oracle selection, on visible and on all tests."""
    lines = []
    for prefix, tests in (("", "visible tests"), ("hidden/", "all tests")):
        for n in sorted(
            {int(k.split("/")[-2][len("best_of_") :]) for k in quality if k.startswith(f"{prefix}best_of_")}
        ):
            key = f"{prefix}best_of_{n}"
            lines.append(
                f"  - best-of-{n} ({tests}): RM {quality[f'{key}/rm']:.3f}, random {quality[f'{key}/random']:.3f}, "
                f"oracle {quality[f'{key}/oracle']:.3f}; RM − random {quality[f'{key}/rm_minus_random']:+.3f} "
                f"[{quality[f'{key}/rm_minus_random_low']:+.3f}, {quality[f'{key}/rm_minus_random_high']:+.3f}] "
                f"over {quality[f'{key}/prompts']} prompts"
            )
    return lines


def rm_scoring_time(arm_dir: Path) -> float | None:
    values = [row["timing/reward_model_scoring_s"] for row in read_jsonl(arm_dir / "metrics.jsonl")
              if "timing/reward_model_scoring_s" in row]  # fmt: skip
    return statistics.mean(values) if values else None


def write_report(out: Path, arms: dict[str, str], rms: dict[str, str], collection: str, state: dict) -> dict[str, Any]:
    scores = {arm: problem_scores(Path(path)) for arm, path in arms.items()}
    first = next(iter(scores.values()))
    sft = first[min(first)]  # step 0 of any arm: the shared SFT start
    results: dict[str, Any] = {
        "sft": curve({0: sft})[0],
        "arms": {arm: curve(s) for arm, s in scores.items()},
        "final_vs_sft": {arm: paired(s[max(s)], sft) for arm, s in scores.items()},
        "reward_model": {name: rm_quality(path) for name, path in rms.items()},
        "rm_scoring_s_per_step": {arm: rm_scoring_time(Path(path)) for arm, path in arms.items() if arm in rms},
        "collection": json.loads((Path(collection) / "summary.json").read_text()),
        "wall_s": {stage: entry["wall_s"] for stage, entry in state.items()},
    }
    if {"compiler", "reward_model"} <= set(scores):
        rm_final, compiler_final = scores["reward_model"], scores["compiler"]
        results["reward_model_minus_compiler"] = paired(rm_final[max(rm_final)], compiler_final[max(compiler_final)])
    results["wall_s"]["total"] = round(sum(results["wall_s"].values()), 1)
    write_atomic(out / "results.json", json.dumps(to_jsonable(results), indent=2))
    plot(out / "pass_rate.png", results)
    write_atomic(out / "report.md", markdown(results))
    return results


def plot(path: Path, results: dict[str, Any]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.2))
    for arm, points in results["arms"].items():
        steps = [p["step"] for p in points]
        ax.plot(steps, [p["pass_rate"] for p in points], marker="o", label=ARM_LABELS.get(arm, arm))
        ax.fill_between(steps, [p["low"] for p in points], [p["high"] for p in points], alpha=0.15)
    sft = results["sft"]
    last = max(p["step"] for points in results["arms"].values() for p in points)
    ax.plot([0, last], [sft["pass_rate"]] * 2, linestyle="--", color="gray", label="SFT model")
    ax.fill_between([0, last], [sft["low"]] * 2, [sft["high"]] * 2, color="gray", alpha=0.1)
    ax.set_xlabel("RL steps")
    ax.set_ylabel("held-out pass@1 (all tests)")
    ax.set_title("Held-out pass rate against RL steps (95% Wilson intervals)")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _fmt(d: dict[str, float], key: str = "pass_rate") -> str:
    return f"{d[key]:.3f} [{d['low']:.3f}, {d['high']:.3f}]"


def markdown(results: dict[str, Any]) -> str:
    lines = ["# Figure 3 reproduction: reward-model signal against compiler signal", "",
             f"SFT start: held-out pass@1 {_fmt(results['sft'])} on {results['sft']['n']} unseen tasks (all tests).",
             "", "| arm | step | pass@1 [95% CI] |", "|---|---|---|"]  # fmt: skip
    for arm, points in results["arms"].items():
        lines += [f"| {ARM_LABELS.get(arm, arm)} | {p['step']} | {_fmt(p)} |" for p in points]
    lines += ["", "Paired differences at the last step (same problems):", ""]
    for arm, diff in results["final_vs_sft"].items():
        lines.append(f"- {ARM_LABELS.get(arm, arm)} − SFT: {_fmt(diff, 'difference')}")
    if "reward_model_minus_compiler" in results:
        diff = results["reward_model_minus_compiler"]
        verdict = ("the reward-model arm is ahead beyond noise" if diff["low"] > 0 else
                   "the compiler arm is ahead beyond noise" if diff["high"] < 0 else "no difference beyond noise")  # fmt: skip
        lines.append(f"- Reward model − compiler: {_fmt(diff, 'difference')}: {verdict}")
    lines += ["", "Reward model on held-out prompts (untrained head → trained):", ""]
    for name, quality in results["reward_model"].items():
        before, after = quality["untrained_head"], quality["trained_rm"]
        lines.append(f"- {name}: within-prompt AUC {before.get('within_prompt_auc', float('nan')):.3f} → "
                     f"{after.get('within_prompt_auc', float('nan')):.3f} over {after.get('within_prompt_auc_prompts')} "
                     f"held-out prompts holding both outcomes; pairwise accuracy "
                     f"{before.get('pairwise_accuracy', float('nan')):.3f} → {after.get('pairwise_accuracy', float('nan')):.3f}")  # fmt: skip
        lines += best_of_n_lines(after)
    for arm, seconds in results["rm_scoring_s_per_step"].items():
        if seconds is not None:
            lines.append(f"- RM scoring time per GRPO step ({arm}): {seconds:.2f} s")
    lines += ["", f"Wall time per stage (s): {json.dumps(results['wall_s'])}", "", "![pass rate](pass_rate.png)", ""]
    return "\n".join(lines)
