"""Generation and grading in chunks: the loop `python -m alignment.evaluate` and the training callback share.

A chunk is a fixed slice of the problem list. Its completions come from one sampler call per group of problems
with the same stop sequences, seeded with `seed + position of the group's first problem` (so samples do not depend
on which chunks a resumed run still had to do); they are graded together (code in the sandbox, `jobs` programs at
a time; math by the checker) and become per-problem rows (`alignment.evaluation.records`). Generation and grading
time are measured apart and kept with each row, with the number of generated tokens.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from alignment.evaluation.grading import Graded, grade, math_gold
from alignment.evaluation.prompts import Problem
from alignment.evaluation.records import ResultsFile, chunked
from alignment.model.generation import CompletionSampler, SamplingSettings
from sandbox.base import Backend, Limits

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class EvalSettings:
    """How completions are sampled: `n` per problem (temperature 0 with n = 1 is greedy decoding)."""

    n: int = 1
    ks: tuple[int, ...] = (1,)
    temperature: float = 0.0
    top_p: float = 1.0
    max_new_tokens: int = 512
    seed: int = 0
    batch_size: int = 64  # sequences generated together (prompts x n) by HF generate
    chunk_size: int | None = None  # problems per chunk; default: one HF generate call (batch_size // n prompts)

    @property
    def greedy(self) -> bool:
        return self.n == 1 and self.temperature == 0

    @property
    def prompts_per_call(self) -> int:
        return max(1, self.batch_size // self.n)

    @property
    def problems_per_chunk(self) -> int:
        return self.chunk_size or self.prompts_per_call

    def sampling(self, seed: int, stop: tuple[str, ...]) -> SamplingSettings:
        return SamplingSettings(self.n, self.max_new_tokens, self.temperature, self.top_p, seed, stop)


class GivenSamples:
    """Pre-generated completions in the sampler's place (`--samples`): each problem's samples, found by its prompt."""

    backend = "samples"

    def __init__(self, problems: Sequence[Problem], samples: dict[str, list[str]]) -> None:
        self.by_text: dict[str, list[str]] = {}
        for problem in problems:
            if self.by_text.setdefault(problem.text, samples[problem.id]) != samples[problem.id]:
                raise ValueError(f"two problems share the prompt of {problem.id!r} but have different samples")
        self.new_tokens = 0

    def sample(self, prompts: list[str], settings: SamplingSettings) -> list[list[str]]:
        return [self.by_text[text] for text in prompts]


def generate(
    sampler: CompletionSampler | GivenSamples, problems: Sequence[Problem], settings: EvalSettings, first_index: int
) -> list[list[str]]:
    """`settings.n` completions per problem; one sampler call per group of problems sharing stop sequences."""
    completions: list[list[str] | None] = [None] * len(problems)
    groups: dict[tuple[str, ...], list[int]] = {}
    for i, problem in enumerate(problems):
        groups.setdefault(problem.stop, []).append(i)
    for stop, members in groups.items():
        sampling = settings.sampling(settings.seed + first_index + members[0], stop)
        for i, samples in zip(members, sampler.sample([problems[i].text for i in members], sampling)):
            completions[i] = samples
    return completions


def run_chunk(
    sampler: CompletionSampler | GivenSamples,
    problems: Sequence[Problem],
    settings: EvalSettings,
    first_index: int,
    backend: Backend | None,
    jobs: int = 4,
    limits: Limits | None = None,
) -> list[dict[str, Any]]:
    """Generate and grade one chunk; per-problem rows with the chunk's timing."""
    tokens_before, start = sampler.new_tokens, time.perf_counter()
    completions = generate(sampler, problems, settings, first_index)
    generation_s = time.perf_counter() - start
    graded, grading_s = grade(problems, completions, backend, jobs, limits)
    timing = {
        "chunk_start": first_index,
        "generation_s": round(generation_s, 3),
        "grading_s": round(grading_s, 3),
        "new_tokens": sampler.new_tokens - tokens_before,
    }
    return problem_rows(problems, completions, graded, timing)


def problem_rows(
    problems: Sequence[Problem], completions: Sequence[list[str]], graded: Sequence[Graded], timing: dict[str, Any]
) -> list[dict[str, Any]]:
    """The per-problem results rows (`alignment.evaluation.records`)."""
    rows = []
    for problem, samples, result in zip(problems, completions, graded):
        row = {"id": problem.id, "task": problem.task, "source": problem.row["source"], "prompt": problem.text}
        if problem.task == "math":
            row["gold"] = math_gold(problem.row)
        rows.append({**row, "completions": samples, **result.as_row(), "timing": timing})
    return rows


def evaluate_problems(
    problems: Sequence[Problem],
    settings: EvalSettings,
    make_sampler: Callable[[], CompletionSampler | GivenSamples],
    backend: Backend | None,
    jobs: int = 4,
    results: ResultsFile | None = None,
    label: str = "evaluate",
) -> list[dict[str, Any]]:
    """Rows for every problem, in problem order. With `results`, finished chunks are read back instead of
    generated again and each new chunk is appended as soon as it is graded. The sampler (the model) is only
    built when some chunk is left to do."""
    from tqdm.auto import tqdm

    size = settings.problems_per_chunk
    done = results.completed() if results is not None else {}
    sampler = None
    bar = tqdm(total=len(problems), initial=len(done), desc=label, unit="problem")
    try:
        for start in range(0, len(problems), size):
            chunk = problems[start : start + size]
            if all(p.id in done for p in chunk):
                continue
            sampler = sampler or make_sampler()
            rows = run_chunk(sampler, chunk, settings, start, backend, jobs)
            if results is not None:
                results.append(rows)
            done.update((row["id"], row) for row in rows)
            bar.update(len(chunk))
    finally:
        bar.close()
    return [done[p.id] for p in problems]


def results_file(path: Any, problems: Sequence[Problem], settings: EvalSettings) -> ResultsFile:
    return ResultsFile(path, chunked([p.id for p in problems], settings.problems_per_chunk))


def timing_totals(rows: Sequence[dict[str, Any]]) -> dict[str, float]:
    """Generation and grading seconds and generated tokens over the chunks of `rows` (each chunk counted once)."""
    chunks = {row["timing"]["chunk_start"]: row["timing"] for row in rows}
    generation_s = sum(t["generation_s"] for t in chunks.values())
    tokens = sum(t["new_tokens"] for t in chunks.values())
    return {
        "generation_s": round(generation_s, 2),
        "grading_s": round(sum(t["grading_s"] for t in chunks.values()), 2),
        "new_tokens": tokens,
        "tokens_per_s": round(tokens / generation_s, 2) if generation_s > 0 else 0.0,
    }
