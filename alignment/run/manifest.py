"""The run manifest: everything needed to say exactly what a run was and to run it again.

Every stage calls `write_run_record(...)` once, on the main process, before training. It writes two files into the
run's output directory, each atomically (temporary file + rename, so a killed run never leaves half a file):

* `manifest.json`: the full resolved configuration (every field of every config dataclass after `__post_init__`;
  settings the stage derives afterwards, such as gradient accumulation from a token budget, in `stage_overrides`),
  git commit and dirty flag, package versions, hardware, world size, seeds, sha256 of the input data files and of
  the initial checkpoint's files, the sandbox image id, and the command line.
* `config.yaml`: the settings the user gave (recipe file, then `--key value` overrides), plus the machine-dependent
  defaults this run resolved (`bf16`, `use_cpu`). Fed back with `--config config.yaml` it reproduces the same resolved
  configuration. It does not dump every field, because TRL derives some fields in `__post_init__` and rejects them
  when given together (e.g. `generation_batch_size` with `steps_per_generation` in `GRPOConfig`).
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import logging
import os
import platform
import socket
import subprocess
import sys
from collections.abc import Iterable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import yaml

from alignment.run.files import to_jsonable, write_atomic

logger = logging.getLogger(__name__)

MANIFEST_NAME = "manifest.json"
CONFIG_NAME = "config.yaml"
REPO_ROOT = Path(__file__).resolve().parents[2]
PACKAGES = (
    "codealign", "torch", "transformers", "trl", "accelerate", "deepspeed", "datasets", "tokenizers",
    "safetensors", "vllm", "wandb", "tensorboard", "math-verify", "docker", "numpy",
)  # fmt: skip
_HASH_CHUNK_BYTES = 1 << 20


# Keys that say how this process starts, not what the run computes: left out of the reproducible config.
NOT_REPRODUCED = frozenset({"resume", "resume_from_checkpoint"})
# Keys whose default depends on the machine (on a CPU: bf16 off, use_cpu on): pinned to what this run used.
MACHINE_DEPENDENT = ("bf16", "use_cpu")


def reproducible_config(resolved: dict[str, Any], explicit: dict[str, Any]) -> dict[str, Any]:
    """The settings the user gave (recipe, then overrides), plus machine-dependent defaults as resolved here."""
    unknown = sorted(k for k in explicit if k not in resolved)
    if unknown:
        raise ValueError(f"config keys {unknown} are not fields of the resolved configuration; cannot record them")
    config = {k: to_jsonable(v) for k, v in explicit.items() if k not in NOT_REPRODUCED}
    config.update({k: resolved[k] for k in MACHINE_DEPENDENT if k in resolved and k not in config})
    return config


def sha256_path(path: str | Path) -> str:
    """sha256 of a file, or of a directory's files (relative names and contents, in sorted order)."""
    path = Path(path)
    digest = hashlib.sha256()
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    for file in files:
        if path.is_dir():
            digest.update(str(file.relative_to(path)).encode() + b"\0")
        with file.open("rb") as handle:
            while chunk := handle.read(_HASH_CHUNK_BYTES):
                digest.update(chunk)
    return digest.hexdigest()


def hash_inputs(paths: Iterable[str | Path | None]) -> dict[str, str | None]:
    """sha256 per input path; None for names that are not local paths (hub ids, generated data)."""
    return {str(p): (sha256_path(p) if Path(p).exists() else None) for p in paths if p}


def git_state(repo: Path = REPO_ROOT) -> dict[str, Any]:
    """Commit and dirty flag of the repository the code runs from (None when it is not a git checkout)."""
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=repo, capture_output=True, text=True, check=True)
        status = subprocess.run(["git", "status", "--porcelain"], cwd=repo, capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        return {"commit": None, "dirty": None}
    changed = [line[3:] for line in status.stdout.splitlines()]
    return {"commit": commit.stdout.strip(), "dirty": bool(changed), "changed_files": changed[:50]}


def package_versions(names: Iterable[str] = PACKAGES) -> dict[str, str | None]:
    versions: dict[str, str | None] = {"python": platform.python_version()}
    for name in names:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def hardware() -> dict[str, Any]:
    """This node's CPU, memory and GPUs (names and memory); other nodes are assumed identical."""
    import torch

    info: dict[str, Any] = {
        "hostname": socket.gethostname(),
        "platform": platform.platform(),
        "cpu": _cpu_model(),
        "cpu_count": os.cpu_count(),
        "memory_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1e9, 1),
        "cuda": torch.version.cuda,
        "gpus": [],
    }
    if torch.cuda.is_available():
        for index in range(torch.cuda.device_count()):
            props = torch.cuda.get_device_properties(index)
            info["gpus"].append({"name": props.name, "memory_gb": round(props.total_memory / 1e9, 1)})
    return info


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def sandbox_image_id(image: str | None) -> str | None:
    """Id (sha256 digest) of the Docker sandbox image, or None when no Docker sandbox is used or it is unknown."""
    if not image:
        return None
    try:
        import docker  # optional: the `docker` extra

        return docker.from_env().images.get(image).id
    except Exception as error:  # engine down, image missing, SDK absent: record it, do not fail the run
        logger.warning("could not read the id of sandbox image %r (%s); recording None", image, error)
        return None


def build_manifest(
    resolved: dict[str, Any],
    *,
    world_size: int,
    stage_overrides: dict[str, Any] | None = None,
    data_paths: Iterable[str | Path | None] = (),
    checkpoint_paths: Iterable[str | Path | None] = (),
    sandbox_image: str | None = None,
) -> dict[str, Any]:
    config = to_jsonable(resolved)
    return {
        "created_utc": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "command": [sys.executable, *sys.argv],
        "config": config,
        "stage_overrides": to_jsonable(stage_overrides or {}),
        "git": git_state(),
        "packages": package_versions(),
        "hardware": hardware(),
        "world_size": world_size,
        "seeds": {k: v for k, v in config.items() if k.endswith("seed")},
        "data_sha256": hash_inputs(data_paths),
        "checkpoint_sha256": hash_inputs(checkpoint_paths),
        "sandbox_image": {"name": sandbox_image, "id": sandbox_image_id(sandbox_image)},
    }


def write_run_record(
    output_dir: str | Path, resolved: dict[str, Any], explicit: dict[str, Any], **manifest_kwargs: Any
) -> dict[str, Any]:
    """Write `manifest.json` and the reproducible `config.yaml` into `output_dir`; return the manifest.

    `resolved` is every config field after parsing (`ParsedRecipe.resolved()`), `explicit` the settings the user gave
    (`ParsedRecipe.explicit`). Call on the main process only.
    """
    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    manifest = build_manifest(resolved, **manifest_kwargs)
    manifest["reproduce"] = reproducible_config(manifest["config"], explicit)
    write_atomic(output_dir / CONFIG_NAME, yaml.safe_dump(manifest["reproduce"], sort_keys=False))
    write_atomic(output_dir / MANIFEST_NAME, json.dumps(manifest, indent=2))
    logger.info("wrote %s and %s in %s", MANIFEST_NAME, CONFIG_NAME, output_dir)
    return manifest
