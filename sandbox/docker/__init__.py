"""The Docker backend: the warm container pool `DockerBackend` (backend.py), one hardened container and its job round
trip (container.py), and the framed stream to the supervisor inside (channel.py; the supervisor itself is
`sandbox/guest/docker_supervisor.py`). Build it with `sandbox.api.get_backend("docker")`.

Only ever imported as `sandbox.docker`: Python 3 imports are absolute, so this package never shadows the Docker SDK
(`import docker` inside it is the SDK)."""
