"""Collection: sample K completions per prompt from a checkpoint, label each by execution (code) or by its gold (math).

    python -m alignment.collect --config configs/collect/fig3_cpu.yaml [--key value ...]

This is the data of the execution-labelled reward model (DSC2 §3.5.2: code samples labelled by the compiler and
tests, math samples by the ground truth). Reads top to bottom: parse, data, plan the shards, sample and label each
shard that is missing, write the summary.

* Data: any source `data.formats` reads (the sandbox task schema, the project's generated tasks, HumanEval, MBPP,
  APPS, CodeContests, ..., GSM8K, MATH). A prompt that cannot be labelled (a code row without usable tests, a math row
  without a usable gold) is counted by reason in `summary.json` and the log, never sampled, and never labelled 0.
* Labels (`rewards.labels`): `passed`, `pass_fraction` (every visible test is run), `outcome`; for rows with hidden
  tests also `hidden_passed` / `hidden_pass_fraction` on all of them (an evaluation-only label: the reward-model stage
  trains on it only when asked, as a variant that uses more information). A completion the sandbox could not judge
  (the wall-clock backstop of a starved machine) is counted, not written.
* Output: JSONL shards `<output_dir>/shards/part-NNNNN.jsonl` in the row schema of the reward-model stage, plus
  `manifest.json` (policy, sampling settings, sandbox image, data hashes, the resolved recipe) and `summary.json`.
* Resumable: prompts are cut into fixed shards of `prompts_per_shard` in data order, shard i is sampled with its own
  seed (`seed`, i) and written atomically once every row of it is labelled. A killed collection continues with the
  first missing shard: nothing written is lost or duplicated, and the result equals an uninterrupted run.
* An infrastructure failure (sandbox down) raises and stops the collection; the shards already written stay.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from alignment.run.cli import UsageError, run_cli
from alignment.run.config import parse_recipe
from alignment.run.process import setup_logging

logger = logging.getLogger(__name__)

SHARD_DIR = "shards"
SUMMARY_NAME = "summary.json"


@dataclass
class CollectArguments:
    """Where the prompts come from, how the policy samples, and how completions are labelled."""

    model_name_or_path: str | None = field(default=None, metadata={"help": "The policy to sample from (SFT output)."})
    chat_template: str = field(default="model", metadata={"help": "model | deepseek_coder_v1 | deepseek_coder_v2."})
    datasets: list[str] = field(default_factory=list, metadata={"help": "Prompt sources (files or hub ids)."})
    dataset_format: str | None = field(default=None, metadata={"help": "Format of every source; default: detected."})
    limit: int | None = field(default=None, metadata={"help": "Prompts per source (default: all)."})
    prompt_suffix: str = field(default="", metadata={"help": "Instruction appended to every prompt."})
    samples_per_prompt: int = field(default=8, metadata={"help": "K completions per prompt."})
    temperature: float = field(default=1.0, metadata={"help": "Sampling temperature."})
    top_p: float = field(default=0.95, metadata={"help": "Nucleus sampling."})
    max_new_tokens: int = field(default=512, metadata={"help": "Completion length limit."})
    generation_backend: Literal["auto", "hf", "vllm", "vllm-server"] = field(
        default="auto", metadata={"help": "auto: vLLM when it can run here, else batched HF generate."}
    )
    vllm_server_url: str | None = field(default=None, metadata={"help": "For generation_backend vllm-server."})
    generation_batch_size: int = field(default=8, metadata={"help": "Prompts per HF generate call."})
    prompts_per_shard: int = field(default=64, metadata={"help": "Prompts per output shard (the unit of resume)."})
    sandbox_backend: str = field(default="bwrap", metadata={"help": "bwrap | docker."})
    sandbox_jobs: int = field(default=4, metadata={"help": "Programs graded at once."})
    label_hidden: bool = field(default=True, metadata={"help": "Also label rows' hidden tests (evaluation only)."})
    round: int = field(default=0, metadata={"help": "Collection round (0: from SFT; iterative RL counts up)."})
    output_dir: str = field(default="outputs/collect", metadata={"help": "Where shards and the summary go."})
    seed: int = field(default=0, metadata={"help": "Sampling seed (shard i samples with its own seed from it)."})

    def sandbox_settings(self):
        from rewards.code_rewards import SandboxSettings

        return SandboxSettings(backend=self.sandbox_backend, jobs=self.sandbox_jobs)

    def sampling(self, shard: int):
        from alignment.model.generation import SamplingSettings

        return SamplingSettings(
            n=self.samples_per_prompt,
            max_new_tokens=self.max_new_tokens,
            temperature=self.temperature,
            top_p=self.top_p,
            seed=self.seed * 1_000_003 + shard,
        )

    def problems(self, configs: Sequence[Any] = ()) -> list[str]:
        problems = self.sandbox_settings().problems()
        if not self.model_name_or_path:
            problems.append("set `model_name_or_path`: the policy to sample from (usually the SFT output directory)")
        if not self.datasets:
            problems.append("`datasets` is empty: list the prompt sources (files or hub ids)")
        for key in ("samples_per_prompt", "max_new_tokens", "generation_batch_size", "prompts_per_shard"):
            if getattr(self, key) < 1:
                problems.append(f"`{key}` must be at least 1, got {getattr(self, key)}")
        if not 0 < self.top_p <= 1 or self.temperature < 0:
            problems.append(f"need 0 < top_p <= 1 and temperature >= 0, got {self.top_p} and {self.temperature}")
        if self.generation_backend == "vllm-server" and not self.vllm_server_url:
            problems.append("generation_backend vllm-server needs `vllm_server_url` (the `vllm serve` address)")
        return problems

    def input_problems(self, configs: Sequence[Any] = ()) -> list[str]:
        """The policy checkpoint, the output directory, and every local prompt file, before a model loads."""
        from alignment.run.inputs import model_problems, output_dir_problems

        problems = model_problems(self.model_name_or_path, "model_name_or_path") if self.model_name_or_path else []
        problems += output_dir_problems(self.output_dir)
        for source in self.datasets:
            local = Path(source).suffix in (".jsonl", ".json", ".parquet") or source.startswith((".", "/"))
            if local and not Path(source).exists():
                problems.append(f"`datasets`: {source!r} does not exist: give a JSONL/Parquet file or a hub id")
        return problems


def prompt_id(row: dict) -> str:
    """The data row's id, else a hash of its prompt: stable across runs, so resume and replay can match rows."""
    return str(row["id"]) if row.get("id") is not None else hashlib.sha256(row["prompt"].encode()).hexdigest()[:16]


def unlabelable(row: dict) -> str | None:
    """Why a prompt's completions could not be labelled, or None when they can."""
    from rewards.code_rewards import task_for
    from rewards.labels import usable_gold

    if row["task"] == "code":
        return (
            None if row.get("tests") and task_for(row["tests"], row["language"]) else "code row without usable tests"
        )
    return None if usable_gold(row.get("answer")) else "math row without a usable gold answer"


def load_prompts(args: CollectArguments) -> tuple[list[dict], Counter]:
    """Labelable canonical rows of every source, in data order, and the count of the rest by reason."""
    from data.formats import load_rows

    rows, skipped = [], Counter()
    for source in args.datasets:
        unsupported: list[tuple[str, str]] = []
        for row in load_rows(source, args.dataset_format, args.limit, skip_unsupported=True, skipped_rows=unsupported):
            reason = unlabelable(row)
            if reason is None:
                rows.append({**row, "prompt_id": prompt_id(row), "dataset": source})
            else:
                skipped[reason] += 1
                logger.warning("%s row %s: %s; not collected", source, row.get("id"), reason)
        skipped.update(f"row the sandbox cannot grade ({why.split(';')[0][-80:]})" for _, why in unsupported)
    duplicates = [pid for pid, n in Counter(r["prompt_id"] for r in rows).items() if n > 1]
    if duplicates:
        raise UsageError(f"prompt ids occur more than once across `datasets`: {duplicates[:5]}; give rows unique ids")
    return rows, skipped


def label_shard(
    rows: list[dict], completions: list[list[str]], grader, args: CollectArguments
) -> tuple[list, Counter]:
    """One output row per judged completion of `rows`, and the count of completions that could not be judged."""
    from data.formats import all_tests
    from rewards.labels import label_math

    flat = [(row, k, text) for row, group in zip(rows, completions) for k, text in enumerate(group)]
    code = [i for i, (row, _, _) in enumerate(flat) if row["task"] == "code"]
    math = [i for i, (row, _, _) in enumerate(flat) if row["task"] == "math"]
    hidden_rows = [i for i in code if args.label_hidden and flat[i][0].get("hidden_tests")]
    labels: dict[int, Any] = dict(
        zip(math, label_math([flat[i][2] for i in math], [flat[i][0]["answer"] for i in math]))
    )
    labels.update(zip(code, _label(flat, code, grader, lambda row: row["tests"])))
    hidden = dict(zip(hidden_rows, _label(flat, hidden_rows, grader, all_tests)))
    out, not_judged = [], Counter()
    for i, (row, k, text) in enumerate(flat):
        if labels[i] is None or (i in hidden and hidden[i] is None):
            not_judged["not judged by the sandbox (wall-clock backstop)"] += 1
            continue
        out.append(output_row(row, k, text, labels[i], hidden.get(i), args))
    return out, not_judged


def _label(flat: list[tuple], indices: list[int], grader, tests_of) -> list:
    from rewards.labels import label_code

    rows = [flat[i][0] for i in indices]
    return label_code(
        [flat[i][2] for i in indices], [tests_of(r) for r in rows], [r["language"] for r in rows], grader
    )


def output_row(row: dict, k: int, completion: str, label, hidden_label, args: CollectArguments) -> dict:
    from data.loading import with_instruction

    return {
        "prompt_id": row["prompt_id"],
        "source": row["dataset"],
        "task": row["task"],
        "prompt": with_instruction([{"role": "user", "content": row["prompt"]}], args.prompt_suffix),
        "completion": completion,
        "sample_index": k,
        **label.as_row(),
        "hidden_passed": hidden_label.passed if hidden_label else None,
        "hidden_pass_fraction": hidden_label.pass_fraction if hidden_label else None,
        "policy": str(args.model_name_or_path),
        "round": args.round,
    }


def shard_path(output_dir: str | Path, index: int) -> Path:
    return Path(output_dir) / SHARD_DIR / f"part-{index:05d}.jsonl"


def collect(args: CollectArguments, recipe: Any = None) -> dict:
    """Sample and label every missing shard; return the summary (also written to `summary.json`)."""
    from tqdm.auto import tqdm

    from alignment.model.generation import CompletionSampler, render_prompts
    from alignment.model.loading import load_tokenizer, resolve_model_path
    from alignment.run.files import write_atomic, write_jsonl_atomic
    from data.loading import with_instruction
    from rewards.code_rewards import CodeGrader

    # ---- data ---------------------------------------------------------------------------------------------------
    rows, skipped = load_prompts(args)
    if not rows:
        raise UsageError(f"no prompt of {args.datasets} can be labelled ({dict(skipped)})")
    shards = [rows[i : i + args.prompts_per_shard] for i in range(0, len(rows), args.prompts_per_shard)]
    missing = [i for i in range(len(shards)) if not shard_path(args.output_dir, i).is_file()]
    logger.info("collect: %d prompts in %d shards, %d to do; not collectable: %s", len(rows), len(shards),
                len(missing), dict(skipped) or "none")  # fmt: skip
    (Path(args.output_dir) / SHARD_DIR).mkdir(parents=True, exist_ok=True)
    if recipe is not None:
        write_manifest(args, recipe)

    # ---- sample and label, shard by shard -------------------------------------------------------------------------
    model_path = resolve_model_path(args.model_name_or_path)
    tokenizer = load_tokenizer(model_path, args.chat_template)
    sampler = CompletionSampler(
        model_path, args.generation_backend, args.vllm_server_url, args.generation_batch_size, args.chat_template
    )
    needs_sandbox = any(r["task"] == "code" for r in rows)
    grader = CodeGrader(args.sandbox_settings()).open() if needs_sandbox else None
    timing = Counter()
    try:
        for index in tqdm(missing, desc="collect", unit="shard"):
            shard = shards[index]
            prompts = [with_instruction([{"role": "user", "content": r["prompt"]}], args.prompt_suffix) for r in shard]
            start = time.perf_counter()
            completions = sampler.sample(render_prompts(tokenizer, prompts), args.sampling(index))
            timing["generation_s"] += time.perf_counter() - start
            start = time.perf_counter()
            out, not_judged = label_shard(shard, completions, grader, args)
            timing["labelling_s"] += time.perf_counter() - start
            write_jsonl_atomic(shard_path(args.output_dir, index), out)
            if not_judged:
                write_atomic(
                    shard_path(args.output_dir, index).with_suffix(".not_judged.json"), json.dumps(not_judged)
                )
    finally:
        if grader is not None:
            grader.close()
    return write_summary(args, len(shards), skipped, timing)


def write_summary(args: CollectArguments, n_shards: int, skipped: Counter, timing: Counter) -> dict:
    """Counts over every shard on disk (written by this run or an earlier one), by task and outcome."""
    from alignment.run.files import read_jsonl, write_atomic

    rows = [r for i in range(n_shards) for r in read_jsonl(shard_path(args.output_dir, i))]
    not_judged = Counter()
    for path in Path(args.output_dir, SHARD_DIR).glob("*.not_judged.json"):
        not_judged.update(json.loads(path.read_text()))
    by_task = {
        task: {
            "completions": sum(r["task"] == task for r in rows),
            "prompts": len({r["prompt_id"] for r in rows if r["task"] == task}),
            "pass_rate": _mean([r["passed"] for r in rows if r["task"] == task]),
            "outcomes": dict(Counter(r["outcome"] for r in rows if r["task"] == task)),
            "hidden_pass_rate": _mean(
                [r["hidden_passed"] for r in rows if r["task"] == task and r["hidden_passed"] is not None]
            ),
        }
        for task in sorted({r["task"] for r in rows})
    }
    mixed = Counter(r["prompt_id"] for r in rows if r["passed"]), Counter(r["prompt_id"] for r in rows)
    summary = {
        "rows": len(rows),
        "shards": n_shards,
        "by_task": by_task,
        "prompts_with_both_outcomes": sum(1 for p, n in mixed[1].items() if 0 < mixed[0][p] < n),
        "not_collected": dict(skipped),
        "not_judged": dict(not_judged),
        "time_s": {k: round(v, 1) for k, v in timing.items()},
    }
    write_atomic(Path(args.output_dir) / SUMMARY_NAME, json.dumps(summary, indent=2))
    logger.info("collect summary: %s", json.dumps(summary))
    return summary


def _mean(values: list) -> float | None:
    return sum(values) / len(values) if values else None


def write_manifest(args: CollectArguments, recipe: Any) -> None:
    from alignment.run.manifest import write_run_record
    from alignment.run.record import sandbox_image_name

    write_run_record(
        args.output_dir,
        recipe.parsed,
        recipe.explicit,
        world_size=1,
        data_paths=args.datasets,
        checkpoint_paths=[args.model_name_or_path],
        sandbox_image=sandbox_image_name(True),
    )


def main(argv: list[str] | None = None) -> dict:
    recipe = parse_recipe(
        (CollectArguments,), argv, prog="python -m alignment.collect", doc=__doc__, check_inputs=True
    )
    (args,) = recipe.configs
    setup_logging()
    return collect(args, recipe)


if __name__ == "__main__":
    run_cli(main)
