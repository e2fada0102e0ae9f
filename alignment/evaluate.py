"""Held-out evaluation of one or more checkpoints on code and math: pass@k, maj@k and accuracy with 95% intervals.

    python -m alignment.evaluate --model outputs/sft outputs/grpo --benchmark humaneval --n 10 --k 1 5 10
    python -m alignment.evaluate --model outputs/grpo --baseline outputs/sft --data data/math/test.jsonl

Reads top to bottom: parse and check every input (before any model loads), load the problems (a named benchmark or
any file / hub id in a `data.formats` format), then per model generate `--n` samples per problem (vLLM when it can
run, else batched HF generate; `--n 1` without `--temperature` is greedy decoding), grade them (code in the sandbox,
`--backend` with `--jobs` programs at a time; math by the checker), and write the figures.

Metrics (`alignment.evaluation.metrics`): unbiased pass@k for every `--k` (Chen et al. 2021), maj@k for math
(majority vote over the checker's answer classes), greedy accuracy for math; each the mean over problems with a
95% interval; with `--baseline`, the paired difference on the same problems. Prompts and answer extraction per kind
of row: `alignment.evaluation.prompts` (HumanEval follows EvalPlus's chat prompt).

Outputs in `--output_dir` (default `outputs/eval/<benchmark>-<settings digest>`): `problems/<model>.jsonl` (per
problem: completions, verdicts, outcome classes), `results.json`, `results.md`, and the dashboards of `--report_to`.
A killed evaluation continues from its per-problem files when run again with the same command. An infrastructure
failure (sandbox down) stops the run; it is never counted as a failed problem.
"""

from __future__ import annotations

import argparse
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alignment.evaluation.stats import Interval, wilson_interval

logger = logging.getLogger(__name__)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    from alignment.run.cli import ArgumentParser

    p = ArgumentParser(
        prog="python -m alignment.evaluate", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--model", nargs="+", default=[], help="checkpoints: directories, hub ids, .gguf files, aliases")
    p.add_argument("--samples", nargs="+", default=[], help="instead of --model: JSONL files of given completions")
    p.add_argument("--baseline", default=None, help="a model evaluated on the same problems, for paired differences")
    p.add_argument("--benchmark", default=None, help="humaneval | code_tasks | math | math_small")
    p.add_argument("--data", default=None, help="a .jsonl/.json/.parquet file or hub id in a data.formats format")
    p.add_argument("--format", default=None, help="the format of --data when detection is ambiguous")
    p.add_argument("--split", default="test", help="split of a hub data set")
    p.add_argument("--limit", type=int, default=None, help="first N problems only")
    p.add_argument("--n", type=int, default=1, help="samples per problem")
    p.add_argument("--k", type=int, nargs="+", default=[1], help="pass@k / maj@k for each k (k <= n)")
    p.add_argument("--temperature", type=float, default=None, help="default: 0 (greedy) for n=1, else 0.8")
    p.add_argument("--top_p", type=float, default=None, help="default: 1.0 for greedy, else 0.95")
    p.add_argument("--max_new_tokens", type=int, default=512)
    p.add_argument("--chat_template", default="model", help="model | deepseek_coder_v1 | deepseek_coder_v2 | none")
    p.add_argument("--prompt_suffix", default="", help="appended to each prompt (not to HumanEval's)")
    p.add_argument("--backend", default="bwrap", help="sandbox for code: bwrap | docker")
    p.add_argument("--jobs", type=int, default=4, help="programs graded at once")
    p.add_argument("--generation_backend", default="auto", help="auto | hf | vllm | vllm-server")
    p.add_argument("--server_url", default=None, help="address of the vllm-server backend")
    p.add_argument("--batch_size", type=int, default=64, help="sequences generated together (prompts x n)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--output_dir", type=Path, default=None)
    p.add_argument("--overwrite", action="store_true", help="discard results in --output_dir instead of resuming")
    p.add_argument("--report_to", nargs="+", default=["none"], help="none | wandb | tensorboard")
    args = p.parse_args(argv)
    greedy = args.n == 1 and args.temperature in (None, 0)
    args.temperature = (0.0 if args.n == 1 else 0.8) if args.temperature is None else args.temperature
    args.top_p = (1.0 if greedy else 0.95) if args.top_p is None else args.top_p
    return args


def exit_on(problems: list[str]) -> None:
    """Every problem found before any model loads, raised together as one `UsageError` (exit status 2 under
    `run_cli`, no traceback)."""
    from alignment.run.cli import raise_problems

    raise_problems(problems, "the evaluation")


def evaluate_model(
    model: str, rows: list[dict], args: argparse.Namespace, out: Path, backend, samples: dict | None = None
) -> list[dict]:
    """Per-problem rows of one model (or one --samples file): prompts from the model's own tokenizer, chunks
    resumed from its results file."""
    from alignment.evaluation.harness import EvalSettings, GivenSamples, evaluate_problems, results_file
    from alignment.evaluation.prompts import NO_TEMPLATE, build_problem
    from alignment.evaluation.records import PROBLEMS_DIR, model_slug
    from alignment.model.generation import CompletionSampler, choose_backend
    from alignment.model.loading import load_tokenizer, resolve_model_path

    template = None if args.chat_template == NO_TEMPLATE or samples else args.chat_template
    tokenizer = None if samples else load_tokenizer(model, template)
    problems = [build_problem(row, tokenizer, template or NO_TEMPLATE, args.prompt_suffix) for row in rows]
    hf = choose_backend(args.generation_backend) == "hf" and not samples
    settings = EvalSettings(
        args.n, tuple(args.k), args.temperature, args.top_p, args.max_new_tokens, args.seed, args.batch_size,
        chunk_size=None if hf else max(256, args.batch_size // args.n),
    )  # fmt: skip
    results = results_file(out / PROBLEMS_DIR / f"{model_slug(model)}.jsonl", problems, settings)
    if args.overwrite:
        results.reset()

    def sampler() -> CompletionSampler | GivenSamples:
        if samples:
            return GivenSamples(problems, samples)
        path = resolve_model_path(model)
        return CompletionSampler(path, args.generation_backend, args.server_url, settings.prompts_per_call, template)

    return evaluate_problems(problems, settings, sampler, backend, args.jobs, results, label=Path(model).name)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    from alignment.evaluation import outputs
    from alignment.evaluation.inputs import check_inputs, output_dir_for, settings_of
    from alignment.evaluation.metrics import markdown_table, model_summary
    from alignment.evaluation.records import PROBLEMS_DIR, model_slug, write_settings
    from alignment.run.process import setup_logging
    from sandbox.api import get_backend
    from sandbox.base import SandboxError

    # ---- parse, load the problems, check everything -----------------------------------------------------------
    args = parse_args(argv)
    rows, excluded, samples, problems = check_inputs(args)
    exit_on(problems)  # before logging is set up: bad input ends in the error message alone
    setup_logging()
    label, settings, out = outputs.benchmark_label(args.benchmark, args.data), settings_of(args), output_dir_for(args)
    write_settings(out, settings)
    models = list(dict.fromkeys([*args.model, *([args.baseline] if args.baseline else []), *args.samples]))
    logger.info("evaluating %d model(s) on %d problems of %s; results in %s", len(models), len(rows), label, out)

    # ---- generate and grade, model by model (resumable) -------------------------------------------------------
    sizing = {"bwrap": {"slots": args.jobs}, "docker": {"pool_size": args.jobs}}.get(args.backend, {})
    per_model: dict[str, list[dict]] = {}
    try:
        backend = get_backend(args.backend, **sizing) if any(r["task"] == "code" for r in rows) else None
        try:
            for model in models:
                per_model[model] = evaluate_model(model, rows, args, out, backend, samples.get(model))
        finally:
            if backend is not None:
                backend.close()
    except SandboxError as exc:
        logger.error("sandbox failure: %s", exc)
        raise SystemExit(
            f"error: the sandbox failed ({exc}); no problem was scored from it. Finished problems are kept in "
            f"{out / PROBLEMS_DIR}: run the same command again to continue"
        ) from None

    # ---- metrics ----------------------------------------------------------------------------------------------
    greedy = args.n == 1 and args.temperature == 0
    results: dict[str, Any] = {
        "benchmark": label, "settings": {**settings, "k": args.k}, "baseline": args.baseline,
        "excluded_problems": excluded, "models": {},
    }  # fmt: skip
    for model, model_rows in per_model.items():
        baseline = per_model[args.baseline] if args.baseline and model != args.baseline else None
        entry = model_summary(model_rows, args.k, greedy, baseline)
        results["models"][model] = {**entry, "problems_file": f"{PROBLEMS_DIR}/{model_slug(model)}.jsonl"}

    # ---- write ------------------------------------------------------------------------------------------------
    outputs.write_results(out, results)
    outputs.report([r for r in args.report_to if r != "none"], out, results)
    print(markdown_table(results))
    logger.info("results: %s, %s", out / "results.json", out / "results.md")
    return results


# ---- the demo's entry points (math, greedy): the same prompts, batches and checker as the command line -------------
@dataclass
class EvalResult:
    model: str
    scores: list[float]  # 1.0 / 0.0 per problem
    completions: list[str]

    @property
    def accuracy(self) -> Interval:
        return wilson_interval(int(sum(self.scores)), len(self.scores))


def load_eval_rows(path: str, limit: int | None = None) -> list[dict]:
    """Canonical rows (`data.formats`) of a math test file, as `python -m alignment.evaluate --data` reads them."""
    from data.formats import load_rows

    return list(load_rows(path, limit=limit))


def evaluate_math(
    model_path: str,
    rows: list[dict],
    *,
    prompt_suffix: str = "",
    max_new_tokens: int = 64,
    batch_size: int = 64,
    chat_template: str = "model",
) -> EvalResult:
    """Greedy accuracy on canonical math rows; the command line with `--n 1` computes exactly these scores."""
    from alignment.evaluation.harness import EvalSettings, evaluate_problems
    from alignment.evaluation.prompts import build_problem
    from alignment.model.generation import CompletionSampler
    from alignment.model.loading import load_tokenizer

    tokenizer = load_tokenizer(model_path, chat_template)
    problems = [build_problem(row, tokenizer, chat_template, prompt_suffix) for row in rows]
    settings = EvalSettings(max_new_tokens=max_new_tokens, batch_size=batch_size)
    sampler = lambda: CompletionSampler(model_path, "hf", None, batch_size, chat_template)  # noqa: E731
    done = evaluate_problems(problems, settings, sampler, backend=None, label=Path(model_path).name)
    return EvalResult(model_path, [float(r["verdicts"][0]) for r in done], [r["completions"][0] for r in done])


if __name__ == "__main__":
    from alignment.run.cli import run_cli

    run_cli(main)
