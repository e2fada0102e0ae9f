"""How well a reward model ranks execution-labelled samples (RECIPE §5.3), on held-out prompts.

Every metric takes `ScoredSample`s: a prompt id, the RM's score, the 0/1 label (the samples' visible-test pass, or
the hidden-test pass for an RM trained on fuller tests) and, where the collection has them, the hidden-test label.

* within-prompt AUC: per prompt holding both classes, the probability that a random passing sample outscores a
  random failing one (ties count half); the mean over those prompts. This is what GRPO consumes: group-normalised
  advantages only see differences between samples of the same prompt.
* pairwise accuracy: the same comparison over all pass x fail pairs within prompts, pooled (prompts with more pairs
  weigh more), ties counting half.
* global AUC: ROC-AUC over all samples regardless of prompt (Mann-Whitney, ties half); it also rewards knowing which
  prompts are hard, which GRPO never uses.
* ECE and Brier, for pointwise RMs whose sigmoid is a probability: ECE = sum over 10 equal-width probability bins of
  (bin share) x |mean label - mean probability|; Brier = mean (p - y)^2.
* best-of-n: for each prompt with at least n samples, its first n (by sample index); the RM picks the highest score
  (tied top scores: the expected pass over the tie), random selection passes with the prompt's mean pass rate (its
  exact expectation), the oracle passes when any sample does. The paired difference RM - random over prompts comes
  with a 95% normal interval (`alignment.evaluation.stats.paired_difference`).
* hidden-test agreement (DSC2's claim for an RM over the raw compiler signal): on samples that pass the visible tests
  but fail hidden ones, the fraction the RM scores strictly below its prompt's median score.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from alignment.evaluation.stats import Interval, paired_difference


@dataclass(frozen=True)
class ScoredSample:
    prompt_id: str
    score: float
    label: bool
    sample_index: int = 0
    hidden_label: bool | None = None
    visible_label: bool | None = None  # the visible-test pass when `label` is the hidden one; None: `label` is it

    @property
    def visible(self) -> bool:
        return self.label if self.visible_label is None else self.visible_label


def roc_auc(scores: Sequence[float], labels: Sequence[bool]) -> float | None:
    """P(score of a positive > score of a negative), ties counting half; None without both classes.

    Rank form of the Mann-Whitney U: AUC = (R+ - n+(n+ + 1)/2) / (n+ n-), R+ the sum of the positives' average ranks.
    """
    positives = sum(1 for y in labels if y)
    negatives = len(labels) - positives
    if positives == 0 or negatives == 0:
        return None
    order = sorted(range(len(scores)), key=lambda i: scores[i])
    rank_sum, start = 0.0, 0
    while start < len(order):
        end = start
        while end + 1 < len(order) and scores[order[end + 1]] == scores[order[start]]:
            end += 1
        average_rank = (start + end) / 2 + 1  # ranks are 1-based; tied scores share the mean rank
        rank_sum += average_rank * sum(1 for i in order[start : end + 1] if labels[i])
        start = end + 1
    return (rank_sum - positives * (positives + 1) / 2) / (positives * negatives)


def by_prompt(samples: Iterable[ScoredSample]) -> dict[str, list[ScoredSample]]:
    """Samples grouped by prompt, each group in sample-index order."""
    groups: dict[str, list[ScoredSample]] = defaultdict(list)
    for sample in samples:
        groups[sample.prompt_id].append(sample)
    return {pid: sorted(group, key=lambda s: s.sample_index) for pid, group in groups.items()}


def _pass_fail_counts(group: Sequence[ScoredSample]) -> tuple[int, int]:
    positives = sum(1 for s in group if s.label)
    return positives, len(group) - positives


def within_prompt_auc(samples: Iterable[ScoredSample]) -> tuple[float | None, int]:
    """Mean per-prompt AUC over the prompts holding both classes, and how many such prompts there are."""
    aucs = []
    for group in by_prompt(samples).values():
        auc = roc_auc([s.score for s in group], [s.label for s in group])
        if auc is not None:
            aucs.append(auc)
    return (sum(aucs) / len(aucs) if aucs else None), len(aucs)


def pairwise_accuracy(samples: Iterable[ScoredSample]) -> tuple[float | None, int]:
    """Share of within-prompt pass x fail pairs the RM orders correctly (ties half), and the number of pairs."""
    correct, pairs = 0.0, 0
    for group in by_prompt(samples).values():
        positives, negatives = _pass_fail_counts(group)
        auc = roc_auc([s.score for s in group], [s.label for s in group])
        if auc is not None:
            correct += auc * positives * negatives  # a prompt's AUC is its share of correctly ordered pairs
            pairs += positives * negatives
    return (correct / pairs if pairs else None), pairs


def expected_calibration_error(probabilities: Sequence[float], labels: Sequence[bool], bins: int = 10) -> float:
    """ECE over `bins` equal-width bins of [0, 1]; a probability of exactly 1.0 falls in the last bin."""
    if not probabilities:
        raise ValueError("ECE needs at least one sample")
    members: dict[int, list[int]] = defaultdict(list)
    for i, p in enumerate(probabilities):
        members[min(int(p * bins), bins - 1)].append(i)
    total = 0.0
    for indices in members.values():
        mean_p = sum(probabilities[i] for i in indices) / len(indices)
        mean_y = sum(1.0 for i in indices if labels[i]) / len(indices)
        total += len(indices) / len(probabilities) * abs(mean_y - mean_p)
    return total


def brier_score(probabilities: Sequence[float], labels: Sequence[bool]) -> float:
    if not probabilities:
        raise ValueError("the Brier score needs at least one sample")
    return sum((p - (1.0 if y else 0.0)) ** 2 for p, y in zip(probabilities, labels)) / len(probabilities)


@dataclass(frozen=True)
class BestOfN:
    n: int
    prompts: int
    rm: float  # mean pass rate of the RM's pick
    random: float  # mean pass rate of a uniformly random pick (exact expectation)
    oracle: float  # share of prompts with any passing sample among the n
    rm_minus_random: Interval | None  # paired over prompts; None with fewer than two prompts


def _rm_pick_pass(group: Sequence[ScoredSample], label: Callable[[ScoredSample], bool]) -> float:
    top = max(s.score for s in group)
    tied = [s for s in group if s.score == top]
    return sum(1.0 for s in tied if label(s)) / len(tied)  # ties broken uniformly at random, in expectation


def best_of_n(
    samples: Iterable[ScoredSample], n: int, label: Callable[[ScoredSample], bool] = lambda s: s.label
) -> BestOfN | None:
    """Best-of-n selection by score against random and oracle selection; None when no prompt has n samples."""
    rm, random, oracle = [], [], []
    for group in by_prompt(samples).values():
        if len(group) < n:
            continue
        first = group[:n]
        rm.append(_rm_pick_pass(first, label))
        random.append(sum(1.0 for s in first if label(s)) / n)
        oracle.append(1.0 if any(label(s) for s in first) else 0.0)
    if not rm:
        return None
    interval = paired_difference(rm, random) if len(rm) >= 2 else None
    mean = statistics.fmean
    return BestOfN(n, len(rm), mean(rm), mean(random), mean(oracle), interval)


def hidden_test_agreement(samples: Iterable[ScoredSample]) -> tuple[float | None, int]:
    """Of the samples passing the visible tests but failing hidden ones, the share scored below their prompt's
    median (over all the prompt's samples), and how many such samples there are."""
    below, count = 0, 0
    for group in by_prompt(samples).values():
        median = statistics.median(s.score for s in group)
        for s in group:
            if s.visible and s.hidden_label is False:
                count += 1
                below += s.score < median
    return (below / count if count else None), count


def _best_of_n_metrics(prefix: str, result: BestOfN | None) -> dict[str, Any]:
    if result is None:
        return {}
    metrics = {f"{prefix}/prompts": result.prompts, f"{prefix}/rm": result.rm, f"{prefix}/random": result.random,
               f"{prefix}/oracle": result.oracle}  # fmt: skip
    if result.rm_minus_random is not None:
        iv = result.rm_minus_random
        metrics.update({f"{prefix}/rm_minus_random": iv.estimate, f"{prefix}/rm_minus_random_low": iv.low,
                        f"{prefix}/rm_minus_random_high": iv.high})  # fmt: skip
    return metrics


def ranking_summary(
    samples: Sequence[ScoredSample], best_of: Sequence[int] = (4, 8), probabilities: Sequence[float] | None = None
) -> dict[str, Any]:
    """Every metric above as one flat dict (for `eval_results.json` and the trainer's log); undefined ones are left
    out. `probabilities` (the sigmoid of pointwise scores) adds ECE and Brier."""
    metrics: dict[str, Any] = {"samples": len(samples), "prompts": len(by_prompt(samples))}
    metrics["within_prompt_auc"], metrics["within_prompt_auc_prompts"] = within_prompt_auc(samples)
    metrics["pairwise_accuracy"], metrics["pairwise_pairs"] = pairwise_accuracy(samples)
    metrics["global_auc"] = roc_auc([s.score for s in samples], [s.label for s in samples])
    if probabilities is not None:
        labels = [s.label for s in samples]
        metrics["ece"] = expected_calibration_error(probabilities, labels)
        metrics["brier"] = brier_score(probabilities, labels)
    for n in best_of:
        metrics.update(_best_of_n_metrics(f"best_of_{n}", best_of_n(samples, n)))
    hidden = [s for s in samples if s.hidden_label is not None]
    if hidden:
        for n in best_of:
            metrics.update(_best_of_n_metrics(f"hidden/best_of_{n}", best_of_n(hidden, n, lambda s: s.hidden_label)))
        metrics["hidden/agreement"], metrics["hidden/agreement_samples"] = hidden_test_agreement(hidden)
    return {k: v for k, v in metrics.items() if v is not None}
