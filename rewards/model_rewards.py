"""Reward-model scoring: the one rendering of (prompt, completion) a reward model sees, and a batched scorer.

* `format_rm_input(tokenizer, prompt_messages, completion)`: the RM checkpoint's own chat template applied to the
  prompt plus the completion as the assistant turn. The reward-model stage builds its training and evaluation inputs
  with it and `RewardModelScorer` scores with it, so training and scoring can never drift apart. It renders what TRL's
  `GRPOTrainer` renders for a model reward (`apply_chat_template` of prompt + completion; RECIPE §4.3), and the tokens
  are taken without adding special tokens again, as TRL does (the template already holds BOS).
* `score_rm_inputs(model, tokenizer, ...)`: scores of a loaded sequence classifier, batched, in inference mode. The
  score is `logits[:, 0]` at the last non-pad token, which is where the HF sequence classifier pools (it finds the
  rightmost token that is not `pad_token_id`); inputs are right-padded.
* `RewardModelScorer(path, ...)`: the same for a checkpoint directory, for GRPO routing and best-of-n. It is picklable
  (the model is loaded lazily, once per process, and dropped when pickled) and safe to call from worker threads.

A reward model written by `python -m alignment.reward_model` carries `codealign_rm.json` beside its weights (loss,
label, the `max_length` it was trained with, the mean/std of its scores on held-out prompts, the evaluation summary);
`normalize="standardize"` needs it. This module imports nothing from `alignment/` (imports run alignment -> rewards).
"""

from __future__ import annotations

import json
import logging
import math
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

logger = logging.getLogger(__name__)

RM_INFO_NAME = "codealign_rm.json"
Normalize = Literal["none", "sigmoid", "standardize"]
NORMALIZE_CHOICES = ("none", "sigmoid", "standardize")


def format_rm_input(tokenizer: Any, prompt_messages: Sequence[dict], completion: str) -> str:
    """The text a reward model scores: its chat template over the prompt and the completion as the assistant turn."""
    messages = [*prompt_messages, {"role": "assistant", "content": completion}]
    return tokenizer.apply_chat_template(messages, tokenize=False)


def encode_rm_inputs(tokenizer: Any, texts: Sequence[str], max_length: int | None = None) -> list[list[int]]:
    """Token ids of rendered inputs; no special tokens are added (the template holds them). Truncated at the right
    to `max_length` when given (the stage drops training samples that are too long instead; see its docstring)."""
    encoded = tokenizer(
        list(texts), add_special_tokens=False, truncation=max_length is not None, max_length=max_length
    )
    return encoded["input_ids"]


def sigmoid(x: float) -> float:
    """1 / (1 + e^-x) without overflow for large |x|."""
    return 1.0 / (1.0 + math.exp(-x)) if x >= 0 else math.exp(x) / (1.0 + math.exp(x))


def read_rm_info(path: str | Path) -> dict[str, Any]:
    """`codealign_rm.json` of a reward-model checkpoint, or {} when it has none (e.g. an RM trained elsewhere)."""
    info = Path(path) / RM_INFO_NAME
    return json.loads(info.read_text()) if info.is_file() else {}


def check_sequence_classifier(path: str | Path) -> None:
    """Raise a ValueError unless `path` is a checkpoint directory of a sequence classifier with one output."""
    from transformers import AutoConfig

    config_file = Path(path) / "config.json"
    if not config_file.is_file():
        raise ValueError(
            f"reward model {str(path)!r} is not a checkpoint directory (no config.json): pass the output directory "
            "of `python -m alignment.reward_model`"
        )
    config = AutoConfig.from_pretrained(str(path))
    architectures = list(getattr(config, "architectures", None) or [])
    if not any(name.endswith("ForSequenceClassification") for name in architectures):
        kind = "a causal LM" if any(name.endswith("ForCausalLM") for name in architectures) else "not a classifier"
        raise ValueError(
            f"reward model {str(path)!r} holds {', '.join(architectures) or 'an unknown architecture'} ({kind}), not "
            "a sequence classifier with num_labels=1. Train a reward model from it first: `python -m "
            f"alignment.reward_model --config configs/reward_model/<recipe>.yaml --model_name_or_path {path}`, "
            "then pass that run's output directory."
        )
    if config.num_labels != 1:
        raise ValueError(
            f"reward model {str(path)!r} is a sequence classifier with num_labels={config.num_labels}; a reward "
            "model has exactly one output (num_labels=1). Pass a checkpoint written by `alignment.reward_model`."
        )


def pad_right(batch: Sequence[Sequence[int]], pad_token_id: int):
    """(input_ids, attention_mask) of token-id lists padded on the right to the longest."""
    import torch

    width = max(len(ids) for ids in batch)
    input_ids = torch.full((len(batch), width), pad_token_id, dtype=torch.long)  # (B, T)
    attention_mask = torch.zeros((len(batch), width), dtype=torch.long)  # (B, T)
    for row, ids in enumerate(batch):
        input_ids[row, : len(ids)] = torch.tensor(ids, dtype=torch.long)
        attention_mask[row, : len(ids)] = 1
    return input_ids, attention_mask


def score_batch(model: Any, token_ids: Sequence[Sequence[int]], pad_token_id: int) -> list[float]:
    """`logits[:, 0]` of a sequence classifier for one batch of token-id lists (right-padded, inference mode)."""
    import torch

    device = next(model.parameters()).device
    input_ids, attention_mask = pad_right(token_ids, pad_token_id)  # (B, T) each
    with torch.inference_mode():
        logits = model(
            input_ids=input_ids.to(device), attention_mask=attention_mask.to(device), use_cache=False
        ).logits  # (B, 1), pooled by the model at the last non-pad token
    return logits[:, 0].float().cpu().tolist()


def score_rm_inputs(
    model: Any,
    tokenizer: Any,
    prompts: Sequence[Sequence[dict]],
    completions: Sequence[str],
    batch_size: int = 32,
    max_length: int | None = None,
) -> list[float]:
    """Raw scores of a loaded reward model for (prompt messages, completion) pairs, through `format_rm_input`.

    Inputs are batched by similar length (less padding) and tokenized one batch at a time; scores come back in the
    order given. Right padding keeps each score independent of its batch (causal attention never sees the pads).
    """
    if len(prompts) != len(completions):
        raise ValueError(f"{len(prompts)} prompts for {len(completions)} completions: give one prompt per completion")
    texts = [format_rm_input(tokenizer, p, c) for p, c in zip(prompts, completions)]
    config = getattr(model, "module", model).config  # a DeepSpeed engine wraps the HF model (its .config is a dict)
    pad_token_id = config.get_text_config().pad_token_id
    if pad_token_id is None:
        pad_token_id = tokenizer.pad_token_id
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    scores = [0.0] * len(texts)
    was_training = model.training
    model.eval()
    try:
        for start in range(0, len(order), batch_size):
            chunk = order[start : start + batch_size]
            token_ids = encode_rm_inputs(tokenizer, [texts[i] for i in chunk], max_length)
            for i, value in zip(chunk, score_batch(model, token_ids, pad_token_id)):
                scores[i] = value
    finally:
        model.train(was_training)
    return scores


class RewardModelScorer:
    """Scores (prompt, completion) pairs with a reward-model checkpoint.

    device "auto": CUDA when available, else CPU; dtype bf16 on CUDA (fp32 where bf16 is unsupported), fp32 on CPU.
    max_length None: the `max_length` the RM was trained with (from `codealign_rm.json`), else no truncation.
    normalize: "none" (raw logit) | "sigmoid" (a probability, meaningful for pointwise RMs) | "standardize"
    ((score - mean) / std with the RM's own held-out score statistics from `codealign_rm.json`).
    """

    def __init__(
        self,
        path: str | Path,
        device: str = "auto",
        batch_size: int = 32,
        max_length: int | None = None,
        normalize: Normalize = "none",
    ) -> None:
        if normalize not in NORMALIZE_CHOICES:
            raise ValueError(f"normalize={normalize!r} is not one of {', '.join(NORMALIZE_CHOICES)}")
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {batch_size}")
        check_sequence_classifier(path)
        self.path, self.device, self.batch_size, self.normalize = str(path), device, batch_size, normalize
        self.info = read_rm_info(path)
        self.max_length = max_length if max_length is not None else self.info.get("max_length")
        if normalize == "standardize" and not self.info.get("score_std"):
            raise ValueError(
                f"normalize='standardize' needs the held-out score mean/std in {Path(path) / RM_INFO_NAME}, which "
                "is missing: use a reward model written by `alignment.reward_model`, or normalize='none'"
            )
        self._model = self._tokenizer = None
        self.collective = False  # an attached ZeRO-3 model: every process must score all of its rows
        self._lock = threading.Lock()

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state.update(_model=None, _tokenizer=None, _lock=None, collective=False)  # each process loads its own copy
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()

    def _resolved_device(self) -> str:
        import torch

        if self.device == "auto":
            return "cuda" if torch.cuda.is_available() else "cpu"
        return self.device

    def load_model(self, device: str | None = None) -> tuple[Any, Any]:
        """(model, tokenizer) of the checkpoint, in eval mode on `device` (default: the scorer's), not attached."""
        import torch
        from transformers import AutoModelForSequenceClassification, AutoTokenizer

        device = device or self._resolved_device()
        cuda = torch.cuda.is_available() and (device.startswith("cuda") or self._resolved_device().startswith("cuda"))
        dtype = torch.bfloat16 if cuda and torch.cuda.is_bf16_supported() else torch.float32
        tokenizer = AutoTokenizer.from_pretrained(self.path)
        model = AutoModelForSequenceClassification.from_pretrained(self.path, dtype=dtype).to(device).eval()
        if model.config.get_text_config().pad_token_id is None:
            model.config.get_text_config().pad_token_id = tokenizer.pad_token_id
        logger.info("reward model %s loaded on %s (%s)", self.path, device, str(dtype).removeprefix("torch."))
        return model, tokenizer

    def attach(self, model: Any, tokenizer: Any, collective: bool = False) -> None:
        """Score with a model placed by the caller (e.g. partitioned by DeepSpeed like the policy). `collective`:
        its forward pass involves every process, which must then score the same number of rows."""
        with self._lock:
            self._model, self._tokenizer, self.collective = model, tokenizer, collective

    def _load(self) -> tuple[Any, Any]:
        with self._lock:
            if self._model is None:
                self._model, self._tokenizer = self.load_model()
        return self._model, self._tokenizer

    def score(self, prompts: list[list[dict]], completions: list[str]) -> list[float]:
        """One score per completion (prompts are conversational message lists, before the chat template)."""
        if not completions:
            return []
        model, tokenizer = self._load()
        raw = score_rm_inputs(model, tokenizer, prompts, completions, self.batch_size, self.max_length)
        if self.normalize == "sigmoid":
            return [sigmoid(s) for s in raw]
        if self.normalize == "standardize":
            mean, std = self.info["score_mean"], self.info["score_std"]
            return [(s - mean) / std for s in raw]
        return raw
