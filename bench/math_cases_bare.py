"""Hand-written bare-answer rows of the math checker table: one notation or equivalence rule per row."""

from __future__ import annotations

# (category, gold, prediction answer, expected)  # why
BARE_CASES: list[tuple[str, str, str, bool]] = [
    ("integer", "42", "42", True),  # identical
    ("integer", "42", "43", False),  # off by one
    ("integer", "-5", "-5", True),  # negative
    ("integer", "-5", "5", False),  # sign matters
    ("integer", "0", "0", True),  # zero
    ("integer", "0", "-0", True),  # negative zero is zero
    ("integer", "007", "7", True),  # leading zeros
    ("integer", "1000", "1000.0", True),  # trailing .0 is the same integer
    ("integer", "1000", "1000.5", False),  # a real fractional part
    ("integer", "7", "7.0001", False),  # an integer gold needs an exact value
    ("integer", "12", "12.00", True),  # trailing zeros
    ("integer", "10", "\\boxed{3+7}", True),  # unevaluated arithmetic counts by value (policy)
    ("integer", "7", "3+4", True),  # unevaluated arithmetic (policy)
    ("integer", "6", "3!", True),  # factorial
    ("integer", "120", "5!", True),  # factorial
    ("integer", "24", "4!", True),  # factorial
    ("integer", "10", "\\binom{5}{2}", True),  # binomial
    ("integer", "11", "\\binom{5}{2}", False),  # binomial, wrong
    ("integer", "1024", "2^{10}", True),  # power
    ("integer", "1024", "2^{11}", False),  # power, wrong
    ("integer", "8", "\\sqrt[3]{512}", True),  # cube root
    ("integer", "4", "\\sqrt{16}", True),  # square root
    ("integer", "2", "\\log_2 4", True),  # logarithm base 2
    ("integer", "3", "\\log_{10} 1000", True),  # log base 10
    ("integer", "5", "|-5|", True),  # absolute value
    ("integer", "12", "\\text{12}", True),  # wrapped in \text
    ("integer", "12", "\\mathbf{12}", True),  # bold
    ("thousands", "7425000", "7,425,000", True),  # comma thousands
    ("thousands", "7425000", "7,425,001", False),  # thousands but different
    ("thousands", "1000", "1\\,000", True),  # thin-space thousands
    ("thousands", "1000", "1{,}000", True),  # brace-comma thousands
    ("thousands", "14916", "14{,}916", True),  # MATH-style
    ("thousands", "32349", "32,\\!349", True),  # \! after comma
    ("thousands", "32349", "32, 349", False),  # a space after the comma is a list
    ("thousands", "1000000", "1,000,000", True),  # millions
    ("thousands", "1000000", "10,000,000", False),  # extra zero
    ("thousands", "1000.5", "1,000.5", True),  # thousands with decimals
    ("thousands", "1000", "1 000", True),  # space-separated thousands
    ("rational", "\\frac{1}{2}", "0.5", True),  # terminating decimal equals fraction exactly
    ("rational", "\\frac{1}{2}", "1/2", True),  # slash fraction
    ("rational", "\\frac{1}{2}", "\\dfrac{1}{2}", True),  # dfrac
    ("rational", "\\frac{1}{2}", "\\tfrac12", True),  # tfrac shorthand
    ("rational", "\\frac{1}{2}", "\\frac{2}{4}", True),  # unreduced
    ("rational", "\\frac{1}{2}", "\\frac{1}{3}", False),  # different
    ("rational", "\\frac{10}{9}", "10/9", True),  # slash
    ("rational", "-\\frac{10}{9}", "\\frac{-10}{9}", True),  # sign placement
    ("rational", "-\\frac{10}{9}", "\\frac{10}{-9}", True),  # sign in denominator
    ("rational", "-\\frac{10}{9}", "\\frac{10}{9}", False),  # sign lost
    ("rational", "\\frac{3}{56}", "\\frac{3}{56}", True),  # identical
    ("rational", "\\frac{3}{56}", "\\frac{3}{65}", False),  # swapped digits
    ("rational", "\\frac{14}{3}", "4\\frac{2}{3}", True),  # mixed number
    ("rational", "\\frac{7}{2}", "3\\frac{1}{2}", True),  # mixed number
    ("rational", "\\frac{3}{2}", "3\\frac{1}{2}", False),  # mixed number is 3 + 1/2, not 3 * 1/2
    ("rational", "-\\frac{5}{2}", "-2\\frac{1}{2}", True),  # negative mixed number
    ("rational", "1/3", "0.3333", True),  # right digits, relative error 1e-4
    ("rational", "1/3", "0.33333333", True),  # more digits
    ("rational", "1/3", "0.333", False),  # relative error 1e-3: too coarse for an exact gold
    ("rational", "1/3", "0.33", False),  # too coarse
    ("rational", "1/3", "0.3334", False),  # wrong last digit
    ("rational", "\\frac{1}{12}", "0.0833333333333333", True),  # long decimal
    ("rational", "\\frac{8}{3}", "2.6667", True),  # rounded
    ("rational", "\\frac{8}{3}", "2.6666", True),  # truncated, still within 1e-4
    ("rational", "\\frac{8}{3}", "2.67", False),  # too coarse
    ("rational", "\\frac{1}{7}", "0.142857", True),  # six digits
    ("rational", "\\frac{1}{7}", "0.143", False),  # three digits
    ("rational", "\\frac{70}{9}", "7.78", False),  # 1e-4 relative tolerance rejects two decimals
    ("decimal", "0.0000001", "0.0000002", False),  # no rounding to 6 decimals
    ("decimal", "0.0000001", "0.0000001", True),  # identical tiny number
    ("decimal", "0.0000001", "1e-7", True),  # scientific notation
    ("decimal", "0.4", ".4", True),  # no leading zero
    ("decimal", "2.5", "2.50", True),  # trailing zero
    ("decimal", "2.5", "\\frac{5}{2}", True),  # fraction equals decimal exactly
    ("decimal", "2.5", "2.51", False),  # a one-decimal gold is exact: 2.51 is another number
    ("decimal", "0.196", "0.19600837", True),  # three-decimal gold accepts a more precise prediction
    ("decimal", "0.5", "0.52", False),  # rounds to the gold but 4% off
    ("decimal", "16386.17", "16386.17", True),  # money
    ("decimal", "16386.17", "16386.16", False),  # one cent off
    ("decimal", "16386.17", "16386.166", True),  # more precise, rounds to the gold
    ("decimal", "16386.17", "16386.2", False),  # less precise than the gold
    ("decimal", "7.78", "7.7778", True),  # more precise, rounds to the gold
    ("decimal", "3.14", "\\pi", True),  # gold rounded to 2 places accepts the exact value
    ("decimal", "1.41", "\\sqrt{2}", True),  # gold rounded
    ("decimal", "1.42", "\\sqrt{2}", False),  # wrong rounding
    ("decimal", "0.33", "\\frac{1}{3}", False),  # 1% away from the rounded gold is too far (rel 1e-3)
    ("decimal", "2.74", "2.74", True),  # identical
    ("decimal", "1000.99", "1,000.99", True),  # thousands + decimals
    ("scientific", "2450000", "2.45e6", True),  # e-notation
    ("scientific", "2450000", "2.45\\times10^{6}", True),  # times-ten notation
    ("scientific", "2450000", "2.45 \\cdot 10^6", True),  # cdot
    ("scientific", "2.45\\times10^{6}", "2450000", True),  # gold in scientific notation
    ("scientific", "2450000", "2.45\\times10^{5}", False),  # wrong exponent
    ("scientific", "6.02\\times 10^{23}", "6.02e23", True),  # Avogadro
    ("scientific", "3\\times10^{-4}", "0.0003", True),  # negative exponent
    ("scientific", "3\\times10^{-4}", "0.003", False),  # off by 10
    ("percent", "28\\%", "28", True),  # percent sign dropped
    ("percent", "28\\%", "28\\%", True),  # identical
    ("percent", "28\\%", "28 percent", True),  # word
    ("percent", "28\\%", "0.28", True),  # as a fraction of one
    ("percent", "28\\%", "27\\%", False),  # different
    ("percent", "0.28", "28", False),  # a bare 28 is not 0.28
    ("percent", "0.28", "28\\%", True),  # 28% is 0.28
    ("percent", "28", "28/100", False),  # not the same number
    ("percent", "12.5\\%", "12.5", True),  # decimal percent
    ("percent", "12.5\\%", "\\frac{1}{8}", True),  # percent as fraction
    ("currency", "18", "\\$18", True),  # dollars
    ("currency", "18", "\\$18.00", True),  # cents
    ("currency", "18.90", "\\$18.90", True),  # cents
    ("currency", "18.90", "18.9", True),  # trailing zero dropped, still two places of information
    ("currency", "18", "19 dollars", False),  # different
    ("currency", "1000.99", "1,000.99€", True),  # euro sign
    ("currency", "5", "5 cents", True),  # unit word
    ("units", "15", "15\\mbox{ cm}^2", True),  # unit with power
    ("units", "125", "125\\textnormal{ miles}", True),  # textnormal
    ("units", "125", "125 miles", True),  # plain unit
    ("units", "3", "3 \\text{ hours}", True),  # hours
    ("units", "3", "4 \\text{ hours}", False),  # different
    ("units", "\\frac{1}{3}", "\\frac{1}{3} \\text{meters}", True),  # unit after fraction
    ("units", "40", "40 \\text{ km/h}", True),  # compound unit in text
    ("units", "36", "36 \\text{ square units}", True),  # area units
    ("units", "36", "36 \\text{ sq ft}", True),  # sq ft
    ("units", "36", "6^2 \\text{ square units}", True),  # value 36 with unit
    ("degrees", "90", "90^\\circ", True),  # degrees
    ("degrees", "90^\\circ", "90", True),  # degrees in gold
    ("degrees", "90^\\circ", "90^{\\circ}", True),  # braced circ
    ("degrees", "90^\\circ", "90°", True),  # unicode degree
    ("degrees", "90^\\circ", "80^\\circ", False),  # different angle
    ("degrees", "45", "45 \\text{ degrees}", True),  # word
    ("sqrt", "\\sqrt{3}", "\\sqrt3", True),  # shorthand
    ("sqrt", "\\sqrt{3}", "3^{1/2}", True),  # power form
    ("sqrt", "\\sqrt{3}", "\\sqrt{2}", False),  # different
    ("sqrt", "3\\sqrt{13}", "\\sqrt{117}", True),  # simplified radical
    ("sqrt", "3\\sqrt{13}", "13\\sqrt{3}", False),  # swapped
    ("sqrt", "\\frac{\\sqrt{2}}{2}", "\\frac{1}{\\sqrt{2}}", True),  # rationalised
    ("sqrt", "\\frac{5\\sqrt{42}}{27}", "\\frac{5\\sqrt{42}}{27}", True),  # identical
    ("sqrt", "2\\sqrt{2}", "\\sqrt{8}", True),  # simplified
    ("sqrt", "4", "4\\sqrt{2}", False),  # coefficient only
    ("sqrt", "\\sqrt{2}+\\sqrt{5}", "\\sqrt 2+\\sqrt 5", True),  # spaces
    ("sqrt", "\\sqrt{2}+\\sqrt{5}", "\\sqrt{5}+\\sqrt{2}", True),  # commuted
    ("sqrt", "2", "\\frac{1+\\sqrt{5}}{2}", False),  # golden ratio is not 2
    (
        "sqrt",
        "\\frac{\\sqrt{\\sqrt{11}+\\sqrt{194}}}{15+2\\sqrt{33}}",
        "\\frac{\\sqrt{\\sqrt{11}+\\sqrt{194}}}{2\\sqrt{33}+15}",
        True,
    ),  # order
    ("sqrt", "4.1231", "\\sqrt{17}", True),  # decimal gold, exact prediction
    ("pi", "\\frac{9}{4}\\pi", "\\frac94\\pi", True),  # shorthand
    ("pi", "\\frac{9\\pi}{4}", "\\frac{9}{4}\\pi", True),  # placement of pi
    ("pi", "\\frac{9\\pi}{4}", "2.25\\pi", True),  # exact decimal coefficient
    ("pi", "\\frac{9\\pi}{4}", "7.0686", True),  # decimal, rel error below 1e-4
    ("pi", "\\frac{9\\pi}{4}", "7.07", False),  # too coarse for an exact gold
    ("pi", "4\\pi", "4 \\pi", True),  # spacing
    ("pi", "4\\pi", "\\pi", False),  # coefficient lost
    ("pi", "4\\pi", "12.566370614359172", True),  # float
    ("pi", "\\pi", "180^\\circ", False),  # degrees and radians are different notations (not converted)
    ("pi", "\\frac{\\pi r}{h+r}", "\\frac{r\\pi}{r+h}", True),  # symbolic with pi
    ("symbolic", "2-2p", "2-2p", True),  # identical
    ("symbolic", "2-2p", "-2p+2", True),  # commuted
    ("symbolic", "2-2p", "2(1-p)", True),  # factored
    ("symbolic", "2-2p", "2-p", False),  # different
    ("symbolic", "x+2n+1", "x+1", False),  # missing term
    ("symbolic", "\\frac{x+2}{7}", "\\frac{x}{7}+\\frac{2}{7}", True),  # split fraction
    ("symbolic", "\\tan^2(y)+1", "\\sec^2(y)", True),  # trig identity
    ("symbolic", "\\sin^2 x + \\cos^2 x", "1", True),  # identity
    ("symbolic", "2 \\sin b \\cos a", "\\sin(a+b)-\\sin(a-b)", True),  # sum to product
    ("symbolic", "2 \\sin b \\cos a", "2 \\sin a \\cos b", False),  # swapped
    ("symbolic", "(a+5)(b+2)", "(+5)(b+2)", False),  # dropped variable
    ("symbolic", "(a+5)(b+2)", "ab+2a+5b+10", True),  # expanded
    ("symbolic", "x^2-1", "(x-1)(x+1)", True),  # factored
    ("symbolic", "x^2-1", "(x-1)^2", False),  # wrong factorisation
    ("symbolic", "\\frac{1}{x-1}", "\\frac{-1}{1-x}", True),  # sign moved
    ("symbolic", "e^{2x}", "(e^x)^2", True),  # exponent rules
    ("symbolic", "\\ln(6)", "\\ln 2 + \\ln 3", True),  # log rules
    ("symbolic", "\\ln(6)", "\\ln 5", False),  # different
    ("symbolic", "1 - \\frac{1}{e}", "1 - e^{-1}", True),  # e constant
    ("symbolic", "1 - \\frac{1}{\\mathrm{e}}", "1 + \\frac{1}{\\mathrm{e}}", False),  # sign of e term
    ("symbolic", "f(x)", "f(y)", False),  # different variable
    ("symbolic", "f(x)", "f(x)", True),  # same
    ("symbolic", "\\frac{3x}{2}", "1.5x", True),  # decimal coefficient, exact
    ("symbolic", "x^{2/3}", "\\sqrt[3]{x^2}", True),  # radical form
    ("symbolic", "\\frac{1}{3\\sqrt[3]{x}^2}", "\\frac{1}{3x^{2/3}}", True),  # radical form
    ("symbolic", "n(n+1)/2", "\\frac{n^2+n}{2}", True),  # triangular numbers
    ("symbolic", "n(n+1)/2", "\\frac{n^2-n}{2}", False),  # off by n
    ("symbolic", "2^{n+1}-2", "2(2^n-1)", True),  # geometric sum
    ("symbolic", "\\binom{n}{2}", "\\frac{n(n-1)}{2}", True),  # binomial
    ("equation", "x=3", "3", True),  # assignment vs value
    ("equation", "3", "x=3", True),  # value vs assignment
    ("equation", "x=3", "x=4", False),  # different value
    ("equation", "k=1", "1", True),  # other variable name
    ("equation", "y=2x+1", "2x+1=y", True),  # sides swapped
    ("equation", "y=2x+1", "2x+1", True),  # right-hand side only
    ("equation", "y=2x+1", "y=2x-1", False),  # different line
    ("equation", "y=2x+1", "y-2x-1=0", True),  # rearranged
    ("equation", "2x+4y-3=0", "y=-\\frac{1}{2}x+\\frac{3}{4}", True),  # slope-intercept form
    ("equation", "x^2/4 + y^2/3 = 1", "x^2/16 + y^2/12 = 1/4", True),  # scaled
    ("equation", "34x+45y-20z+100=0", "-34x-45y+20z-100=0", True),  # negated
    ("equation", "x-2y+z-1=0", "x-2y+z=1", True),  # plane
    ("equation", "x-2y+z-1=0", "x-2y+z=-1", False),  # different plane
    ("equation", "7 = 11a+c", "11a+c", False),  # the gold is an equation, not a value of 11a+c
    ("equation", "2x + z = 1", "1", False),  # equation vs constant
    ("equation", "a^2 + b = 0", "0", False),  # equation vs constant
    ("equation", "x = 11", "x = 5+5+1 = 11", True),  # chain keeps the last value
    ("equation", "z = 2", "z = 1+1 = 2", True),  # chain
    ("equation", "\\frac{1}{3}", "x = \\frac{1}{3} \\approx 0.33", True),  # approximation after the value
    ("equation", "11", "x \\approx 11", True),  # approx as answer
    ("equation", "(3,2)", "(p,q)=(3,2)", True),  # tuple assignment
    ("equation", "4, 5", "AB=4, CD=5", True),  # named lengths
    ("equation", "1", "|AB|=1", True),  # named length with bars
    ("equation", "\\frac{1}{\\sqrt{6}}", "\\frac{NO}{BO}=\\frac{1}{\\sqrt{6}}", True),  # named ratio
    ("inequality", "x \\geq 5", "x >= 5", True),  # ascii
    ("inequality", "x < 3", "x \\lt 3", True),  # lt
    ("inequality", "x \\leq 2", "x <= 2", True),  # ascii
    ("inequality", "x > 5", "x < 5", False),  # direction
    ("inequality", "x \\geq 5", "x \\leq 5", False),  # direction
    ("inequality", "x \\geq 5", "x > 5", False),  # strictness
    ("inequality", "x \\leq 5", "5 \\geq x", True),  # flipped
    ("inequality", "x < 1", "-x > -1", True),  # negated
    ("inequality", "x < 1", "x > -1", False),  # not the same set
    ("inequality", "x \\neq 3", "x != 3", True),  # not equal
    ("inequality", "-2 \\le x \\le 7", "[-2,7]", True),  # inequality vs interval
    ("inequality", "-2 \\le x \\le 7", "(-2,7)", False),  # open vs closed
    ("inequality", "x > 5", "(5, \\infty)", True),  # ray
    ("inequality", "x \\geq 5", "(5, \\infty)", False),  # ray, wrong end
    ("inequality", "0<f(x)<1", "(0,1)", True),  # range of a function
    ("inequality", "-793 < a < 10", "(-793, 10)", True),  # interval
    ("interval", "[0,1)", "[0,1)", True),  # identical
    ("interval", "[0,9)", "[0,1)", False),  # endpoint
    ("interval", "(0,9)", "[0,9)", False),  # bracket
    ("interval", "[0,1)", "[0,1]", False),  # bracket
    ("interval", "(-\\infty, 3)", "(-\\infty,3)", True),  # infinity
    ("interval", "(-\\infty, 3)", "(-\\infty,3]", False),  # closed end
    ("interval", "(-\\infty, 3)", "(-inf, 3)", True),  # ascii infinity
    ("interval", "(\\frac{3}{5},\\frac{8}{3}]", "(0.6,\\frac{8}{3}]", True),  # decimal endpoint equals 3/5
    ("interval", "[-4,0]", "x \\in [-4, 0]", True),  # membership
    ("interval", "(2, 12) \\cup (12, 102)", "(2,12) \\cup (12,102)", True),  # union
    ("interval", "(2, 12) \\cup (12, 102)", "(12,102) \\cup (2,12)", True),  # union order
    ("interval", "(2, 12) \\cup (12, 102)", "(2,102)", False),  # hole removed
    ("interval", "(-\\infty,-2) \\cup (3,\\infty)", "(-\\infty,-2) \\cup [3,\\infty)", False),  # closed end
    (
        "interval",
        "[-1, -\\frac{1}{2}) \\cup (-\\frac{1}{2}, 0)",
        "[-1, -\\tfrac12) \\cup (-\\tfrac12, 0)",
        True,
    ),  # tfrac
    ("interval", "\\{-1\\} \\cup [0,7)", "\\{-1\\} \\cup [0,7)", True),  # point plus interval
    ("interval", "(1, \\infty)", "(1, \\infty]", False),  # infinity cannot be closed: notation differs
    ("set", "\\{1,2,3\\}", "\\{3,2,1\\}", True),  # order
    ("set", "\\{1,2,3\\}", "\\{1,2\\}", False),  # missing
    ("set", "\\{1,2,3\\}", "\\{1,2,3,4\\}", False),  # extra
    ("set", "-2,1", "1,-2", True),  # bare list is unordered
    ("set", "-2, 1, 3", "-2, 1, 3", True),  # three values in the same order
    ("set", "10, 4, -2", "4, 10, -2", False),  # three or more plain numbers are a sequence (a, b, c): order kept
    ("set", "10, 4, -2", "\\{-2, 4, 10\\}", True),  # a prediction in set braces is compared as a set
    ("set", "1+\\sqrt{5}, 1-\\sqrt{5}, -2", "-2, 1-\\sqrt{5}, 1+\\sqrt{5}", True),  # irrational roots: any order
    ("set", "-2,1", "-2", False),  # incomplete
    ("set", "7, -2, \\text{ and } -5", "-5,-2,7", True),  # "and" lists a solution set: any order
    ("set", "1, 2, \\text{ and } 3", "1, 2, 4", False),  # a set, but a different one
    ("equation", "f(x) = 2x + 3", "y = 2x + 3", True),  # f(x) and y both name the function's value
    ("equation", "x = 3", "y = 3", False),  # different unknowns
    ("inequality", "1 < |x| \\le 2", "[-2, -1) \\cup (1, 2]", True),  # a two-sided bound on |x| is two intervals
    ("inequality", "1 < |x| \\le 2", "(1, 2]", False),  # the negative half is missing
    ("mixed", "11", "11 6/6", False),  # 6/6 is no proper fraction, and 11 6 is no product
    ("mixed", "9004/9", "1 000 4/9", True),  # spaced thousands in the whole part
    ("integer", "2^6 \\cdot 3^5", "2^6 3^5", True),  # juxtaposed powers multiply
    ("set", "1, 2, 3", "1,2,3", True),  # spacing
    ("set", "2, 3, 5, 7", "\\{2, 3, 5, 7\\}", True),  # list vs set
    ("set", "2, 3, 5, 7", "2, 3, 5", False),  # missing
    ("set", "-12;-11;-10", "\\{-12, -11, -10\\}", True),  # semicolons
    ("set", "1 \\text{ and } 2", "1, 2", True),  # and
    ("set", "6 \\text{ and } 8", "6,8", True),  # and
    ("set", "\\varnothing", "\\emptyset", True),  # empty set symbols
    ("set", "\\emptyset", "\\{\\}", True),  # empty braces
    ("set", "\\emptyset", "\\{0\\}", False),  # the set holding 0 is not empty
    ("set", "\\{1\\}", "1", True),  # singleton
    ("tuple", "(6,31,-1)", "(6,31,-1)", True),  # identical
    ("tuple", "(6,31,-1)", "(6,-1,31)", False),  # order matters
    ("tuple", "(1,4.5)", "(1,\\frac{9}{2})", True),  # decimal entry
    ("tuple", "(3, \\frac{\\pi}{2})", "\\left( 3, \\frac{\\pi}{2} \\right)", True),  # left/right
    ("tuple", "(1,3)", "\\{1,3\\}", True),  # tuple vs set, same order
    ("tuple", "(3,1)", "\\{1,3\\}", False),  # tuple vs set, other order
    ("tuple", "(2,1),(1,2)", "(1,2),(2,1)", True),  # list of points unordered
    ("tuple", "(2,1),(1,2)", "(1,2)", False),  # missing point
    ("tuple", "(7,11),(11,7)", "(11,7) \\text{ or } (7,11)", True),  # or
    ("tuple", "\\left(\\frac{4}{3}, -\\frac{1}{3}\\right)", "(4/3, -1/3)", True),  # point
    ("tuple", "(-3,5)", "(-3, 5)", True),  # spacing
    ("tuple", "(-3,5)", "(5,-3)", False),  # swapped
    ("tuple", "7:32", "7:32", True),  # ratio
    ("tuple", "7:32", "32:7", False),  # reversed ratio
    ("tuple", "12:00", "1:00", False),  # clock time
    (
        "matrix",
        "\\begin{pmatrix}1 & 0 \\\\ 0 & 1\\end{pmatrix}",
        "\\begin{bmatrix}1 & 0 \\\\ 0 & 1\\end{bmatrix}",
        True,
    ),  # bmatrix
    (
        "matrix",
        "\\begin{pmatrix}1 & 2 \\\\ 3 & 4\\end{pmatrix}",
        "\\begin{pmatrix}1 & 2 \\\\ 3 & 5\\end{pmatrix}",
        False,
    ),  # entry
    (
        "matrix",
        "\\begin{pmatrix}1 & 2 \\\\ 3 & 4\\end{pmatrix}",
        "\\begin{pmatrix}1 & 3 \\\\ 2 & 4\\end{pmatrix}",
        False,
    ),  # transpose
    (
        "matrix",
        "\\begin{pmatrix}\\frac{1}{2} & \\frac{3}{4} \\\\ \\frac{5}{6} & \\frac{7}{8}\\end{pmatrix}",
        "\\begin{pmatrix}0.5 & 0.75 \\\\ \\frac{5}{6} & 0.875\\end{pmatrix}",
        True,
    ),  # decimals
    ("matrix", "\\begin{pmatrix} 3 \\\\ 2 \\\\ -6 \\end{pmatrix}", "(3, 2, -6)", True),  # column vector vs tuple
    (
        "matrix",
        "\\begin{pmatrix} 3 \\\\ 2 \\\\ -6 \\end{pmatrix}",
        "\\begin{pmatrix} 3 \\\\ -6 \\\\ 2 \\end{pmatrix}",
        False,
    ),  # order
    (
        "matrix",
        "\\begin{pmatrix} 0 & 3 \\\\ 0 & -1 \\end{pmatrix}",
        "\\left[\\begin{array}{cc}0 & 3 \\\\ 0 & -1\\end{array}\\right]",
        True,
    ),  # array
    (
        "matrix",
        "\\begin{pmatrix} -\\frac{7}{4} & -2 \\\\ 4 & \\frac{1}{4} \\end{pmatrix}",
        "\\begin{pmatrix} -1.75 & -2 \\\\ 4 & 0.25 \\end{pmatrix}",
        True,
    ),  # decimals
    (
        "matrix",
        "\\begin{pmatrix} 1 & 2 \\end{pmatrix}",
        "\\begin{pmatrix} 1 \\\\ 2 \\end{pmatrix}",
        True,
    ),  # row vs column vector
    ("complex", "3+4i", "4i+3", True),  # commuted
    ("complex", "3+4i", "3-4i", False),  # conjugate
    ("complex", "3+4i", "3+4\\cdot i", True),  # explicit product
    ("complex", "-i", "\\frac{1}{i}", True),  # reciprocal of i
    ("complex", "2i", "\\sqrt{-4}", True),  # principal root
    ("complex", "1+i", "\\sqrt{2}e^{i\\pi/4}", True),  # polar form
    ("complex", "1+i", "1-i", False),  # conjugate
    ("complex", "5", "(2+i)(2-i)", True),  # product is real
    ("pm", "1 \\pm \\sqrt{19}", "1 \\pm \\sqrt{19}", True),  # identical
    ("pm", "1 \\pm \\sqrt{19}", "1+\\sqrt{19}, 1-\\sqrt{19}", True),  # expanded
    ("pm", "1 \\pm \\sqrt{19}", "1+\\sqrt{19}", False),  # one root only
    ("pm", "\\pm 2021", "2021", False),  # one sign only
    ("pm", "\\pm 2021", "\\{-2021, 2021\\}", True),  # both signs as a set
    ("pm", "\\{1\\pm\\sqrt{5},-2\\}", "-2, 1+\\sqrt5, 1-\\sqrt5", True),  # pm inside a set
    ("pm", "3 \\pm 2 \\sqrt{2}", "3 \\mp 2\\sqrt{2}", True),  # mp is the same set
    ("pm", "\\pm 3", "-3, 3", True),  # list
    ("base", "204_5", "204_5", True),  # base subscript
    ("base", "204_5", "204_{5}", True),  # braced subscript
    ("base", "204_5", "203_5", False),  # different digits
    ("base", "1112112_3", "1112122_3", False),  # different digits
    ("base", "101_2", "5", True),  # the value of the numeral
    ("choice", "C", "(C)", True),  # parenthesised letter
    ("choice", "A", "(A) \\text{ and } (B)", False),  # two options picked: not the single right one
    ("choice", "C", "C. x = 42", True),  # the letter with its option's text
    ("choice", "C", "\\text{(C)}", True),  # text
    ("choice", "\\text{C}", "\\textbf{(C)}", True),  # bold
    ("choice", "C", "(C) 42", True),  # letter followed by the option text
    ("choice", "C", "(D)", False),  # wrong letter
    ("choice", "\\text{E}", "E", True),  # plain
    ("choice", "B", "\\mathrm{(B)}", True),  # mathrm
    ("choice", "B", "A", False),  # wrong
    ("text", "\\text{Evelyn}", "Evelyn", True),  # name
    ("text", "\\text{Evelyn}", "Briana", False),  # different name
    ("text", "\\text{odd}", "odd", True),  # parity
    ("text", "\\text{odd}", "even", False),  # parity
    ("text", "\\text{Even}", "even", True),  # case
    ("text", "\\text{(A), (C)}", "(A), (C)", True),  # several letters
    ("text", "\\text{yes}", "\\text{no}", False),  # yes/no
    ("text", "\\text{Monday}", "\\text{monday}", True),  # case
    ("repeating", "\\frac{4}{11}", "0.\\overline{36}", True),  # repeating decimal
    ("repeating", "\\frac{1}{3}", "0.\\overline{3}", True),  # repeating decimal
    ("repeating", "\\frac{1}{6}", "0.1\\overline{6}", True),  # repeating after a fixed digit
    ("repeating", "\\frac{1}{6}", "0.1\\overline{7}", False),  # different repetend
    ("interval", "(-\\infty, \\infty)", "\\mathbb{R}", True),  # all reals
    ("interval", "(-\\infty, -3] \\cup [3, \\infty)", "x \\le -3 \\text{ or } x \\ge 3", True),  # or of rays
    ("interval", "(-\\infty, -3] \\cup [3, \\infty)", "x < -3 \\text{ or } x \\ge 3", False),  # open end
    ("integer", "5", "5^{\\text{th}}", True),  # ordinal
    ("integer", "21", "21st", True),  # ordinal
    ("equation", "\\frac{x-3}{2}", "f^{-1}(x)=\\frac{x-3}{2}", True),  # inverse function
    ("equation", "\\frac{x-3}{2}", "f^{-1}(x)=\\frac{x+3}{2}", False),  # wrong inverse
    ("equation", "x^2+1", "P(x) = x^2+1", True),  # named polynomial
    ("equation", "a=2, b=3", "(2,3)", True),  # assignments vs tuple
    ("equation", "a=2, b=3", "(3,2)", False),  # order
    ("sqrt", "\\frac{\\sqrt{3}}{3}", "\\frac{1}{\\sqrt{3}}", True),  # rationalised
    ("sqrt", "\\sqrt[3]{2}", "2^{1/3}", True),  # cube root
    ("complex", "-1", "e^{i\\pi}", True),  # Euler
    ("symbolic", "\\frac12", "\\cos\\frac{\\pi}{3}", True),  # trig value
    (
        "pm",
        "\\frac{-b \\pm \\sqrt{b^2-4ac}}{2a}",
        "\\frac{-b + \\sqrt{b^2-4ac}}{2a}, \\frac{-b - \\sqrt{b^2-4ac}}{2a}",
        True,
    ),  # formula
    ("symbolic", "y=0.5x+3", "y = \\frac{1}{2}x + 3", True),  # decimal slope
    ("mixed", "\\frac{40}{9}", "4 4/9", True),  # plain mixed number
    ("mixed", "4", "4 4/9", False),  # whole part only
    ("mixed", "-\\frac{40}{9}", "-4 4/9", True),  # negative plain mixed number
    ("decimal", "33.3", "\\frac{100}{3}", True),  # rounded gold, exact prediction
    (
        "matrix",
        "\\begin{pmatrix}0.29\\\\0.196\\\\-0.186\\end{pmatrix}",
        "\\begin{pmatrix}0.290243531202435\\\\0.196008371385084\\\\-0.186381278538813\\end{pmatrix}",
        True,
    ),  # rounded gold
    (
        "symbolic",
        "-\\frac{2(x^2+6)}{9(x^2-2)\\sqrt[3]{x^2-2}^2}",
        "-\\frac{8x^2}{9(x^2-2)^{5/3}}+\\frac{2}{3(x^2-2)^{2/3}}",
        True,
    ),  # real cube roots
    ("sqrt", "4", "\\frac{34}{16}+\\frac{\\sqrt{1358}}{16}", False),  # close to 4 but not 4
    ("choice", "\\textbf{(B) }42", "B", True),  # AMC gold with letter and value: the letter answers it
    ("choice", "\\textbf{(B) }42", "\\textbf{(B)}\\ 42", True),  # letter and value
    ("choice", "\\textbf{(B) }42", "42", True),  # value alone
    ("choice", "\\textbf{(B) }42", "\\textbf{(D)}\\ 42", False),  # wrong letter, copied value
    ("choice", "\\textbf{(B) }42", "C", False),  # wrong letter
    ("integer", "20", "\\dbinom{6}{3}", True),  # dbinom
    ("degrees", "\\frac12", "\\sin 30^\\circ", True),  # degrees inside a trig function are converted
    ("degrees", "\\frac{\\sqrt3}{2}", "\\cos(30^{\\circ})", True),  # braced circ in parentheses
    ("degrees", "\\frac12", "\\sin 60^\\circ", False),  # different angle
    ("equation", "30", "\\angle ABC = 30^\\circ", True),  # named angle
    ("equation", "5", "\\overline{AB} = 5", True),  # named segment
    ("equation", "5", "\\overline{AB} = 6", False),  # wrong length
    ("symbolic", "|x|", "x", False),  # absolute value is not the identity for negative x
    ("symbolic", "|x-1|", "|1-x|", True),  # symmetric
    ("symbolic", "\\sqrt{xy}", "\\sqrt{x}\\sqrt{y}", True),  # positive variables, as in competition answers
    ("sum", "\\sum_{k=1}^{n} k^2", "\\sum_{k=1}^{n} k \\cdot k", True),  # same bounds, equal bodies in k
    ("sum", "\\sum_{k=1}^{n} k^2", "\\sum_{k=0}^{n} k^2", False),  # different start
    ("sum", "\\prod_{i=1}^{n} (1+a_i)", "\\prod_{i=1}^{n} (a_i+1)", True),  # reordered body
    ("sum", "\\int_0^1 x^2 dx", "\\int_0^1 x^2\\,dx", True),  # spacing before the differential
    ("sum", "\\frac{1}{3}", "\\int_0^1 x^2 dx", False),  # an unevaluated integral is not evaluated
    ("symbolic", "x", "\\sqrt{x^2}", False),  # differs for negative x, where both sides are real
    ("symbolic", "|x|", "\\sqrt{x^2}", True),  # equal at every real point
    ("symbolic", "x-1", "\\sqrt{(x-1)^2}", False),  # |x - 1|, not x - 1
    ("symbolic", "2\\ln x", "\\ln(x^2)", True),  # equal wherever ln x is real
    ("symbolic", "x", "e^{\\ln x}", True),  # equal wherever ln x is real
    ("symbolic", "\\lfloor x \\rfloor", "x", False),  # floor
    (
        "matrix",
        "\\begin{pmatrix}19 & 22 \\\\ 43 & 50\\end{pmatrix}",
        "\\begin{pmatrix}1 & 2 \\\\ 3 & 4\\end{pmatrix} \\begin{pmatrix}5 & 6 \\\\ 7 & 8\\end{pmatrix}",
        True,
    ),  # product
    (
        "matrix",
        "\\begin{pmatrix}19 & 22 \\\\ 43 & 51\\end{pmatrix}",
        "\\begin{pmatrix}1 & 2 \\\\ 3 & 4\\end{pmatrix} \\begin{pmatrix}5 & 6 \\\\ 7 & 8\\end{pmatrix}",
        False,
    ),  # one entry
    (
        "matrix",
        "\\begin{pmatrix}2 & 4 \\\\ 6 & 8\\end{pmatrix}",
        "2\\begin{pmatrix}1 & 2 \\\\ 3 & 4\\end{pmatrix}",
        True,
    ),  # scalar multiple
    ("tuple", "p=5,q=2;p=7,q=2", "(5,2),(7,2)", True),  # semicolons separate solutions
    ("tuple", "p=5,q=2;p=7,q=3", "(5,2),(7,2)", False),  # one solution differs
    ("symbolic", "2\\ell", "\\ell + \\ell", True),  # unknown command as a symbol
]
