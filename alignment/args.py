"""The knobs every training stage shares: the data mixture, the chat template, and the run record.

Each stage's own dataclass (`SFTArguments`, `GRPOArguments`, ...) extends `MixtureArguments`; `RecordArguments` sits
beside them in every recipe. Validation is not done in `__post_init__`: `problems(configs)` lists what is wrong with
the recipe itself, `input_problems(configs)` what is wrong with what it points to (data files and their rows), and
`alignment.run.config.check_recipe` reports the problems of every dataclass of a recipe together, before TRL, torch,
a model or a data set is loaded. Nothing here imports torch.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal


@dataclass
class MixtureArguments:
    """Data mixture and chat template knobs shared by the SFT and GRPO stages."""

    datasets: list[str] = field(
        default_factory=list, metadata={"help": "Local .jsonl/.json/.parquet files or hub ids ('org/name[:config]')."}
    )
    dataset_weights: list[float] | None = field(
        default=None, metadata={"help": "Share of each source in the mixture (normalised). Default: equal."}
    )
    dataset_split: str = field(default="train", metadata={"help": "Split to read from hub data sets."})
    mixture_size: int | None = field(default=None, metadata={"help": "Rows in the mixture (default: all sources)."})
    chat_template: str = field(
        default="model",
        metadata={"help": "model | deepseek_coder_v1 | deepseek_coder_v2."},
    )

    def problems(self, configs: Sequence[Any] = ()) -> list[str]:
        from alignment.model.templates import TEMPLATES

        problems = []
        if not self.datasets:
            problems.append("`datasets` is empty: list one or more data files or hub ids")
        weights = self.dataset_weights
        if weights is not None and len(weights) != len(self.datasets):
            problems.append(
                f"`dataset_weights` has {len(weights)} entries for {len(self.datasets)} datasets "
                f"{self.datasets}: give one weight per data set, in that order"
            )
        elif weights is not None and (any(w < 0 for w in weights) or sum(weights) <= 0):
            problems.append(f"`dataset_weights` {weights} must be non-negative with a positive sum")
        if self.mixture_size is not None and self.mixture_size < 1:
            problems.append(f"`mixture_size` must be at least 1, got {self.mixture_size}")
        if self.chat_template != "model" and self.chat_template not in TEMPLATES:
            problems.append(f"`chat_template` {self.chat_template!r} is not one of model, {', '.join(TEMPLATES)}")
        return problems

    def row_mapper(self) -> Callable[[dict, str], Any] | None:
        """The function that turns one data row into this stage's training example (None: rows are not checked)."""
        return None

    def input_problems(self, configs: Sequence[Any] = ()) -> list[str]:
        """Every data source exists and every row of a local file maps to a training example (streamed)."""
        from data.checks import source_problems

        mapper = self.row_mapper()
        return [problem for source in self.datasets for problem in source_problems(source, mapper)]


@dataclass
class RecordArguments:
    """Resume and dashboard settings (the dashboard is chosen with TRL's `report_to`, the run name with `run_name`)."""

    resume: bool = field(
        default=False,
        metadata={
            "help": "Continue from the latest complete checkpoint in output_dir (start fresh if there is none)."
        },
    )
    manifest_hash_checkpoints: bool = field(
        default=True,
        metadata={"help": "sha256 the initial checkpoints in manifest.json (minutes for 100+ GB models: turn off)."},
    )
    check_replicas: bool = field(
        default=False,
        metadata={
            "help": "At the end, hash each rank's full weights into replicas.json: all ranks must hold the same model "
            "(gathers ZeRO-3 shards one parameter at a time; slow for very large models)."
        },
    )
    wandb_project: str = field(default="codealign", metadata={"help": "wandb project."})
    wandb_entity: str | None = field(default=None, metadata={"help": "wandb entity (team or user); None: default."})
    wandb_tags: list[str] = field(default_factory=list, metadata={"help": "wandb run tags."})
    wandb_group: str | None = field(default=None, metadata={"help": "wandb group, e.g. one per ablation sweep."})
    wandb_mode: Literal["auto", "online", "offline", "disabled"] = field(
        default="auto", metadata={"help": "auto: online with credentials, offline without."}
    )
    completions_table_every_n_steps: int = field(
        default=10, metadata={"help": "Log a completions table (prompt, completion, rewards, advantage); 0: never."}
    )

    def problems(self, configs: Sequence[Any] = ()) -> list[str]:
        if self.completions_table_every_n_steps < 0:
            return [
                f"`completions_table_every_n_steps` is {self.completions_table_every_n_steps}: must be >= 0 "
                "(0 disables the table)"
            ]
        return []


@dataclass
class RefreshArguments:
    """Iterative GRPO: how often to refresh, from what, and with which stage recipes."""

    refresh_every_steps: int = field(default=0, metadata={"help": "Refresh RM and reference every N steps; 0: never."})
    refresh_collect_config: str | None = field(
        default=None, metadata={"help": "alignment.collect recipe for the refresh's sampling and labelling."}
    )
    refresh_reward_model_config: str | None = field(
        default=None, metadata={"help": "alignment.reward_model recipe for continuing the RM's training."}
    )
    refresh_datasets: list[str] | None = field(
        default=None, metadata={"help": "Prompt sources of each refresh's collection; default: `datasets`."}
    )
    rm_replay_fraction: float = field(
        default=0.1, metadata={"help": "Share of earlier rounds' prompts replayed in each RM training."}
    )
    refresh_reset_reference: bool = field(
        default=True, metadata={"help": "Reset the reference model to the policy at each refresh (DSM Alg. 1)."}
    )

    def refresh_problems(self, uses_rm: bool) -> list[str]:
        if not self.refresh_every_steps:
            return []
        problems = []
        if self.refresh_every_steps < 0:
            problems.append(f"`refresh_every_steps` must be >= 0, got {self.refresh_every_steps}")
        for key in ("refresh_collect_config", "refresh_reward_model_config"):
            value = getattr(self, key)
            if not value:
                problems.append(f"`refresh_every_steps` needs `{key}`: the recipe the refresh runs that stage with")
            elif not Path(value).is_file():
                problems.append(f"`{key}` {value!r} does not exist: give the path of a recipe file")
        if not uses_rm:
            problems.append("`refresh_every_steps` refreshes the reward model, but no reward uses `rm`")
        if not 0.0 <= self.rm_replay_fraction <= 1.0:
            problems.append(f"`rm_replay_fraction` must lie in [0, 1], got {self.rm_replay_fraction}")
        return problems


@dataclass
class EvalArguments:
    """Held-out evaluation during training (see `alignment.evaluation.callback`)."""

    eval_benchmark: str | None = field(
        default=None, metadata={"help": "Named benchmark (humaneval, code_tasks, math, math_small) or a file/hub id."}
    )
    eval_every_steps: int = field(default=0, metadata={"help": "Evaluate every N optimizer steps; 0: never."})
    eval_at_start: bool = field(default=True, metadata={"help": "Also evaluate the initial model (step 0)."})
    eval_limit: int | None = field(default=None, metadata={"help": "Evaluate the first N problems only."})
    eval_n: int = field(default=1, metadata={"help": "Samples per problem."})
    eval_k: list[int] = field(default_factory=lambda: [1], metadata={"help": "pass@k / maj@k for each k <= n."})
    eval_temperature: float | None = field(default=None, metadata={"help": "Default: 0 for n = 1, else 0.8."})
    eval_top_p: float | None = field(default=None, metadata={"help": "Default: 1.0 when greedy, else 0.95."})
    eval_max_new_tokens: int = field(default=512, metadata={"help": "Tokens per completion."})
    eval_generation_batch_size: int = field(default=64, metadata={"help": "Sequences generated together."})
    eval_prompt_suffix: str = field(default="", metadata={"help": "Appended to each prompt (not HumanEval's)."})
    eval_sandbox_backend: str = field(default="bwrap", metadata={"help": "Sandbox for code: bwrap | docker."})
    eval_sandbox_jobs: int = field(default=4, metadata={"help": "Programs graded at once."})
    eval_seed: int = field(default=0, metadata={"help": "Seed of the evaluation's samples."})

    @property
    def enabled(self) -> bool:
        return self.eval_every_steps > 0

    def settings(self) -> Any:
        from alignment.evaluation.harness import EvalSettings

        temperature = self.eval_temperature
        temperature = (0.0 if self.eval_n == 1 else 0.8) if temperature is None else temperature
        greedy = self.eval_n == 1 and temperature == 0
        top_p = (1.0 if greedy else 0.95) if self.eval_top_p is None else self.eval_top_p
        return EvalSettings(
            self.eval_n, tuple(self.eval_k), temperature, top_p, self.eval_max_new_tokens, self.eval_seed,
            self.eval_generation_batch_size,
        )  # fmt: skip

    def source(self) -> tuple[str | None, str | None]:
        """(benchmark name, data path or hub id) of `eval_benchmark`."""
        from data.formats import BENCHMARKS

        return (self.eval_benchmark, None) if self.eval_benchmark in BENCHMARKS else (None, self.eval_benchmark)

    def rows(self) -> tuple[list[dict[str, Any]], list[str]]:
        """The held-out problem rows (loaded once) and the problems met loading them."""
        from alignment.evaluation import inputs

        if not hasattr(self, "_loaded"):
            rows, problems = inputs.load_problem_rows(*self.source(), None, self.eval_limit)
            self._loaded = (inputs.split_judgeable(rows)[0] if not problems else rows, problems)
        return self._loaded

    def problems(self, configs: Sequence[Any] = ()) -> list[str]:
        from alignment.evaluation import inputs

        if self.eval_every_steps < 0:
            return [f"`eval_every_steps` is {self.eval_every_steps}: 0 turns evaluation off, N > 0 every N steps"]
        if not self.enabled:
            return []
        if not self.eval_benchmark:
            return ["`eval_every_steps` is set but `eval_benchmark` is not: name a benchmark or a held-out file"]
        s = self.settings()
        found = inputs.sampling_problems(s.n, s.ks, s.temperature, s.top_p, s.max_new_tokens, flag="eval_")
        rows, data_problems = self.rows()
        found += [f"`eval_benchmark`: {problem}" for problem in data_problems]
        flags = ("`eval_sandbox_backend`", "`eval_sandbox_jobs`")
        return found + inputs.sandbox_problems(rows, self.eval_sandbox_backend, self.eval_sandbox_jobs, flags)

    def label(self) -> str:
        from alignment.evaluation.outputs import benchmark_label

        return benchmark_label(*self.source())
