"""GRPO step profile: where a step's time goes, with rewards sequential, overlapped, and replaced by a constant.

    python -m bench.bench_grpo                    # code + math on a tiny policy (make bench-grpo)
    python -m bench.bench_grpo --recipe smollm2   # the SmolLM2 recipe against the original code (make bench-grpo-smollm2)

Code configuration (default): a tiny policy that writes fenced programs (bench/grpo_setup.py) trains by GRPO on the
project's code tasks and arithmetic problems, rewards `code` (graded in bwrap) and `math`, the trainer on one
thread (`torch_threads: 1`) and, with `--pin`, its main thread on core 0 and the sandbox's processes on core 1.
Three variants run one after another in fresh processes, each for `--steps` steps (the first is a warm-up and not
averaged): `sequential` (`overlap_rewards: false`, TRL's order), `overlapped` (the default) and `constant` (a reward
that does no work, so what is left is the step without reward cost). The table gives seconds per step in each phase
of `timing/*` (alignment/run/telemetry.py) and the share of the step spent waiting for rewards.

Generation speed is compared with plain HF `generate` of the same model on the same prompts, and with a FLOP
bound: this machine's fp32 GEMM rate at the trainer's thread count over the model's FLOPs per token.

SmolLM2 (`--recipe smollm2`): configs/grpo/smollm2_math_cpu.yaml as shipped (`new`) against `original`, the
code and recipe of revision `ORIGINAL_REVISION` (the last commit before the throughput work, unpacked from git and
run by its own stage: the old path as it was, not a reconstruction), and against the recipe with
`lean_activations: false` (`new_no_lean`), on glibc's malloc with `lean_activations: false` (`new_glibc`, the
recipe before `malloc: tcmalloc`), that with `hold_freed_memory: true` (`new_glibc_hold`) and glibc with
`lean_activations: true` and `return_freed_memory: true` (`new_glibc_lowmem`); `--variants` runs some of them
only; `--old_settings` adds this code on the recipe's earlier settings (`old`: torch's
default threads, fp32 matmuls, one 16-sequence micro-batch, sequential rewards). Step time and peak memory side by
side, on the recipe's threads and unpinned (a main thread pinned to one core pins the OpenMP threads it starts as
well). The original code logs only generation, reward and the rest of the step (`time/*`); its row "all training
passes" is that rest. Absolute times depend on the machine's load (printed); compare the ratios. Peak memory is the
process's peak resident size over the whole run: with `hold_freed_memory` the resident size climbs over the first
four steps (malloc's free lists fragment) and then holds, so a run shorter than five steps understates it;
`make bench-grpo-smollm2` runs five.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
from pathlib import Path

import yaml

from bench.grpo_profile import (
    flops_per_token,
    hf_generate_rate,
    matmul_gflops,
    original_tree,
    run_variant,
    step_profile,
)

ROOT = Path(__file__).resolve().parents[1]
PHASES = (
    "generation", "logprobs_old", "logprobs_ref", "reward_wait", "loss", "backward", "optimizer", "other",
)  # fmt: skip
OFF_PATH = ("reward_code", "sandbox", "reward_math", "reward_boxed_format", "reward_constant")
# The code the SmolLM2 figures of issue 12 were measured on (234-249 s/step, 10 GB peak): the last commit before
# the throughput work. Its own stage and its own recipe run as the `original` variant.
ORIGINAL_REVISION = "5b4feb1"
# This code with the SmolLM2 recipe's settings of that time (`--old_settings`): what the recipe's keys buy.
SMOLLM2_OLD = [
    "--torch_threads", "0", "--bf16", "false", "--bf16_reference", "false", "--per_device_train_batch_size", "16",
    "--gradient_accumulation_steps", "1", "--optim", "adamw_torch_fused", "--overlap_rewards", "false",
]  # fmt: skip


def code_stage_args(args, policy: Path, out: Path) -> list[str]:
    rewards = args.rewards.split(",")
    data = [ROOT / "data/code_tasks/tasks.jsonl"] if "code" in rewards else []
    data.append(ROOT / "data/math_small/train.jsonl")
    return [
        "--config", str(ROOT / "configs/grpo/tiny_cpu.yaml"),
        "--model_name_or_path", str(policy),
        "--datasets", *map(str, data), "--dataset_weights", *["1"] * len(data), "--mixture_size", "2000",
        "--reward_funcs", *rewards, "--sandbox_backend", args.backend, "--sandbox_jobs", str(args.sandbox_jobs),
        "--num_generations", str(args.generations),
        "--per_device_train_batch_size", str(args.prompts * args.generations),
        "--max_completion_length", str(args.max_completion_length), "--learning_rate", "1e-4",
        "--max_steps", str(args.steps), "--torch_threads", str(args.threads), "--logging_steps", "1",
        "--output_dir", str(out), "--save_strategy", "no", "--report_to", "none",
    ]  # fmt: skip


def smollm2_stage_args(args, out: Path) -> list[str]:
    return [
        "--config", str(ROOT / "configs/grpo/smollm2_math_cpu.yaml"), "--max_steps", str(args.steps),
        "--logging_steps", "1", "--output_dir", str(out), "--save_strategy", "no", "--report_to", "none",
    ]  # fmt: skip


def variants(args, work: Path) -> dict[str, list[str]]:
    if args.recipe == "smollm2":
        runs = {}
        if args.original != "none":
            source = original_tree(work, args.original)
            runs["original"] = [
                "--config", str(source / "configs/grpo/smollm2_math_cpu.yaml"), "--max_steps", str(args.steps),
                "--logging_steps", "1", "--save_strategy", "no", "--report_to", "none",
            ]  # fmt: skip
        if args.old_settings:
            runs["old"] = [*smollm2_stage_args(args, work / "old"), *SMOLLM2_OLD]
        runs["new"] = smollm2_stage_args(args, work / "new")
        # the recipe keeping every tensor autograd keeps (what `lean_activations` buys)
        runs["new_no_lean"] = [*smollm2_stage_args(args, work / "new_no_lean"), "--lean_activations", "false"]
        # the recipe on glibc's malloc (the recipe before `malloc: tcmalloc`), and with its thresholds raised or fixed
        glibc = [*smollm2_stage_args(args, work / "new_glibc"), "--malloc", "system", "--lean_activations", "false"]
        runs["new_glibc"] = glibc
        runs["new_glibc_hold"] = [*glibc, "--hold_freed_memory", "true"]
        runs["new_glibc_lowmem"] = [*glibc, "--lean_activations", "true", "--return_freed_memory", "true"]
        if args.variants:
            runs = {name: run for name, run in runs.items() if name in (*args.variants, "original", "old")}
        return runs
    from bench.grpo_setup import build_code_policy

    policy = build_code_policy(
        work / f"policy-h{args.hidden_size}-l{args.layers}", hidden_size=args.hidden_size, num_layers=args.layers
    )
    runs = {
        "sequential": [*code_stage_args(args, policy, work / "sequential"), "--overlap_rewards", "false"],
        "overlapped": code_stage_args(args, policy, work / "overlapped"),
        "constant": [*code_stage_args(args, policy, work / "constant"), "--reward_funcs", "constant"],
    }
    if args.dynamic:
        runs["overlapped+dynamic"] = [
            *runs["overlapped"],
            "--output_dir",
            str(work / "dynamic"),
            "--dynamic_sampling",
            "true",
        ]
    return runs


def run_rounds(args, work: Path, runs: dict[str, list[str]]) -> tuple[dict, dict, dict]:
    """Every variant `args.rounds` times, the order reversed each round so that drifting machine load hits all
    alike; returns each variant's profile (mean over rounds), peak RSS (max) and the load average at its starts."""
    per_round: dict[str, list[dict[str, float]]] = {name: [] for name in runs}
    peaks: dict[str, float] = {}
    loads: dict[str, list[float]] = {name: [] for name in runs}
    for round_ in range(args.rounds):
        order = list(runs) if round_ % 2 == 0 else list(runs)[::-1]
        for name in order:
            loads[name].append(round(os.getloadavg()[0], 1))
            out = work / f"{name}-r{round_}"
            stage_args = [*runs[name], "--output_dir", str(out)]
            source = original_tree(work, args.original) if name == "original" else ROOT  # unpacked once, then found
            result = run_variant(work / f"{name}-r{round_}.json", stage_args, args.pin, source=source)
            per_round[name].append(step_profile(result["rows"]))
            peaks[name] = max(peaks.get(name, 0.0), result["peak_rss_gib"])
    profiles = {name: _mean(rounds) for name, rounds in per_round.items()}
    return profiles, peaks, loads


def _mean(profiles: list[dict[str, float]]) -> dict[str, float]:
    keys = set().union(*profiles)
    return {k: sum(p[k] for p in profiles if k in p) / sum(1 for p in profiles if k in p) for k in sorted(keys)}


def profile_table(profiles: dict[str, dict[str, float]], memory: dict[str, float]) -> list[str]:
    names = list(profiles)
    lines = ["| seconds per step | " + " | ".join(names) + " |", "|---|" + "---:|" * len(names)]

    def row(label: str, key: str, fmt: str = "{:.3f}") -> None:
        if any(key in p for p in profiles.values()):
            cells = [fmt.format(p[key]) if key in p else "–" for p in profiles.values()]
            lines.append(f"| {label} | " + " | ".join(cells) + " |")

    for phase in PHASES:
        row(f"{phase}", f"timing/{phase}_s")
    for p in profiles.values():  # what the original code's telemetry calls `time/training_s`
        p["training_passes"] = p["timing/step_s"] - p["timing/generation_s"] - p.get("timing/reward_wait_s", 0.0)
    row("all training passes (step - generation - reward wait)", "training_passes")
    row("**step**", "timing/step_s")
    for key in OFF_PATH:
        row(f"({key}, own time)", f"timing/{key}_s")
    for p in profiles.values():
        p["wait_share"] = 100 * p.get("timing/reward_wait_s", 0.0) / p["timing/step_s"]
    row("**reward wait / step**", "wait_share", "{:.1f}%")
    row("sandbox programs / step", "sandbox/calls", "{:.0f}")
    for p in profiles.values():
        if "completions/mean_length" in p:
            p["gen_tokens_per_s"] = p["completions/mean_length"] * p["batch_rows"] / p["timing/generation_s"]
    row("generation, new tokens/s", "gen_tokens_per_s", "{:.0f}")
    row("dropped groups (dynamic sampling)", "dynamic_sampling/dropped_frac", "{:.2f}")
    for name, gib in memory.items():
        profiles[name]["peak_rss_gib"] = gib
    row("peak RSS (GiB)", "peak_rss_gib", "{:.2f}")
    return lines


def generation_lines(args, profiles: dict[str, dict[str, float]], model_path: str, prompts: list) -> list[str]:
    """Tokens/s of the stage's generation, plain HF generate on the same prompts, and the FLOP bound."""
    name = "overlapped" if "overlapped" in profiles else "new"
    threads = args.threads or os.cpu_count() or 1
    hf = hf_generate_rate(model_path, prompts, args.generations, args.max_completion_length, threads, args.device)
    gflops = matmul_gflops(threads, args.device)
    precision = "bf16" if args.device == "cuda" else "fp32"
    context = 64 + args.max_completion_length // 2  # a typical prompt plus half the completion
    per_token = flops_per_token(hf["config"], context)
    lines = [
        "",
        f"| generation ({args.device}) | new tokens/s |",
        "|---|---:|",
        f"| GRPO stage, {name} (`timing/generation_s`, threads={threads}) | "
        f"{profiles[name]['gen_tokens_per_s']:.1f} |",
        f"| plain HF `generate`, same model and prompts, fp32, threads={threads} | {hf['tokens_per_s']:.1f} |",
    ]
    if args.device == "cpu" and threads != os.cpu_count():  # what the old default (one thread per core) gets
        default = hf_generate_rate(model_path, prompts, args.generations, args.max_completion_length, os.cpu_count())
        lines.append(f"| plain HF `generate`, fp32, threads={os.cpu_count()} | {default['tokens_per_s']:.1f} |")
    lines.append(
        f"| FLOP bound ({gflops:.0f} GFLOP/s {precision} GEMM at threads={threads} / {per_token / 1e6:.1f} MFLOP "
        f"per token) | {gflops * 1e9 / per_token:.0f} |"
    )
    return lines


def bench_prompts(args) -> list:
    """`args.prompts` prompts of the benchmark's data, alternating between its sources, as the stage renders them."""
    from data.loading import grpo_example

    sources = [ROOT / "data/math_small/train.jsonl"]
    if args.recipe == "code" and "code" in args.rewards:
        sources.insert(0, ROOT / "data/code_tasks/tasks.jsonl")
    lines = [src.read_text().splitlines() for src in sources]
    rows = [grpo_example(json.loads(lines[i % len(lines)][i // len(lines)]))["prompt"] for i in range(args.prompts)]
    if args.recipe == "smollm2":  # the recipe's prompt_suffix
        rows = [[{**m, "content": f"{m['content']} Put the final answer in \\boxed{{}}."} for m in p] for p in rows]
    return rows


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--recipe", choices=("code", "smollm2"), default="code")
    parser.add_argument("--work", type=Path, default=ROOT / "outputs/bench-grpo")
    parser.add_argument("--steps", type=int, default=4, help="steps per variant; the first is not averaged")
    parser.add_argument("--rounds", type=int, default=2, help="times each variant runs (order reversed each round)")
    parser.add_argument("--prompts", type=int, default=16, help="prompts per step (code configuration)")
    parser.add_argument("--generations", type=int, default=8)
    parser.add_argument("--max_completion_length", type=int, default=128)
    parser.add_argument("--hidden_size", type=int, default=128)
    parser.add_argument("--layers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=1, help="trainer threads (0: torch's default)")
    parser.add_argument("--backend", default="bwrap")
    parser.add_argument("--rewards", default="code,math", help="code,math (code tasks + math) or math")
    parser.add_argument("--device", choices=("cpu", "cuda"), default="cpu", help="cuda: the stage's default on a GPU")
    parser.add_argument("--sandbox_jobs", type=int, default=2)
    parser.add_argument("--pin", action=argparse.BooleanOptionalAction, default=True)
    parser.add_argument("--dynamic", action="store_true", help="also run the overlapped variant with dynamic sampling")
    parser.add_argument(
        "--original", default=ORIGINAL_REVISION,
        help="smollm2: the revision whose own stage and recipe run as `original` (none: leave it out)",
    )  # fmt: skip
    parser.add_argument(
        "--old_settings", action="store_true", help="smollm2: also this code on the recipe's earlier settings (`old`)"
    )
    parser.add_argument(
        "--variants", type=lambda text: text.split(","), default=None,
        help="smollm2: only these of the recipe's variants, comma-separated (original and old are kept as set)",
    )  # fmt: skip
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    if args.recipe == "smollm2":
        args.prompts, args.generations, args.max_completion_length = 2, 8, 96  # the recipe's batch
        recipe = yaml.safe_load((ROOT / "configs/grpo/smollm2_math_cpu.yaml").read_text())
        args.threads = recipe.get("torch_threads", 0)  # plain `generate` beside it on the recipe's threads
        args.pin = False  # no sandbox to keep apart; a pinned main thread would pin the OpenMP threads it starts too
    if args.device == "cuda":
        args.threads, args.pin = 0, False  # the trainer's CPU threads do not matter there
    work = args.work / args.recipe
    work.mkdir(parents=True, exist_ok=True)
    profiles, peaks, loads = run_rounds(args, work, variants(args, work))
    for profile in profiles.values():
        profile["batch_rows"] = args.prompts * args.generations
    lines = [
        f"# GRPO step profile ({args.recipe}): {args.rounds} round(s) of {args.steps} steps per variant, variants "
        "alternating in order between rounds; each variant's first step is not averaged",
        f"1-minute load average at each variant's start: {loads}; {os.cpu_count()} CPUs",
        "",
        *profile_table(profiles, peaks),
    ]
    if args.recipe == "smollm2":
        lines.append("")
        for base in ("original", "old"):
            if base not in profiles:
                continue
            before = profiles[base]
            for name in [variant for variant in profiles if variant.startswith("new")]:
                new = profiles[name]
                lines.append(
                    f"{base} -> {name}: step time {before['timing/step_s']:.1f} s -> "
                    f"{new['timing/step_s']:.1f} s ({before['timing/step_s'] / new['timing/step_s']:.1f}x); peak RSS "
                    f"{before['peak_rss_gib']:.2f} -> {new['peak_rss_gib']:.2f} GiB "
                    f"({before['peak_rss_gib'] / new['peak_rss_gib']:.1f}x)"
                )
    from alignment.model.loading import resolve_model_path

    policy = work / f"policy-h{args.hidden_size}-l{args.layers}" / "sft"
    model = resolve_model_path("smollm2-135m-instruct") if args.recipe == "smollm2" else str(policy)
    lines += generation_lines(args, profiles, model, bench_prompts(args))
    text = "\n".join(lines)
    print(text)
    (work / "profile.md").write_text(text + "\n")
    (work / "profile.json").write_text(json.dumps(profiles, indent=2))
    return profiles


if __name__ == "__main__":
    main()
