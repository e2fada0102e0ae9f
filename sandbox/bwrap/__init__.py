"""The bubblewrap backend: `BwrapBackend` (backend.py) and what only it needs -- a concurrency slot and its runs
(slot.py), per-slot cgroups (cgroups.py), the slot's spawner process and its client (spawner_server.py, spawner.py),
the work-dir tmpfs (workdir.py) and the run supervision loop with CPU accounting (process.py). Build it with
`sandbox.api.get_backend("bwrap")`."""
