"""Reward-model ranking metrics against values worked out by hand."""

import math

import pytest

from alignment.evaluation.ranking import (
    ScoredSample,
    best_of_n,
    brier_score,
    expected_calibration_error,
    hidden_test_agreement,
    pairwise_accuracy,
    ranking_summary,
    roc_auc,
    within_prompt_auc,
)


@pytest.mark.parametrize(
    "scores, labels, expected",
    [
        ([0.9, 0.8, 0.3, 0.1], [1, 0, 1, 0], 0.75),  # pos {.9,.3} vs neg {.8,.1}: .9>.8, .9>.1, .3<.8, .3>.1 = 3/4
        ([0.5, 0.5, 0.5], [1, 0, 0], 0.5),  # both pairs tied: 2 x 1/2 over 2 pairs
        ([1.0, 0.5, 0.5, 0.0], [1, 1, 0, 0], 0.875),  # 1>.5, 1>0, .5=.5 (half), .5>0: 3.5/4
        ([0.1, 0.9], [1, 0], 0.0),  # the one pair ordered wrongly
        ([0.3, 0.2, 0.1], [1, 1, 1], None),  # one class only: undefined
    ],
)
def test_roc_auc_counts_ties_half(scores, labels, expected):
    assert roc_auc(scores, [bool(y) for y in labels]) == (None if expected is None else pytest.approx(expected))


def _samples(table):
    """(prompt, score, label[, sample_index]) rows as ScoredSamples."""
    return [ScoredSample(p, s, bool(y), i) for p, s, y, i in table]


# Prompt A: one pair, ordered right (AUC 1). Prompt B: pass 0.2 below both fails 0.8, 0.5 (AUC 0, 2 pairs).
# Prompt C: passes only, no pair. Global: positives {.9,.2,.3,.4} vs negatives {.1,.8,.5}: .9 beats 3, each of
# .2/.3/.4 beats only .1, so 6 of 12 pairs = 0.5.
THREE_PROMPTS = _samples(
    [("A", 0.9, 1, 0), ("A", 0.1, 0, 1), ("B", 0.2, 1, 0), ("B", 0.8, 0, 1), ("B", 0.5, 0, 2),
     ("C", 0.3, 1, 0), ("C", 0.4, 1, 1)]
)  # fmt: skip


def test_within_prompt_auc_is_the_mean_over_prompts_with_both_classes():
    assert within_prompt_auc(THREE_PROMPTS) == (pytest.approx(0.5), 2)  # (1 + 0) / 2; C has no fail


def test_pairwise_accuracy_pools_the_pairs_of_all_prompts():
    assert pairwise_accuracy(THREE_PROMPTS) == (pytest.approx(1 / 3), 3)  # A: 1 of 1, B: 0 of 2


def test_global_auc_ignores_prompts():
    assert roc_auc([s.score for s in THREE_PROMPTS], [s.label for s in THREE_PROMPTS]) == pytest.approx(0.5)


def test_ece_and_brier_by_hand():
    probs, labels = [0.05, 0.15, 0.95, 0.92], [False, False, True, False]
    # bins: [0,.1): p .05 y 0 -> .05; [.1,.2): .15 -> .15; [.9,1]: mean p .935, mean y .5 -> .435
    # ECE = .25*.05 + .25*.15 + .5*.435 = .0125 + .0375 + .2175 = .2675
    assert expected_calibration_error(probs, labels) == pytest.approx(0.2675)
    # Brier = (.05² + .15² + .05² + .92²) / 4 = (.0025 + .0225 + .0025 + .8464) / 4 = .218475
    assert brier_score(probs, labels) == pytest.approx(0.218475)
    assert expected_calibration_error([1.0], [True]) == 0.0  # p = 1 lands in the last bin, not an eleventh


def test_best_of_n_against_random_and_oracle():
    samples = _samples(
        [("A", 5.0, 0, 2), ("A", 0.1, 0, 1), ("A", 0.9, 1, 0),  # first two by index: .9 (pass) and .1 -> RM 1
         ("B", 0.2, 1, 0), ("B", 0.8, 0, 1),  # RM picks .8, a fail -> 0
         ("C", 0.3, 1, 0), ("C", 0.3, 0, 1),  # tied top scores: expected pass of the tie = 1/2
         ("D", 1.0, 1, 0)]  # one sample: fewer than n, left out
    )  # fmt: skip
    result = best_of_n(samples, 2)
    assert (result.n, result.prompts) == (2, 3)
    assert result.rm == pytest.approx(0.5) and result.random == pytest.approx(0.5) and result.oracle == 1.0
    # RM - random per prompt: [.5, -.5, 0]; mean 0, sample var (.25 + .25 + 0) / 2 = .25, se = sqrt(.25 / 3)
    half = 1.959964 * math.sqrt(0.25 / 3)
    assert result.rm_minus_random.estimate == pytest.approx(0.0, abs=1e-12)
    assert result.rm_minus_random.high == pytest.approx(half, abs=1e-5)
    assert best_of_n(samples, 4) is None  # no prompt has four samples


def test_hidden_test_agreement_counts_visible_passes_failing_hidden_tests():
    samples = [
        # A: median of 3, 2, 1, 0 is 1.5; visible passes failing hidden tests score 2 (not below) and 1 (below)
        ScoredSample("A", 3.0, True, 0, hidden_label=True),
        ScoredSample("A", 2.0, True, 1, hidden_label=False),
        ScoredSample("A", 1.0, True, 2, hidden_label=False),
        ScoredSample("A", 0.0, False, 3, hidden_label=False),  # fails the visible tests: not counted
        # B: median 2.5; the visible pass failing hidden tests scores 0, below
        ScoredSample("B", 0.0, True, 0, hidden_label=False),
        ScoredSample("B", 5.0, False, 1, hidden_label=False),
    ]
    assert hidden_test_agreement(samples) == (pytest.approx(2 / 3), 3)


def test_hidden_agreement_reads_the_visible_label_when_training_on_hidden_ones():
    # label = hidden pass; visible_label says the sample passed the weak tests: it counts, scored below median 0.5
    samples = [ScoredSample("A", 0.0, False, 0, hidden_label=False, visible_label=True),
               ScoredSample("A", 1.0, True, 1, hidden_label=True, visible_label=True)]  # fmt: skip
    assert hidden_test_agreement(samples) == (1.0, 1)


def test_summary_holds_every_defined_metric_and_leaves_out_undefined_ones():
    summary = ranking_summary(THREE_PROMPTS, best_of=(2, 5), probabilities=[0.5] * len(THREE_PROMPTS))
    assert summary["within_prompt_auc"] == pytest.approx(0.5) and summary["within_prompt_auc_prompts"] == 2
    assert summary["pairwise_pairs"] == 3 and summary["global_auc"] == pytest.approx(0.5)
    assert summary["brier"] == pytest.approx(0.25) and "ece" in summary
    assert summary["best_of_2/prompts"] == 3 and not any(k.startswith("best_of_5") for k in summary)
    assert not any(k.startswith("hidden/") for k in summary)  # no hidden labels given
    assert "ece" not in ranking_summary(THREE_PROMPTS)  # pairwise RMs: no calibration
