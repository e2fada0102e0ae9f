"""The GRPO benchmark's policy: a tiny model that writes fenced programs, so the code reward really runs them.

A randomly initialised model never opens a code fence, and a completion without one scores 0.0 without reaching
the sandbox. `build_code_policy` therefore builds a tiny Llama with its own tokenizer and gives it a short SFT on
the project's code tasks (canonical solutions in fences) and arithmetic word problems, through the real SFT stage:
its GRPO completions are then programs (often wrong ones) and `\\boxed{}` answers, graded as in a real run.
Built once per directory and reused.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CODE_TASKS = ROOT / "data/code_tasks/tasks.jsonl"
MATH_TASKS = ROOT / "data/math_small/train.jsonl"

logger = logging.getLogger(__name__)


def tokenizer_corpus() -> list[str]:
    """Prompts and answers of both data sets, with the fences the SFT teaches."""
    corpus = []
    for row in map(json.loads, CODE_TASKS.read_text().splitlines()):
        corpus.append(f"{row['prompt']}\n```{row['language']}\n{row['solution']}```")
    for row in map(json.loads, MATH_TASKS.read_text().splitlines()[:1500]):
        corpus.append(f"{row['question']} {row['solution']}")
    return corpus


def build_code_policy(
    out: Path,
    *,
    hidden_size: int = 256,
    num_layers: int = 4,
    sft_steps: int = 250,
    threads: int = 1,
    seed: int = 0,
) -> Path:
    """A tiny SFT policy under `out/sft` (built unless it exists); returns its path."""
    from alignment import sft
    from alignment.model.tiny import build_tiny_model

    policy = out / "sft"
    if (policy / "config.json").is_file():
        return policy
    base = build_tiny_model(
        out / "base", tokenizer_corpus(), vocab_size=1000, hidden_size=hidden_size, num_layers=num_layers, seed=seed
    )
    logger.info("SFT of the benchmark policy (%d steps, once)", sft_steps)
    import torch

    torch.set_num_threads(threads)
    sft.main(
        [
            "--config", str(ROOT / "configs/sft/tiny_cpu.yaml"),
            "--model_name_or_path", str(base),
            "--datasets", str(CODE_TASKS), str(MATH_TASKS),
            "--dataset_weights", "0.5", "0.5",
            "--mixture_size", "1200",
            "--max_steps", str(sft_steps),
            "--per_device_train_batch_size", "16",
            "--learning_rate", "3e-3",
            "--max_length", "256",
            "--seed", str(seed),
            "--output_dir", str(policy),
        ]
    )  # fmt: skip
    return policy
