"""A fresh hardened container per job, removed afterwards (like `docker run --rm` per program): the baseline
`bench/bench_sandbox.py` compares the warm pool (`sandbox.docker.backend.DockerBackend`) and bwrap against.

Same container configuration, supervisor and isolation as the pool; only the reuse differs. Not part of the product:
a trainer always wants the pool.
"""

from __future__ import annotations

import uuid
import weakref

from sandbox.base import Job, Limits, SandboxError, StepResult
from sandbox.docker.backend import DockerBackend, check_image, remove_pool_containers
from sandbox.docker.container import DEFAULT_IMAGE, docker_client


class DockerRunBackend(DockerBackend):
    name = "docker-run"

    def __init__(self, limits: Limits | None = None, image: str = DEFAULT_IMAGE, client=None):
        self.client = docker_client(client)
        check_image(self.client, image)
        self.image = image
        self.limits = limits or Limits()
        self.pool_label = uuid.uuid4().hex[:12]
        self._closed = False
        self._finalizer = weakref.finalize(self, remove_pool_containers, self.client, self.pool_label)

    def execute(self, job: Job) -> list[StepResult]:
        if self._closed:
            raise SandboxError("this DockerRunBackend was closed; create a new one")
        box = self._new_sandbox(job.limits)
        try:
            results, _ = box.run(job)
        finally:
            box.channel.close()
            box.remove()
        return results

    def close(self) -> None:
        self._closed = True
        remove_pool_containers(self.client, self.pool_label)
        self._finalizer.detach()
