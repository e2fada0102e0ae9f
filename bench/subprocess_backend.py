"""Plain-subprocess backend. IT ISOLATES NOTHING.

The program runs as the grader's own user, on the host's file system, network and environment of your choice:
it can read your files, delete your home directory, open network connections, and leave processes behind that
called `setsid()`. What it does provide: a fresh temporary work dir per job, a scrubbed environment, a wall-clock
limit that kills the process group, capped output. Use it only for trusted code (canonical solutions) and as the
"no sandbox" baseline of `bench/bench_sandbox.py`. It is never chosen automatically: `sandbox.api.get_backend`
returns it only when asked for by name.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from collections.abc import Sequence

from sandbox.base import File, Job, Step, StepResult, run_steps_until_failure
from sandbox.bwrap.process import run_process

logger = logging.getLogger(__name__)

BASE_ENV = {"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8"}


def _host_argv(argv: Sequence[str]) -> list[str]:
    """The harness names tools by their rootfs path; on the host they may live elsewhere (e.g. ~/.cargo/bin)."""
    first = argv[0]
    if first.startswith("/") and not os.path.exists(first):
        found = shutil.which(os.path.basename(first))
        if found:
            first = found
    return [first, *argv[1:]]


class SubprocessBackend:
    name = "subprocess"

    def execute(self, job: Job) -> list[StepResult]:
        workdir = tempfile.mkdtemp(prefix="codealign-subprocess-")
        try:
            pending = list(job.files)

            def run_one(step: Step) -> StepResult:
                for path in step.hidden:
                    _remove(os.path.join(workdir, path))
                _place(workdir, [*pending, *step.files])
                pending.clear()
                env = {**BASE_ENV, "HOME": workdir, "TMPDIR": workdir, **dict(step.env)}
                for key in ("HOME", "GOCACHE"):
                    if key in dict(step.env):
                        env[key] = os.path.join(workdir, "." + key.lower())
                raw = run_process(
                    _host_argv(step.argv), cwd=workdir, env=env, stdin=step.stdin,
                    timeout_s=step.wall_timeout_s(job.limits), output_bytes=job.limits.output_bytes,
                )  # fmt: skip
                return StepResult(
                    name=step.name, exit_code=raw.exit_code, stdout=raw.stdout, stderr=raw.stderr,
                    duration_s=raw.duration_s, timed_out=raw.timed_out, output_truncated=raw.output_truncated,
                )  # fmt: skip

            return run_steps_until_failure(job, run_one)
        finally:
            shutil.rmtree(workdir, ignore_errors=True)

    def close(self) -> None:
        pass

    def __enter__(self) -> SubprocessBackend:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _remove(path: str) -> None:
    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path, ignore_errors=True)
    elif os.path.lexists(path):
        os.unlink(path)


def _place(workdir: str, files: Sequence[File]) -> None:
    for f in files:
        path = os.path.join(workdir, f.path)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        _remove(path)
        with open(path, "wb") as out:
            out.write(f.content)
        mode = (0o555 if f.executable else 0o444) if f.readonly else (0o755 if f.executable else 0o644)
        os.chmod(path, mode)
