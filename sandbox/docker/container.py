"""One hardened sandbox container with its supervisor: creation config, job encoding, one job's round trip.

The pool and the isolation notes live in `sandbox.docker.backend`.
"""

from __future__ import annotations

import base64
import logging
import os
from dataclasses import asdict
from pathlib import Path

from sandbox.base import File, Job, Limits, SandboxError, StepResult
from sandbox.docker.channel import Channel

log = logging.getLogger(__name__)

DEFAULT_IMAGE = os.environ.get("CODEALIGN_SANDBOX_IMAGE", "codealign-sandbox:latest")
SUPERVISOR_USER = "0:0"  # root with only SUPERVISOR_CAPS; programs run as uid 10001 without any
SUPERVISOR_CAPS = ["SETUID", "SETGID", "KILL"]  # drop to the program uid; kill its processes
WORKDIR = "/work"
SUPERVISOR_SOURCE = (Path(__file__).parents[1] / "guest" / "docker_supervisor.py").read_text()
SUPERVISOR_MEMORY_MB = 48  # headroom for the supervisor itself on top of the job's memory_mb
SUPERVISOR_PIDS = 4
TMP_MB = 64  # size of the /tmp tmpfs (HOME, caches such as GOCACHE live there)
INODES = 16384  # per tmpfs: caps "many files" attacks independently of the byte size
PROTOCOL_SLACK_S = 15.0  # host-side deadline beyond the sum of step timeouts before the supervisor counts as hung
LABEL = "codealign.sandbox"
# Fixed, scrubbed environment for every step, the same as the bwrap backend's; Step.env adds to it (the harness
# sets GOCACHE etc. for the languages that need them).
BASE_ENV = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": "/tmp", "LANG": "C.UTF-8", "TMPDIR": "/tmp"}


def docker_client(client=None):
    """`docker.from_env()` (honours DOCKER_HOST), pinged; any failure is a SandboxError naming the fix."""
    try:
        import docker
    except ImportError as exc:
        raise SandboxError("the docker backend needs the Docker SDK: pip install 'codealign[docker]'") from exc
    try:
        client = client or docker.from_env()
        client.ping()
    except Exception as exc:
        where = os.environ.get("DOCKER_HOST", "the local socket /var/run/docker.sock")
        raise SandboxError(
            f"Docker engine at {where} is unreachable ({type(exc).__name__}: {exc}); start one with "
            "`sudo bash sandbox/image/start_docker.sh` or point DOCKER_HOST at a running engine"
        ) from exc
    return client


def container_limits(limits: Limits) -> tuple:
    """The limits fixed at container creation; a job with other values needs a different container."""
    return (limits.memory_mb, limits.pids, limits.cpus, limits.workdir_mb)


def _file_payload(spec: File) -> dict:
    path = spec.path
    if not path or path.startswith("/") or ".." in path.split("/") or "\0" in path:
        raise ValueError(f"sandbox file path {path!r} must be relative to the work dir, without '..' or NUL")
    return {
        "path": path,
        "content": base64.b64encode(spec.content).decode(),
        "readonly": spec.readonly,
        "executable": spec.executable,
    }


def job_payload(job: Job) -> dict:
    """The job as the supervisor's JSON request."""
    steps = []
    for step in job.steps:
        if not step.argv:
            raise ValueError(f"step {step.name!r} has an empty argv; give the command to run")
        steps.append(
            {
                "name": step.name,
                "argv": list(step.argv),
                "stdin": base64.b64encode(step.stdin).decode(),
                "files": [_file_payload(f) for f in step.files],
                "hidden": list(step.hidden),
                "seal": list(step.seal),
                "timeout_s": step.wall_timeout_s(job.limits),
                "cpu_time_s": step.cpu_limit_s(job.limits),
                "stop_on_failure": step.stop_on_failure,
                "env": [list(kv) for kv in step.env],
            }
        )
    files = [_file_payload(f) for f in job.files]
    payload = {"op": "job", "steps": steps, "files": files, "limits": asdict(job.limits), "env": BASE_ENV}
    if job.stop_after is not None:
        payload["stream"] = True  # the supervisor asks after each step whether to go on
    return payload


def _step_result(raw: dict) -> StepResult:
    return StepResult(
        name=raw["name"],
        exit_code=raw.get("exit_code"),
        stdout=base64.b64decode(raw.get("stdout", "")),
        stderr=base64.b64decode(raw.get("stderr", "")),
        duration_s=float(raw.get("duration_s", 0.0)),
        timed_out=bool(raw.get("timed_out", False)),
        oom_killed=bool(raw.get("oom_killed", False)),
        output_truncated=bool(raw.get("output_truncated", False)),
        skipped=bool(raw.get("skipped", False)),
        cpu_time_s=None if raw.get("cpu_time_s") is None else float(raw["cpu_time_s"]),
        cpu_limited=bool(raw.get("cpu_limited", False)),
        starved=None if raw.get("starved") is None else bool(raw["starved"]),
    )


def needs_recycle(reply: dict, results: list[StepResult]) -> str:
    """Why the container must be replaced after this reply ('' when it may be reused)."""
    if reply.get("dirty"):
        return "not clean after reset: " + "; ".join(reply["dirty"])
    if reply.get("leftovers"):
        return f"{reply['leftovers']} process(es) outlived their step"
    for r in results:
        if r.timed_out or r.cpu_limited or r.oom_killed or r.output_truncated:
            return (f"step {r.name!r}: timed_out={r.timed_out} cpu_limited={r.cpu_limited} oom_killed={r.oom_killed} "
                    f"flood={r.output_truncated}")  # fmt: skip
    return ""


class Sandbox:
    """One started container with its supervisor and attached channel."""

    def __init__(self, client, image: str, limits: Limits, pool_label: str):
        self.limits_key = container_limits(limits)
        self.jobs_run = 0
        self.container = client.containers.create(image, **self._config(limits, pool_label))
        try:
            sock = client.api.attach_socket(self.container.id, params={"stdin": 1, "stdout": 1, "stream": 1})
            self.channel = Channel(sock)
            self.container.start()
            ready = self.channel.recv(timeout_s=60.0)
        except Exception:
            self.remove()
            raise
        if not ready.get("ready") or ready.get("dirty"):
            self.remove()
            raise SandboxError(f"sandbox container did not start clean: {ready}")

    @staticmethod
    def _config(limits: Limits, pool_label: str) -> dict:
        from docker.types import LogConfig, Ulimit

        memory = f"{limits.memory_mb + SUPERVISOR_MEMORY_MB}m"
        tmpfs_opts = f"rw,exec,nosuid,nodev,mode=1777,nr_inodes={INODES}"
        return {
            "command": ["python3", "-I", "-S", "-c", SUPERVISOR_SOURCE],
            "user": SUPERVISOR_USER,
            "working_dir": WORKDIR,
            "hostname": "sandbox",
            "network_mode": "none",
            "mem_limit": memory,
            "memswap_limit": memory,  # equal: no swap beyond the memory limit
            "pids_limit": limits.pids + SUPERVISOR_PIDS,
            "nano_cpus": int(limits.cpus * 1e9),
            "read_only": True,
            "tmpfs": {WORKDIR: f"{tmpfs_opts},size={limits.workdir_mb}m", "/tmp": f"{tmpfs_opts},size={TMP_MB}m"},
            "ipc_mode": "private",
            "shm_size": "16m",
            "cap_drop": ["ALL"],
            "cap_add": SUPERVISOR_CAPS,
            "security_opt": ["no-new-privileges"],
            "ulimits": [Ulimit(name="core", soft=0, hard=0), Ulimit(name="nofile", soft=1024, hard=1024)],
            "stdin_open": True,
            # The supervisor exits when its stdin closes, so if the grader dies without close() (SIGKILL, SIGTERM)
            # the engine removes the container by itself.
            "auto_remove": True,
            "tty": False,
            "log_config": LogConfig(type="none"),
            "labels": {LABEL: "1", f"{LABEL}.pool": pool_label},
        }

    def run(self, job: Job) -> tuple[list[StepResult], str]:
        """Run one job; returns the step results and why this container must be recycled ('' if reusable)."""
        budget_s = sum(s.wall_timeout_s(job.limits) for s in job.steps) + PROTOCOL_SLACK_S * (1 + len(job.steps))
        self.channel.send(job_payload(job))
        reply = self.channel.recv(timeout_s=budget_s)
        index = 0
        while "step" in reply:  # streamed (Job.stop_after): the decision to go on is made here
            stop = job.stop_after(index, _step_result(reply["step"]))
            self.channel.send({"op": "stop" if stop else "next"})
            index += 1
            reply = self.channel.recv(timeout_s=budget_s)
        self.jobs_run += 1
        if not reply.get("ok"):
            raise SandboxError(f"sandbox supervisor failed: {reply.get('error')}")
        results = [_step_result(r) for r in reply["results"]]
        return results, needs_recycle(reply, results)

    def update_limits(self, limits: Limits) -> bool:
        """Change memory/pids/CPU limits in place (tens of ms instead of a new container); False if impossible.

        The work dir size is fixed at creation, so a different `workdir_mb` always needs a new container.
        """
        if container_limits(limits)[3] != self.limits_key[3]:
            return False
        memory_bytes = (limits.memory_mb + SUPERVISOR_MEMORY_MB) << 20
        data = {
            "Memory": memory_bytes,
            "MemorySwap": memory_bytes,
            "PidsLimit": limits.pids + SUPERVISOR_PIDS,
            "NanoCpus": int(limits.cpus * 1e9),
        }
        api = self.container.client.api
        try:  # POST /containers/{id}/update (Engine API); docker-py's update_container lacks PidsLimit/NanoCpus
            api._result(api._post_json(api._url("/containers/{0}/update", self.container.id), data=data), True)
        except Exception as exc:
            log.info("in-place limit update of %s failed (%s); replacing it", self.container.short_id, exc)
            return False
        self.limits_key = container_limits(limits)
        return True

    def remove(self) -> None:
        from docker.errors import APIError, NotFound

        try:
            self.container.remove(force=True)
        except NotFound:
            pass  # auto_remove got there first
        except APIError as exc:
            if exc.status_code != 409:  # 409: auto-removal already in progress
                log.warning("could not remove sandbox container %s: %s", self.container.short_id, exc)
        except Exception as exc:  # the engine is down: nothing more we can do here
            log.warning("could not remove sandbox container %s: %s", self.container.short_id, exc)
