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

`malloc: tcmalloc` (or `jemalloc`) replaces glibc's malloc for the whole run. An allocator has to be in place before
the first allocation, so the entry point, right after parsing the recipe and before torch loads, starts itself
again (`execve`, same process id, same command line) with the library in `LD_PRELOAD`; in the new process the
variable is set back to what it was, so nothing the run starts (sandboxed programs, workers) inherits it.
tcmalloc's size-class free lists and page heap reuse a micro-batch's freed blocks for the next one without going
back to the kernel and without glibc's heap fragmentation: on the SmolLM2 recipe it lowered both the step time and
the peak (README, "GRPO throughput"). The glibc keys above tune glibc only and are refused beside it.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import glob
import logging
import os
import sys
from pathlib import Path

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


# malloc key -> (library stems, Debian/Ubuntu package, conda package)
MALLOC_LIBRARIES = {
    "tcmalloc": (("tcmalloc_minimal", "tcmalloc"), "libtcmalloc-minimal4", "gperftools"),
    "jemalloc": (("jemalloc",), "libjemalloc2", "jemalloc"),
}
PRELOAD_BEFORE = "CODEALIGN_LD_PRELOAD_BEFORE"  # LD_PRELOAD as it was before the re-exec ("" when unset)


def malloc_library(name: str) -> str:
    """The shared library of allocator `name`: a soname the dynamic linker finds, or a path under the active
    environment (conda, a virtualenv's prefix). ValueError naming the package to install where there is none."""
    stems, debian, conda = MALLOC_LIBRARIES[name]
    for stem in stems:
        found = ctypes.util.find_library(stem)
        if found:
            return found
    for prefix in dict.fromkeys(filter(None, (os.environ.get("CONDA_PREFIX"), sys.prefix))):
        for stem in stems:
            paths = sorted(glob.glob(os.path.join(prefix, "lib", f"lib{stem}.so*")))
            if paths:
                return paths[0]
    raise ValueError(
        f"malloc: {name}: no lib{stems[0]}.so on this machine; install it (Debian/Ubuntu: `apt-get install "
        f"{debian}`, conda: `conda install -c conda-forge {conda}`) or set `malloc: system`"
    )


def loaded_malloc(name: str) -> str | None:
    """The file of allocator `name` mapped into this process, if it is."""
    stems = MALLOC_LIBRARIES[name][0]
    try:
        maps = Path("/proc/self/maps").read_text()
    except OSError:
        return None
    for line in maps.splitlines():
        fields = line.split(maxsplit=5)  # address, perms, offset, device, inode[, path]
        path = fields[5] if len(fields) == 6 else ""
        if any(os.path.basename(path).startswith(f"lib{stem}.so") for stem in stems):
            return path
    return None


def preload_malloc(name: str, reexec: bool) -> str | None:
    """Make allocator `name` (`malloc` key: system, tcmalloc, jemalloc) this process's malloc.

    `system` does nothing. Otherwise, where the library is already loaded (after the re-exec, or preloaded by the
    user), returns its path and sets `LD_PRELOAD` back to what it was before the re-exec. Where it is not and
    `reexec` is true (the entry point run from the command line), starts this command line again with the library
    preloaded: this call then does not return. An in-process caller (`main(argv)` from Python) gets a ValueError
    saying how to preload it instead.
    """
    if name == "system":
        return None
    if not sys.platform.startswith("linux"):
        raise ValueError(
            f"malloc: {name} is preloaded with LD_PRELOAD, which this platform lacks: set `malloc: system`"
        )
    loaded = loaded_malloc(name)
    if loaded is not None:
        before = os.environ.pop(PRELOAD_BEFORE, None)
        if before is not None:  # our re-exec: children get the user's LD_PRELOAD, not the allocator
            if before:
                os.environ["LD_PRELOAD"] = before
            else:
                os.environ.pop("LD_PRELOAD", None)
        logger.info("malloc: %s (%s)", name, loaded)
        return loaded
    library = malloc_library(name)
    if PRELOAD_BEFORE in os.environ:
        raise RuntimeError(
            f"malloc: {name}: the process was restarted with LD_PRELOAD={os.environ.get('LD_PRELOAD', '')!r} but "
            f"{library} is not loaded (a setuid interpreter ignores LD_PRELOAD); set `malloc: system`"
        )
    if not reexec:
        raise ValueError(
            f"malloc: {name} must be loaded when the process starts: run the stage from the command line "
            f"(`python -m ...`), or start this Python with LD_PRELOAD={library}"
        )
    before = os.environ.get("LD_PRELOAD", "")
    env = {**os.environ, PRELOAD_BEFORE: before, "LD_PRELOAD": f"{library}:{before}" if before else library}
    logger.info("malloc: %s: restarting the process with LD_PRELOAD=%s", name, library)
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    os.execve(sys.executable, [sys.executable, *sys.orig_argv[1:]], env)
    raise AssertionError("unreachable: execve returned")  # pragma: no cover
