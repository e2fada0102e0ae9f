"""Plots and a markdown summary comparing runs, from the runs' own records (no wandb needed).

    python -m alignment.report outputs/grpo-compiler outputs/grpo-rm --out reports/fig3

Reads `metrics.jsonl` (written by `alignment.run.tracking.RunLogCallback`) and `manifest.json` of every run directory,
and writes into `--out`:

* `reward.png` (total reward), `reward_components.png` (mean of each reward function), `accuracy.png` (execution
  pass rate during training and every logged `eval_*` pass-rate/accuracy, e.g. hidden-test pass@1), `kl.png`,
  `entropy.png`, `lengths.png` (mean completion length and truncation ratio), `loss.png`, and `step_time.png`
  (mean generation / reward / training seconds per step, one bar per run);
* `report.md`: one row per run (steps, final values, step time) and the config keys on which the runs differ.

Every run is drawn in the same axes, one line each, so two runs (compiler vs reward-model signal) compare directly.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alignment.run.cli import ArgumentParser, UsageError, raise_problems, run_cli
from alignment.run.files import read_jsonl

logger = logging.getLogger(__name__)

METRICS_NAME = "metrics.jsonl"  # alignment.run.tracking.METRICS_NAME (that module imports transformers)

# The step profile's phases (alignment/run/telemetry.py); they add up to `timing/step_s`.
TIME_KEYS = tuple(
    f"timing/{phase}_s"
    for phase in (
        "generation",
        "logprobs_old",
        "logprobs_ref",
        "reward_wait",
        "loss",
        "backward",
        "optimizer",
        "other",
    )
)
# figure file -> (title, y label, metric keys drawn in it)
FIGURES: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "reward.png": ("Total reward", "reward", ("reward",)),
    "kl.png": ("KL(policy || reference)", "k3 estimate", ("kl",)),
    "entropy.png": ("Policy entropy", "nats / token", ("entropy",)),
    "loss.png": ("Training loss", "loss", ("loss",)),
    "lengths.png": ("Completions", "tokens / ratio", ("completions/mean_length", "completions/clipped_ratio")),
}


@dataclass
class Run:
    name: str
    path: Path
    rows: list[dict[str, Any]]
    manifest: dict[str, Any]

    def series(self, key: str) -> tuple[list[int], list[float]]:
        """(steps, values) of `key`, skipping rows that lack it or hold None/NaN."""
        points = [(row["step"], row[key]) for row in self.rows if _is_number(row.get(key))]
        return [s for s, _ in points], [v for _, v in points]

    def keys(self) -> set[str]:
        return {key for row in self.rows for key in row}


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _pyplot():
    """matplotlib, imported when a figure is drawn (not for `--help` or a bad argument), drawing to files only."""
    import matplotlib

    matplotlib.use("Agg")  # no display on cluster nodes
    import matplotlib.pyplot as plt

    return plt


def load_run(path: str | Path) -> Run:
    path = Path(path)
    metrics = path / METRICS_NAME
    if not metrics.is_file():
        raise FileNotFoundError(
            f"{path} has no {METRICS_NAME}: not a codealign run directory, or the run logged nothing yet "
            "(give the run's output_dir)."
        )
    manifest_file = path / "manifest.json"
    try:
        manifest = json.loads(manifest_file.read_text()) if manifest_file.is_file() else {}
    except json.JSONDecodeError as exc:
        raise UsageError(f"{manifest_file}:{exc.lineno}: not valid JSON ({exc.msg}); rewrite or remove it") from None
    name = manifest.get("config", {}).get("run_name") or path.name
    return Run(name=str(name), path=path, rows=read_jsonl(metrics), manifest=manifest)


def accuracy_keys(keys: set[str], runs: Sequence[Run] = ()) -> list[str]:
    """Pass rates and accuracies: the execution pass rate, the mean of each verifiable reward the runs trained with
    (a rule reward's mean is its accuracy on the rollouts, e.g. the math checker's), and evaluation accuracies."""
    from rewards.registry import REWARDS

    names = {n for run in runs for n in run.manifest.get("config", {}).get("reward_funcs") or []}
    verified = sorted(f"rewards/{n}/mean" for n in names if n in REWARDS and REWARDS[n].kind in ("rule", "execution"))
    evals = sorted(k for k in keys if k.startswith("eval_") and ("pass" in k or "accuracy" in k))
    ordered = ["execution/pass_rate", *verified, *evals]
    return [k for k in dict.fromkeys(ordered) if k in keys]


def plot_lines(runs: Sequence[Run], keys: Sequence[str], title: str, ylabel: str, out: Path) -> bool:
    """One axes per key, one line per run. Returns False (and writes nothing) when no run logged any key."""
    keys = [k for k in keys if any(run.series(k)[0] for run in runs)]
    if not keys:
        return False
    plt = _pyplot()
    fig, axes = plt.subplots(1, len(keys), figsize=(5 * len(keys), 3.6), squeeze=False)
    for ax, key in zip(axes[0], keys):
        for run in runs:
            steps, values = run.series(key)
            ax.plot(steps, values, marker="o" if len(steps) < 30 else None, markersize=3, label=run.name)
        ax.set_title(key if len(keys) > 1 else title)
        ax.set_xlabel("step")
        ax.set_ylabel(ylabel)
        ax.grid(alpha=0.3)
    axes[0][0].legend()
    fig.tight_layout()
    fig.savefig(out, dpi=100)
    plt.close(fig)
    return True


def mean_step_times(run: Run) -> dict[str, float]:
    means = {}
    for key in TIME_KEYS:
        _, values = run.series(key)
        if values:
            means[key] = sum(values) / len(values)
    return means


def _coarse_split(times: dict[str, float]) -> list[float | None]:
    """generation / log-prob passes / reward wait / training (loss, backward, optimizer): the table's summary."""
    groups = (("generation",), ("logprobs_old", "logprobs_ref"), ("reward_wait",), ("loss", "backward", "optimizer"))
    split = []
    for phases in groups:
        keys = [f"timing/{p}_s" for p in phases if f"timing/{p}_s" in times]
        split.append(sum(times[k] for k in keys) if keys else None)
    return split


def plot_step_time(runs: Sequence[Run], out: Path) -> bool:
    """Stacked bars: mean seconds per step in each phase of the step profile, one bar per run."""
    times = [mean_step_times(run) for run in runs]
    if not any(times):
        return False
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(max(4, 1.6 * len(runs) + 2), 3.6))
    bottoms = [0.0] * len(runs)
    for key in TIME_KEYS:
        heights = [t.get(key, 0.0) for t in times]
        ax.bar([run.name for run in runs], heights, bottom=bottoms, label=key.split("/")[1].removesuffix("_s"))
        bottoms = [b + h for b, h in zip(bottoms, heights)]
    ax.set_ylabel("seconds per step (mean)")
    ax.set_title("Step time breakdown")
    ax.legend()
    fig.tight_layout()
    fig.savefig(out, dpi=100)
    plt.close(fig)
    return True


def write_figures(runs: Sequence[Run], out_dir: Path) -> list[str]:
    keys = set().union(*(run.keys() for run in runs))
    written = []
    for name, (title, ylabel, figure_keys) in FIGURES.items():
        if plot_lines(runs, figure_keys, title, ylabel, out_dir / name):
            written.append(name)
    components = sorted(k for k in keys if k.startswith("rewards/") and k.endswith("/mean"))
    if plot_lines(runs, components, "Reward components", "mean reward", out_dir / "reward_components.png"):
        written.append("reward_components.png")
    if plot_lines(runs, accuracy_keys(keys, runs), "Pass rate / accuracy", "fraction", out_dir / "accuracy.png"):
        written.append("accuracy.png")
    if plot_step_time(runs, out_dir / "step_time.png"):
        written.append("step_time.png")
    return written


def _last(run: Run, key: str) -> str:
    _, values = run.series(key)
    return f"{values[-1]:.4g}" if values else "–"


def config_differences(runs: Sequence[Run]) -> dict[str, list[Any]]:
    """Config keys whose resolved values differ between runs (output paths and run names excluded)."""
    configs = [run.manifest.get("config", {}) for run in runs]
    ignored = {"output_dir", "run_name", "logging_dir", "hub_model_id"}
    keys = sorted(set().union(*configs) - ignored)
    return {k: [c.get(k) for c in configs] for k in keys if len({json.dumps(c.get(k)) for c in configs}) > 1}


def summary_markdown(runs: Sequence[Run], figures: Sequence[str]) -> str:
    columns = ["reward", "execution/pass_rate", "kl", "entropy", "completions/mean_length"]
    lines = [
        "# Run comparison",
        "",
        "| run | steps | "
        + " | ".join(f"final {c}" for c in columns)
        + " | s/step (gen/ref/reward wait/train) | commit |",
    ]
    lines.append("|" + "---|" * (len(columns) + 4))
    for run in runs:
        steps = max((row["step"] for row in run.rows), default=0)
        times = mean_step_times(run)
        split = "/".join(f"{v:.3g}" if v is not None else "–" for v in _coarse_split(times))
        git = run.manifest.get("git", {})
        commit = f"{(git.get('commit') or '?')[:10]}{'+dirty' if git.get('dirty') else ''}"
        lines.append(
            f"| {run.name} | {steps} | " + " | ".join(_last(run, c) for c in columns) + f" | {split} | {commit} |"
        )
    differences = config_differences(runs)
    if differences:
        lines += ["", "## Config differences", "", "| key | " + " | ".join(run.name for run in runs) + " |"]
        lines.append("|" + "---|" * (len(runs) + 1))
        lines += [
            f"| {k} | " + " | ".join(f"`{json.dumps(v)}`" for v in values) + " |" for k, values in differences.items()
        ]
    lines += ["", "## Plots", ""] + [f"![{name}]({name})" for name in figures]
    return "\n".join(lines) + "\n"


def load_runs(run_dirs: Sequence[str | Path], out_dir: str | Path) -> list[Run]:
    """Every run directory, or one error listing each that cannot be read (and an unwritable `--out`)."""
    from alignment.run.inputs import output_dir_problems

    runs, problems = [], output_dir_problems(str(out_dir), "--out")
    for path in run_dirs:
        try:
            runs.append(load_run(path))
        except (FileNotFoundError, UsageError) as exc:
            problems.append(str(exc))
    raise_problems(problems, "the report's inputs")
    return runs


def make_report(run_dirs: Sequence[str | Path], out_dir: str | Path) -> Path:
    runs = load_runs(run_dirs, out_dir)
    names = [run.name for run in runs]
    if len(set(names)) < len(names):  # same run_name twice: tell them apart by directory
        for run in runs:
            run.name = f"{run.name} ({run.path.name})"
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    figures = write_figures(runs, out_dir)
    report = out_dir / "report.md"
    report.write_text(summary_markdown(runs, figures))
    logger.info("wrote %s and %d plots", report, len(figures))
    return report


def main(argv: Sequence[str] | None = None) -> Path:
    parser = ArgumentParser(prog="python -m alignment.report", description=__doc__.split("\n\n")[0])
    parser.add_argument("run_dirs", nargs="+", help="output directories of runs (each holds metrics.jsonl)")
    parser.add_argument("--out", default="report", help="directory for the PNG plots and report.md")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    return make_report(args.run_dirs, args.out)


if __name__ == "__main__":
    run_cli(main)
