"""Stage 2, a reward model trained on execution labels (DeepSeek-Coder-V2 §3.5.2; DeepSeek-V2 §4.2; RECIPE §5).

    python -m alignment.reward_model --config configs/reward_model/deepseek_coder_v2_lite.yaml [--key value ...]

Reads top to bottom: parse the recipe, load and split the labelled samples, build the sequence classifier from the
SFT checkpoint, score the held-out prompts with the untrained head, train, score them again with the trained RM,
save. DSV2 trains its RMs "with either a point-wise or a pair-wise loss", initialised from the SFT model; which one
for which domain is not stated, so both are here:

* `loss: pairwise` (default): Bradley-Terry on TRL's `RewardTrainer`, L = -log sigmoid(r_c - r_r - m). Pairs are
  built within one prompt only (GRPO only uses within-prompt differences), by AceCoder's rule: the chosen sample
  passes and the rejected one fails, s_c > chosen_min_pass (0.8), s_c > s_r + min_gap (0.4) and, with
  drop_zero_pass_rejected, s_r > 0 (code rows only: math pass fractions are 0/1, so the rule would drop every math
  pair), s the pass fraction behind the label; at most max_pairs_per_prompt (8) per prompt, a seeded random subset.
  m = margin_scale * (s_c - s_r); margin_scale 0 (default) is TRL's plain BT loss.
* `loss: pointwise`: BCE on the 0/1 label, or on the pass fraction with `soft_labels: true`
  (`alignment.trainers.CodealignPointwiseRewardTrainer`; TRL has no pointwise RM trainer).

`label: passed` trains on the visible tests (the faithful setting); `label: hidden_passed` on the hidden tests where
rows have them, which uses more information than GRPO's compiler signal has, so it is an upper-bound variant.

Train and held-out sets are split by prompt, never by response (`data.labelled.split_by_prompt`). The held-out
prompts are scored by the untrained head (the SFT backbone plus a fresh score head) and by the trained RM with the
same code `RewardModelScorer` uses, and both summaries (`alignment.evaluation.ranking`: within-prompt AUC, pairwise
accuracy, global AUC, ECE/Brier for pointwise, best-of-n against random and oracle, hidden-test agreement) go to
`eval_results.json`, to `metrics.jsonl` and to the dashboard as `eval_untrained_head/*` and `eval_trained_rm/*`.

Length: training samples longer than `max_length` tokens are dropped (TRL's rule for pairs, applied to pointwise
samples too); scoring truncates at `max_length` instead, so every held-out sample gets a score.
"""

from __future__ import annotations

import contextlib
import json
import logging
import statistics
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from alignment.args import RecordArguments
from alignment.run.cli import run_cli
from alignment.run.config import TRL, find_config, parse_recipe
from alignment.run.process import setup_logging

logger = logging.getLogger(__name__)

EVAL_RESULTS_NAME = "eval_results.json"
LOSSES = ("pairwise", "pointwise")


@dataclass
class RewardModelArguments:
    """codealign's own reward-model knobs; everything else is TRL's `RewardConfig` and `ModelConfig`."""

    datasets: list[str] = field(
        default_factory=list,
        metadata={"help": "Labelled collection shards (alignment.collect): .jsonl/.parquet files or directories."},
    )
    chat_template: str = field(
        default="model",
        metadata={"help": "model | deepseek_coder_v1 | deepseek_coder_v2; the same template in every stage."},
    )
    loss: str = field(default="pairwise", metadata={"help": "pairwise (Bradley-Terry, TRL) | pointwise (BCE)."})
    label: str = field(
        default="passed", metadata={"help": "passed (visible tests) | hidden_passed (fuller hidden tests, variant)."}
    )
    soft_labels: bool = field(default=False, metadata={"help": "pointwise: the pass fraction as the BCE target."})
    chosen_min_pass: float = field(default=0.8, metadata={"help": "pairwise: chosen pass fraction must exceed this."})
    min_gap: float = field(default=0.4, metadata={"help": "pairwise: s_chosen must exceed s_rejected by more."})
    drop_zero_pass_rejected: bool = field(
        default=True, metadata={"help": "pairwise: drop rejected code samples passing no test (AceCoder)."}
    )
    max_pairs_per_prompt: int = field(default=8, metadata={"help": "pairwise: cap per prompt; 0: no cap."})
    margin_scale: float = field(
        default=0.0, metadata={"help": "pairwise: BT margin = margin_scale * (s_chosen - s_rejected); 0: none."}
    )
    eval_fraction: float = field(default=0.1, metadata={"help": "Share of prompts held out for evaluation."})
    split_seed: int = field(default=0, metadata={"help": "Seed of the train/held-out split by prompt."})
    best_of_n: list[int] = field(
        default_factory=lambda: [4, 8], metadata={"help": "n of the best-of-n evaluation (each >= 2)."}
    )

    def pair_rule(self):
        from data.labelled import PairRule

        return PairRule(self.chosen_min_pass, self.min_gap, self.drop_zero_pass_rejected,
                        self.max_pairs_per_prompt or None, self.margin_scale)  # fmt: skip

    def problems(self, configs: Sequence[Any] = ()) -> list[str]:

        from alignment.model.templates import TEMPLATES
        from data.labelled import LABELS

        problems = []
        if not self.datasets:
            problems.append("`datasets` is empty: list the labelled collection (files or directories of shards)")
        if self.loss not in LOSSES:
            problems.append(f"`loss` {self.loss!r} is not one of {', '.join(LOSSES)}")
        if self.label not in LABELS:
            problems.append(
                f"`label` {self.label!r} is not one of {', '.join(LABELS)} (passed: visible tests; hidden_passed: "
                "the rows' hidden tests)"
            )
        if self.chat_template != "model" and self.chat_template not in TEMPLATES:
            problems.append(f"`chat_template` {self.chat_template!r} is not one of model, {', '.join(TEMPLATES)}")
        if self.soft_labels and self.loss != "pointwise":
            problems.append("`soft_labels: true` needs `loss: pointwise` (pairs have no target to soften)")
        pairwise_only = {"margin_scale": self.margin_scale != 0.0}
        training_args = find_config(configs, "RewardConfig")
        if training_args is not None:
            pairwise_only["center_rewards_coefficient"] = training_args.center_rewards_coefficient is not None
        for key, is_set in pairwise_only.items():
            if is_set and self.loss == "pointwise":
                problems.append(f"`{key}` applies to `loss: pairwise` only; remove it for `loss: pointwise`")
        for key in ("chosen_min_pass", "min_gap"):
            if not 0.0 <= getattr(self, key) <= 1.0:
                problems.append(f"`{key}` is {getattr(self, key)}: a pass fraction, it must lie in [0, 1]")
        if self.margin_scale < 0 or self.max_pairs_per_prompt < 0:
            problems.append("`margin_scale` and `max_pairs_per_prompt` must be >= 0")
        if not 0.0 < self.eval_fraction < 1.0:
            problems.append(f"`eval_fraction` is {self.eval_fraction}: it must lie strictly between 0 and 1")
        if not self.best_of_n or any(n < 2 for n in self.best_of_n):
            problems.append(f"`best_of_n` is {self.best_of_n}: give one or more n >= 2")
        return problems

    def input_problems(self, configs: Sequence[Any] = ()) -> list[str]:
        """Every labelled source exists (a collection directory or a shard file)."""
        return [
            f"`datasets`: {path!r} does not exist: give a collection directory (alignment.collect's output) or a shard"
            for path in self.datasets
            if not Path(path).exists()
        ]


# The recipe's dataclasses; TRL's are named, not imported, so a recipe is checked before torch loads.
CONFIGS = (RewardModelArguments, TRL.ModelConfig, TRL.RewardConfig, RecordArguments)


# ---- data ----------------------------------------------------------------------------------------------------------
class _Encode:
    """Batched `Dataset.map` function: rendered text columns to token-id columns (picklable, unlike a closure)."""

    def __init__(self, tokenizer, columns: dict[str, str]) -> None:
        self.tokenizer, self.columns = tokenizer, columns

    def __call__(self, batch: dict[str, list]) -> dict[str, list]:
        from rewards.model_rewards import encode_rm_inputs

        return {ids: encode_rm_inputs(self.tokenizer, batch[text]) for text, ids in self.columns.items()}


def _fits(example: dict, columns: Sequence[str], max_length: int | None) -> bool:
    return max_length is None or all(len(example[c]) <= max_length for c in columns)


def _tokenized(rows: list[dict], tokenizer, columns: dict[str, str], max_length: int | None, what: str):
    """A `datasets.Dataset` of token ids, without the examples longer than `max_length` (logged)."""
    import datasets

    dataset = datasets.Dataset.from_list(rows)
    dataset = dataset.map(_Encode(tokenizer, columns), batched=True, remove_columns=list(columns), desc=what)
    kept = dataset.filter(_fits, fn_kwargs={"columns": list(columns.values()), "max_length": max_length})
    if len(kept) < len(dataset):
        logger.warning("%s: %d of %d examples exceed max_length=%s tokens and are dropped",
                       what, len(dataset) - len(kept), len(dataset), max_length)  # fmt: skip
    return kept


def pair_rows(samples, args: RewardModelArguments, tokenizer, seed: int) -> list[dict]:
    """Rendered chosen/rejected texts (+ margin) for TRL's `RewardTrainer`, by the pair rule."""
    from data.labelled import build_pairs
    from rewards.model_rewards import format_rm_input

    rule = args.pair_rule()
    rows = []
    for pair in build_pairs(samples, rule, args.label, seed):
        chosen, rejected = pair.chosen, pair.rejected
        row = {"chosen_text": format_rm_input(tokenizer, chosen.prompt, chosen.completion),
               "rejected_text": format_rm_input(tokenizer, rejected.prompt, rejected.completion)}  # fmt: skip
        if rule.margin_scale:
            row["margin"] = pair.margin
        rows.append(row)
    return rows


def pointwise_rows(samples, args: RewardModelArguments, tokenizer) -> list[dict]:
    """Rendered texts with their BCE target: the 0/1 label, or the pass fraction (`soft_labels`)."""
    from rewards.model_rewards import format_rm_input

    return [{"text": format_rm_input(tokenizer, s.prompt, s.completion),
             "labels": s.fraction(args.label) if args.soft_labels else float(s.label(args.label))}
            for s in samples]  # fmt: skip


def training_datasets(train, held_out, args: RewardModelArguments, tokenizer, training_args):
    """(train, eval) token-id datasets for the chosen loss; the eval one feeds TRL's in-training evaluation."""
    from data.labelled import mixed_prompts
    from data.loading import DataError

    max_length = training_args.max_length
    if args.loss == "pointwise":
        columns = {"text": "input_ids"}
        make = lambda samples: pointwise_rows(samples, args, tokenizer)  # noqa: E731
    else:
        columns = {"chosen_text": "chosen_ids", "rejected_text": "rejected_ids"}
        make = lambda samples: pair_rows(samples, args, tokenizer, args.split_seed)  # noqa: E731
    train_rows = make(train)
    if not train_rows:
        prompts, mixed = len({s.prompt_id for s in train}), mixed_prompts(train, args.label)
        raise DataError(
            f"no training pairs: {mixed} of {prompts} training prompts hold both a passing and a failing sample, and "
            f"none of their pairs fits the pair rule (chosen_min_pass={args.chosen_min_pass}, min_gap={args.min_gap}, "
            f"drop_zero_pass_rejected={args.drop_zero_pass_rejected}). Sample more completions per prompt, relax "
            "the rule, or train with `loss: pointwise`."
        )
    eval_rows = make(held_out)
    train_set = _tokenized(train_rows, tokenizer, columns, max_length, "RM training examples")
    eval_set = _tokenized(eval_rows, tokenizer, columns, max_length, "RM held-out examples") if eval_rows else None
    return train_set, eval_set


# ---- evaluation ----------------------------------------------------------------------------------------------------
def _full_weights(model):
    """All parameters present on this rank for a plain forward pass (gathered when ZeRO-3 partitions them)."""
    partitioned = [p for p in model.parameters() if hasattr(p, "ds_id")]
    if not partitioned:
        return contextlib.nullcontext()
    import deepspeed

    return deepspeed.zero.GatheredParameters(partitioned, modifier_rank=None)


def evaluate_held_out(model, tokenizer, held_out, args: RewardModelArguments, training_args) -> dict[str, Any]:
    """Score the held-out samples and summarise the ranking (with the raw scores' mean and std)."""
    from alignment.evaluation.ranking import ScoredSample, ranking_summary
    from rewards.model_rewards import score_rm_inputs, sigmoid

    with _full_weights(model):
        scores = score_rm_inputs(model, tokenizer, [s.prompt for s in held_out], [s.completion for s in held_out],
                                 training_args.per_device_eval_batch_size, training_args.max_length)  # fmt: skip
    scored = [ScoredSample(s.prompt_id, score, bool(s.label(args.label)), s.sample_index, s.hidden_passed, s.passed)
              for s, score in zip(held_out, scores)]  # fmt: skip
    probabilities = [sigmoid(x) for x in scores] if args.loss == "pointwise" else None
    summary = ranking_summary(scored, args.best_of_n, probabilities)
    summary.update(score_mean=statistics.fmean(scores), score_std=statistics.pstdev(scores))
    return summary


def log_summary(trainer, prefix: str, summary: dict[str, Any]) -> None:
    """Through the trainer's log: metrics.jsonl (RunLogCallback) and wandb/TensorBoard, as `eval_<prefix>/<key>`."""
    training = trainer.model.training
    trainer.model.eval()  # TRL's RewardTrainer.log would otherwise attach its running train metrics to this row
    trainer.log({f"eval_{prefix}/{key}": value for key, value in summary.items()})
    trainer.model.train(training)


def log_when_training_begins(trainer, prefix: str, summary: dict[str, Any]) -> None:
    """`log_summary` at step 0, once training has begun: the run log starts a fresh run's `metrics.jsonl` then, so a
    row logged before it would be cut (alignment.run.tracking.RunLogCallback)."""
    from transformers import TrainerCallback

    class _LogAtStart(TrainerCallback):
        def on_train_begin(self, args, state, control, **kwargs):
            log_summary(trainer, prefix, summary)

    trainer.add_callback(_LogAtStart())  # after the run log's callback, so after its cut


def _read_untrained(output_dir: str) -> dict[str, Any] | None:
    path = Path(output_dir) / EVAL_RESULTS_NAME
    return json.loads(path.read_text()).get("untrained_head") if path.is_file() else None


# ---- stage ---------------------------------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> str:
    from transformers import AutoModelForSequenceClassification, set_seed
    from trl.trainer.utils import disable_dropout_in_model

    from alignment.model.loading import default_dtype, load_tokenizer, resolve_model_path
    from alignment.model.templates import ensure_embeddings_fit
    from alignment.run.files import to_jsonable, write_atomic
    from alignment.run.record import start_run
    from alignment.run.tracking import METRICS_NAME, truncate_metrics
    from alignment.trainers import CodealignPointwiseRewardTrainer, CodealignRewardTrainer, PointwiseCollator
    from data.labelled import load_labelled, mixed_prompts, split_by_prompt
    from data.loading import DataError
    from rewards.model_rewards import RM_INFO_NAME, check_sequence_classifier

    # ---- parse -------------------------------------------------------------------------------------------------
    recipe = parse_recipe(CONFIGS, argv, prog="python -m alignment.reward_model", doc=__doc__, check_inputs=True)
    args, model_args, training_args, record_args = recipe.configs
    setup_logging()

    # ---- data: split by prompt, never by response ----------------------------------------------------------------
    samples = load_labelled(args.datasets, args.label)
    train, held_out = split_by_prompt(samples, args.eval_fraction, args.split_seed)
    if mixed_prompts(held_out, args.label) == 0:
        raise DataError(
            f"none of the {len({s.prompt_id for s in held_out})} held-out prompts holds both a passing and a failing "
            "sample, so within-prompt AUC is undefined: raise `eval_fraction`, change `split_seed`, or collect more "
            "samples per prompt"
        )
    logger.info("RM data: %d samples; train %d prompts (%d mixed), held out %d prompts (%d mixed)",
                len(samples), len({s.prompt_id for s in train}), mixed_prompts(train, args.label),
                len({s.prompt_id for s in held_out}), mixed_prompts(held_out, args.label))  # fmt: skip

    # ---- model: the SFT causal LM with a new one-output score head --------------------------------------------
    model_path = resolve_model_path(model_args.model_name_or_path)
    tokenizer = load_tokenizer(model_path, args.chat_template)
    tokenizer.padding_side = "right"
    set_seed(training_args.seed)  # the score head is initialised randomly: the same head on every (re)start
    model = AutoModelForSequenceClassification.from_pretrained(
        model_path, num_labels=1, dtype=default_dtype(model_args.dtype or "auto"),
        attn_implementation=model_args.attn_implementation,
    )  # fmt: skip
    ensure_embeddings_fit(model, tokenizer)
    model.config.pad_token_id = tokenizer.pad_token_id  # the classifier pools at the last token that is not a pad
    if training_args.disable_dropout:
        disable_dropout_in_model(model)
    train_set, eval_set = training_datasets(train, held_out, args, tokenizer, training_args)
    logger.info("RM %s training examples: %d (held-out examples for in-training eval: %d)",
                args.loss, len(train_set), len(eval_set) if eval_set is not None else 0)  # fmt: skip

    # ---- trainer -----------------------------------------------------------------------------------------------
    run = start_run(recipe, training_args, record_args, data_paths=args.datasets, checkpoint_paths=[model_path])
    common = dict(model=model, args=training_args, train_dataset=train_set, eval_dataset=eval_set,
                  processing_class=tokenizer, callbacks=run.callbacks)  # fmt: skip
    if args.loss == "pairwise":
        trainer = CodealignRewardTrainer(**common)
    else:
        trainer = CodealignPointwiseRewardTrainer(**common, data_collator=PointwiseCollator(tokenizer.pad_token_id))

    # ---- evaluate the untrained head (once: a resumed run reuses it) --------------------------------------------
    untrained = _read_untrained(training_args.output_dir) if record_args.resume else None
    if untrained is None:
        metrics = Path(training_args.output_dir) / METRICS_NAME
        if trainer.is_world_process_zero() and not record_args.resume and metrics.exists():
            truncate_metrics(metrics, last_step=-1)  # a fresh run starts empty (its step-0 row comes next)
        if not any(hasattr(p, "ds_id") for p in model.parameters()):  # ZeRO-3 shards are gathered where they live
            model.to(training_args.device)
        untrained = evaluate_held_out(model, tokenizer, held_out, args, training_args)
        log_when_training_begins(trainer, "untrained_head", untrained)
        if trainer.is_world_process_zero():
            write_atomic(Path(training_args.output_dir) / EVAL_RESULTS_NAME,
                         json.dumps({"untrained_head": to_jsonable(untrained)}, indent=2))  # fmt: skip

    # ---- train -------------------------------------------------------------------------------------------------
    trainer.train(resume_from_checkpoint=run.resume_from)

    # ---- evaluate the trained RM on the same held-out prompts ---------------------------------------------------
    trained = evaluate_held_out(trainer.model, tokenizer, held_out, args, training_args)
    trained["within_prompt_auc_gain"] = trained["within_prompt_auc"] - untrained["within_prompt_auc"]
    log_summary(trainer, "trained_rm", trained)

    # ---- save --------------------------------------------------------------------------------------------------
    trainer.save_model(training_args.output_dir)
    if trainer.is_world_process_zero():
        out = Path(training_args.output_dir)
        tokenizer.save_pretrained(out)  # with its chat template: the scorer renders inputs with it
        results = {"untrained_head": untrained, "trained_rm": trained}
        info = {"loss": args.loss, "label": args.label, "soft_labels": args.soft_labels,
                "max_length": training_args.max_length, "base_model": model_path,
                "score_mean": trained["score_mean"], "score_std": trained["score_std"],
                "pair_rule": asdict(args.pair_rule()) if args.loss == "pairwise" else None,
                "split": {"eval_fraction": args.eval_fraction, "split_seed": args.split_seed,
                          "held_out_prompts": sorted({s.prompt_id for s in held_out})},
                "evaluation": results}  # fmt: skip
        write_atomic(out / EVAL_RESULTS_NAME, json.dumps(to_jsonable(results), indent=2))
        write_atomic(out / RM_INFO_NAME, json.dumps(to_jsonable(info), indent=2))
        check_sequence_classifier(out)
        logger.info("held-out within-prompt AUC: untrained head %.3f -> trained RM %.3f (%d prompts); saved to %s",
                    untrained["within_prompt_auc"], trained["within_prompt_auc"],
                    trained["within_prompt_auc_prompts"], out)  # fmt: skip
    return training_args.output_dir


if __name__ == "__main__":
    run_cli(main)
