"""Labelled collection rows for reward-model tests, built in code: the label is learnable from the text.

Each prompt asks for a small function; a passing completion returns `x + k` (the planted correct pattern), a failing
one `x - k`, both among varied filler lines, so a reward model has to read the body to rank them. Rows follow the
collection schema `alignment.collect` writes (prompt_id, prompt, completion, passed, pass_fraction, ...).
"""

from __future__ import annotations

import json
import random
from pathlib import Path

_NAMES = ["total", "count", "value", "item", "acc", "step", "width", "size"]


def completion(rng: random.Random, name: str, k: int, passed: bool) -> str:
    filler = [f"    {rng.choice(_NAMES)} = {rng.randint(0, 9)}" for _ in range(rng.randint(1, 3))]
    body = "\n".join([*filler, f"    return x {'+' if passed else '-'} {k}"])
    return f"```python\ndef {name}(x):\n{body}\n```"


def collection_rows(prompts: int = 64, samples: int = 4, seed: int = 0, hidden: bool = False) -> list[dict]:
    """`samples` completions for each of `prompts` prompts; about half pass. With `hidden`, every passing sample
    of every third prompt fails a hidden test (visible tests too weak), and the rows carry hidden labels."""
    rng = random.Random(seed)
    rows = []
    for p in range(prompts):
        name, k = f"f{p}", rng.randint(1, 9)
        prompt = [{"role": "user", "content": f"Write {name}(x) that returns x plus {k}."}]
        for i in range(samples):
            passed = rng.random() < 0.5
            row = {
                "prompt_id": f"p{p:03d}", "source": "synthetic", "task": "code", "prompt": prompt,
                "completion": completion(rng, name, k, passed), "sample_index": i, "passed": passed,
                "pass_fraction": 1.0 if passed else rng.choice([0.25, 0.5]),
                "outcome": "passed" if passed else "wrong_answer", "policy": "tiny", "round": 0,
                "hidden_passed": None, "hidden_pass_fraction": None,
            }  # fmt: skip
            if hidden:
                row["hidden_passed"] = passed and p % 3 != 0
                row["hidden_pass_fraction"] = 1.0 if row["hidden_passed"] else 0.5
            rows.append(row)
    return rows


def write_collection(directory: Path, rows: list[dict], shard_rows: int = 100) -> Path:
    """Rows as `<directory>/shards/part-XXXXX.jsonl` plus a manifest, the collection's layout."""
    shards = directory / "shards"
    shards.mkdir(parents=True, exist_ok=True)
    for n, start in enumerate(range(0, len(rows), shard_rows)):
        lines = "".join(json.dumps(r) + "\n" for r in rows[start : start + shard_rows])
        (shards / f"part-{n:05d}.jsonl").write_text(lines)
    (directory / "manifest.json").write_text(json.dumps({"rows": len(rows)}))
    return directory


def corpus(rows: list[dict]) -> list[str]:
    """Texts to train the tiny tokenizer on (prompts and completions)."""
    return [r["prompt"][0]["content"] + "\n" + r["completion"] for r in rows]
