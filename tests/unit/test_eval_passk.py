"""pass@k and maj@k estimators, the mean interval, and the per-problem figures: exact values, hand computations and
brute force over every k-subset."""

from __future__ import annotations

import itertools
import math
import random
from collections import Counter
from fractions import Fraction

import pytest

from alignment.evaluation.metrics import paired, problem_scores, summarize
from alignment.evaluation.passk import maj_at_k, maj_at_k_exact, pass_at_k, pass_at_k_exact
from alignment.evaluation.stats import mean_interval, wilson_interval


# ---------------------------------------------------------------- pass@k
def closed_form(n: int, c: int, k: int) -> Fraction:
    return 1 - Fraction(math.comb(n - c, k), math.comb(n, k))  # Chen et al. 2021, Eq. 1 (math.comb(m, k) = 0, m < k)


def test_pass_at_k_product_form_equals_the_closed_form_exactly_on_a_grid():
    for n in range(1, 31):
        for c in range(n + 1):
            for k in range(1, n + 1):
                exact = pass_at_k_exact(n, c, k)
                assert exact == closed_form(n, c, k), (n, c, k)
                assert pass_at_k(n, c, k) == pytest.approx(float(exact), rel=1e-12, abs=1e-15), (n, c, k)


@pytest.mark.parametrize("n", [200, 2000])
def test_pass_at_k_stays_finite_for_large_n(n):
    # C(2000, 1000) ~ 2e600 does not fit a float: the naive ratio overflows, the product form does not
    if n == 2000:
        with pytest.raises(OverflowError):
            float(math.comb(2000, 1000))
    for c in range(0, n + 1, n // 20):
        for k in (1, 10, n // 4, n // 2, n):
            value = pass_at_k(n, c, k)
            assert math.isfinite(value) and 0.0 <= value <= 1.0
            assert value == pytest.approx(float(pass_at_k_exact(n, c, k)), rel=1e-9, abs=1e-12)


def test_pass_at_k_by_hand():
    assert pass_at_k(10, 0, 1) == 0.0  # nothing correct
    assert pass_at_k(10, 3, 1) == pytest.approx(0.3)  # pass@1 is c/n
    assert pass_at_k(10, 3, 8) == 1.0  # n - c = 7 < 8: every 8-subset holds a correct sample
    # n=5, c=2, k=2: 1 - C(3,2)/C(5,2) = 1 - 3/10 = 0.7
    assert pass_at_k_exact(5, 2, 2) == Fraction(7, 10)


@pytest.mark.parametrize("n, c, k", [(5, 1, 6), (5, 6, 1), (5, 1, 0)])
def test_pass_at_k_refuses_impossible_counts(n, c, k):
    with pytest.raises(ValueError):
        pass_at_k(n, c, k)


# ---------------------------------------------------------------- maj@k
def brute_force_maj(labels: list[str | None], correct: str, k: int) -> Fraction:
    """Average over every k-subset of the vote's score: largest class wins, ties split, None does not vote."""
    total = Fraction(0)
    subsets = list(itertools.combinations(range(len(labels)), k))
    for subset in subsets:
        votes = Counter(labels[i] for i in subset if labels[i] is not None)
        if votes:
            top = max(votes.values())
            winners = [label for label, count in votes.items() if count == top]
            total += Fraction(int(correct in winners), len(winners))
    return total / len(subsets)


def maj(labels: list[str | None], correct: str, k: int) -> Fraction:
    counts = Counter(labels)
    others = [size for label, size in counts.items() if label not in (correct, None)]
    return maj_at_k_exact(counts.get(correct, 0), others, counts.get(None, 0), k)


PLANTED = [
    # answers of the n samples, k, maj@k, why
    (["4", "4", "5"], 3, Fraction(1), "4 wins 2 to 1"),
    (["4", "4", "5"], 1, Fraction(2, 3), "one vote: right 2 times in 3"),
    (["4", "4", "5"], 2, Fraction(2, 3), "{4,4} right; {4,5} twice, a tie worth 1/2: (1 + 1/2 + 1/2) / 3"),
    (["4", "5"], 2, Fraction(1, 2), "a tie between the right and a wrong answer: half"),
    (["5", "5", "4"], 3, Fraction(0), "the wrong answer has the majority"),
    (["4", None, None], 3, Fraction(1), "samples without an answer do not vote"),
    ([None, None], 2, Fraction(0), "no answer at all is not a right answer"),
    (["5", "6", "7", "4", "4"], 5, Fraction(1), "a plurality of 2 beats three singletons"),
    (["5", "6", "4"], 3, Fraction(1, 3), "a three-way tie"),
]


@pytest.mark.parametrize("labels, k, expected, why", PLANTED, ids=[p[3] for p in PLANTED])
def test_maj_at_k_on_planted_answers(labels, k, expected, why):
    assert maj(labels, "4", k) == expected
    assert maj(labels, "4", k) == brute_force_maj(labels, "4", k)


def test_maj_at_k_equals_brute_force_over_random_vote_patterns():
    rng = random.Random(0)
    for _ in range(300):
        labels = [rng.choice([None, "4", "5", "6", "7"]) for _ in range(rng.randint(1, 9))]
        k = rng.randint(1, len(labels))
        assert maj(labels, "4", k) == brute_force_maj(labels, "4", k), (labels, k)


def test_maj_at_k_float_and_bounds():
    assert maj_at_k(3, [2, 1], 0, 6) == 1.0
    with pytest.raises(ValueError, match="1 <= k <= n"):
        maj_at_k(1, [1], 0, 3)


def test_maj_at_k_groups_answers_by_the_checkers_equivalence():
    """1/2, 0.5 and \\frac{1}{2} are one answer: with string equality the two right samples would win the vote."""
    from alignment.evaluation.grading import grade_math

    completions = ["\\boxed{1/2}", "\\boxed{0.5}", "The answer is $\\frac{1}{2}$.", "\\boxed{3}", "\\boxed{3}"]
    graded = grade_math("3", completions)
    assert graded.verdicts == [False, False, False, True, True]
    assert graded.classes == [1, 1, 1, 0, 0]
    assert graded.outcomes == ["wrong_answer"] * 3 + ["passed"] * 2
    row = {"task": "math", **graded.as_row()}
    assert problem_scores(row, [5], greedy=False)["maj@5"] == 0.0  # the equivalent wrong answers win 3 to 2
    by_string = Counter(graded.answers).most_common()
    assert by_string[0] == ("3", 2)  # string equality would have split the wrong vote and elected "3"


def test_grade_math_marks_samples_without_an_answer():
    from alignment.evaluation.grading import grade_math

    graded = grade_math("7", ["I do not know.", "\\boxed{7}", "\\boxed{8}"])
    assert graded.outcomes == ["no_answer", "passed", "wrong_answer"]
    assert graded.classes == [None, 0, 1]


# ---------------------------------------------------------------- intervals and summaries
def test_mean_interval_binary_is_wilson_and_fractional_is_normal():
    assert mean_interval([1, 0, 1, 1]) == wilson_interval(3, 4)
    # [0.5, 1, 0, 0.5]: mean 0.5, sample var (0 + 0.25 + 0.25 + 0) / 3 = 1/6, se = sqrt(1/24) = 0.204124,
    # half = 1.959964 * 0.204124 = 0.400076
    iv = mean_interval([0.5, 1.0, 0.0, 0.5])
    assert iv.estimate == 0.5
    assert iv.low == pytest.approx(0.5 - 0.400076, abs=1e-6) and iv.high == pytest.approx(0.5 + 0.400076, abs=1e-6)
    assert mean_interval([0.5]).low == 0.0 and mean_interval([0.5]).high == 1.0  # one fractional score: no spread


def _row(pid: str, verdicts: list[bool], task: str = "code", classes=None) -> dict:
    row = {
        "id": pid,
        "task": task,
        "verdicts": verdicts,
        "outcomes": ["passed" if v else "wrong_answer" for v in verdicts],
    }
    if task == "math":
        row["classes"] = classes if classes is not None else [0 if v else 1 for v in verdicts]
    return row


def test_summary_and_paired_difference_over_problems():
    rows = [_row("a", [True, False]), _row("b", [False, False]), _row("c", [True, True])]
    base = [_row("a", [False, False]), _row("b", [False, False]), _row("c", [True, False])]
    figures = summarize(rows, [1, 2], greedy=False)
    assert figures["pass@1"].estimate == pytest.approx((0.5 + 0 + 1) / 3)
    assert figures["pass@2"].estimate == pytest.approx(2 / 3)  # a and c solved at least once in two
    diff = paired(rows, base, [1], greedy=False)["pass@1"]
    assert diff.estimate == pytest.approx((0.5 + 0 + 0.5) / 3)


def test_math_summary_has_maj_and_greedy_accuracy():
    rows = [_row("a", [True], "math"), _row("b", [False], "math")]
    figures = summarize(rows, [1], greedy=True)
    assert set(figures) == {"pass@1", "accuracy"} and figures["accuracy"] == wilson_interval(1, 2)
    sampled = summarize([_row("a", [True, True, False], "math", classes=[0, 0, 1])], [1, 3], greedy=False)
    assert set(sampled) == {"pass@1", "pass@3", "maj@3"} and sampled["maj@3"].estimate == 1.0
