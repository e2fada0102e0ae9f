"""Shared fixtures: tiny real models built offline (no hub), and quiet, single-threaded torch for stable CI runs."""

from __future__ import annotations

import json
import os
import socket
import threading
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
os.environ.setdefault("WANDB_MODE", "offline")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


@pytest.fixture(scope="session")
def tiny_base_model(tmp_path_factory) -> Path:
    """A randomly initialised tiny Llama with a BPE tokenizer trained on the bundled math problems."""
    from alignment.model.tiny import build_tiny_model

    with open(ROOT / "data/math_small/train.jsonl") as f:
        corpus = [" ".join((r["question"], r["solution"])) for r in map(json.loads, f)][:1500]
    return build_tiny_model(tmp_path_factory.mktemp("tiny-base"), corpus, vocab_size=400, hidden_size=64, num_layers=2)


@pytest.fixture(scope="session")
def tiny_sft_model(tiny_base_model, tmp_path_factory) -> Path:
    """The tiny model after a short SFT: it writes `... The answer is \\boxed{N}.` with varied, often wrong N."""
    from alignment import sft

    out = tmp_path_factory.mktemp("tiny-sft")
    sft.main(
        [
            "--config", str(ROOT / "configs/sft/tiny_cpu.yaml"),
            "--model_name_or_path", str(tiny_base_model),
            "--datasets", str(ROOT / "data/math_small/train.jsonl"),
            "--mixture_size", "1200",
            "--max_steps", "60",
            "--per_device_train_batch_size", "16",
            "--learning_rate", "3e-3",
            "--output_dir", str(out),
        ]
    )  # fmt: skip
    return out


@pytest.fixture(scope="module")
def loopback_listener():
    """A TCP server on the host's loopback; network attacks from inside a sandbox must never reach it."""
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    accepted: list[tuple] = []

    def serve() -> None:
        while True:
            try:
                conn, addr = server.accept()
            except OSError:
                return
            accepted.append(addr)
            conn.close()

    threading.Thread(target=serve, daemon=True).start()
    yield server.getsockname()[1], accepted
    server.close()
