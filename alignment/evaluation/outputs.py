"""What an evaluation leaves behind: `results.json`, `results.md`, and the same figures on the dashboard.

`results.json`::

    {"benchmark": "humaneval", "settings": {...}, "baseline": "outputs/sft" | null, "excluded_problems": [ids],
     "models": {"<model>": {"problems": 164, "problems_file": "problems/<model>.jsonl",
                            "metrics": {"pass@1": {"estimate", "low", "high"}, ...},   # 95% intervals
                            "paired_difference": {"pass@1": {...}, ...},             # model − baseline
                            "outcomes": {"passed": 31, "wrong_answer": 96, ...},
                            "timing": {"generation_s", "grading_s", "new_tokens", "tokens_per_s"}}}}

Dashboards (`--report_to wandb | tensorboard`): one run per model with `eval/<benchmark>/<figure>` (and `_low`,
`_high` for the interval ends), `eval/<benchmark>/paired/<figure>` against the baseline, and the timings, logged at
step 0. wandb runs offline without credentials (`alignment.run.tracking.resolve_wandb_mode`).
"""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path
from typing import Any

from alignment.evaluation.metrics import markdown_table
from alignment.evaluation.records import model_slug
from alignment.run.files import to_jsonable, write_atomic

logger = logging.getLogger(__name__)


def benchmark_label(benchmark: str | None, data: str | None) -> str:
    """A short name for metric keys: the benchmark, else the data file's folder and stem (`math_small_test`)."""
    if benchmark:
        return benchmark
    path = Path(str(data))
    stem = re.sub(r"\.(jsonl|json|parquet)(\.gz)?$", "", path.name)
    parts = [path.parent.name, stem] if path.exists() and path.parent.name else [stem]
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", "_".join(parts)).strip("_") or "data"


def write_results(output_dir: Path, results: dict[str, Any]) -> None:
    write_atomic(output_dir / "results.json", json.dumps(to_jsonable(results), indent=2) + "\n")
    write_atomic(output_dir / "results.md", f"# {results['benchmark']}\n\n" + markdown_table(results))


def flat_figures(label: str, entry: dict[str, Any]) -> dict[str, float]:
    """One model's figures as flat dashboard keys."""
    figures: dict[str, float] = {}
    for name, interval in entry["metrics"].items():
        figures[f"eval/{label}/{name}"] = interval["estimate"]
        figures[f"eval/{label}/{name}_low"] = interval["low"]
        figures[f"eval/{label}/{name}_high"] = interval["high"]
    for name, interval in (entry.get("paired_difference") or {}).items():
        figures[f"eval/{label}/paired/{name}"] = interval["estimate"]
    for name, value in entry["timing"].items():
        figures[f"eval/{label}/{name}"] = float(value)
    return figures


def report(report_to: list[str], output_dir: Path, results: dict[str, Any]) -> None:
    """Send every model's figures to the dashboards named in `report_to` ("wandb", "tensorboard")."""
    for model, entry in results["models"].items():
        figures = flat_figures(results["benchmark"], entry)
        if "tensorboard" in report_to:
            _tensorboard(output_dir / "tensorboard" / model_slug(model), figures)
        if "wandb" in report_to:
            _wandb(output_dir, model, results, figures)


def _tensorboard(logdir: Path, figures: dict[str, float]) -> None:
    from torch.utils.tensorboard import SummaryWriter

    with SummaryWriter(log_dir=str(logdir)) as writer:
        for key, value in figures.items():
            writer.add_scalar(key, value, global_step=0)


def _wandb(output_dir: Path, model: str, results: dict[str, Any], figures: dict[str, float]) -> None:
    try:
        import wandb
    except ImportError as error:
        raise ImportError("--report_to wandb needs the wandb package: pip install 'codealign[wandb]'") from error
    from alignment.run.tracking import resolve_wandb_mode

    config = {"model": model, "benchmark": results["benchmark"], **results["settings"]}
    run = wandb.init(
        project="codealign",
        name=f"eval {results['benchmark']} {Path(model).name}",
        job_type="eval",
        dir=str(output_dir),
        mode=resolve_wandb_mode("auto"),
        config=to_jsonable(config),
        reinit="finish_previous",
    )
    run.log(figures, step=0)
    run.summary.update(figures)
    run.finish()
