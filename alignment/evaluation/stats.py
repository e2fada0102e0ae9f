"""Honest intervals over problems: Wilson for a proportion, a normal interval for paired per-problem differences.

Accuracy on n problems comes with a 95% Wilson interval; with a baseline evaluated on the same problems, the paired
difference comes with a 95% normal interval on the per-problem differences, the right test for "did training help
on these items".
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

Z95 = 1.959963984540054


@dataclass(frozen=True)
class Interval:
    estimate: float
    low: float
    high: float

    def __str__(self) -> str:
        return f"{self.estimate:.3f} [{self.low:.3f}, {self.high:.3f}]"


def wilson_interval(successes: int, n: int, z: float = Z95) -> Interval:
    """Wilson score interval for a binomial proportion (good near 0 and 1, unlike the normal approximation)."""
    if n <= 0:
        raise ValueError("n must be positive")
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    low = 0.0 if successes == 0 else max(0.0, centre - half)  # exact ends, not 1e-17 of rounding
    high = 1.0 if successes == n else min(1.0, centre + half)
    return Interval(p, low, high)


def paired_difference(after: Sequence[float], before: Sequence[float], z: float = Z95) -> Interval:
    """Mean of after_i − before_i with a normal 95% interval from the sample std of the differences."""
    if len(after) != len(before) or len(after) < 2:
        raise ValueError("paired difference needs two equal-length score lists of at least 2 items")
    diffs = [a - b for a, b in zip(after, before)]
    n = len(diffs)
    mean = sum(diffs) / n
    var = sum((d - mean) ** 2 for d in diffs) / (n - 1)
    half = z * math.sqrt(var / n)
    return Interval(mean, mean - half, mean + half)


def mean_interval(values: Sequence[float], z: float = Z95) -> Interval:
    """Mean of per-problem scores in [0, 1] with a 95% interval over problems.

    All-binary scores (greedy accuracy, pass@k with k = n) get the Wilson interval; fractional ones (pass@k and
    maj@k estimated from n > k samples) a normal interval from the sample std over problems, clipped to [0, 1]."""
    n = len(values)
    if n == 0:
        raise ValueError("an interval needs at least one problem")
    if all(v in (0, 1) for v in values):
        return wilson_interval(int(sum(values)), n, z)
    mean = sum(values) / n
    if n < 2:
        return Interval(mean, 0.0, 1.0)  # one fractional score says nothing about the spread over problems
    var = sum((v - mean) ** 2 for v in values) / (n - 1)
    half = z * math.sqrt(var / n)
    return Interval(mean, max(0.0, mean - half), min(1.0, mean + half))
