"""String-level normalisation of a LaTeX/plain answer before tokenising (see `rewards/math_rewards.py`).

Every rewrite here is a plain regular-expression substitution whose running time is linear in the input: the
checker never evaluates the string, it only rewrites notation so that `math_checker.parse` sees one canonical spelling of
each construct (fractions, roots, thousands separators, units, degrees, currency, percent, set braces, matrices).
"""

from __future__ import annotations

import re
from fractions import Fraction

from rewards.math_checker.extract import undouble_backslashes

__all__ = ["MAX_ANSWER_CHARS", "PathologicalInput", "joined_by_words", "normalize_answer", "strip_math_delimiters"]

# Extracted answers longer than this are not answers but runaway generations; rejecting them up front keeps the
# parser's worst case bounded (the longest gold answer in the MATH test split is well under 400 characters).
MAX_ANSWER_CHARS = 1_000


class PathologicalInput(ValueError):
    """The answer is too large or too deeply nested to be judged cheaply; the checker treats it as unusable."""


# Commands that only change typography; removed outright.
_DROP_COMMANDS = re.compile(
    r"\\(?:left|right|big|Big|bigg|Bigg|bigl|bigr|Bigl|Bigr|displaystyle|textstyle|scriptstyle|limits|nolimits"
    r"|hspace\*?\{[^{}]*\}|vspace\*?\{[^{}]*\}|phantom\{[^{}]*\}|mathstrut|strut|allowbreak|nobreak|noindent)"
    r"(?![a-zA-Z])"
)
_SPACING = re.compile(r"\\(?:quad|qquad|;|:|>|,|!| )|~")
_TEXT_WRAPPERS = re.compile(
    r"\\(?:text|textbf|textit|textrm|textsf|texttt|textnormal|mbox|mathrm|mathbf|mathit|mathsf|mathtt|mathbb|"
    r"mathcal|mathfrak|boldsymbol|bm|operatorname|emph|hbox|rm|bf|it)\s*\{([^{}]*)\}"
)
_BARE_STYLE = re.compile(r"\\(?:rm|bf|it|sf|tt)(?![a-zA-Z])")
_UNIT_WORDS = (
    "cm|mm|km|m|meters?|metres?|centimeters?|millimeters?|kilometers?|inch(?:es)?|in|feet|foot|ft|yards?|yd|miles?|mi"
    "|mph|kph|sq|square|cubic|units?|cents?|dollars?|euros?|pounds?|lbs?|kg|g|grams?|kilograms?|ounces?|oz|liters?"
    "|litres?|l|ml|gallons?|hours?|hrs?|h|minutes?|mins?|seconds?|secs?|s|days?|weeks?|months?|years?|yrs?"
    "|degrees?|deg|radians?|rad|people|persons?|students?|items?|times|ways|apples|cookies|books|marbles|pages"
)
_UNIT_TEXT = re.compile(
    r"\\(?:text|textbf|textnormal|textrm|mbox|mathrm|rm)\s*\{\s*[A-Za-z][A-Za-z /.]*\}(?:\s*\^\s*\{?\s*[23]\s*\}?|[²³])?"
)
_MULTI_LETTER_UNITS = "|".join(
    w for w in _UNIT_WORDS.split("|") if len(w.rstrip("?")) > 1 and w not in ("in", "mi", "deg", "rad")
)
_PLAIN_UNIT = re.compile(
    r"([\d}])\s*(?:"
    + _MULTI_LETTER_UNITS
    + r")\b(?:\s*\^\s*\{?\s*[23]\s*\}?|[²³])?(?:\s+(?:"
    + _MULTI_LETTER_UNITS
    + r")\b)*"
)
_DEGREES = re.compile(r"\^\s*\{\s*\\circ\s*\}|\^\s*\\circ|\^\s*\{\s*o\s*\}|\\circ|°|\\degree|\^\s*\{\s*\}")
_TRIG_DEGREES = re.compile(r"(\\(?:sin|cos|tan|sec|csc|cot)\s*\(?\s*)(\d+(?:\.\d+)?)\s*(?:\^\s*\{?\s*\\circ\s*\}?|°)")
# \overline{AB} (a segment), \vec{v}, \angle ABC, \triangle ABC: the name is what is compared
_DECORATED_NAME = re.compile(
    r"\\(?:overline|vec|hat|bar|widehat|overrightarrow|overleftrightarrow)\s*\{([A-Za-z ]+)\}|\\(?:angle|triangle|measuredangle)(?![a-zA-Z])"
)
_PERCENT_WORDS = re.compile(r"\s*\b(?:percent(?:age)?|pct)\b")
_CONNECTIVES = re.compile(r"\\text\s*\{\s*(?:and|or|,)\s*\}|\s+(?:and|or)\s+|\bor\b(?=\s*[(\[{$\\\d-])")
_PYTHON_POWER = re.compile(r"(?<=[\w)}\]])\s*\*\*\s*(?=[\w({\[-])")  # 3*s**2
_THOUSANDS = re.compile(r"(?<![\d.,(\[])(\d{1,3}(?:,\d{3})+)(?![\d,)\]]|\.\d*,)")
_MIXED_NUMBER = re.compile(r"(?<![\d.}^_])(\d+)\s*\\frac\s*\{\s*(\d+)\s*\}\s*\{\s*(\d+)\s*\}")
_PLAIN_MIXED_NUMBER = re.compile(r"(?<![\d./}])(\d+)[ \t]+(\d+)\s*/\s*(\d+)(?![\d/.])")  # "4 4/9" is 4 + 4/9
_REPEATING = re.compile(r"(\d*)\.(\d*)\\(?:overline|dot)\s*\{?\s*(\d+)\s*\}?")
_ORDINAL = re.compile(r"(\d)\s*(?:\^\s*\{?\s*)?(?:st|nd|rd|th)\b\s*\}?")
_FRAC_SHORTHAND = re.compile(r"\\frac\s*(\d)\s*(\d)")
_FRAC_HALF_SHORTHAND = re.compile(r"\\frac\s*(\d)\s*(?=\{)")
_FRAC_SECOND_SHORTHAND = re.compile(r"\\frac\s*(\{[^{}]*\})\s*(\d)")
_SQRT_SHORTHAND = re.compile(r"\\sqrt\s*([0-9a-zA-Z])")
_MATRIX_BEGIN = re.compile(r"\\begin\s*\{(?:[pbvBV]?matrix|smallmatrix|array)\}(?:\s*\{[^{}]*\})?")
_MATRIX_END = re.compile(r"\\end\s*\{(?:[pbvBV]?matrix|smallmatrix|array)\}")
_ENV_NOISE = re.compile(r"\\(?:begin|end)\s*\{(?:align|aligned|equation|gather|split|cases)\*?\}|&")

_LITERAL_REPLACEMENTS = (
    ("\\dfrac", "\\frac"),
    ("\\dbinom", "\\binom"),
    ("\\tbinom", "\\binom"),
    ("\\tfrac", "\\frac"),
    ("\\cfrac", "\\frac"),
    ("\\lbrace", "\\{"),
    ("\\mathbb{R}", "(-\\infty, \\infty)"),
    ("\\mathbb R", "(-\\infty, \\infty)"),
    ("\\langle", "("),
    ("\\rangle", ")"),
    ("\u27e8", "("),
    ("\u27e9", ")"),
    ("\\rbrace", "\\}"),
    ("\\lvert", "|"),
    ("\\rvert", "|"),
    ("\\vert", "|"),
    ("\\mid", "|"),
    ("\\lfloor", "\\floor("),
    ("\\rfloor", ")"),
    ("\\lceil", "\\ceil("),
    ("\\rceil", ")"),
    ("\\$", ""),
    ("\\%", "%"),
    ("\u2212", "-"),
    ("\u00d7", "*"),
    ("\u00b7", "*"),
    ("\u00f7", "/"),
    ("\u221a", "\\sqrt"),
    ("\u03c0", "\\pi"),
    ("\u2264", "\\le "),
    ("\u2265", "\\ge "),
    ("\u2260", "\\ne "),
    ("\u221e", "\\infty "),
    ("\u222a", "\\cup "),
    ("\u00b2", "^2"),
    ("\u00b3", "^3"),
    ("\u20ac", ""),
    ("\u00a3", ""),
    ("\u00a5", ""),
)


def _strip_period(text: str) -> str:
    """Drop a sentence's closing period, but keep an ellipsis: `1, 2, 3, ...` is not the list `1, 2, 3`."""
    text = text.strip()
    if text.endswith("..") or text.endswith("\u2026"):
        return text
    return text[:-1].strip() if text.endswith(".") else text


def joined_by_words(answer: str) -> bool:
    """Whether the answer joins its items with "and"/"or" (`7, -2, and -5`): the language of a solution set."""
    return bool(_CONNECTIVES.search(answer))


def strip_math_delimiters(text: str) -> str:
    """Remove surrounding `$...$`, `\\(...\\)`, `\\[...\\]` and a single outer `\\boxed{...}`."""
    text = text.strip()
    for _ in range(4):
        before = text
        for opener, closer in (("$$", "$$"), ("$", "$"), ("\\(", "\\)"), ("\\[", "\\]")):
            if text.startswith(opener) and text.endswith(closer) and len(text) >= len(opener) + len(closer):
                text = text[len(opener) : len(text) - len(closer)].strip()
        for box in ("\\boxed", "\\fbox"):
            if text.startswith(box + "{") and text.endswith("}"):
                text = text[len(box) + 1 : -1].strip()
        text = _strip_period(text)
        if text == before:
            break
    return text


def _unwrap_text(text: str) -> str:
    """Drop unit `\\text{cm}`-style blocks, then unwrap remaining text/font wrappers (innermost first)."""
    text = _CONNECTIVES.sub(", ", text)
    stripped = _UNIT_TEXT.sub(" ", text)
    if re.search(r"\d", stripped):  # words in \text next to a number are units; a lone \text{Evelyn} is the answer
        text = stripped
    for _ in range(6):
        new = _TEXT_WRAPPERS.sub(lambda m: " " + m.group(1) + " ", text)
        if new == text:
            break
        text = new
    return _BARE_STYLE.sub(" ", text)


def _separators(text: str) -> str:
    """Thousands separators written as `{,}`, `,\\!`, `\\,` or `\\!` between digit groups become plain commas/nothing."""
    text = re.sub(r"(?<=\d)\s*\{\s*,\s*\}\s*(?=\d{3}(?!\d))", ",", text)
    text = re.sub(  # "1 000" and the whole part of "1 000 4/9"
        r"^(-?\d{1,3})((?: \d{3})+)(?=(?: \d+\s*/\s*\d+)?$)",
        lambda m: m.group(1) + m.group(2).replace(" ", ""),
        text.strip(),
    )
    text = re.sub(r"(?<=\d),\s*\\!\s*(?=\d{3}(?!\d))", ",", text)
    return re.sub(r"(?<=\d)\\[,!]\s*(?=\d{3}(?!\d))", "", text)


def _repeating_decimal(match: re.Match) -> str:
    """`0.\\overline{36}` (or `\\dot`) is the fraction 36/99; written as an exact \\frac for the parser."""
    whole, fixed, repeating = match.group(1) or "0", match.group(2), match.group(3)
    value = Fraction(int(whole)) + Fraction(int(fixed or "0"), 10 ** len(fixed))
    value += Fraction(int(repeating), (10 ** len(repeating) - 1) * 10 ** len(fixed))
    return f"\\frac{{{value.numerator}}}{{{value.denominator}}}"


def _rewrite_numbers(text: str, collapse_thousands: bool) -> str:
    """Collapse `1,000`; mixed numbers (`3\\frac12` means 3 + 1/2); `\\frac12`, `\\sqrt3`."""
    if collapse_thousands:
        text = _THOUSANDS.sub(lambda m: m.group(1).replace(",", ""), text)
    text = _REPEATING.sub(_repeating_decimal, text)
    text = _ORDINAL.sub(r"\1", text)
    text = _FRAC_SHORTHAND.sub(r"\\frac{\1}{\2}", text)
    text = _FRAC_HALF_SHORTHAND.sub(r"\\frac{\1}", text)
    text = _FRAC_SECOND_SHORTHAND.sub(r"\\frac\1{\2}", text)
    text = _SQRT_SHORTHAND.sub(r"\\sqrt{\1}", text)

    def mixed(match: re.Match) -> str:
        whole, num, den = match.groups()
        if int(num) < int(den):
            return f"({whole}+\\frac{{{num}}}{{{den}}})"
        return match.group(0)

    text = _MIXED_NUMBER.sub(mixed, text)
    return _PLAIN_MIXED_NUMBER.sub(mixed, text)


def normalize_answer(answer: str, collapse_thousands: bool = True) -> str:
    """Return the canonical spelling of an extracted answer; raises `PathologicalInput` when it is too long."""
    if len(answer) > MAX_ANSWER_CHARS:
        raise PathologicalInput(f"answer has {len(answer)} characters, more than the {MAX_ANSWER_CHARS} allowed")
    text = strip_math_delimiters(undouble_backslashes(answer))
    for old, new in _LITERAL_REPLACEMENTS:
        text = text.replace(old, new)
    text = text.replace("$", " ")
    text = _PYTHON_POWER.sub("^", text)
    text = _separators(text)
    text = _MATRIX_BEGIN.sub(" \u27e6 ", text)
    text = _MATRIX_END.sub(" \u27e7 ", text)
    text = _matrix_separators(text)
    text = _DROP_COMMANDS.sub(" ", text)
    text = text.replace("\\left.", "").replace("\\right.", "")
    text = _TRIG_DEGREES.sub(r"\1(\2\\pi/180)", text)  # sin 30° is sin(pi/6); elsewhere degrees are dropped
    text = _DEGREES.sub(" ", text)
    text = _DECORATED_NAME.sub(r" \1 ", text)
    text = _PERCENT_WORDS.sub("%", text)
    text = _unwrap_text(text)
    text = re.sub(r",(?:\s*,)+", ",", text)  # "7, -2, and -5": the comma before "and" joins nothing
    text = _SPACING.sub(" ", text)
    text = _ENV_NOISE.sub(" ", text)
    text = text.replace("\\\\", " ")
    stripped = _PLAIN_UNIT.sub(r"\1 ", text)
    if re.search(r"[\w\\]", stripped):
        text = stripped
    text = _rewrite_numbers(text, collapse_thousands)
    text = re.sub(r"^\s*(?:[a-zA-Z]\w*(?:_\{?\w+\}?)?|\([a-z, ]+\))\s*\\in\s+", "", text)
    return _strip_period(re.sub(r"\s+", " ", text))


def _matrix_separators(text: str) -> str:
    """Inside `⟦ ... ⟧` (a matrix), `&` separates cells and `\\\\` separates rows; keep them as tokens."""
    out: list[str] = []
    depth = 0
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "\u27e6":
            depth += 1
        elif ch == "\u27e7":
            depth = max(0, depth - 1)
        if depth and text.startswith("\\\\", i):
            out.append(" \u23ce ")
            i += 2
            continue
        if depth and ch == "&":
            out.append(" \u2225 ")
            i += 1
            continue
        out.append(ch)
        i += 1
    return "".join(out)
