"""Hand-written model-style completion rows of the math checker table (extraction and equivalence traps)."""

from __future__ import annotations

# Longer hand-written completions in the styles of instruction-tuned and reasoning models, each probing one
# extraction or equivalence trap: (category, gold, completion, expected)  # why
STYLED_COMPLETIONS: list[tuple[str, str, str, bool]] = [
    (
        "extract/corrected",
        "7",
        "We get $\\boxed{6}$. Wait, let me double-check: $12 - 5 = 7$, not $6$. So the correct answer is $\\boxed{7}$.",
        True,
    ),  # the last box is the corrected answer
    (
        "extract/corrected",
        "6",
        "We get $\\boxed{6}$. Wait, let me double-check: $12 - 5 = 7$, not $6$. So the correct answer is $\\boxed{7}$.",
        False,
    ),  # the first box was withdrawn
    (
        "extract/llama",
        "18",
        "## Step 1: Count the eggs\nJanet's ducks lay 16 eggs per day.\n\n## Step 2: Subtract what she uses\n"
        "16 - 3 - 4 = 9 eggs remain.\n\n## Step 3: Multiply by the price\n9 * $2 = $18.\n\n"
        "The final answer is: $\\boxed{18}$",
        True,
    ),  # Llama-3 "The final answer is: $\boxed{}$"
    (
        "extract/llama",
        "18",
        "## Step 1: Count the eggs\n16 - 3 - 4 = 9.\n\n## Step 2: Multiply\n9 * 2 = 19.\n\nThe final answer is: $\\boxed{19}$",
        False,
    ),  # arithmetic slip
    (
        "extract/markdown",
        "\\frac{3}{4}",
        "**Solution.** The favourable outcomes are 3 out of 4.\n\n**Answer:** $\\frac{3}{4}$",
        True,
    ),  # bold Answer:
    (
        "extract/markdown",
        "0.75",
        "**Solution.** The favourable outcomes are 3 out of 4.\n\n**Answer:** $\\frac{3}{4}$",
        True,
    ),  # decimal gold
    (
        "extract/units",
        "5",
        "The rope is cut into pieces of length $\\frac{20}{4}$ meters each, so each piece is \\boxed{5 \\text{ meters}}.",
        True,
    ),  # unit inside the box
    (
        "extract/units",
        "5",
        "Each piece is therefore $\\boxed{5\\,\\mathrm{m}}$ long.",
        True,
    ),  # thin space and mathrm unit
    (
        "extract/dollars",
        "35",
        "She earns $\\$7$ per hour for $5$ hours, so she earns $7 \\times 5 = 35$ dollars.\n\n"
        "Therefore, she earns $\\boxed{\\$35}$.",
        True,
    ),  # dollar sign in the box
    ("extract/dollars", "35.50", "Adding the tip gives \\$35.50 in total.\n#### 35.50", True),  # GSM8K with cents
    (
        "extract/percent",
        "25",
        "The price dropped from 80 to 60, a decrease of $\\frac{20}{80} = 25\\%$.\n\nThe answer is $\\boxed{25\\%}$.",
        True,
    ),  # percent gold without the sign
    (
        "extract/percent",
        "25\\%",
        "The decrease is $\\frac{20}{80} = 0.25$, i.e. the answer is \\boxed{0.25}.",
        True,
    ),  # fraction of one
    (
        "extract/percent",
        "25\\%",
        "The decrease is $\\frac{20}{60} = \\frac{1}{3}$, so the answer is \\boxed{33\\%}.",
        False,
    ),  # wrong base
    (
        "extract/think",
        "\\frac{\\sqrt{3}}{2}",
        "<think>\nThe angle is 60 degrees... sin 60 = 1/2? No, that's sin 30. sin 60 = sqrt(3)/2.\n</think>\n\n"
        "Since the angle is $60^\\circ$, we have $\\sin 60^\\circ = \\boxed{\\dfrac{\\sqrt{3}}{2}}$.",
        True,
    ),
    (
        "extract/think",
        "\\frac{\\sqrt{3}}{2}",
        "<think>\nsin 60 = sqrt(3)/2, so \\boxed{\\frac{\\sqrt3}{2}}... but the question asks for cos 60.\n</think>\n\n"
        "We need $\\cos 60^\\circ = \\boxed{\\frac{1}{2}}$.",
        False,
    ),  # the answer after the think block counts
    (
        "extract/think",
        "12",
        "<think>\nLet me count the divisors of 60: 1,2,3,4,5,6,10,12,15,20,30,60. That is 12 divisors.\n</think>\n\n"
        "**Answer: 12**",
        True,
    ),  # bold answer line after thinking
    (
        "extract/mc",
        "\\text{(B)}",
        "Only option B satisfies both conditions, since the others fail the parity test.\n\n$\\boxed{\\textbf{(B)}}$",
        True,
    ),  # AMC-style letter
    (
        "extract/mc",
        "B",
        "Checking each option, (A) fails for $n=2$ and (C) fails for $n=3$. The answer is (B).",
        True,
    ),  # letter
    (
        "extract/mc",
        "B",
        "Checking each option, (A) fails for $n=2$ and (B) fails for $n=3$. The answer is (C).",
        False,
    ),  # wrong
    (
        "extract/mc",
        "16",
        "The number of ways is $\\binom{6}{2} + 1 = 16$.\n\n$\\boxed{\\textbf{(D)}\\ 16}$",
        True,
    ),  # letter + value
    (
        "extract/gsm8k",
        "72",
        "In May she sold half as many: 48 / 2 = 24 clips.\nIn total: 48 + 24 = 72 clips.\n#### 72",
        True,
    ),  # GSM8K
    (
        "extract/gsm8k",
        "72",
        "In May she sold half as many: 48 / 2 = 24 clips.\nIn total: 48 + 24 = 74 clips.\n#### 74",
        False,
    ),  # GSM8K
    (
        "extract/minerva",
        "\\left( 3, \\frac{\\pi}{2} \\right)",
        "We have $r = \\sqrt{0^2 + 3^2} = 3$ and $\\theta = \\frac{\\pi}{2}$.\n"
        "Final Answer: The final answer is $(3,\\frac{\\pi}{2})$. I hope it is correct.",
        True,
    ),  # polar point
    (
        "extract/minerva",
        "\\left( 3, \\frac{\\pi}{2} \\right)",
        "We have $r = 3$ and $\\theta = \\frac{3\\pi}{2}$.\n"
        "Final Answer: The final answer is $(3,\\frac{3\\pi}{2})$. I hope it is correct.",
        False,
    ),  # wrong angle
    (
        "extract/tags",
        "10",
        "<reasoning>\nThe sum of the first four odd numbers is 1 + 3 + 5 + 7 = 16, and 16 - 6 = 10.\n</reasoning>\n"
        "<answer>\n10\n</answer>",
        True,
    ),  # tagged answer
    (
        "extract/tags",
        "10",
        "<reasoning>\nThe sum is 16 and 16 - 6 = 10.\n</reasoning>\n<answer>\n16\n</answer>",
        False,
    ),  # tag wins
    (
        "extract/phrase",
        "x = 4",
        "Solving $2x + 3 = 11$ gives $2x = 8$, so the solution is $x = 4$.",
        True,
    ),  # last math span
    (
        "extract/phrase",
        "-3",
        "Solving gives two roots, $x = 2$ and $x = -3$; only the negative root satisfies the condition, "
        "so the answer is $x = -3$.",
        True,
    ),  # answer phrase after other spans
    (
        "extract/phrase",
        "2",
        "Solving gives two roots, $x = 2$ and $x = -3$; only the negative root satisfies the condition, "
        "so the answer is $x = -3$.",
        False,
    ),  # the discarded root
    (
        "extract/list",
        "1, -2",
        "The quadratic factors as $(n - 1)(n + 2) = 0$, so the integers are \\[\\boxed{-2} \\quad \\text{and} "
        "\\quad \\boxed{1}.\\]",
        True,
    ),  # two boxes
    (
        "extract/list",
        "1, -2",
        "The quadratic factors as $(n - 1)(n + 2) = 0$, so the only integer is $\\boxed{1}$.",
        False,
    ),  # one root
    (
        "extract/list",
        "(2, 1), (1, 2)",
        "The solutions are $\\boxed{(1, 2)}$ and $\\boxed{(2, 1)}$.",
        True,
    ),  # two points
    (
        "extract/interval",
        "(-\\infty, -2) \\cup (3, \\infty)",
        "The product is positive outside the roots, so $x \\in \\boxed{(-\\infty,-2)\\cup(3,\\infty)}$.",
        True,
    ),
    (
        "extract/interval",
        "(-\\infty, -2) \\cup (3, \\infty)",
        "The product is positive between the roots, so $x \\in \\boxed{(-2,3)}$.",
        False,
    ),  # complement
    (
        "extract/interval",
        "[-2, 7]",
        "We need $6 - x - x^2 \\ge 0$... thus the domain is \\[ \\boxed{-2 \\le x \\le 7} \\]",
        True,
    ),  # inequality
    (
        "extract/equation",
        "y = -\\frac{1}{2}x + \\frac{3}{4}",
        "The line has slope $-\\frac12$ and passes through $(0, \\frac34)$, so its equation is "
        "$\\boxed{2x + 4y - 3 = 0}$.",
        True,
    ),  # general form
    (
        "extract/equation",
        "y = -\\frac{1}{2}x + \\frac{3}{4}",
        "The line has slope $-\\frac12$, so its equation is $\\boxed{y = -\\frac{1}{2}x - \\frac{3}{4}}$.",
        False,
    ),  # wrong intercept
    (
        "extract/matrix",
        "\\begin{pmatrix} 2 & 0 \\\\ 0 & 2 \\end{pmatrix}",
        "Squaring the rotation-scaling matrix gives \\[\\boxed{\\begin{pmatrix} 2 & 0 \\\\ 0 & 2 \\end{pmatrix}}.\\]",
        True,
    ),  # matrix in display math
    (
        "extract/matrix",
        "\\begin{pmatrix} 2 & 0 \\\\ 0 & 2 \\end{pmatrix}",
        "Squaring gives \\[\\boxed{\\begin{pmatrix} 2 & 0 \\\\ 0 & -2 \\end{pmatrix}}.\\]",
        False,
    ),  # one sign
    (
        "extract/vector",
        "\\begin{pmatrix} 1 \\\\ -2 \\\\ 3 \\end{pmatrix}",
        "The cross product is $\\boxed{\\langle 1, -2, 3 \\rangle}$.",
        True,
    ),  # angle-bracket vector
    (
        "extract/sci",
        "3.0 \\times 10^8",
        "The speed of light is about $3 \\times 10^{8}$ m/s, so the answer is $\\boxed{3 \\times 10^8}$.",
        True,
    ),
    ("extract/sci", "3.0 \\times 10^8", "So the answer is $\\boxed{3 \\times 10^9}$ m/s.", False),  # exponent
    (
        "extract/pm",
        "1 \\pm \\sqrt{19}",
        "By the quadratic formula, $x = \\frac{2 \\pm \\sqrt{76}}{2} = \\boxed{1 \\pm \\sqrt{19}}$.",
        True,
    ),
    (
        "extract/pm",
        "1 \\pm \\sqrt{19}",
        "By the quadratic formula, $x = \\boxed{1 + \\sqrt{19}}$ is the positive root.",
        False,
    ),  # one root
    (
        "extract/complex",
        "-1 + 2i",
        "Multiplying out, $(1 + i)(\\frac{1}{2} + \\frac{3}{2}i) = \\frac{1}{2} + 2i - \\frac{3}{2} = \\boxed{-1+2i}$.",
        True,
    ),
    ("extract/complex", "-1 + 2i", "Multiplying out gives $\\boxed{1-2i}$.", False),  # negated
    (
        "extract/base",
        "10001_2",
        "Converting, $17 = 16 + 1 = 10001_2$. Thus the answer is $\\boxed{10001_2}$.",
        True,
    ),  # base two
    (
        "extract/base",
        "10001_2",
        "Converting, $17 = 10010_2$. Thus the answer is $\\boxed{10010_2}$.",
        False,
    ),  # wrong digits
    (
        "extract/text",
        "\\text{Tuesday}",
        "Counting 40 days forward from Saturday lands on a Tuesday, so the answer is $\\boxed{\\text{Tuesday}}$.",
        True,
    ),  # word answer
    ("extract/text", "\\text{Tuesday}", "Counting forward lands on \\boxed{\\text{Wednesday}}.", False),  # wrong day
    (
        "extract/decimal",
        "0.1",
        "The probability is $\\frac{1}{10} = 0.1$, so the answer is $\\boxed{\\frac{1}{10}}$.",
        True,
    ),
    (
        "extract/decimal",
        "0.0000001",
        "The probability is about one in ten million: $\\boxed{0.0000002}$.",
        False,
    ),  # tiny difference matters
    (
        "extract/sqrt",
        "\\frac{5\\sqrt{42}}{27}",
        "Simplifying, $\\frac{\\sqrt{160}}{\\sqrt{252}} \\times \\frac{\\sqrt{245}}{\\sqrt{108}} = "
        "\\frac{4\\sqrt{10} \\cdot 7\\sqrt{5}}{6\\sqrt{7} \\cdot 6\\sqrt{3}} = \\boxed{\\frac{5\\sqrt{42}}{27}}$.",
        True,
    ),
    (
        "extract/degrees",
        "30^\\circ",
        "Since the triangle is isosceles, the base angles are $75^\\circ$, so the apex is $\\boxed{30^{\\circ}}$.",
        True,
    ),
    (
        "extract/degrees",
        "30^\\circ",
        "So the apex angle is $\\boxed{\\frac{\\pi}{6}}$.",
        False,
    ),  # radians are a different notation
    (
        "extract/no-answer",
        "42",
        "This problem needs more information; I cannot determine the value.",
        False,
    ),  # nothing to extract
    (
        "extract/truncated",
        "840",
        "So the number of arrangements is \\boxed{840}.\n\nBut wait, let me verify with another method: \\boxed{84",
        False,
    ),  # a truncated last box is the answer, and it is wrong
    (
        "extract/approx",
        "16386.17",
        "A = 10000(1 + 0.025)^{20} \\approx 16386.16\\ldots$\n\nThe final answer is $\\boxed{16386.16}$.",
        False,
    ),
    (
        "extract/approx",
        "16386.17",
        "A = 10000(1.025)^{20} = 16386.1644...\n\nRounded to the nearest cent: $\\boxed{\\$16{,}386.17}$.",
        True,
    ),
    (
        "extract/r1",
        "\\frac{14}{3}",
        "<think>\nOkay, let's compute f(-2) + f(-1) + f(0). f(-2) = (-8)/(-4) = 2, f(-1) = 5/3, f(0) = 1.\n"
        "So the sum is 2 + 5/3 + 1 = 14/3. Let me double check f(-1): (3(-1)-2)/(-1-2) = -5/-3 = 5/3. Yes.\n</think>\n\n"
        "We evaluate each term and add them:\n\\[\nf(-2)+f(-1)+f(0) = 2 + \\frac{5}{3} + 1\n\\]\n\n"
        "**Final Answer**\n\\[\n\\boxed{\\dfrac{14}{3}}\n\\]",
        True,
    ),  # R1-style final answer block
    (
        "extract/r1",
        "\\frac{14}{3}",
        "<think>\nOkay, f(-2) = 2, f(-1) = 5/3, f(0) = 1, so the sum is 2 + 5/3 + 1 = 14/3. Wait, is f(0) = 1? "
        "(0-2)/(0-2) = 1. Yes. So the answer is \\boxed{\\frac{14}{3}}. Hmm, but let me reconsider whether",
        True,
    ),
    # truncated reasoning without </think>: the box inside it is the answer
    (
        "extract/r1",
        "\\frac{14}{3}",
        "<think>\nf(-2) = 2, f(-1) = 5/3, f(0) = -1, so the sum is 11/3.\n</think>\n\n**Final Answer**\n"
        "\\boxed{\\dfrac{11}{3}}",
        False,
    ),  # sign slip
    (
        "extract/hope",
        "5",
        "Therefore the number of solutions is $\\boxed{5}$. I hope the answer is correct.",
        True,
    ),  # trailing phrase
    (
        "extract/multibox",
        "3",
        "The intermediate sum is $\\boxed{12}$ and dividing by 4 gives the final answer $\\boxed{3}$.",
        True,
    ),
    (
        "extract/multibox",
        "12",
        "The intermediate sum is $\\boxed{12}$ and dividing by 4 gives the final answer $\\boxed{3}$.",
        False,
    ),
    ("extract/broken-inline", "9", "Answer $ \n 9 \n $", False),  # inline math broken across lines: no answer
    ("extract/broken-inline", "9", "The result is\n$\n9\n$\nas computed.", False),  # `$` alone on a line opens nothing
    ("extract/broken-inline", "9", "Answer $$ \n 9 \n $$", True),  # display math may span lines
    ("extract/dollars", "12", "Each ticket costs $4, so three tickets cost $12", True),  # currency `$` is no math span
    (
        "extract/dollars",
        "1000.99",
        "The price is 1,000.99$\nas quoted.",
        True,
    ),  # a trailing currency sign is no opener
    ("extract/decimal-comma", "2.74", "Le prix total est donc 2,74 euros", True),  # European decimal in prose
    ("extract/decimal-comma", "3.14", "The value is about 3,14", True),  # decimal comma as the last number
    ("extract/decimal-comma", "1.5", "So the point is (1,5)", False),  # inside brackets the comma separates
    ("extract/decimal-comma", "74", "Soucis : 2,74 $ a..", False),  # 2,74 is one number, not 2 and 74
    (
        "extract/align",
        "2",
        "We solve the equation:\n\\begin{align*}\n2x + 1 &= 5 \\\\\nx &= 2\n\\end{align*}",
        True,
    ),  # an align block's last statement is the answer
    (
        "extract/align",
        "2x+1",
        "We solve the equation:\n\\begin{align*}\n2x + 1 &= 5 \\\\\nx &= 2\n\\end{align*}",
        False,
    ),  # not the equation it started from
    (
        "extract/align",
        "x^2",
        "Expanding, \\begin{align*} x(x+1) - x &= x^2 + x - x \\\\ &= x^2 \\end{align*}",
        True,
    ),  # a derivation that holds for every x answers its right side
    ("extract/tagged", "2", "<answer>The answer is 2.</answer>", True),  # a sentence inside answer tags
    (
        "extract/tagged",
        "2",
        "<answer>The answer is 3, not 2.</answer>",
        False,
    ),  # the sentence's answer, not its last number
]
