"""Where completions come from: vLLM (colocated engine or a separate server) or HF `generate`, decided once.

GRPO generates through TRL (`use_vllm`, `vllm_mode: colocate | server` in the recipe, RECIPE §4.3 "Generation").
`resolve_vllm(grpo_args)` is called before the trainer is built: when the recipe asks for vLLM but this machine
cannot run it (no CUDA device, or the `vllm` package is missing) it turns `use_vllm` off and says so in one
warning line, so the same recipe also runs (slowly, with HF generate and the same sampling settings) on a laptop
or in CI.

Evaluation and the collection job (sampling K completions per prompt for reward-model data, RECIPE §5.1 step 1)
call `sample_completions(...)` — the one generation loop outside TRL — with the same three backends and the same
fall-back (`temperature: 0` is greedy decoding):

* `vllm`: an in-process `vllm.LLM` engine (the offline analogue of colocate mode), tensor-parallel over this
  node's GPUs;
* `vllm-server`: a running `trl vllm-serve` / `vllm serve` endpoint, through TRL's `VLLMClient`; a server that was
  asked for and cannot be reached is an error, not a fall-back;
* `hf`: `model.generate` with `num_return_sequences`, in batches with left padding; the tokenizer's EOS (the
  end-of-turn token once a chat template is installed) ends each completion.

Prompts are text, already rendered with the chat template (`render_prompts`), so every backend sees the same string.
"""

from __future__ import annotations

import importlib.util
import logging
from dataclasses import dataclass
from typing import Any, Literal

import torch

logger = logging.getLogger(__name__)

Backend = Literal["auto", "hf", "vllm", "vllm-server"]


def vllm_unavailable_reason() -> str | None:
    """Why vLLM cannot generate on this machine, or None when it can."""
    if not torch.cuda.is_available():
        return "no CUDA device is visible"
    if importlib.util.find_spec("vllm") is None:
        return "the vllm package is not installed (pip install 'codealign[vllm]')"
    return None


def resolve_vllm(grpo_args: Any) -> str:
    """Turn `use_vllm` off when vLLM cannot run here (with a warning); return the backend in use, for the log/manifest."""
    if not grpo_args.use_vllm:
        logger.info("generation: HF generate (use_vllm is false)")
        return "hf"
    reason = vllm_unavailable_reason()
    if reason is not None:
        logger.warning(
            "generation: use_vllm is true (vllm_mode=%s) but %s; falling back to HF generate with the same sampling "
            "settings (much slower, results differ only by sampling noise)",
            grpo_args.vllm_mode,
            reason,
        )
        grpo_args.use_vllm = False
        return "hf"
    logger.info("generation: vLLM in %s mode", grpo_args.vllm_mode)
    return f"vllm-{grpo_args.vllm_mode}"


@dataclass(frozen=True)
class SamplingSettings:
    n: int = 8  # completions per prompt
    max_new_tokens: int = 512
    temperature: float = 1.0  # 0: greedy
    top_p: float = 1.0
    seed: int = 0
    stop: tuple[str, ...] = ()  # strings that end a completion; cut off, as vLLM does

    @property
    def greedy(self) -> bool:
        return self.temperature == 0


def render_prompts(tokenizer: Any, prompts: list[list[dict]]) -> list[str]:
    """Conversational prompts as the text the model continues (chat template with the generation prompt)."""
    return [tokenizer.apply_chat_template(p, tokenize=False, add_generation_prompt=True) for p in prompts]


def choose_backend(requested: Backend) -> str:
    """`auto` is vLLM when it can run here, else HF; an explicit `vllm` that cannot run falls back with a warning."""
    reason = vllm_unavailable_reason()
    if requested == "auto":
        return "hf" if reason else "vllm"
    if requested in ("vllm", "vllm-server") and reason is not None:
        logger.warning("generation: backend %s requested but %s; falling back to HF generate", requested, reason)
        return "hf"
    return requested


def sample_completions(
    model_path: str,
    prompts: list[str],
    settings: SamplingSettings,
    backend: Backend = "auto",
    server_url: str | None = None,
    batch_size: int = 8,
    chat_template: str | None = None,
) -> list[list[str]]:
    """`settings.n` completions (text, special tokens removed) for every rendered prompt, in prompt order.

    `chat_template` names the template the prompts were rendered with, so that its end-of-turn token ends each
    completion; None keeps the tokenizer's own EOS."""
    sampler = CompletionSampler(model_path, backend, server_url, batch_size, chat_template)
    return sampler.sample(prompts, settings)


def cut_at_stop(text: str, stop: tuple[str, ...]) -> str:
    """`text` up to the first stop string (excluded), as vLLM returns it."""
    ends = [i for i in (text.find(s) for s in stop) if i >= 0]
    return text[: min(ends)] if ends else text


class CompletionSampler:
    """One model loaded once, sampling for many calls (the evaluation harness's chunks, the training callback).

    Built from a checkpoint path (any backend), or from a live `model` and its `tokenizer` (HF generate: the training
    callback samples from the policy being trained). `new_tokens` counts the tokens generated so far (EOS included),
    for a tokens/s figure. Seeds: HF seeds torch once per call with `settings.seed`; vLLM seeds prompt i of a call
    with `settings.seed + i`, so a caller that gives each call `base + index of its first prompt` gets samples that
    do not depend on how the prompts were split into calls.
    """

    def __init__(
        self,
        model_path: str | None = None,
        backend: Backend = "auto",
        server_url: str | None = None,
        batch_size: int = 8,
        chat_template: str | None = None,
        *,
        model: Any = None,
        tokenizer: Any = None,
    ) -> None:
        if model is None and model_path is None:
            raise ValueError("CompletionSampler needs a model path or a live model with its tokenizer")
        self.model_path, self.server_url, self.batch_size = model_path, server_url, batch_size
        self.chat_template = chat_template
        self.backend = "hf" if model is not None else choose_backend(backend)
        self._model, self._tokenizer, self._engine = model, tokenizer, None
        self.new_tokens = 0
        logger.info("generation for %s: %s", model_path or type(model).__name__, self.backend)

    def sample(self, prompts: list[str], settings: SamplingSettings) -> list[list[str]]:
        """`settings.n` completions per rendered prompt, in prompt order, each cut at the first stop string."""
        if not prompts:
            return []
        if self.backend == "vllm":
            groups = self._sample_vllm(prompts, settings)
        elif self.backend == "vllm-server":
            groups = self._sample_vllm_server(prompts, settings)
        else:
            groups = self._sample_hf(prompts, settings)
        return [[cut_at_stop(text, settings.stop) for text in group] for group in groups]

    def _sample_vllm(self, prompts: list[str], settings: SamplingSettings) -> list[list[str]]:
        from vllm import LLM, SamplingParams

        if self._engine is None:
            self._engine = LLM(
                model=self.model_path, seed=settings.seed, tensor_parallel_size=torch.cuda.device_count()
            )
        params = [
            SamplingParams(
                n=settings.n,
                temperature=settings.temperature,
                top_p=settings.top_p,
                max_tokens=settings.max_new_tokens,
                stop=list(settings.stop) or None,
                seed=settings.seed + i,
            )
            for i in range(len(prompts))
        ]
        outputs = self._engine.generate(prompts, params)
        self.new_tokens += sum(len(choice.token_ids) for output in outputs for choice in output.outputs)
        return [[choice.text for choice in output.outputs] for output in outputs]

    def _sample_vllm_server(self, prompts: list[str], settings: SamplingSettings) -> list[list[str]]:
        from transformers import AutoTokenizer
        from trl.generation.vllm_client import VLLMClient

        if not self.server_url:
            raise ValueError(
                "backend vllm-server needs server_url, e.g. http://10.0.0.5:8000 (the `vllm serve` address)"
            )
        if self._engine is None:
            self._engine = VLLMClient(base_url=self.server_url, connection_timeout=60.0)
            self._tokenizer = AutoTokenizer.from_pretrained(self.model_path)
        result = self._engine.generate(
            prompts,
            n=settings.n,
            temperature=settings.temperature,
            top_p=settings.top_p,
            max_tokens=settings.max_new_tokens,
            logprobs=None,
            generation_kwargs={"seed": settings.seed, **({"stop": list(settings.stop)} if settings.stop else {})},
        )
        self.new_tokens += sum(len(ids) for ids in result["completion_ids"])
        texts = self._tokenizer.batch_decode(result["completion_ids"], skip_special_tokens=True)
        return [texts[i * settings.n : (i + 1) * settings.n] for i in range(len(prompts))]

    def _load_hf(self) -> tuple[Any, Any]:
        from alignment.model.loading import load_causal_lm, load_tokenizer

        if self._model is None:
            self._tokenizer = load_tokenizer(self.model_path, self.chat_template)
            self._model = load_causal_lm(self.model_path).eval()
        return self._model, self._tokenizer

    def _sample_hf(self, prompts: list[str], settings: SamplingSettings) -> list[list[str]]:
        from tqdm.auto import tqdm

        model, tokenizer = self._load_hf()
        padding_side, tokenizer.padding_side = tokenizer.padding_side, "left"
        torch.manual_seed(settings.seed)
        sampling = {} if settings.greedy else {"temperature": settings.temperature, "top_p": settings.top_p}
        if settings.stop:
            sampling.update(stop_strings=list(settings.stop), tokenizer=tokenizer)
        results: list[list[str]] = []
        label = self.model_path or "policy"
        try:
            for start in tqdm(range(0, len(prompts), self.batch_size), desc=f"generate {label}", leave=False):
                batch = tokenizer(
                    prompts[start : start + self.batch_size],
                    return_tensors="pt",
                    padding=True,
                    add_special_tokens=False,
                ).to(model.device)  # the rendered template already holds BOS
                with torch.inference_mode():
                    output = model.generate(
                        **batch,
                        do_sample=not settings.greedy,
                        **sampling,
                        max_new_tokens=settings.max_new_tokens,
                        num_return_sequences=settings.n,
                        eos_token_id=tokenizer.eos_token_id,
                        pad_token_id=tokenizer.pad_token_id,
                        use_cache=True,
                    )  # (batch * n, prompt_len + new_tokens)
                new = output[:, batch["input_ids"].shape[1] :]  # (batch * n, new_tokens)
                self.new_tokens += generated_lengths(new, tokenizer.eos_token_id, tokenizer.pad_token_id)
                texts = tokenizer.batch_decode(new, skip_special_tokens=True)
                results.extend(texts[i * settings.n : (i + 1) * settings.n] for i in range(len(texts) // settings.n))
        finally:
            tokenizer.padding_side = padding_side
        return results


def generated_lengths(new_ids: torch.Tensor, eos_id: int | None, pad_id: int | None) -> int:
    """Tokens generated in (rows, new_tokens): each row up to its first EOS (counted) or padding (not counted)."""
    ends = torch.zeros_like(new_ids, dtype=torch.bool)
    if eos_id is not None:
        ends |= new_ids == eos_id
    if pad_id is not None:
        ends |= new_ids == pad_id
    width = new_ids.shape[1]
    first = torch.where(ends.any(dim=1), ends.int().argmax(dim=1), torch.full_like(new_ids[:, 0], width))  # (rows,)
    at_end = first < width
    is_eos = torch.zeros_like(at_end)
    if eos_id is not None:
        is_eos = at_end & (new_ids.gather(1, first.clamp(max=width - 1).unsqueeze(1)).squeeze(1) == eos_id)
    return int((first + is_eos.long()).sum())
