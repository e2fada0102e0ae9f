"""Process-level set-up every entry point shares: logging on the main process only, and the world size."""

from __future__ import annotations

import logging
import os


def setup_logging(process_index: int | None = None) -> None:
    """INFO on the main process, WARNING elsewhere, so multi-GPU runs print one copy of each line."""
    rank = int(os.environ.get("RANK", 0)) if process_index is None else process_index
    logging.basicConfig(
        level=logging.INFO if rank == 0 else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        datefmt="%H:%M:%S",
    )


def world_size() -> int:
    """Number of training processes, as set by `accelerate launch` / `torchrun` (1 for a plain `python -m`)."""
    return int(os.environ.get("WORLD_SIZE", 1))
