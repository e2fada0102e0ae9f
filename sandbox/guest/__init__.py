"""Programs that run *inside* the sandbox, standard library only, shipped there as files or source text: never
imported by the host. `py_harness.py` (the Python test harness: checker and solution processes) and
`docker_supervisor.py` (PID 1 of every Docker sandbox container)."""
