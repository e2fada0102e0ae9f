"""The reward-model stage end to end on a tiny model: both losses learn a planted pattern, resume, the scorer.

The collection is built in code (`tests.rm_rows`): passing completions return `x + k`, failing ones `x - k`, among
random filler lines, so the label is learnable from the text. Each run trains for a few dozen CPU steps and must
raise the held-out within-prompt AUC well above its untrained head's and above chance.
"""

from __future__ import annotations

import json
import pickle
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from alignment.evaluation.ranking import ScoredSample, within_prompt_auc
from alignment.run.files import read_jsonl
from data.labelled import load_labelled, split_by_prompt
from data.loading import DataError
from rewards.model_rewards import RewardModelScorer
from tests.integration.wandb_records import history_rows, read_finished_records
from tests.rm_rows import collection_rows, corpus, write_collection

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]
RECIPE = str(ROOT / "configs/reward_model/tiny_cpu.yaml")


@pytest.fixture(scope="module")
def rows() -> list[dict]:
    return collection_rows(prompts=64, samples=4, seed=0)


@pytest.fixture(scope="module")
def base(rows, tmp_path_factory) -> Path:
    """A tiny causal LM standing in for the SFT checkpoint (tokenizer trained on the collection's texts)."""
    from alignment.model.tiny import build_tiny_model

    out = tmp_path_factory.mktemp("rm-base")
    return build_tiny_model(out, corpus(rows), vocab_size=300, hidden_size=32, num_layers=2, num_heads=2)


@pytest.fixture(scope="module")
def collection(rows, tmp_path_factory) -> Path:
    return write_collection(tmp_path_factory.mktemp("collection"), rows)


@pytest.fixture(scope="module")
def hidden_collection(tmp_path_factory) -> Path:
    """The same prompts and completions with hidden labels: every third prompt's visible tests are too weak."""
    return write_collection(
        tmp_path_factory.mktemp("hidden"), collection_rows(prompts=64, samples=4, seed=0, hidden=True)
    )


def train_rm(base: Path, collection: Path, output_dir: Path, *extra: str) -> Path:
    from alignment import reward_model

    argv = ["--config", RECIPE, "--model_name_or_path", str(base), "--datasets", str(collection),
            "--output_dir", str(output_dir), *extra]  # fmt: skip
    return Path(reward_model.main(argv))


@pytest.fixture(scope="module")
def pairwise_rm(base, collection, tmp_path_factory, monkeypatch_module) -> Path:
    """A pairwise RM trained for 20 steps, logging to an offline wandb run."""
    monkeypatch_module.delenv("WANDB_API_KEY", raising=False)
    out = train_rm(base, collection, tmp_path_factory.mktemp("pairwise") / "run", "--max_steps", "20",
                   "--report_to", "wandb", "--wandb_mode", "offline", "--run_name", "rm-pairwise")  # fmt: skip
    import wandb

    wandb.finish()
    return out


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as patch:
        yield patch


def results(run: Path) -> dict:
    return json.loads((run / "eval_results.json").read_text())


def assert_learned(run: Path) -> tuple[float, float]:
    untrained = results(run)["untrained_head"]["within_prompt_auc"]
    trained = results(run)["trained_rm"]["within_prompt_auc"]
    assert trained >= 0.75 and trained >= untrained + 0.2, f"held-out within-prompt AUC {untrained} -> {trained}"
    return untrained, trained


def test_pairwise_rm_ranks_held_out_samples_and_logs_both_evaluations(pairwise_rm, base):
    untrained, trained = assert_learned(pairwise_rm)
    summary = results(pairwise_rm)["trained_rm"]
    assert summary["within_prompt_auc_prompts"] >= 10 and summary["best_of_4/prompts"] == 16
    assert summary["best_of_4/rm_minus_random_low"] > 0, "best-of-4 by the RM does not beat random selection"
    info = json.loads((pairwise_rm / "codealign_rm.json").read_text())
    assert info["loss"] == "pairwise" and info["score_std"] > 0 and info["pair_rule"]["max_pairs_per_prompt"] == 8
    assert info["evaluation"]["trained_rm"]["within_prompt_auc"] == trained
    backbone = "model.layers.0.self_attn.q_proj.weight"
    assert not torch.equal(load_file(base / "model.safetensors")[backbone],
                           load_file(pairwise_rm / "model.safetensors")[backbone]), "the backbone did not train"  # fmt: skip
    for name in ("tokenizer.json", "chat_template.jinja", "manifest.json", "config.json"):
        assert (pairwise_rm / name).is_file(), name

    logged = read_jsonl(pairwise_rm / "metrics.jsonl")
    rows = {key: row for row in logged for key in row if key.endswith("/within_prompt_auc")}
    assert rows["eval_untrained_head/within_prompt_auc"]["step"] == 0
    assert rows["eval_trained_rm/within_prompt_auc"]["step"] == 20
    assert rows["eval_trained_rm/within_prompt_auc"]["eval_trained_rm/within_prompt_auc"] == trained
    [run_dir] = (pairwise_rm / "wandb").glob("offline-run-*")
    history = history_rows(read_finished_records(run_dir))
    in_wandb = {k: v for row in history for k, v in row.items() if k.endswith("within_prompt_auc")}
    assert in_wandb == {
        "eval/untrained_head/within_prompt_auc": untrained,
        "eval/trained_rm/within_prompt_auc": trained,
    }


def test_pointwise_rm_ranks_held_out_samples_with_calibration_and_hidden_tests(base, hidden_collection, tmp_path):
    run = train_rm(base, hidden_collection, tmp_path / "run", "--loss", "pointwise", "--max_steps", "30",
                   "--per_device_train_batch_size", "16")  # fmt: skip
    assert_learned(run)
    summary = results(run)["trained_rm"]
    assert 0.0 <= summary["ece"] <= 1.0 and 0.0 <= summary["brier"] <= 1.0
    assert json.loads((run / "codealign_rm.json").read_text())["loss"] == "pointwise"
    # hidden labels present: best-of-4 on them, and agreement on visible passes that fail hidden tests
    held_out = split_by_prompt(load_labelled([hidden_collection]), 0.25, seed=0)[1]
    weak = sum(1 for s in held_out if s.passed and not s.hidden_passed)
    assert summary["hidden/agreement_samples"] == weak > 0 and 0.0 <= summary["hidden/agreement"] <= 1.0
    assert summary["hidden/best_of_4/oracle"] <= summary["best_of_4/oracle"]  # hidden tests only take passes away


def test_an_rm_on_hidden_labels_trains_and_says_so(base, hidden_collection, tmp_path):
    run = train_rm(base, hidden_collection, tmp_path / "run", "--label", "hidden_passed", "--max_steps", "2")
    info = json.loads((run / "codealign_rm.json").read_text())
    assert info["label"] == "hidden_passed"
    held_out = split_by_prompt(load_labelled([hidden_collection]), 0.25, seed=0)[1]
    hidden_pass_rate = sum(s.hidden_passed for s in held_out) / len(held_out)
    # every held-out prompt has 4 samples, so random selection passes at the held-out mean of the training label
    summary = results(run)["trained_rm"]
    assert summary["samples"] == len(held_out) and summary["best_of_4/random"] == pytest.approx(hidden_pass_rate)


def test_a_resumed_pointwise_run_ends_like_the_uninterrupted_one(base, collection, tmp_path):
    steps = (
        "--loss",
        "pointwise",
        "--max_steps",
        "6",
        "--save_strategy",
        "steps",
        "--save_steps",
        "3",
        "--logging_steps",
        "1",
    )
    reference = train_rm(base, collection, tmp_path / "reference", *steps)
    # A run killed after its first checkpoint: the checkpoint and the untrained-head evaluation are on disk.
    killed = tmp_path / "killed"
    shutil.copytree(reference / "checkpoint-3", killed / "checkpoint-3")
    untrained = {"untrained_head": results(reference)["untrained_head"]}
    (killed / "eval_results.json").write_text(json.dumps(untrained))
    resumed = train_rm(base, collection, killed, *steps, "--resume", "true")

    state = json.loads((resumed / "checkpoint-6" / "trainer_state.json").read_text())
    assert state["global_step"] == 6
    logged = read_jsonl(resumed / "metrics.jsonl")
    assert [row["step"] for row in logged if "loss" in row] == [4, 5, 6], "the resumed run did not start at step 4"
    a, b = load_file(reference / "model.safetensors"), load_file(resumed / "model.safetensors")
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a), "resumed weights differ"
    assert results(resumed) == results(reference)
    assert not any("eval_untrained_head/samples" in row for row in logged), "the untrained head was re-evaluated"


def test_scorer_reproduces_the_stage_evaluation_and_normalises(pairwise_rm, collection):
    samples = load_labelled([collection])
    _, held_out = split_by_prompt(samples, 0.25, seed=0)
    scorer = RewardModelScorer(pairwise_rm, device="auto", batch_size=7)
    raw = scorer.score([s.prompt for s in held_out], [s.completion for s in held_out])
    auc, _ = within_prompt_auc([ScoredSample(s.prompt_id, x, s.passed, s.sample_index) for s, x in zip(held_out, raw)])
    assert auc == pytest.approx(results(pairwise_rm)["trained_rm"]["within_prompt_auc"], abs=1e-9)

    info = json.loads((pairwise_rm / "codealign_rm.json").read_text())
    z = RewardModelScorer(pairwise_rm, normalize="standardize").score([held_out[0].prompt], [held_out[0].completion])
    assert z[0] == pytest.approx((raw[0] - info["score_mean"]) / info["score_std"], rel=1e-5)
    probability = RewardModelScorer(pairwise_rm, normalize="sigmoid").score([held_out[0].prompt], ["x"])[0]
    assert 0.0 < probability < 1.0
    assert scorer.score([], []) == []


def test_scorer_pickles_without_its_model_and_scores_from_threads(pairwise_rm, collection):
    samples = load_labelled([collection])[:12]
    prompts, completions = [s.prompt for s in samples], [s.completion for s in samples]
    scorer = RewardModelScorer(pairwise_rm, batch_size=4)
    expected = scorer.score(prompts, completions)
    clone = pickle.loads(pickle.dumps(scorer))
    assert clone._model is None, "the pickled scorer carried its loaded model"
    with ThreadPoolExecutor(max_workers=3) as pool:  # first use from worker threads: one lazy load, same scores
        outputs = list(pool.map(lambda _: clone.score(prompts, completions), range(3)))
    for out in outputs:
        assert out == pytest.approx(expected, abs=1e-6)


def test_scorer_refuses_a_causal_lm_naming_the_path_and_the_fix(base, tmp_path):
    with pytest.raises(ValueError) as err:
        RewardModelScorer(base)
    message = str(err.value)
    assert str(base) in message and "LlamaForCausalLM (a causal LM)" in message
    assert "python -m alignment.reward_model" in message
    with pytest.raises(ValueError, match="no config.json"):
        RewardModelScorer(tmp_path)
    with pytest.raises(ValueError, match="normalize='zscore' is not one of none, sigmoid, standardize"):
        RewardModelScorer(base, normalize="zscore")


def _one_class_per_prompt(rows: list[dict]) -> list[dict]:
    return [{**r, "passed": int(r["prompt_id"][1:]) % 2 == 0, "pass_fraction": float(int(r["prompt_id"][1:]) % 2 == 0)}
            for r in rows]  # fmt: skip


def test_a_collection_where_no_prompt_has_both_classes_is_refused(base, rows, tmp_path):
    single = write_collection(tmp_path / "single", _one_class_per_prompt(rows))
    with pytest.raises(DataError, match="none of the 16 held-out prompts holds both a passing and a failing sample"):
        train_rm(base, single, tmp_path / "run")


def test_no_pairs_under_the_rule_is_a_clear_error(base, rows, tmp_path):
    # every failure passes no test: AceCoder's rule (s_rejected > 0) leaves no pair
    zero = write_collection(tmp_path / "zero", [{**r, "pass_fraction": 1.0 if r["passed"] else 0.0} for r in rows])
    with pytest.raises(
        DataError, match=r"no training pairs: \d+ of 48 training prompts .*drop_zero_pass_rejected=True"
    ):
        train_rm(base, zero, tmp_path / "run")
