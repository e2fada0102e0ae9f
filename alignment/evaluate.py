"""Held-out evaluation: greedy answers to math problems, scored by the math checker, with honest intervals.

    python -m alignment.evaluate --model outputs/grpo --data data/math/test.jsonl [--baseline outputs/sft]

Accuracy comes with a 95% Wilson interval; with a baseline, the paired difference (same problems, both models) comes
with a 95% normal interval on the per-problem differences, the right test for "did training help on these items".
"""

from __future__ import annotations

import argparse
import json
import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass

logger = logging.getLogger(__name__)

Z95 = 1.959963984540054


@dataclass(frozen=True)
class Interval:
    estimate: float
    low: float
    high: float

    def __str__(self) -> str:
        return f"{self.estimate:.3f} [{self.low:.3f}, {self.high:.3f}]"


def wilson_interval(successes: int, n: int, z: float = Z95) -> Interval:
    """Wilson score interval for a binomial proportion (good near 0 and 1, unlike the normal approximation)."""
    if n <= 0:
        raise ValueError("n must be positive")
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return Interval(p, max(0.0, centre - half), min(1.0, centre + half))


def paired_difference(after: Sequence[float], before: Sequence[float], z: float = Z95) -> Interval:
    """Mean of after_i − before_i with a normal 95% interval from the sample std of the differences."""
    if len(after) != len(before) or len(after) < 2:
        raise ValueError("paired difference needs two equal-length score lists of at least 2 items")
    diffs = [a - b for a, b in zip(after, before)]
    n = len(diffs)
    mean = sum(diffs) / n
    var = sum((d - mean) ** 2 for d in diffs) / (n - 1)
    half = z * math.sqrt(var / n)
    return Interval(mean, mean - half, mean + half)


@dataclass
class EvalResult:
    model: str
    scores: list[float]  # 1.0 / 0.0 per problem (None counted as 0.0: an unusable gold is excluded earlier)
    completions: list[str]

    @property
    def accuracy(self) -> Interval:
        return wilson_interval(int(sum(self.scores)), len(self.scores))


def generate_greedy(
    model_path: str, prompts: list[list[dict]], max_new_tokens: int, batch_size: int, chat_template: str
) -> list[str]:
    """Greedy completions for conversational prompts, batched with left padding."""
    import torch
    from tqdm.auto import tqdm

    from alignment.models import load_causal_lm, load_tokenizer

    tokenizer = load_tokenizer(model_path, chat_template)
    tokenizer.padding_side = "left"
    model = load_causal_lm(model_path).eval()
    texts = [tokenizer.apply_chat_template(p, tokenize=False, add_generation_prompt=True) for p in prompts]
    outputs: list[str] = []
    for start in tqdm(range(0, len(texts), batch_size), desc=f"eval {model_path}", unit="batch", leave=False):
        batch = tokenizer(
            texts[start : start + batch_size], return_tensors="pt", padding=True, add_special_tokens=False
        )
        batch = batch.to(model.device)
        with torch.inference_mode():
            out = model.generate(
                **batch,
                max_new_tokens=max_new_tokens,
                do_sample=False,
                eos_token_id=tokenizer.eos_token_id,
                pad_token_id=tokenizer.pad_token_id,
            )
        new_tokens = out[:, batch["input_ids"].shape[1] :]
        outputs += tokenizer.batch_decode(new_tokens, skip_special_tokens=True)
    return outputs


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
    from rewards.registry import RewardFunction

    prompts = []
    for row in rows:
        prompt = [dict(m) for m in row["prompt"]]
        if prompt_suffix:
            prompt[-1]["content"] = f"{prompt[-1]['content']}\n{prompt_suffix}"
        prompts.append(prompt)
    completions = generate_greedy(model_path, prompts, max_new_tokens, batch_size, chat_template)
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
    from alignment.common import setup_logging

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
    main()
