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


class Sampler:
    """A loaded generation engine for one checkpoint, reused across calls (collection samples shard after shard).

    `chat_template` names the template the prompts were rendered with, so that its end-of-turn token ends each
    completion; None keeps the tokenizer's own EOS.
    """

    def __init__(
        self,
        model_path: str,
        backend: Backend = "auto",
        server_url: str | None = None,
        batch_size: int = 8,
        chat_template: str | None = None,
    ) -> None:
        self.model_path, self.server_url, self.batch_size = model_path, server_url, batch_size
        self.chat_template = chat_template
        self.backend = choose_backend(backend)
        self._engine: Any = None

    def sample(self, prompts: list[str], settings: SamplingSettings) -> list[list[str]]:
        """`settings.n` completions (text, special tokens removed) for every rendered prompt, in prompt order."""
        logger.info("sampling %d x %d completions with %s", len(prompts), settings.n, self.backend)
        if self.backend == "vllm":
            return self._vllm(prompts, settings)
        if self.backend == "vllm-server":
            return _sample_vllm_server(self.model_path, prompts, settings, self.server_url)
        return self._hf(prompts, settings)

    def _vllm(self, prompts: list[str], settings: SamplingSettings) -> list[list[str]]:
        from vllm import LLM, SamplingParams

        if self._engine is None:
            self._engine = LLM(
                model=self.model_path, seed=settings.seed, tensor_parallel_size=torch.cuda.device_count()
            )
        params = SamplingParams(
            n=settings.n,
            temperature=settings.temperature,
            top_p=settings.top_p,
            max_tokens=settings.max_new_tokens,
            seed=settings.seed,
        )
        return [[choice.text for choice in output.outputs] for output in self._engine.generate(prompts, params)]

    def _hf(self, prompts: list[str], settings: SamplingSettings) -> list[list[str]]:
        from tqdm.auto import tqdm

        from alignment.model.loading import load_causal_lm, load_tokenizer

        if self._engine is None:
            tokenizer = load_tokenizer(self.model_path, self.chat_template)
            tokenizer.padding_side = "left"
            self._engine = (load_causal_lm(self.model_path).eval(), tokenizer)
        model, tokenizer = self._engine
        torch.manual_seed(settings.seed)
        sampling = {} if settings.greedy else {"temperature": settings.temperature, "top_p": settings.top_p}
        results: list[list[str]] = []
        starts = range(0, len(prompts), self.batch_size)
        for start in tqdm(starts, desc=f"generate {self.model_path}", unit="batch", leave=False):
            batch = tokenizer(
                prompts[start : start + self.batch_size], return_tensors="pt", padding=True, add_special_tokens=False
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
                )  # (batch * n, prompt_len + new_tokens)
            texts = tokenizer.batch_decode(output[:, batch["input_ids"].shape[1] :], skip_special_tokens=True)
            results.extend(texts[i * settings.n : (i + 1) * settings.n] for i in range(len(texts) // settings.n))
        return results


def sample_completions(
    model_path: str,
    prompts: list[str],
    settings: SamplingSettings,
    backend: Backend = "auto",
    server_url: str | None = None,
    batch_size: int = 8,
    chat_template: str | None = None,
) -> list[list[str]]:
    """One call's worth of `Sampler(...).sample(prompts, settings)` (the engine is loaded and dropped)."""
    return Sampler(model_path, backend, server_url, batch_size, chat_template).sample(prompts, settings)


def _sample_vllm_server(
    model_path: str, prompts: list[str], settings: SamplingSettings, server_url: str | None
) -> list[list[str]]:
    from transformers import AutoTokenizer
    from trl.generation.vllm_client import VLLMClient

    if not server_url:
        raise ValueError("backend vllm-server needs server_url, e.g. http://10.0.0.5:8000 (the `vllm serve` address)")
    client = VLLMClient(base_url=server_url, connection_timeout=60.0)
    result = client.generate(
        prompts,
        n=settings.n,
        temperature=settings.temperature,
        top_p=settings.top_p,
        max_tokens=settings.max_new_tokens,
        logprobs=None,
        generation_kwargs={"seed": settings.seed},
    )
    tokenizer = AutoTokenizer.from_pretrained(model_path)
    texts = tokenizer.batch_decode(result["completion_ids"], skip_special_tokens=True)
    return [texts[i * settings.n : (i + 1) * settings.n] for i in range(len(prompts))]
