"""Table-driven tests of the math answer checker (`rewards/math_rewards.py`).

The rows live in `bench/math_cases.py` (one rule per row, with a comment saying why) so that the benchmark and
the tests judge the same table. Extraction and reward-contract rows are below.
"""

from __future__ import annotations

import pytest

from bench.math_cases import BARE_CASES, completion_cases, load_cases
from rewards.math_rewards import extract_answer, math_reward, verify


@pytest.mark.parametrize(
    ("category", "gold", "prediction", "expected"),
    BARE_CASES,
    ids=[f"{i}-{row[0]}" for i, row in enumerate(BARE_CASES)],
)
def test_bare_answers(category: str, gold: str, prediction: str, expected: bool) -> None:
    assert verify(gold, prediction) is expected


_COMPLETIONS = completion_cases()


@pytest.mark.parametrize("case", _COMPLETIONS, ids=[f"{i}-{c.category}" for i, c in enumerate(_COMPLETIONS)])
def test_model_style_completions(case) -> None:  # noqa: ANN001 - MathCase
    assert verify(case.gold, case.prediction) is case.expected


def test_published_grader_rows_accuracy_and_false_positives() -> None:
    """Rows transcribed from public grader suites and issue reports: a few are out of scope (two-sided |z|
    inequalities as unions, an unclosed gold box, a fraction inside prose), so this checks the aggregate the
    acceptance criteria name, with the margin of today's misses, rather than every row."""
    rows = [c for c in load_cases() if c.origin != "handwritten"]
    verdicts = [verify(c.gold, c.prediction) for c in rows]
    accuracy = sum(v == c.expected for v, c in zip(verdicts, rows)) / len(rows)
    negatives = [v for v, c in zip(verdicts, rows) if not c.expected]
    assert accuracy >= 0.98
    assert sum(negatives) / len(negatives) <= 0.015


# Wrong verdicts reported against public graders (and one per policy decision), each a regression row.
PUBLISHED_REGRESSIONS = [
    ("10, 4, -2", "4, 10, -2", False),  # hendrycks/math: three plain numbers are a sequence, order kept
    ("0.1, 4, 2", "4, .1, 2", False),  # hendrycks/math: same
    ("-2,1", "1,-2", True),  # two roots: a solution set, any order
    ("\\boxed{a=4,\\,-8,\\,-10}", "$\\boxed{-10,-8,4}$", True),  # Math-Verify numina: values of a, any order
    ("$9$", "Answer $ \n 9 \n $", False),  # Math-Verify: inline math broken across lines is no answer
    ("$9$", "Answer \\( \n 9 \n \\)", False),  # Math-Verify: same for \\( \\)
    ("$9$", "Answer $$ \n 9 \n $$", True),  # Math-Verify: display math may span lines
    ("$1, 2, 3$", "$1, 2, 3, ...$", False),  # Math-Verify: an ellipsis is no sentence period
    ("$2$", "$2^{10}.$", False),  # Math-Verify: the number fallback does not read 2 out of 2^10
    ("2.74", "Soucis : 2,74 $ a..", True),  # Math-Verify: European decimal comma in prose
    ("1000.99", "not it's not 10 it's 1,000.99m²", True),  # Math-Verify: the last number of prose
    ("11", "11 6/6", False),  # Math-Verify mixed numbers: 6/6 is no proper fraction, and 11 6 no product
    ("40/9", "The answer is 4 4/9.", True),  # Math-Verify mixed numbers
    ("$\\frac{1}{2^{99}}$", "$\\frac{1}{2^{98}}$", False),  # Math-Verify #14: tiny exact values differ
    ("$F_n = \\sum_{k=0}^{n-1} F_k F_{n-k-1}$", "$F_n = \\sum_{k=0}^{n-1} F_{n-k-1} F_k$", True),  # reordered body
    ("$F_n = \\sum_{k=0}^{n-1} F_k F_{n-k-1}$", "$F_n = \\sum_{k=0}^{n-2} F_k F_{n-k-2}$", False),  # other bounds
    ("$4$", "$4\\sqrt(2)$", False),  # Math-Verify #41
    ("3*x-1*y+13=0", "3x + 4y + 14=0", False),  # Math-Verify #60: different lines
    ("$\\sqrt{1/n}$", "$\\frac{1}{\\sqrt{n}}$", True),  # Math-Verify #64
    ("e^{16} - 1", "-1 + exp(16)", True),  # Math-Verify #69
    ("14 - i", "14.0 + -1.0i", True),  # Math-Verify #69
    ("\\frac{\\sqrt{3}}{3}", "\\frac{\\sqrt{3}}{3} \\approx 0.577", True),  # NeMo-Skills: the exact value counts
    ("20", "10 - 10*i**2", True),  # Qwen2.5-Math grader example: Python power
    ("\\frac{11}{2}", "5.51", False),  # Qwen2.5-Math grader example
    ("10", "\\boxed{10", False),  # a generation cut off inside its box has no answer
    ("\\boxed{42}", "<think> My answer is \\boxed{42} </think> Some other text.", False),  # open-r1: not in think
    ("x", "\\sqrt{x^2}", False),  # negative probe points: |x|, not x
    ("\\sqrt{xy}", "\\sqrt{x}\\sqrt{y}", True),  # ...skipping points where a side is not real
    ("14", "<answer>Has 28. Thus, she can fill 14 bags with 2 in each bag.</answer>", True),  # not the per-bag 2
    ("28", "<answer>Has 28. Thus, she can fill 14 bags with 2 in each bag.</answer>", False),  # 28 is intermediate
]


@pytest.mark.parametrize(("gold", "prediction", "expected"), PUBLISHED_REGRESSIONS)
def test_published_regressions(gold: str, prediction: str, expected: bool) -> None:
    assert verify(gold, prediction) is expected


EXTRACTION_CASES = [
    ("The answer is $\\boxed{\\frac{1}{2}}$.", "\\frac{1}{2}"),  # boxed
    ("so \\boxed{x^{2}+\\frac{1}{2}} works", "x^{2}+\\frac{1}{2}"),  # nested braces
    ("first \\boxed{1} then corrected: \\boxed{2}", "2"),  # last box wins
    ("The roots are \\boxed{2}, \\boxed{3}.", "2, 3"),  # adjacent boxes form one list
    ("$\\boxed{1} \\quad \\text{and} \\quad \\boxed{-2}$", "1, -2"),  # boxes joined by \quad and
    ("\\fbox{7}", "7"),  # fbox
    ("\\boxed 5 is it", "5"),  # brace-less box
    ("Final Answer: The final answer is $14{,}916$. I hope it is correct.", "14{,}916"),  # minerva style
    ("Final Answer: The largest $n$ is 34.", "34"),  # the value after "is"
    ("Thus the answer is 28%.", "28%"),  # plain text after the phrase
    ("Natalia sold 72 clips.\n#### 72", "72"),  # GSM8K
    ("<think>maybe \\boxed{3}</think>The result is \\boxed{4}", "4"),  # think block stripped
    ("<think>\nlong reasoning, answer \\boxed{9}\n</think>", "9"),  # only a think block: use it
    ("<answer>12</answer>", "12"),  # answer tags
    ("<answer>so \\boxed{12}</answer>", "12"),  # box inside answer tags
    ("We get $x = 3$ and finally $y = 4$", "y = 4"),  # last inline math
    ("Hence \\[ \\frac{3}{4} \\]", "\\frac{3}{4}"),  # display math
    ("the total is 1,250 apples", "1,250"),  # last-number fallback
    ("no numbers at all", None),  # nothing
    ("\\boxed{255} earlier. Final Answer: The final answer is $10,455$.", "10,455"),  # later phrase wins
    ("So, \\boxed{004", None),  # a box cut off mid-answer gives no answer (it might have become 0045)
    ("\\\\boxed{\\\\frac{1}{2}}", "\\frac{1}{2}"),  # doubled backslashes from an escaped prompt
    ("Using $d = \\frac{90}{n}$ for each divisor. Therefore, there are 12 sequences.", "12"),  # concluding number
    ("$$x \\geq 2.$$ Therefore, the error increases by 100%.", "100%"),  # conclusion after display math
    ("So the total is 12 apples. Then we add $3$.", "3"),  # a later math span beats an earlier conclusion
    ("\\boxed{5}. I hope the answer is correct.", "5"),  # a wordy phrase after the box does not replace it
    ("The answer is 5 because it is the smallest.", "5"),  # justification after the answer is dropped
    ("The answer is: **42**", "42"),  # markdown bold
    ("So the answer is 1, 2, and 3.", "1, 2, and 3"),  # a list is not cut at its commas
    ("The answer is $x = 4$, which satisfies both.", "x = 4"),  # math span before the justification
]


@pytest.mark.parametrize(("completion", "expected"), EXTRACTION_CASES)
def test_extract_answer(completion: str, expected: str | None) -> None:
    assert extract_answer(completion) == expected


REWARD_CASES = [
    ("The answer is \\boxed{42}.", "42", 1.0),  # equal
    ("The answer is \\boxed{41}.", "42", 0.0),  # not equal
    ("I could not solve it.", "42", 0.0),  # no answer in the completion
    ("The answer is \\boxed{42}.", "", None),  # empty gold: cannot judge
    ("The answer is \\boxed{42}.", "   ", None),  # blank gold
    ("The answer is \\boxed{42}.", "9" * 5000, None),  # gold too large to judge
    ("The answer is \\boxed{42}.", "Adding gives \\boxed{42}.", 1.0),  # worked-solution gold
    ("The answer is \\boxed{42}.", "$42$", 1.0),  # delimited gold
]


@pytest.mark.parametrize(("completion", "solution", "expected"), REWARD_CASES)
def test_math_reward_contract(completion: str, solution: str, expected: float | None) -> None:
    assert math_reward(completion, solution) == expected


def test_verify_rejects_non_strings_with_a_clear_error() -> None:
    with pytest.raises(TypeError, match="verify expects two strings"):
        verify(42, "42")  # type: ignore[arg-type]
