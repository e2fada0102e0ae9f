"""Held-out evaluation: greedy answers to math problems, scored by the math checker, with honest intervals.

    python -m alignment.evaluate --model outputs/grpo --data data/math/test.jsonl [--baseline outputs/sft]

Accuracy comes with a 95% Wilson interval; with a baseline, the paired difference (same problems, both models) comes
with a 95% normal interval on the per-problem differences, the right test for "did training help on these items".
"""

from __future__ import annotations

import argparse
import json
import logging
from dataclasses import dataclass

from alignment.evaluation.stats import Interval, paired_difference, wilson_interval

logger = logging.getLogger(__name__)


@dataclass
class EvalResult:
    model: str
    scores: list[float]  # 1.0 / 0.0 per problem (None counted as 0.0: an unusable gold is excluded earlier)
    completions: list[str]

    @property
    def accuracy(self) -> Interval:
        return wilson_interval(int(sum(self.scores)), len(self.scores))


def evaluate_math(
    model_path: str,
    rows: list[dict],
    *,
    prompt_suffix: str = "",
    max_new_tokens: int = 64,
    batch_size: int = 64,
    chat_template: str = "model",
) -> EvalResult:
    """Score greedy answers to `rows` (grpo_example schema: prompt + solution) with the math reward."""
    from alignment.model.generation import SamplingSettings, render_prompts, sample_completions
    from alignment.model.loading import load_tokenizer
    from data.loading import with_instruction
    from rewards.registry import RewardFunction

    prompts = [with_instruction(row["prompt"], prompt_suffix) for row in rows]
    texts = render_prompts(load_tokenizer(model_path, chat_template), prompts)
    greedy = SamplingSettings(n=1, max_new_tokens=max_new_tokens, temperature=0.0)
    completions = [
        group[0] for group in sample_completions(model_path, texts, greedy, "hf", None, batch_size, chat_template)
    ]
    scores = RewardFunction("math")(
        prompts, completions, task=["math"] * len(rows), solution=[r["solution"] for r in rows]
    )
    return EvalResult(model_path, [float(s or 0.0) for s in scores], completions)


def load_eval_rows(path: str, limit: int | None = None) -> list[dict]:
    from data.loading import grpo_example

    with open(path) as f:
        rows = [grpo_example(json.loads(line), f"{path} line {i + 1}") for i, line in enumerate(f) if line.strip()]
    return rows[:limit] if limit else rows


def main(argv: list[str] | None = None) -> dict:
    from alignment.run.process import setup_logging

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", required=True)
    parser.add_argument("--baseline", default=None, help="a second model evaluated on the same problems")
    parser.add_argument("--data", required=True, help="JSONL with a prompt column and a math gold")
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--max_new_tokens", type=int, default=64)
    parser.add_argument("--chat_template", default="model")
    parser.add_argument("--prompt_suffix", default="")
    args = parser.parse_args(argv)
    setup_logging()
    rows = load_eval_rows(args.data, args.limit)
    kw = dict(prompt_suffix=args.prompt_suffix, max_new_tokens=args.max_new_tokens, chat_template=args.chat_template)
    result = evaluate_math(args.model, rows, **kw)
    summary = {"model": args.model, "n": len(rows), "accuracy": str(result.accuracy)}
    if args.baseline:
        base = evaluate_math(args.baseline, rows, **kw)
        summary["baseline_accuracy"] = str(base.accuracy)
        summary["paired_difference"] = str(paired_difference(result.scores, base.scores))
    print(json.dumps(summary, indent=2))
    return summary


if __name__ == "__main__":
    from alignment.run.cli import run_cli

    run_cli(main)
