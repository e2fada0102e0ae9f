"""Run machinery shared by every stage: how a recipe is parsed and how a run is recorded.

* `config`: strict recipe parsing (`--config file.yaml` + `--key value` onto our and TRL's dataclasses), every
  problem reported at once, before torch, any data or any model loads; `fields` (the keys, TRL's from a committed
  snapshot), `values` (the first pass's value checks) and `help` (`--help` pages) serve it.
* `inputs`: what a stage checks in the world before loading anything (model path, output directory, sandbox).
* `cli`: the entry points' error convention (`run_cli`: bad input is one `error:` message and exit status 2).
* `record`: `start_run(...)`, the one call a stage makes before building its trainer: manifest, tracking, resume.
* `manifest`: `manifest.json` and the reproducible `config.yaml`.
* `tracking`: wandb / TensorBoard setup, `metrics.jsonl`, the completions table.
* `telemetry`: the GRPO trainer's per-step extras (time split, execution pass rate, reward-model agreement).
* `checkpointing`: atomic checkpoints and `--resume`.
* `files`: atomic writes and JSON-safe values, used by all of the above.
* `process`: logging set-up and world size.
"""
