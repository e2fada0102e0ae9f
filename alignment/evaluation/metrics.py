"""Figures over problems from the per-problem results: pass@k, maj@k and accuracy with 95% intervals, paired
differences against a baseline, and the markdown table.

Per problem (n samples, c correct): pass@k for every requested k (`passk.pass_at_k`); for math rows also maj@k for
every requested k ≥ 2 (`passk.maj_at_k`, on the answer classes of `grading.grade_math`) and, for greedy runs
(n = 1, temperature 0), `accuracy` (the same number as pass@1, under the name math users look for). Each figure is the
mean over problems with a 95% interval (`stats.mean_interval`: Wilson for 0/1 scores, normal otherwise); against a
baseline evaluated on the same problems, the paired difference of the per-problem scores (`stats.paired_difference`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from alignment.evaluation.passk import maj_at_k, pass_at_k
from alignment.evaluation.stats import Interval, mean_interval, paired_difference


def metric_names(ks: Sequence[int], tasks: set[str], greedy: bool) -> list[str]:
    names = [f"pass@{k}" for k in ks]
    if tasks == {"math"}:
        names += [f"maj@{k}" for k in ks if k > 1]
        if greedy:
            names.append("accuracy")
    return names


def problem_scores(row: dict[str, Any], ks: Sequence[int], greedy: bool) -> dict[str, float]:
    """Every figure of one problem, from its per-problem results row."""
    n, c = len(row["verdicts"]), sum(row["verdicts"])
    scores = {f"pass@{k}": pass_at_k(n, c, k) for k in ks}
    if row["task"] == "math":
        counts = Counter(row["classes"])
        others = [size for label, size in counts.items() if label not in (0, None)]
        for k in ks:
            if k > 1:
                scores[f"maj@{k}"] = maj_at_k(counts.get(0, 0), others, counts.get(None, 0), k)
        if greedy:
            scores["accuracy"] = float(c)
    return scores


def summarize(rows: Sequence[dict[str, Any]], ks: Sequence[int], greedy: bool) -> dict[str, Interval]:
    """Mean over problems of every figure, with its 95% interval."""
    names = metric_names(ks, {row["task"] for row in rows}, greedy)
    per_problem = [problem_scores(row, ks, greedy) for row in rows]
    return {name: mean_interval([scores[name] for scores in per_problem]) for name in names}


def paired(
    rows: Sequence[dict[str, Any]], baseline: Sequence[dict[str, Any]], ks: Sequence[int], greedy: bool
) -> dict[str, Interval]:
    """Paired differences (model − baseline) over the problems both evaluated, per figure."""
    base = {row["id"]: row for row in baseline}
    common = [row for row in rows if row["id"] in base]
    if len(common) < 2:
        return {}
    names = metric_names(ks, {row["task"] for row in common}, greedy)
    mine = [problem_scores(row, ks, greedy) for row in common]
    theirs = [problem_scores(base[row["id"]], ks, greedy) for row in common]
    return {name: paired_difference([m[name] for m in mine], [t[name] for t in theirs]) for name in names}


def outcome_counts(rows: Sequence[dict[str, Any]]) -> dict[str, int]:
    """How many samples ended in each outcome class."""
    return dict(Counter(outcome for row in rows for outcome in row["outcomes"]).most_common())


def markdown_table(results: dict[str, Any]) -> str:
    """One row per model: each figure with its interval, the paired difference against the baseline, timings."""
    models = results["models"]
    names = next(iter(models.values()))["metrics"].keys() if models else []
    header = ["model", "problems", *names, "generation s", "tokens/s", "grading s"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for model, entry in models.items():
        cells = [model, str(entry["problems"])]
        for name in names:
            m = entry["metrics"][name]
            cell = f"{m['estimate']:.3f} [{m['low']:.3f}, {m['high']:.3f}]"
            diff = (entry.get("paired_difference") or {}).get(name)
            if diff:
                cell += f" (Δ {diff['estimate']:+.3f} [{diff['low']:+.3f}, {diff['high']:+.3f}])"
            cells.append(cell)
        timing = entry["timing"]
        cells += [f"{timing['generation_s']:.1f}", f"{timing['tokens_per_s']:.1f}", f"{timing['grading_s']:.1f}"]
        lines.append("| " + " | ".join(cells) + " |")
    note = f"\n\nΔ: paired difference against the baseline {results['baseline']}" if results.get("baseline") else ""
    return "\n".join(lines) + note + "\n"


def model_summary(
    rows: Sequence[dict[str, Any]],
    ks: Sequence[int],
    greedy: bool,
    baseline: Sequence[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """One model's entry of results.json: problems, figures, paired differences, outcome counts, timings."""
    from alignment.evaluation.harness import timing_totals

    entry = {
        "problems": len(rows),
        "metrics": {name: interval.__dict__ for name, interval in summarize(rows, ks, greedy).items()},
        "outcomes": outcome_counts(rows),
        "timing": timing_totals(rows),
    }
    if baseline is not None:
        entry["paired_difference"] = {k: v.__dict__ for k, v in paired(rows, baseline, ks, greedy).items()}
    return entry
