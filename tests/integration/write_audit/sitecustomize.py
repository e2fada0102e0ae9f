"""Records which process writes which file: put this directory on PYTHONPATH of a launched run.

Python runs `sitecustomize` at start-up in every process (each rank that `accelerate launch` starts), and audit
hooks (PEP 578) see every `open` for writing and every rename, also those made by torch.save and DeepSpeed. Each
process appends `<event>\t<path>` lines for paths under $WRITE_AUDIT_WATCH to $WRITE_AUDIT_DIR/rank<RANK>.log.
Writes from native code that bypasses Python's `open` (the safetensors writer) are seen through the rename that
publishes their directory. Without the two variables nothing is installed.
"""

import os
import sys

_watch = os.environ.get("WRITE_AUDIT_WATCH")
_out_dir = os.environ.get("WRITE_AUDIT_DIR")
_rank = os.environ.get("RANK")

if _watch and _out_dir and _rank is not None:
    # Opened before the hook exists, and kept open for the life of the process (no context manager on purpose).
    _log = open(os.path.join(_out_dir, f"rank{_rank}.log"), "a", buffering=1)  # noqa: SIM115
    _write_flags = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC

    def _is_write(mode, flags) -> bool:
        if isinstance(mode, str) and any(c in mode for c in "wax+"):
            return True
        return isinstance(flags, int) and bool(flags & _write_flags)

    def _record(event: str, path) -> None:
        path = os.fsdecode(path) if isinstance(path, str | bytes | os.PathLike) else ""
        if path and os.path.abspath(path).startswith(_watch):
            _log.write(f"{event}\t{os.path.abspath(path)}\n")

    def _hook(event: str, args) -> None:
        if event == "open" and len(args) >= 3 and _is_write(args[1], args[2]):
            _record("open", args[0])
        elif event in ("os.rename", "os.replace"):
            _record("rename", args[1])
        elif event == "os.mkdir":
            _record("mkdir", args[0])

    sys.addaudithook(_hook)
