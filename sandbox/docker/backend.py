"""Docker backend: a warm pool of hardened containers (`DockerBackend`). (A fresh container per job, the slow
baseline the benchmark compares against, is `bench.docker_run_backend.DockerRunBackend`.)

Every container is created with: no network (`network_mode=none`), memory limit == memory+swap limit, a pids limit,
a CPU quota (`nano_cpus`), a read-only root filesystem with tmpfs `/work` (the work dir) and `/tmp`, a private IPC
namespace with a small `/dev/shm`, all capabilities dropped but SETUID/SETGID/KILL for the supervisor,
`no-new-privileges`, programs as the unprivileged uid 10001 with no capabilities, core dumps off, no logs kept.
The engine is found through `DOCKER_HOST` (`docker.from_env()`), so remote engines work unchanged: the only channel is the attached stdin/stdout stream, no bind mount, no host socket.

Inside each container a trusted supervisor (`sandbox/guest/docker_supervisor.py`) is PID 1. It runs every step in its
own session with a CPU-time limit (the container cgroup's CPU counter less its own, read every 50 ms; RLIMIT_CPU per
process besides) and a wall-clock backstop (at which the programs' schedstat tells starved from idle, as for bwrap),
seals the files a step lists (root-owned copies of mode 0111), kills every other process after each step (`kill(-1, SIGKILL)` from PID 1
reaches daemons that left the session), wipes `/work`, `/tmp`, `/dev/shm` and verifies the container is clean before
replying. The pool removes and replaces a container after any time limit, OOM kill, output flood, process that
outlived its step, failed verification or protocol anomaly, so one fork bomb or disk fill cannot affect later runs.

What is isolated: network, host filesystem (read-only image root, nothing of the host mounted), host processes
(own pid namespace), the docker socket (absent), host environment (the job gets a fixed, scrubbed environment; the
supervisor's `/proc/1/environ` belongs to another uid and is non-dumpable), memory/pids/CPU/disk (cgroup limits,
tmpfs sizes and inode counts), privileges (no capabilities, no setuid gain), the supervisor and the files it placed
(another uid; see `sandbox/guest/docker_supervisor.py`).
What is not: the kernel is shared with the host (a kernel exploit escapes; use gVisor/Kata via the engine's runtime
for that); the supervisor is uid 0 of the container (not user-namespaced) holding SETUID/SETGID/KILL, so a bug in it
that a program could exploit would give those, though never DAC_OVERRIDE/SYS_ADMIN or a host mount; within one
step a program can read every file of its own job (test sources it must not see have to be removed by the grader
with `Step.hidden`, or given through stdin, which is a pipe); CPU time is shared fairly with the host, not reserved.
The supervisor's own memory (~20 MB) counts against the container limit, so the limit is
`memory_mb + SUPERVISOR_MEMORY_MB`; the pids limit is `pids + SUPERVISOR_PIDS`.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
import uuid
import weakref
from concurrent.futures import ThreadPoolExecutor

from sandbox.base import Job, Limits, SandboxError, StepResult
from sandbox.docker.container import DEFAULT_IMAGE, LABEL, Sandbox, container_limits, docker_client

log = logging.getLogger(__name__)

ACQUIRE_TIMEOUT_S = 600.0  # a slot is always handed back; waiting longer means the pool is broken


def check_image(client, image: str) -> None:
    try:
        client.images.get(image)
    except Exception as exc:
        raise SandboxError(
            f"sandbox image {image!r} not found on the engine ({type(exc).__name__}); build it with "
            "`sudo bash sandbox/image/build.sh` (or `docker build -t codealign-sandbox:latest sandbox/image`)"
        ) from exc


class DockerBackend:
    """A warm pool of `pool_size` hardened containers; each job runs in a free one, which is then reset or replaced.

    `limits` are those the pool's containers are created with; for a job with other memory/pids/CPU limits the
    container's cgroup limits are changed in place, and a job with another work-dir size gets a new container.
    """

    name = "docker"

    def __init__(self, pool_size: int = 2, limits: Limits | None = None, image: str = DEFAULT_IMAGE, client=None):
        if pool_size < 1:
            raise ValueError(f"pool_size must be >= 1, got {pool_size}")
        self.client = docker_client(client)
        check_image(self.client, image)
        self.image = image
        self.pool_size = pool_size
        self.limits = limits or Limits()
        self.pool_label = uuid.uuid4().hex[:12]
        self.recycled = 0  # containers replaced after an anomaly (for tests and logs)
        self._free: queue.Queue[Sandbox | None] = queue.Queue()
        self._closed = False
        self._lock = threading.Lock()
        self._remover = ThreadPoolExecutor(max_workers=2, thread_name_prefix="sandbox-rm")
        self._finalizer = weakref.finalize(self, remove_pool_containers, self.client, self.pool_label)
        self._start_pool()

    # --- pool management -------------------------------------------------------------------------------------
    # The free queue holds warm Sandboxes, or None for a slot whose container must be (re)created first.
    def _new_sandbox(self, limits: Limits) -> Sandbox:
        try:
            return Sandbox(self.client, self.image, limits, self.pool_label)
        except SandboxError:
            raise
        except Exception as exc:
            raise SandboxError(f"could not start a sandbox container: {type(exc).__name__}: {exc}") from exc

    def _start_pool(self) -> None:
        with ThreadPoolExecutor(max_workers=min(self.pool_size, 4)) as pool:
            futures = [pool.submit(self._new_sandbox, self.limits) for _ in range(self.pool_size)]
            errors = [f.exception() for f in futures if f.exception() is not None]
        for future in futures:
            if future.exception() is None:
                self._free.put(future.result())
        if errors:
            self.close()
            raise errors[0]

    def _discard(self, box: Sandbox) -> None:
        box.channel.close()
        try:
            self._remover.submit(box.remove)
        except RuntimeError:  # close() already shut the remover down: remove here
            box.remove()

    def _refill(self, limits: Limits) -> None:
        """Create a replacement container in the background so the caller gets its verdict at once."""
        if self._closed:
            return

        def create() -> None:
            try:
                self._free.put(self._new_sandbox(limits))
            except SandboxError as exc:
                log.error("could not replace a sandbox container: %s", exc)
                self._free.put(None)

        with contextlib.suppress(RuntimeError):  # close() raced us: no replacement wanted
            self._remover.submit(create)

    def _recycle(self, box: Sandbox, reason: str, limits: Limits) -> None:
        log.info("recycling sandbox container %s: %s", box.container.short_id, reason)
        with self._lock:
            self.recycled += 1
        self._discard(box)
        self._refill(limits)

    def _recycle_idle(self, box: Sandbox) -> None:
        log.warning("sandbox container %s died while idle; replacing it", box.container.short_id)
        with self._lock:
            self.recycled += 1
        self._discard(box)

    def _acquire(self, limits: Limits) -> Sandbox:
        if self._closed:
            raise SandboxError("this DockerBackend was closed; create a new one")
        try:
            box = self._free.get(timeout=ACQUIRE_TIMEOUT_S)
        except queue.Empty as exc:
            raise SandboxError(f"no sandbox container became free within {ACQUIRE_TIMEOUT_S:.0f} s") from exc
        if box is not None and box.channel.peer_closed():  # died while idle (killed, engine restarted)
            self._recycle_idle(box)
            box = None
        if box is not None and box.limits_key != container_limits(limits) and not box.update_limits(limits):
            self._discard(box)
            box = None
        if box is None:
            try:
                box = self._new_sandbox(limits)
            except SandboxError:
                self._free.put(None)
                raise
        return box

    # --- Backend protocol ------------------------------------------------------------------------------------
    def execute(self, job: Job) -> list[StepResult]:
        """Run `job` in a warm container; one result per step. Raises SandboxError on infrastructure failure."""
        box = self._acquire(job.limits)
        try:
            results, why = box.run(job)
        except SandboxError as first:
            # The container was lost mid-job (engine hiccup, or the supervisor died): retry once in a fresh one,
            # so that a verdict never depends on an infrastructure failure; a second failure is raised.
            log.warning("sandbox container %s failed (%s); retrying the job once", box.container.short_id, first)
            self._recycle(box, f"lost mid-job: {first}", job.limits)
            box = self._acquire(job.limits)
            try:
                results, why = box.run(job)
            except SandboxError:
                self._recycle(box, "lost mid-job twice", job.limits)
                raise
        if why:
            self._recycle(box, why, job.limits)
        else:
            self._free.put(box)
        return results

    def close(self) -> None:
        """Remove every container of this pool; waits for the removals."""
        self._closed = True
        while True:
            try:
                box = self._free.get_nowait()
            except queue.Empty:
                break
            if box is not None:
                self._discard(box)
        self._remover.shutdown(wait=True)
        remove_pool_containers(self.client, self.pool_label)
        self._finalizer.detach()

    def __enter__(self) -> DockerBackend:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def remove_pool_containers(client, pool_label: str) -> None:
    """Force-remove every container labelled with this pool (also at interpreter exit, if close() was skipped)."""
    from docker.errors import APIError, NotFound

    try:
        # sparse: no inspect per container, which raises NotFound for one that auto-removal takes meanwhile
        containers = client.containers.list(all=True, sparse=True, filters={"label": f"{LABEL}.pool={pool_label}"})
    except Exception as exc:  # the engine went away: nothing left we could remove
        log.warning("could not list sandbox pool %s for clean-up: %s", pool_label, exc)
        return
    for container in containers:
        try:
            container.remove(force=True)
        except NotFound:
            pass  # auto_remove got there first
        except APIError as exc:
            if exc.status_code != 409:  # 409: auto-removal already in progress
                log.warning("could not remove sandbox container %s: %s", container.short_id, exc)
