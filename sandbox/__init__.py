"""Isolated execution and grading of generated programs.

Host side, public: `api` (get_backend, run, run_many, BACKEND_NAMES), `base` (Status, ExecResult, Limits, Job, Step,
SandboxError, Backend), `tasks` (the task row schema: CodeTask, parse_task, parse_tests). Host side, trusted
grading: `harness` (a task becomes a Job), `verdicts` (step results become a verdict), `checkers` (stdio output
comparison), `languages` and `assembly` (the test program per language). Backends, each with its own helpers:
`bwrap/` and `docker/`. Programs that run inside the sandbox: `guest/`. The root file system and image: `image/`.
CLI: `python -m sandbox.grade`.
"""
