"""SFT and GRPO stages end to end on tiny real models: they reach their step, change the weights, write outputs."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]


def weights(path: Path) -> dict[str, torch.Tensor]:
    return load_file(str(path / "model.safetensors"))


def changed(before: dict, after: dict) -> list[str]:
    return [k for k in before if k in after and not torch.equal(before[k], after[k])]


def test_sft_two_steps_trains_and_writes_outputs(tiny_base_model, tmp_path):
    from alignment import sft

    out = tmp_path / "sft"
    sft.main(
        [
            "--config", str(ROOT / "configs/sft/tiny_cpu.yaml"),
            "--model_name_or_path", str(tiny_base_model),
            "--output_dir", str(out),
            "--save_strategy", "steps", "--save_steps", "2",
            "--completions_table_every_n_steps", "1",
        ]
    )  # fmt: skip
    state = json.loads((out / "checkpoint-2" / "trainer_state.json").read_text())
    assert state["global_step"] == 2
    assert changed(weights(tiny_base_model), weights(out)), "SFT left every parameter unchanged"
    for name in ("model.safetensors", "config.json", "tokenizer.json", "chat_template.jinja"):
        assert (out / name).is_file(), f"{name} missing from the SFT output"


def test_sft_loss_is_on_the_response_only(tiny_base_model, tmp_path):
    """Collate one real example the way the trainer does: every supervised token belongs to the response."""
    import datasets
    from trl import SFTConfig, SFTTrainer

    from alignment.model.loading import load_causal_lm, load_tokenizer
    from data.loading import map_rows, sft_example

    rows = [
        {"question": "Ana has 3 shells and gets 4 more. How many?", "solution": "3 + 4 = 7. The answer is \\boxed{7}."}
    ]
    dataset = map_rows(datasets.Dataset.from_list(rows), sft_example)
    tokenizer = load_tokenizer(str(tiny_base_model), "deepseek_coder_v2")
    args = SFTConfig(output_dir=str(tmp_path), bf16=False, report_to="none", max_length=128)
    trainer = SFTTrainer(
        model=load_causal_lm(str(tiny_base_model)), args=args, train_dataset=dataset, processing_class=tokenizer
    )
    batch = trainer.data_collator([trainer.train_dataset[0]])
    ids, labels = batch["input_ids"][0], batch["labels"][0]
    supervised = tokenizer.decode(ids[labels != -100])
    ignored = tokenizer.decode(ids[labels == -100])
    assert supervised.strip() == "3 + 4 = 7. The answer is \\boxed{7}.<｜end▁of▁sentence｜>"
    assert ignored == "<｜begin▁of▁sentence｜>User: Ana has 3 shells and gets 4 more. How many?\n\nAssistant:"


def test_grpo_two_steps_trains_and_writes_outputs(tiny_sft_model, tmp_path):
    from alignment import grpo

    out = tmp_path / "grpo"
    grpo.main(
        [
            "--config", str(ROOT / "configs/grpo/tiny_cpu.yaml"),
            "--model_name_or_path", str(tiny_sft_model),
            "--datasets", str(ROOT / "data/math_small/train.jsonl"),
            "--reward_funcs", "math", "boxed_format",
            "--max_completion_length", "24",
            "--output_dir", str(out),
            "--save_strategy", "steps", "--save_steps", "2",
            "--completions_table_every_n_steps", "1",
        ]
    )  # fmt: skip
    state = json.loads((out / "checkpoint-2" / "trainer_state.json").read_text())
    assert state["global_step"] == 2
    logged = {k for entry in state["log_history"] for k in entry}
    assert {"rewards/math/mean", "rewards/boxed_format/mean", "kl", "rewards/math/frac_none"} <= logged
    assert changed(weights(tiny_sft_model), weights(out)), "GRPO left every parameter unchanged"
    assert (out / "tokenizer.json").is_file()
    table = [json.loads(line) for line in (out / "completions.jsonl").read_text().splitlines()]
    assert {row["step"] for row in table} == {1, 2}
    for row in table:  # JSON values, as the trainer saw them: message lists, not their Python repr
        assert isinstance(row["prompt"], list) and row["prompt"][-1]["role"] == "user", row["prompt"]
        assert isinstance(row["completion"], list) and isinstance(row["completion"][0]["content"], str)


def test_grpo_cpu_speed_keys_reach_the_trainer_and_the_allocator(tiny_sft_model, tmp_path):
    from tests.integration.run_helpers import run_stage

    out = tmp_path / "grpo-fast"
    done = run_stage(
        "alignment.grpo",
        [
            "--config", str(ROOT / "configs/grpo/tiny_cpu.yaml"),
            "--model_name_or_path", str(tiny_sft_model),
            "--datasets", str(ROOT / "data/math_small/train.jsonl"),
            "--reward_funcs", "math", "boxed_format", "--max_completion_length", "24", "--max_steps", "2",
            "--output_dir", str(out), "--save_strategy", "no",
            "--fast_sampling", "true", "--top_k", "20", "--no_grad_batch_size", "8", "--hold_freed_memory", "true",
            "--dense_logprobs", "true", "--share_prompt_prefix", "true", "--lean_activations", "true",
        ],
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    assert re.search(r"lean_activations: \{'\w+MLP': \d+, '\w+RMSNorm': \d+\}", done.stderr), done.stderr[-3000:]
    assert "fast_sampling: HF generation samples by TopKLogitsWarper -> InverseCDFSampler" in done.stderr
    assert "no_grad_batch_size: reference and old-policy log-probs 8 rows per forward" in done.stderr
    assert "hold_freed_memory: malloc serves blocks up to 1024 MiB" in done.stderr
    assert "share_prompt_prefix: each distinct prompt computed once per forward; micro-batches hold" in done.stderr
    assert changed(weights(tiny_sft_model), weights(out)), "GRPO left every parameter unchanged"


def test_grpo_on_tcmalloc_restarts_preloaded_and_trains(tiny_sft_model, tmp_path):
    """`malloc: tcmalloc` from the command line: the stage restarts itself once with the library preloaded, finds
    the library mapped into the restarted process, and trains as usual."""
    from alignment.run.allocator import malloc_library
    from tests.integration.run_helpers import run_stage

    try:
        malloc_library("tcmalloc")
    except ValueError as err:  # `.ci/setup.sh --sandbox` installs it
        pytest.skip(f"tcmalloc is not installed here: {err}")
    out = tmp_path / "grpo-tcmalloc"
    done = run_stage(
        "alignment.grpo",
        [
            "--config", str(ROOT / "configs/grpo/tiny_cpu.yaml"), "--model_name_or_path", str(tiny_sft_model),
            "--datasets", str(ROOT / "data/math_small/train.jsonl"), "--reward_funcs", "math", "boxed_format",
            "--max_completion_length", "24", "--max_steps", "2", "--output_dir", str(out), "--save_strategy", "no",
            "--malloc", "tcmalloc",
        ],
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    assert "malloc: tcmalloc: restarting the process with LD_PRELOAD=" in done.stderr
    assert re.search(r"malloc: tcmalloc \(/\S*libtcmalloc\S*\.so\S*\)", done.stderr), done.stderr[-3000:]
    assert changed(weights(tiny_sft_model), weights(out)), "GRPO left every parameter unchanged"
