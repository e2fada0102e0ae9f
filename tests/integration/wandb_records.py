"""Read back what an offline wandb run recorded, from its `.wandb` transaction log (no server, no network).

The file is a LevelDB-style log (the format wandb documents for `wandb sync`): a 7-byte header (":W&B", magic
0xBEE1 little-endian, version 0), then 32 KiB blocks of chunks, each with a 7-byte header (crc32, uint16 length,
type: 1 full, 2 first, 3 middle, 4 last). Joined chunks are serialized `wandb.proto.wandb_internal_pb2.Record`s.
"""

from __future__ import annotations

import json
import struct
import time
from pathlib import Path
from typing import Any

from wandb.proto import wandb_internal_pb2

_HEADER = b":W&B" + struct.pack("<HB", 0xBEE1, 0)
_BLOCK_BYTES = 32 * 1024
_CHUNK_HEADER_BYTES = 7
_FULL, _FIRST, _MIDDLE, _LAST = 1, 2, 3, 4


def _payloads(data: bytes):
    assert data[: len(_HEADER)] == _HEADER, "not a wandb transaction log"
    pos, pending = len(_HEADER), b""
    while pos + _CHUNK_HEADER_BYTES <= len(data):
        left_in_block = _BLOCK_BYTES - pos % _BLOCK_BYTES
        if left_in_block < _CHUNK_HEADER_BYTES:  # block tail too small for a header: zero padding
            pos += left_in_block
            continue
        _crc, length, kind = struct.unpack("<IHB", data[pos : pos + _CHUNK_HEADER_BYTES])
        chunk = data[pos + _CHUNK_HEADER_BYTES : pos + _CHUNK_HEADER_BYTES + length]
        pos += _CHUNK_HEADER_BYTES + length
        if kind == _FULL:
            yield chunk
        elif kind == _FIRST:
            pending = chunk
        elif kind == _MIDDLE:
            pending += chunk
        elif kind == _LAST:
            yield pending + chunk
        elif kind == 0 and length == 0:  # trailing zero padding
            return


def read_finished_records(run_dir: Path, timeout_s: float = 60.0) -> list[wandb_internal_pb2.Record]:
    """The records once the run's `exit` record is on disk: wandb's writer process may still be flushing after
    `wandb.finish()` returns (or after the training process exited)."""
    deadline = time.monotonic() + timeout_s
    while True:
        records = read_records(run_dir)
        if any(r.WhichOneof("record_type") == "exit" for r in records) or time.monotonic() > deadline:
            return records
        time.sleep(0.2)


def read_records(run_dir: Path) -> list[wandb_internal_pb2.Record]:
    [log_file] = Path(run_dir).glob("*.wandb")
    records = []
    for payload in _payloads(log_file.read_bytes()):
        record = wandb_internal_pb2.Record()
        record.ParseFromString(payload)
        records.append(record)
    return records


def _put(row: dict[str, Any], item: Any) -> None:
    """Flat metric names stay flat ("train/reward"); media objects arrive as nested keys ("completions", "_type")."""
    path = list(item.nested_key) or [item.key]
    for part in path[:-1]:
        row = row.setdefault(part, {})
    row[path[-1]] = json.loads(item.value_json)


def history_rows(records: list[wandb_internal_pb2.Record]) -> list[dict[str, Any]]:
    """One dict per `wandb.log` call: key -> decoded JSON value (media objects as nested dicts)."""
    rows = []
    for record in records:
        if record.WhichOneof("record_type") == "history":
            row: dict[str, Any] = {}
            for item in record.history.item:
                _put(row, item)
            rows.append(row)
    return rows


def run_config(records: list[wandb_internal_pb2.Record]) -> dict[str, Any]:
    """The run's config: the initial run record's config plus every later config update."""
    config: dict[str, Any] = {}
    for record in records:
        kind = record.WhichOneof("record_type")
        items = record.run.config.update if kind == "run" else record.config.update if kind == "config" else []
        for item in items:
            _put(config, item)
    return config


def run_info(records: list[wandb_internal_pb2.Record]) -> wandb_internal_pb2.RunRecord:
    return next(r.run for r in records if r.WhichOneof("record_type") == "run")
