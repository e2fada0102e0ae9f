"""stdio checkers (sandbox/checkers.py): one case per line, with why the verdict is right."""

from __future__ import annotations

import pytest

from sandbox.checkers import compare

CASES = [
    # (checker, got, expected, accepted)
    ("exact", "1 2\n3\n", "1 2\n3", True),  # trailing newline only
    ("exact", "1 2  \n3\t\n\n", "1 2\n3", True),  # trailing blanks at line ends and at the end
    ("exact", "1  2\n3", "1 2\n3", False),  # inner whitespace is significant for exact
    ("exact", "1 2 3", "1 2\n3", False),  # line structure is significant for exact
    ("tokens", "1 2 3", "1 2\n3", True),  # Codeforces' wcmp: tokens only
    ("tokens", "  1\n\n2   3 ", "1 2\n3", True),
    ("tokens", "YES", "Yes", False),  # tokens are case-sensitive
    ("tokens", "5.0", "5", False),  # tokens compare as strings
    ("tokens", "1 2", "1 2 3", False),  # a missing token
    ("float", "0.3333333", "0.333333333", True),  # |diff| = 3.3e-8 <= 1e-6 (the example)
    ("float", "0.3334", "0.333333333", False),  # 6.7e-5 > 1e-6
    ("float", "2.5", "2.50", True),  # numerically equal decimals (LiveCodeBench accepts these)
    ("float", "5.0", "5", True),  # an integer answer printed as a float (LiveCodeBench, APPS accept)
    ("float", "1000000008", "1000000007", False),  # two integers: exact (APPS' allclose would accept this)
    ("float", "123456789012345678901234567891", "123456789012345678901234567890", False),  # big ints exactly
    ("float", "1000000.5", "1000000.0", True),  # relative 5e-7 <= 1e-6
    ("float", "1e-7", "0.0", True),  # absolute 1e-7 <= 1e-6
    ("float", "1e-7", "0", False),  # an integer answer must be exact
    ("float", "2000000007.5", "2000000007", False),  # ... even within the relative tolerance
    ("float", "7.000", "7", True),  # numerically equal
    ("float", "1.5e3", "1500.0000001", True),  # scientific notation
    ("float", "YES 0.5000001", "YES 0.5", True),  # strings and numbers mixed
    ("float", "NO 0.5", "YES 0.5", False),
    ("float", "nan", "nan", True),  # equal strings
    ("float", "inf", "1e400", False),  # not a number token: compared as strings
    ("float", "1_000", "1000", False),  # Python's lenient float syntax is not a number here
    ("float", "0.5 0.5", "0.5", False),  # token counts must match
]


@pytest.mark.parametrize("checker,got,expected,accepted", CASES)
def test_checker_table(checker, got, expected, accepted):
    assert (compare(got, expected, checker) is None) is accepted


def test_tolerances_are_the_tasks():
    assert compare("0.51", "0.5", "float", abs_tol=0.05, rel_tol=0) is None
    assert compare("0.51", "0.5", "float", abs_tol=1e-6, rel_tol=1e-6) is not None
    assert compare("105", "100.0", "float", abs_tol=0, rel_tol=0.1) is None  # 5% relative
    assert compare("105", "100", "float", abs_tol=0, rel_tol=0.1) is not None  # integer answers stay exact


def test_reason_names_the_first_difference():
    assert compare("1 2 4", "1 2 3", "tokens") == "token 3: expected '3', got '4'"
    assert compare("a\nb", "a\nc", "exact") == "line 2: expected 'c', got 'b'"
    with pytest.raises(ValueError, match="unknown checker"):
        compare("", "", "fuzzy")
