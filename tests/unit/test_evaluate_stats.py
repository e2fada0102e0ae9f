"""Intervals used by the evaluation and the demo, against values computed by hand."""

import math

import pytest

from alignment.evaluation.stats import paired_difference, wilson_interval


def test_wilson_interval_half():
    # p = 0.5, n = 100, z = 1.959964 (z² = 3.841459): centre = (0.5 + z²/200) / (1 + z²/100) = 0.5;
    # half = z * sqrt(0.0025 + z²/40000) / 1.0384146 = 1.959964 * 0.0509513 / 1.0384146 = 0.096168
    iv = wilson_interval(50, 100)
    assert iv.estimate == 0.5
    assert iv.low == pytest.approx(0.5 - 0.096168, abs=1e-5) and iv.high == pytest.approx(0.5 + 0.096168, abs=1e-5)


def test_wilson_interval_zero_successes_stays_inside_unit_range():
    # p = 0, n = 200: low = 0, high = (z²/n) / (1 + z²/n) = 0.0192073 / 1.0192073 = 0.018845
    iv = wilson_interval(0, 200)
    assert iv.low == pytest.approx(0.0, abs=1e-12) and iv.high == pytest.approx(0.018845, abs=1e-5)


def test_paired_difference_by_hand():
    # diffs = [1, 1, 0, 0, 1, -1, 0, 1]: mean = 3/8 = 0.375; sample var = (4*0.390625 + 3*0.140625 + 1.890625)/7
    # = (1.5625 + 0.421875 + 1.890625) / 7 = 0.553571; se = sqrt(0.553571/8) = 0.263052; half = 1.96 * se = 0.515573
    after = [1, 1, 1, 0, 1, 0, 1, 1]
    before = [0, 0, 1, 0, 0, 1, 1, 0]
    iv = paired_difference(after, before)
    assert iv.estimate == pytest.approx(0.375)
    assert iv.high - iv.estimate == pytest.approx(1.959964 * math.sqrt(0.553571 / 8), abs=1e-5)


def test_paired_difference_needs_pairs():
    with pytest.raises(ValueError, match="equal-length"):
        paired_difference([1, 0], [1])
