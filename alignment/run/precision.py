"""bf16 mixed precision where TRL 1.16 leaves speed behind: generation, and the reference model's storage.

With `bf16: true` accelerate wraps the policy's `forward` in `torch.autocast`, so every matmul of generation already
runs in bf16 on fp32 master weights. But each forward opens and closes its own autocast region, and autocast
forgets its bf16 copies of the weights when the region closes: every generated token re-casts every weight (on
SmolLM2-135M, 0.5 GB read and 0.27 GB written per token, more memory traffic than fp32 decoding itself).
`BF16GenerationMixin` opens one autocast region around the whole generation call, so the weights are cast once per
batch and each token reads bf16 weights. The numbers are the same (the same weights rounded the same way); only
the copying goes.

`bf16_reference: true` (a recipe key) also stores the reference model's linear layers in bf16. Under autocast those
weights are rounded to bf16 before every matmul anyway, so the reference log-probabilities do not change; only
their fp32 copies (0.2 GiB for SmolLM2-135M) go. Embeddings and norms, which autocast runs in fp32, stay fp32.
"""

from __future__ import annotations

import logging

import torch

logger = logging.getLogger(__name__)


def warn_if_slow_bf16(training_args) -> None:
    """bf16 autocast on a CPU without native bf16 matmuls (AVX512-BF16 or AMX) is emulated, slower than fp32."""
    native = torch.cpu._is_avx512_bf16_supported() or torch.cpu._is_amx_tile_supported()
    if training_args.bf16 and not torch.cuda.is_available() and not native:
        logger.warning("bf16: true on a CPU without native bf16 matmuls is slower than fp32: set bf16: false")


def cast_linear_weights(model: torch.nn.Module, dtype: torch.dtype) -> int:
    """Store every `nn.Linear` weight and bias of `model` in `dtype`; returns how many parameters moved.

    A linear layer tied to an embedding (an LM head sharing the input embedding) is skipped: the embedding's
    lookup runs in fp32 under autocast, so its weight must stay fp32.
    """
    embeddings = {id(m.weight) for m in model.modules() if isinstance(m, torch.nn.Embedding)}
    moved = 0
    for module in model.modules():
        if isinstance(module, torch.nn.Linear) and id(module.weight) not in embeddings:
            module.to(dtype)
            moved += sum(p.numel() for p in module.parameters(recurse=False))
    for param in model.parameters():
        if param.dtype != dtype:
            # Weights loaded from safetensors live in a memory map of the checkpoint file; while any tensor still
            # points into it, the pages of the fp32 originals read by the cast stay resident. Own copies free it.
            param.data = param.data.clone()
    return moved


class BF16GenerationMixin:
    """Mix in front of `trl.GRPOTrainer`; pass `bf16_reference=True` to store the reference's linear layers in bf16."""

    def __init__(self, *args, bf16_reference: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if bf16_reference and self.ref_model is not None:
            if not self.args.bf16:
                raise ValueError("`bf16_reference` needs `bf16: true` (autocast), or the reference would change")
            if self.is_deepspeed_enabled or self.is_fsdp_enabled:
                raise ValueError("`bf16_reference` casts a whole reference model: not for DeepSpeed or FSDP shards")
            moved = cast_linear_weights(self.accelerator.unwrap_model(self.ref_model), torch.bfloat16)
            logger.info("reference model: %d linear parameters stored in bf16", moved)

    def _generate_single_turn(self, *args, **kwargs):
        if not self.args.bf16 or self.use_vllm or self.use_transformers_continuous_batching:
            return super()._generate_single_turn(*args, **kwargs)
        with torch.autocast(self.accelerator.device.type, dtype=torch.bfloat16):
            return super()._generate_single_turn(*args, **kwargs)
