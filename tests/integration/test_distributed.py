"""Two-process runs of SFT, GRPO and the reward model on CPU (gloo), through `accelerate launch` as users do.

Every combination of stage x {DeepSpeed ZeRO-2, ZeRO-3} runs on CPU here: DeepSpeed's CPU accelerator falls back to
gloo when oneCCL is absent (the first launch on a machine JIT-builds its shared-memory op once, ~2 min; `make setup`
pre-builds it). Each test asserts that:

* both ranks finished every step (the launcher exits 0 only when every rank does; rank 1 also reached the last save);
* gradients were synchronised: `replicas.json` holds one weights fingerprint per rank and they are equal, and the
  weights moved away from the initial checkpoint;
* only rank 0 wrote checkpoints and logs: a write audit (tests/integration/write_audit, Python audit hooks in every
  launched process) shows rank 1 writing nothing under the output directory but its own checkpoint shards, and the
  JSONL log holds each step once. Audit hooks do not see writes made by native code (torch.save's zip writer,
  safetensors, tokenizers); those files are checked by name: exactly the per-rank ones exist once per rank.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from safetensors.torch import load_file

from tests.integration.run_helpers import (
    accelerate_launch,
    build_policy_and_reward_model,
    grpo_args,
    sft_args,
    tail,
)

pytestmark = [pytest.mark.integration, pytest.mark.distributed, pytest.mark.slow]

STEPS = 2


@pytest.fixture(scope="module")
def models(tmp_path_factory) -> tuple[Path, Path]:
    return build_policy_and_reward_model(tmp_path_factory.mktemp("models"))


def _stage_args(module: str, models: tuple[Path, Path], output_dir: Path) -> list[str]:
    policy, reward_model = models
    common = ("--max_steps", str(STEPS), "--check_replicas", "true")
    if module == "alignment.grpo":
        return grpo_args(policy, reward_model, output_dir, *common)
    return sft_args(policy, output_dir, *common)


def _audit(audit_dir: Path, rank: int, output_dir: Path) -> list[tuple[str, str]]:
    path = audit_dir / f"rank{rank}.log"
    if not path.exists():
        return []
    rows = [line.split("\t", 1) for line in path.read_text().splitlines()]
    return [(event, str(Path(p).relative_to(output_dir))) for event, p in rows if p.startswith(str(output_dir) + "/")]


@pytest.mark.parametrize(
    "module,accelerate_config",
    [
        ("alignment.sft", "cpu_zero2.yaml"),
        ("alignment.sft", "cpu_zero3.yaml"),
        ("alignment.grpo", "cpu_zero2.yaml"),
        ("alignment.grpo", "cpu_zero3.yaml"),
    ],
)
def test_two_process_deepspeed_run(module, accelerate_config, models, tmp_path):
    output_dir = tmp_path / "run"
    audit_dir = tmp_path / "audit"
    proc = accelerate_launch(accelerate_config, module, _stage_args(module, models, output_dir), audit_dir, output_dir)
    assert proc.returncode == 0, tail(proc)

    # Both ranks finished: the launcher saw both exit 0, training reached its step, rank 1 took part in the last save.
    state = json.loads((output_dir / f"checkpoint-{STEPS}" / "trainer_state.json").read_text())
    assert state["global_step"] == STEPS
    assert ("mkdir", f".staging/checkpoint-{STEPS}") in _audit(audit_dir, 1, output_dir)

    # Gradients synchronised: the same weights on both ranks, and they did change.
    replicas = json.loads((output_dir / "replicas.json").read_text())
    assert len(replicas["fingerprints"]) == 2 and replicas["identical"], replicas
    start, end = load_file(models[0] / "model.safetensors"), load_file(output_dir / "model.safetensors")
    assert any(not start[name].equal(end[name]) for name in start), "training did not change the weights"

    # Only rank 0 wrote: rank 1's Python-level writes under the output dir are only directory creations
    # (exist_ok) for the shards it must write itself; every log line is there once.
    rank1_writes = [(e, p) for e, p in _audit(audit_dir, 1, output_dir) if e != "mkdir"]
    assert rank1_writes == [], rank1_writes
    rank0_files = {p for e, p in _audit(audit_dir, 0, output_dir) if e in ("open", "rename")}
    assert {"manifest.json", "config.yaml", "metrics.jsonl", "replicas.json", f"checkpoint-{STEPS}"} <= rank0_files
    steps = [row["step"] for row in map(json.loads, (output_dir / "metrics.jsonl").read_text().splitlines())]
    assert steps == [*range(1, STEPS + 1), STEPS], "one row per step and the end-of-training summary, once each"
    assert json.loads((output_dir / "manifest.json").read_text())["world_size"] == 2

    # Native writers, checked by name: per-rank RNG states and DeepSpeed optimizer shards, one per rank.
    checkpoint = output_dir / f"checkpoint-{STEPS}"
    assert sorted(p.name for p in checkpoint.glob("rng_state_*.pth")) == ["rng_state_0.pth", "rng_state_1.pth"]
    shards = sorted(p.name for p in checkpoint.glob("global_step*/zero_pp_rank_*_optim_states.pt"))
    assert shards == [f"zero_pp_rank_{r}_mp_rank_00_optim_states.pt" for r in (0, 1)]
    assert not (output_dir / ".staging").exists()

    if module == "alignment.grpo" and accelerate_config == "cpu_zero3.yaml":
        _assert_models_sharded(proc.stdout + proc.stderr)


def _assert_models_sharded(log: str) -> None:
    """Under ZeRO-3 the reference model and the reward model are partitioned across the ranks like the policy."""
    placements = dict(re.findall(r"placement role=(\S+) per rank: (\[.*\])", log))
    assert set(placements) == {"policy", "reference", "rm"}, log[-3000:]
    for role, text in placements.items():
        per_rank = eval(text, {"__builtins__": {}}, {"True": True, "False": False})  # a list of plain dicts
        assert len(per_rank) == 2, role
        for share in per_rank:
            assert share["zero3"] is True, (role, share)
            assert share["local_numel"] < share["full_numel"], (role, share)
        assert sum(s["local_numel"] for s in per_rank) >= per_rank[0]["full_numel"], role


def test_two_nodes_through_the_slurm_node_launcher(models, tmp_path):
    """configs/slurm/launch_node.sh started twice, as srun starts it on two nodes, here both on this machine.

    Each copy gets only what Slurm would give its node (SLURM_NODEID, SLURM_NNODES, SLURM_JOB_NODELIST) plus the
    knobs a user sets; the two launchers rendezvous at the first host and train one model together.
    """
    import socket
    import subprocess

    from tests.integration.run_helpers import ROOT, stage_env

    with socket.socket() as probe:  # a free port for the rendezvous
        probe.bind(("127.0.0.1", 0))
        port = str(probe.getsockname()[1])
    output_dir = tmp_path / "run"
    env = stage_env(
        SLURM_JOB_NODELIST="localhost", SLURM_NNODES="2", GPUS_PER_NODE="1", MASTER_PORT=port,
        ACCELERATE_CONFIG="configs/accelerate/cpu_zero2.yaml",
    )  # fmt: skip
    args = _stage_args("alignment.sft", models, output_dir)
    nodes = [
        subprocess.Popen(
            ["bash", "configs/slurm/launch_node.sh", "alignment.sft", *args[1:]],  # the recipe is the 2nd argument
            cwd=ROOT,
            env={**env, "SLURM_NODEID": str(rank)},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )  # fmt: skip
        for rank in (0, 1)
    ]
    outputs = [node.communicate(timeout=600)[0] for node in nodes]
    assert [node.returncode for node in nodes] == [0, 0], "\n\n".join(o[-3000:] for o in outputs)
    replicas = json.loads((output_dir / "replicas.json").read_text())
    assert len(replicas["fingerprints"]) == 2 and replicas["identical"], replicas
    assert json.loads((output_dir / "manifest.json").read_text())["world_size"] == 2


def test_two_process_zero3_reward_model_evaluates_the_gathered_weights(tmp_path):
    """Under ZeRO-3 the weights are partitioned at load; the held-out evaluation gathers them, so the untrained
    head scores exactly as the same model loaded whole in one process (same seed: the same new score head)."""
    from transformers import AutoModelForSequenceClassification, AutoTokenizer, set_seed

    from alignment.model.tiny import build_tiny_model
    from data.labelled import load_labelled, split_by_prompt
    from rewards.model_rewards import score_rm_inputs
    from tests.rm_rows import collection_rows, corpus, write_collection

    rows = collection_rows(prompts=32, samples=4, seed=0)
    base = build_tiny_model(tmp_path / "base", corpus(rows), vocab_size=300, hidden_size=32, num_heads=2)
    collection = write_collection(tmp_path / "collection", rows)
    output_dir = tmp_path / "run"
    args = ["--config", "configs/reward_model/tiny_cpu.yaml", "--model_name_or_path", str(base),
            "--datasets", str(collection), "--output_dir", str(output_dir), "--max_steps", str(STEPS),
            "--per_device_train_batch_size", "4", "--check_replicas", "true"]  # fmt: skip
    proc = accelerate_launch("cpu_zero3.yaml", "alignment.reward_model", args, tmp_path / "audit", output_dir)
    assert proc.returncode == 0, tail(proc)
    assert json.loads((output_dir / "replicas.json").read_text())["identical"]

    set_seed(0)  # the recipe's seed
    whole = AutoModelForSequenceClassification.from_pretrained(base, num_labels=1)
    tokenizer = AutoTokenizer.from_pretrained(base)
    whole.config.pad_token_id = tokenizer.pad_token_id
    held_out = split_by_prompt(load_labelled([collection]), 0.25, seed=0)[1]
    scores = score_rm_inputs(whole, tokenizer, [s.prompt for s in held_out], [s.completion for s in held_out])
    untrained = json.loads((output_dir / "eval_results.json").read_text())["untrained_head"]
    assert untrained["samples"] == len(held_out)
    assert untrained["score_mean"] == pytest.approx(sum(scores) / len(scores), abs=1e-6)
