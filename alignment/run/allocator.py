"""Keep freed memory in the process on CPU: glibc's malloc otherwise hands large blocks back to the kernel.

glibc serves every allocation above its mmap threshold (128 KiB, raised adaptively to at most 32 MiB) with its own
`mmap` and gives it back with `munmap` on free, and trims the heap's free top above 128 KiB. A CPU training step
allocates and frees the same large tensors (activations, logits, gradient buffers) every micro-batch, so each one
is mapped afresh and every page of it faults in again, zero-filled by the kernel. On SmolLM2-135M at 2 threads that
cost about a third of a micro-batch's forward and backward (README, "GRPO throughput"). `hold_freed_memory` raises
both thresholds, so freed blocks go back to malloc's free lists and the next micro-batch reuses them. The cost is
memory: the resident size no longer falls between steps, and as the free lists fragment it climbs over the first
steps before it holds (the SmolLM2 recipe with micro-batches of 2: 3.0 GiB after one step, 4.1 GiB from the fourth
on, against a 3.0 GiB peak without; a 64 MiB mmap threshold, one malloc arena or a `malloc_trim` per step did not
lower it). Since the recipe shares prompts in micro-batches of 4 the key buys less (1.3-1.4 s of a 17-19 s step for
0.6-0.9 GiB) and the recipe leaves it off.

`return_freed_memory` goes the other way: it fixes the mmap threshold at glibc's initial 128 KiB, so the adaptive
raise never happens and every freed block above it goes back to the kernel at once. Without it, once a large block
has been freed, blocks up to 32 MiB (a layer's activations and gradients) come from the heap, whose free space stays
resident as it fragments: the training step's peak is then set inside the backward pass (SmolLM2 recipe: 0.5 GiB
above its start) by new gradient tensors that do not fit the freed activations' holes. The cost is a page fault per
page of every such block on each micro-batch.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import sys

logger = logging.getLogger(__name__)

M_TRIM_THRESHOLD = -1  # glibc <malloc.h>
M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 1 << 30  # blocks up to 1 GiB come from the heap (a SmolLM2 micro-batch's logits: ~40 MiB)
TRIM_THRESHOLD = (1 << 31) - 1  # mallopt takes an int: never trim in practice


RETURN_MMAP_THRESHOLD = 128 << 10  # glibc's initial threshold, fixed (set by mallopt, it no longer adapts)
RETURN_TRIM_THRESHOLD = 128 << 10


def _mallopt(key: str, settings: tuple[tuple[int, int], ...], done: str) -> bool:
    """Apply each (option, value) by glibc's mallopt and log `done`, or warn for `key` where there is no mallopt."""
    libc_name = ctypes.util.find_library("c") if sys.platform.startswith("linux") else None
    mallopt = getattr(ctypes.CDLL(libc_name), "mallopt", None) if libc_name else None
    applied = mallopt is not None and all(
        mallopt(ctypes.c_int(option), ctypes.c_int(value)) == 1 for option, value in settings
    )
    if applied:
        logger.info("%s: %s", key, done)
    else:
        logger.warning("%s: no glibc mallopt in this process; the allocator is left as it is", key)
    return applied


def return_freed_memory() -> bool:
    """Fix glibc malloc's mmap and trim thresholds at 128 KiB for this process; returns whether both took effect."""
    return _mallopt(
        "return_freed_memory",
        ((M_MMAP_THRESHOLD, RETURN_MMAP_THRESHOLD), (M_TRIM_THRESHOLD, RETURN_TRIM_THRESHOLD)),
        f"blocks above {RETURN_MMAP_THRESHOLD >> 10} KiB are mapped and unmapped, "
        f"the heap trimmed above {RETURN_TRIM_THRESHOLD >> 10} KiB",
    )


def hold_freed_memory() -> bool:
    """Raise glibc malloc's mmap and trim thresholds for this process; returns whether both took effect.

    Elsewhere (macOS, musl) there is no such allocator to tune: a warning says so and nothing changes.
    """
    return _mallopt(
        "hold_freed_memory",
        ((M_MMAP_THRESHOLD, MMAP_THRESHOLD), (M_TRIM_THRESHOLD, TRIM_THRESHOLD)),
        f"malloc serves blocks up to {MMAP_THRESHOLD >> 20} MiB from its heap and never trims it",
    )
