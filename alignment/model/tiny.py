"""Tiny Llama-style models with their own BPE tokenizer, built offline in seconds (tests and the CPU demo).

Nothing is downloaded: the tokenizer is trained on a corpus given by the caller (byte-level BPE, digits split one
per token so arithmetic stays learnable), the model is randomly initialised from a small `LlamaConfig`, and both are
saved as an ordinary checkpoint directory that every stage loads by path.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

import torch

from alignment.model.templates import TEMPLATES, V1_EOT, V2_BOS, V2_EOS, apply_chat_template_choice

PAD = "<pad>"


def train_tokenizer(corpus: Iterable[str], vocab_size: int = 512, chat_template: str = "deepseek_coder_v2"):
    """A byte-level BPE `PreTrainedTokenizerFast` with the DeepSeek special tokens and `chat_template` installed."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.Sequence(
        [pre_tokenizers.Digits(individual_digits=True), pre_tokenizers.ByteLevel(add_prefix_space=False)]
    )
    tok.decoder = decoders.ByteLevel()
    specials = [PAD, V2_BOS, V2_EOS, V1_EOT]
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=specials,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(corpus, trainer=trainer)
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, pad_token=PAD, bos_token=V2_BOS, eos_token=V2_EOS)
    fast.add_special_tokens({"additional_special_tokens": [V1_EOT]})
    return apply_chat_template_choice(fast, chat_template)


def build_tiny_model(
    output_dir: str | os.PathLike,
    corpus: Iterable[str] | None = None,
    *,
    vocab_size: int = 512,
    hidden_size: int = 64,
    num_layers: int = 2,
    num_heads: int = 4,
    max_positions: int = 512,
    chat_template: str = "deepseek_coder_v2",
    seed: int = 0,
) -> Path:
    """Write a randomly initialised tiny `LlamaForCausalLM` + tokenizer to `output_dir` and return the path."""
    from transformers import LlamaConfig, LlamaForCausalLM

    if chat_template not in TEMPLATES:
        raise ValueError(f"tiny models need a DeepSeek template, one of {', '.join(TEMPLATES)}")
    corpus = list(corpus) if corpus is not None else _default_corpus()
    tokenizer = train_tokenizer(corpus, vocab_size=vocab_size, chat_template=chat_template)
    torch.manual_seed(seed)
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=hidden_size,
        intermediate_size=4 * hidden_size,
        num_hidden_layers=num_layers,
        num_attention_heads=num_heads,
        num_key_value_heads=num_heads,
        max_position_embeddings=max_positions,
        tie_word_embeddings=True,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )
    model = LlamaForCausalLM(config)
    model.generation_config.eos_token_id = tokenizer.eos_token_id
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    out = Path(output_dir)
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    return out


def _default_corpus() -> list[str]:
    """A small mixed corpus (arithmetic, code, chat markers) so the BPE has sensible merges."""
    from data.generate import math_problems

    rows = math_problems(n=400, seed=0)
    text = [r["question"] + " " + r["solution"] for r in rows]
    text += ["def add(a, b):\n    return a + b\n", "User: hi\n\nAssistant: hello", "### Instruction:\n### Response:\n"]
    return text
