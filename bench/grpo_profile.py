"""Measuring pieces of the GRPO benchmark: variants in their own processes, their step profiles, and the two
yardsticks for generation speed (plain HF `generate` of the same model, and a FLOP bound for this machine).

* `run_variant` starts `bench.grpo_runner` for one set of stage arguments (of this tree's stage, or of an earlier
  revision's unpacked by `original_tree`) and, with `pin=True`, puts the
  trainer's main thread on one core and the sandbox's worker processes (its children) on the other, so trainer and
  sandbox do not take turns on one core.
* `step_profile` averages the `timing/*` metrics the stage logged (alignment/run/telemetry.py) over the measured
  steps (the first is a warm-up: lazy initialisation, first sandbox runs).
* `matmul_gflops` times matrix products (fp32 at the trainer's thread count on a CPU, bf16 on CUDA);
  `flops_per_token` counts a decoder's forward FLOPs (2 per weight, plus attention over the context), so GFLOP/s
  over FLOPs per token bounds tokens/s.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def _descendants(pid: int) -> list[int]:
    found, todo = [], [pid]
    while todo:
        parent = todo.pop()
        for task in Path(f"/proc/{parent}/task").glob("*"):
            try:
                children = [int(c) for c in (task / "children").read_text().split()]
            except OSError:
                continue
            found += children
            todo += children
    return found


def _pin_loop(proc: subprocess.Popen, stop: threading.Event) -> None:
    """Trainer's main thread on core 0, every process it started (sandbox spawners and their runs) on core 1."""
    while not stop.wait(0.5):
        try:
            os.sched_setaffinity(proc.pid, {0})  # a pid names the process's main thread only
            for child in _descendants(proc.pid):
                os.sched_setaffinity(child, {1})
        except OSError:  # a process ended between listing and pinning
            continue


def run_variant(
    result: Path, stage_args: list[str], pin: bool, timeout_s: float = 3600, source: Path = ROOT
) -> dict[str, Any]:
    """Run one variant to completion; returns the runner's result plus the stage's profile rows. `source` is the
    tree whose `alignment.grpo` runs (another revision's code: `original_tree`); the runner is always this one."""
    env = {**os.environ, "PYTHONPATH": str(source), "WANDB_MODE": "disabled", "TOKENIZERS_PARALLELISM": "false"}
    log = result.with_suffix(".log")
    command = [sys.executable, str(ROOT / "bench/grpo_runner.py"), str(result), "--", *stage_args]
    with open(log, "w") as out:
        proc = subprocess.Popen(command, cwd=source, env=env, stdout=out, stderr=subprocess.STDOUT)
        stop = threading.Event()
        pinner = threading.Thread(target=_pin_loop, args=(proc, stop), daemon=True)
        if pin and (os.cpu_count() or 1) >= 2:
            pinner.start()
        try:
            code = proc.wait(timeout=timeout_s)
        finally:
            stop.set()
    if code != 0:
        tail = log.read_text()[-3000:]
        raise RuntimeError(f"variant failed (exit {code}), log {log}:\n{tail}")
    data = json.loads(result.read_text())
    rows = [_from_old_telemetry(r) for r in _metrics(Path(data["output_dir"]))]
    data["rows"] = [r for r in rows if "timing/step_s" in r]
    return data


def _from_old_telemetry(row: dict) -> dict:
    """A metrics row of the code before `timing/*` (`time/generation_s`, `time/reward_s`, `time/training_s`, which
    add up to its step) in this benchmark's keys; rows that have `timing/*` pass unchanged."""
    if "timing/step_s" in row or "time/training_s" not in row:
        return row
    parts = ("time/generation_s", "time/reward_s", "time/training_s")
    return {
        **row,
        "timing/step_s": sum(row[k] for k in parts),
        "timing/generation_s": row["time/generation_s"],
        "timing/reward_wait_s": row["time/reward_s"],  # sequential: the step waited for all of it
    }


def _metrics(output_dir: Path) -> list[dict]:
    return [json.loads(line) for line in (output_dir / "metrics.jsonl").read_text().splitlines() if line.strip()]


def original_tree(work: Path, revision: str) -> Path:
    """This repository's `revision` unpacked under `work` (once), for running the code as it was."""
    dest = work / f"source-{revision}"
    if (dest / "alignment").is_dir():
        return dest
    found = subprocess.run(["git", "-C", str(ROOT), "cat-file", "-e", f"{revision}^{{commit}}"], capture_output=True)
    if found.returncode:
        raise SystemExit(
            f"error: revision {revision} is not in this clone (a shallow clone?): `git fetch --unshallow`, or "
            "`--original none` to leave the original code out"
        )
    dest.mkdir(parents=True, exist_ok=True)
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", revision], capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)
    return dest


def step_profile(rows: list[dict], warmup: int = 1) -> dict[str, float]:
    """Mean of every numeric metric over the steps after `warmup` (all steps if there are no others)."""
    measured = rows[warmup:] or rows
    keys = {k for row in measured for k, v in row.items() if isinstance(v, (int, float))}
    return {k: sum(r[k] for r in measured if k in r) / sum(1 for r in measured if k in r) for k in sorted(keys)}


def matmul_gflops(threads: int, device: str = "cpu", size: int = 1024, repeats: int = 10) -> float:
    """Best GEMM rate of this machine (GFLOP/s): fp32 at `threads` threads on a CPU, bf16 on CUDA."""
    import torch

    previous = torch.get_num_threads()
    torch.set_num_threads(threads)
    dtype = torch.bfloat16 if device == "cuda" else torch.float32
    size = 4096 if device == "cuda" else size
    try:
        a, b = (torch.randn(size, size, device=device, dtype=dtype) for _ in range(2))
        a @ b
        best = float("inf")
        for _ in range(repeats):
            _sync(device)
            start = time.perf_counter()
            a @ b
            _sync(device)
            best = min(best, time.perf_counter() - start)
    finally:
        torch.set_num_threads(previous)
    return 2 * size**3 / best / 1e9


def _sync(device: str) -> None:
    if device == "cuda":
        import torch

        torch.cuda.synchronize()


def flops_per_token(config: Any, context: int) -> float:
    """Forward FLOPs of one new token of a Llama-style decoder at `context` tokens of attention (2 per weight)."""
    h, layers = config.hidden_size, config.num_hidden_layers
    kv = config.num_key_value_heads * (h // config.num_attention_heads)
    per_layer = 2 * (h * h * 2 + h * kv * 2 + 3 * h * config.intermediate_size) + 4 * context * h
    return layers * per_layer + 2 * h * config.vocab_size  # plus the LM head


def hf_generate_rate(
    model_path: str, prompts: list, group: int, max_new_tokens: int, threads: int, device: str = "cpu"
) -> dict:
    """New tokens/s of plain `model.generate` on the same prompts, sampling like the stage (temperature 1), in the
    stage's default precision (fp32 on a CPU, bf16 on CUDA)."""
    import torch
    from transformers import AutoModelForCausalLM

    from alignment.model.loading import load_tokenizer

    torch.set_num_threads(threads)
    tokenizer = load_tokenizer(model_path, "model")
    dtype = torch.bfloat16 if device == "cuda" else torch.float32
    model = AutoModelForCausalLM.from_pretrained(model_path, dtype=dtype).to(device).eval()
    texts = [tokenizer.apply_chat_template(p, tokenize=False, add_generation_prompt=True) for p in prompts]
    tokenizer.padding_side = "left"
    batch = tokenizer([t for t in texts for _ in range(group)], return_tensors="pt", padding=True).to(device)
    torch.manual_seed(0)
    with torch.no_grad():
        start = time.perf_counter()
        out = model.generate(
            **batch, max_new_tokens=max_new_tokens, do_sample=True, temperature=1.0, top_k=0, top_p=1.0
        )
        _sync(device)
        elapsed = time.perf_counter() - start
    new = out[:, batch["input_ids"].shape[1] :]
    tokens = int((new != tokenizer.pad_token_id).sum())
    return {"tokens": tokens, "seconds": elapsed, "tokens_per_s": tokens / elapsed, "config": model.config}
