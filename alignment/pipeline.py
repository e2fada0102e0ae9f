"""The DeepSeek-Coder-V2 Figure 3 experiment end to end: SFT -> collect -> reward model -> two GRPO arms -> report.

    python -m alignment.pipeline --config configs/pipeline/fig3_cpu.yaml [--key value ...]

DSC2 §3.5.2 trains a reward model on compiler-labelled samples and reports (Figure 3) that GRPO with its score
beats GRPO with the raw compiler 0/1 signal on held-out pass rates. This stage runs that comparison with every
stage of this repository, each through its own recipe (the pipeline only passes paths, seeds and the arm's routes):

1. a base model built from scratch (`alignment.model.tiny`; or `model_name_or_path`, e.g. smollm2-135m-instruct);
2. SFT on the generated tasks' train split (`sft_config`);
3. collection from the SFT model, labelled by the *visible* tests (`collect_config`);
4. the reward model, trained on those visible-test labels only (`reward_model_config`), so both arms hold the same
   information; `hidden_label_variant: true` adds a third arm whose RM is trained on every test instead, reported
   as using more information than the compiler signal has;
5. GRPO arms from the same SFT checkpoint and seed, identical but for `reward_routes`: `compiler` = {code:
   execution} (the visible tests' 0/1), `reward_model` = {code: rm}; each evaluates greedy pass@1 on *all* tests of
   the unseen test tasks at step 0, every `eval_every_steps` and at the end (`alignment.evaluation.callback`);
6. `report.md`, `results.json` and `pass_rate.png` in `output_dir`: pass rate against step per arm with 95% Wilson
   intervals, the SFT start, the paired differences at the last step (reward model − compiler, each − SFT), the
   reward model's held-out quality (within-prompt AUC, best-of-n against random with its interval) and wall times.

Every stage writes into its own folder under `output_dir`; `pipeline_state.json` records the finished ones, so a
killed pipeline run again with the same command continues with the first unfinished stage (a GRPO arm continues
from its latest checkpoint).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from alignment.run.cli import run_cli
from alignment.run.config import parse_recipe
from alignment.run.process import setup_logging

logger = logging.getLogger(__name__)

STATE_NAME = "pipeline_state.json"
ARM_ROUTES = {"compiler": {"code": "execution"}, "reward_model": {"code": "rm"}, "reward_model_hidden": {"code": "rm"}}


@dataclass
class PipelineArguments:
    """Where the experiment runs, which stage recipes it uses, and the base model."""

    output_dir: str = field(default="outputs/fig3", metadata={"help": "Every stage's output goes below it."})
    seed: int = field(default=0, metadata={"help": "The seed of every stage (the arms share it)."})
    train_tasks: str = field(default="data/code_functions/train.jsonl", metadata={"help": "SFT, RM and RL prompts."})
    test_tasks: str = field(default="data/code_functions/test.jsonl", metadata={"help": "Held-out tasks."})
    model_name_or_path: str | None = field(
        default=None, metadata={"help": "Start from this model instead of one built from scratch."}
    )
    base_vocab_size: int = field(default=1000, metadata={"help": "From scratch: BPE vocabulary of the train tasks."})
    base_hidden_size: int = field(default=128, metadata={"help": "From scratch: model width."})
    base_layers: int = field(default=4, metadata={"help": "From scratch: transformer layers."})
    base_heads: int = field(default=4, metadata={"help": "From scratch: attention heads."})
    sft_config: str = field(default="configs/sft/fig3_cpu.yaml", metadata={"help": "SFT recipe."})
    collect_config: str = field(default="configs/collect/fig3_cpu.yaml", metadata={"help": "Collection recipe."})
    reward_model_config: str = field(default="configs/reward_model/fig3_cpu.yaml", metadata={"help": "RM recipe."})
    grpo_config: str = field(default="configs/grpo/fig3_cpu.yaml", metadata={"help": "GRPO recipe of every arm."})
    arms: list[str] = field(
        default_factory=lambda: ["compiler", "reward_model"], metadata={"help": f"GRPO arms: {', '.join(ARM_ROUTES)}."}
    )
    hidden_label_variant: bool = field(
        default=False, metadata={"help": "Also train an RM on every test and run its arm (uses more information)."}
    )
    stage_args: list[str] = field(
        default_factory=list, metadata={"help": "Extra `--key value` flags given to every training stage."}
    )

    def arm_names(self) -> list[str]:
        return self.arms + (
            ["reward_model_hidden"] if self.hidden_label_variant and "reward_model_hidden" not in self.arms else []
        )

    def problems(self, configs: Sequence[Any] = ()) -> list[str]:
        problems = [
            f"unknown arm {a!r}; arms: {', '.join(ARM_ROUTES)}" for a in self.arm_names() if a not in ARM_ROUTES
        ]
        for key in ("train_tasks", "test_tasks", "sft_config", "collect_config", "reward_model_config", "grpo_config"):
            if not Path(getattr(self, key)).is_file():
                problems.append(f"`{key}` {getattr(self, key)!r} does not exist")
        if len(set(self.arm_names())) < 2:
            problems.append("give at least two arms to compare, e.g. [compiler, reward_model]")
        return problems


class Pipeline:
    """Stages in order, each skipped when `pipeline_state.json` says it finished."""

    def __init__(self, args: PipelineArguments) -> None:
        self.args, self.out = args, Path(args.output_dir)
        self.out.mkdir(parents=True, exist_ok=True)
        self.state_path = self.out / STATE_NAME
        self.state: dict[str, Any] = json.loads(self.state_path.read_text()) if self.state_path.is_file() else {}

    def stage(self, name: str, run) -> Any:
        if name in self.state:
            logger.info("pipeline: %s already done (%s)", name, self.state[name]["output"])
            return self.state[name]["output"]
        logger.info("pipeline: %s", name)
        start = time.perf_counter()
        output = run()
        self.state[name] = {"output": str(output), "wall_s": round(time.perf_counter() - start, 1)}
        from alignment.run.files import write_atomic

        write_atomic(self.state_path, json.dumps(self.state, indent=2))
        return output

    def common(self) -> list[str]:
        return ["--seed", str(self.args.seed), *self.args.stage_args]

    def run(self) -> dict[str, Any]:
        a, out = self.args, self.out
        base = self.stage("base", self.build_base)
        sft = self.stage("sft", lambda: self.train("sft", a.sft_config, ["--model_name_or_path", base,
                                                                         "--datasets", a.train_tasks]))  # fmt: skip
        collection = self.stage("collect", lambda: self.collect(sft))
        rms = {"reward_model": self.stage("reward_model", lambda: self.reward_model(sft, collection, "passed"))}
        if "reward_model_hidden" in a.arm_names():
            rms["reward_model_hidden"] = self.stage(
                "reward_model_hidden", lambda: self.reward_model(sft, collection, "hidden_passed")
            )
        arms = {
            arm: self.stage(f"grpo_{arm}", lambda arm=arm: self.grpo(arm, sft, rms.get(arm))) for arm in a.arm_names()
        }
        from alignment.pipeline_report import write_report

        return write_report(out, arms, rms, collection, self.state)

    # ---- the stages ---------------------------------------------------------------------------------------------
    def build_base(self) -> str:
        if self.args.model_name_or_path:
            from alignment.model.loading import resolve_model_path

            return resolve_model_path(self.args.model_name_or_path)
        from alignment.model.tiny import build_tiny_model

        rows = [json.loads(line) for line in Path(self.args.train_tasks).read_text().splitlines() if line.strip()]
        corpus = [f"{r['prompt']}\n```python\n{r['solution']}```" for r in rows]  # the train split only
        a = self.args
        path = build_tiny_model(self.out / "base", corpus, vocab_size=a.base_vocab_size, hidden_size=a.base_hidden_size,
                                num_layers=a.base_layers, num_heads=a.base_heads, max_positions=512, seed=a.seed)  # fmt: skip
        return str(path)

    def train(self, stage: str, config: str, extra: list[str]) -> str:
        import importlib

        output = self.out / stage
        module = importlib.import_module(f"alignment.{stage}")
        module.main(["--config", config, *extra, "--output_dir", str(output), *self.common()])
        return str(output)

    def collect(self, sft: str) -> str:
        from alignment import collect

        output = self.out / "collect"
        collect.main(["--config", self.args.collect_config, "--model_name_or_path", sft, "--datasets",
                      self.args.train_tasks, "--output_dir", str(output), "--seed", str(self.args.seed)])  # fmt: skip
        return str(output)

    def reward_model(self, sft: str, collection: str, label: str) -> str:
        output = self.out / ("rm" if label == "passed" else "rm-hidden")
        from alignment import reward_model

        reward_model.main(["--config", self.args.reward_model_config, "--model_name_or_path", sft, "--datasets",
                           collection, "--label", label, "--output_dir", str(output), *self.common()])  # fmt: skip
        return str(output)

    def grpo(self, arm: str, sft: str, rm: str | None) -> str:
        from alignment import grpo

        output = self.out / f"grpo-{arm}"
        args = ["--config", self.args.grpo_config, "--model_name_or_path", sft, "--datasets", self.args.train_tasks,
                "--reward_routes", json.dumps(ARM_ROUTES[arm]), "--eval_benchmark", self.args.test_tasks,
                "--output_dir", str(output), "--resume", *self.common()]  # fmt: skip
        if rm:
            args += ["--reward_model_path", rm]
        grpo.main(args)
        return str(output)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    recipe = parse_recipe((PipelineArguments,), argv, prog="python -m alignment.pipeline", doc=__doc__)
    (args,) = recipe.configs
    setup_logging()
    results = Pipeline(args).run()
    print((Path(args.output_dir) / "report.md").read_text())  # noqa: T201 (the experiment's answer, for the user)
    return results


if __name__ == "__main__":
    run_cli(main)
