"""Per-problem estimators from n samples: unbiased pass@k (Chen et al. 2021) and maj@k (majority voting).

pass@k is the probability that at least one of k samples solves the problem. From n ≥ k samples of which c are
correct, the unbiased estimator (Chen et al. 2021, "Evaluating Large Language Models Trained on Code", §2.1) is

    pass@k = 1 − C(n−c, k) / C(n, k),

computed, as in the paper's Figure 3, in the numerically stable product form 1 − Π_{i=n−c+1}^{n} (1 − k/i): no
binomial coefficient is ever formed, so n = 200 (or 10,000) stays finite.

maj@k is the probability that a majority vote over k samples picks a correct answer. Samples are grouped into answer
classes (equal answers, by the math checker's equivalence: see `alignment.evaluation.grading`); the vote goes to the
largest class, ties are split evenly (the expected score of a uniformly random tie-break), samples without an answer
do not vote, and k samples without any answer score 0. From n ≥ k samples the estimate is the average of that vote's
score over every k-subset of the n samples (drawn without replacement): like pass@k's estimator, it is unbiased for
the vote over k fresh samples, and it uses all n samples rather than only the first k (which lm-eval and lighteval
vote over; the expectation is the same, the variance lower). With n = k both are the plain majority vote.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from math import comb


def _check(n: int, c: int, k: int) -> None:
    if not 0 <= c <= n:
        raise ValueError(f"pass@k needs 0 <= c <= n, got n={n}, c={c}")
    if not 1 <= k <= n:
        raise ValueError(f"pass@k needs 1 <= k <= n, got k={k}, n={n}: sample at least k completions per problem")


def pass_at_k(n: int, c: int, k: int) -> float:
    """Unbiased pass@k from `n` samples with `c` correct (Chen et al. 2021, Fig. 3), in floating point."""
    _check(n, c, k)
    if n - c < k:
        return 1.0  # every k-subset holds a correct sample
    product = 1.0
    for i in range(n - c + 1, n + 1):
        product *= 1.0 - k / i
    return 1.0 - product


def pass_at_k_exact(n: int, c: int, k: int) -> Fraction:
    """The same product, in exact rational arithmetic (for tests and for checking the float version)."""
    _check(n, c, k)
    if n - c < k:
        return Fraction(1)
    product = Fraction(1)
    for i in range(n - c + 1, n + 1):
        product *= 1 - Fraction(k, i)
    return 1 - product


def _vote_ways(others: Sequence[int], abstained: int, j: int, rest: int) -> list[int]:
    """ways[t]: the number of ways to draw `rest` samples from the other classes (sizes `others`) and the abstentions
    such that no other class gets more than j votes and exactly t of them get j (tie with the correct class)."""
    # table[s][t]: ways to draw s samples so far with t classes tied at j
    table = [[0] * (len(others) + 1) for _ in range(rest + 1)]
    table[0][0] = 1
    for size in others:
        grown = [[0] * (len(others) + 1) for _ in range(rest + 1)]
        for s in range(rest + 1):
            for t, ways in enumerate(table[s]):
                if not ways:
                    continue
                for i in range(min(size, j, rest - s) + 1):
                    grown[s + i][t + (i == j)] += ways * comb(size, i)
        table = grown
    result = [0] * (len(others) + 1)
    for s in range(rest + 1):
        free = comb(abstained, rest - s)  # abstentions fill the rest and never vote
        for t in range(len(others) + 1):
            result[t] += table[s][t] * free
    return result


def maj_at_k_exact(correct: int, others: Sequence[int], abstained: int, k: int) -> Fraction:
    """maj@k from answer-class sizes: `correct` samples in the correct class, `others` the sizes of the wrong
    classes, `abstained` samples without an answer. Exact average over every k-subset (see the module docstring)."""
    if correct < 0 or abstained < 0 or any(size < 0 for size in others):
        raise ValueError(f"class sizes must be non-negative, got {correct=}, {others=}, {abstained=}")
    others = [size for size in others if size > 0]
    n = correct + sum(others) + abstained
    if not 1 <= k <= n:
        raise ValueError(f"maj@k needs 1 <= k <= n, got k={k}, n={n}")
    total = Fraction(0)
    for j in range(1, min(correct, k) + 1):  # j: votes for the correct class in the subset
        ways = _vote_ways(others, abstained, j, k - j)
        total += comb(correct, j) * sum(Fraction(w, 1 + t) for t, w in enumerate(ways))
    return total / comb(n, k)


def maj_at_k(correct: int, others: Sequence[int], abstained: int, k: int) -> float:
    """`maj_at_k_exact` as a float."""
    return float(maj_at_k_exact(correct, others, abstained, k))
