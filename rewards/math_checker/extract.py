"""Finding the final answer in a model completion (or in a worked gold solution).

Order of preference, each step used only when the previous finds nothing: `<answer>` tags (prose inside them is
read for its box, answer phrase or concluding sentence, "Thus, she can fill 14 bags."), the last `\\boxed{}` /
`\\fbox{}` group (several boxes written side by side form one list answer), "the (final) answer is ...", GSM8K's
`#### 42`, the last `$...$` / `\\(...\\)` / `\\[...\\]` / `align` span, and finally the last number. A completion whose last
box is never closed (cut off mid-answer) has no answer at all. Every scan is a single left-to-right pass or a
linear regular expression, so a 20 KB degenerate completion costs microseconds.
"""

from __future__ import annotations

import re

__all__ = [
    "extract_answer",
    "ends_in_open_box",
    "extract_gold_answer",
    "has_broken_inline_math",
    "last_number",
    "looks_like_bare_answer",
    "undouble_backslashes",
]

MAX_SCAN_CHARS = 40_000  # answers live at the end; a longer completion is scanned from its last 40 KB only
_MAX_BOX_CHARS = 2_000
_MAX_BOXES = 32
_BOX_GAP = re.compile(
    r"^(?:\\[()\[\]]|\\q?quad|\\[,;:!]|and|or|\\text\s*\{[^{}\n]{0,30}\}|[a-zA-Z](?:_\{?\w+\}?)?\s*=|[\s,;$.~])*$"
)  # what may separate boxes that together form one answer: "x = \boxed{2} or x = \boxed{3}"
_GOLD_BOX_GAP = re.compile(
    r"^(?=[^\n]{0,30}$)[^\w\n]*(?:\w+[^\w\n]*){0,3}$"
)  # a reference solution's "\boxed{1} papers and \boxed{2} bins"
_ANSWER_TAG = re.compile(r"<answer>(.*?)(?:</answer>|$)", re.DOTALL | re.IGNORECASE)
_ANSWER_PHRASE = re.compile(
    r"(?:final\s+answer|the\s+answer|answer)\s*(?:is|:|=|should\s+be|would\s+be|will\s+be)\s*:?"
    r"|\*\*final\s+answer\*\*\s*:?|####",
    re.IGNORECASE,
)
# A closing `$` is never followed by a digit (as in Pandoc): in "costs $4, so three cost $12" both are currency.
_MATH_SPAN = re.compile(
    r"\\begin\{(?:align|equation|gather)\*?\}(.+?)\\end\{(?:align|equation|gather)\*?\}|"
    r"\$\$(.+?)\$\$|\\\[(.+?)\\\]|\\\(([^\n]+?)\\\)|(?<![\\$])\$((?:[^$\n]|(?<=\\)\$)+?)(?<!\\)\$(?![$\d])",
    re.DOTALL,
)
# An inline `$` or `\(` that opens math at the end of a line: inline math does not cross line breaks (Markdown
# renderers and Math-Verify read it so), so the span is broken and what follows is not a readable answer.
_BROKEN_INLINE = re.compile(r"(?:^|[ \t])\$[ \t]*$|\\\([ \t]*$", re.MULTILINE)
# A comma followed by one or two digits, outside brackets, is a European decimal comma ("Soucis : 2,74 $").
_NUMBER = re.compile(
    r"(?<![\w(\[,.])-?\d+,\d{1,2}(?![\d,)\]])|(?<![a-zA-Z])-?\d+(?:,\d{3})*(?:\.\d+)?(?:\s*/\s*\d+)?|-?\.\d+"
)
_SENTENCE_END = re.compile(r"(?<!\\)\.(?:\s|$)|\n")
_DOUBLED_COMMAND = re.compile(
    r"\\\\(?=(?:boxed|fbox|frac|dfrac|tfrac|left|right|sqrt|pi|text|cdot|times|infty|leq?|geq?|neq?|begin|end|pm)"
    r"(?![a-zA-Z]))"
)
# The concluding sentence's number, or its bracketed pair "(1,5)" as a whole (never the "1,5" inside it).
_CONCLUSION = re.compile(
    r"(?:^|[.!\n$]\s*)(?:Therefore|Thus|Hence|So|In total|Altogether),?\s[^.\n$\\]{0,160}?"
    r"(\(-?\d[\d,. -]*\)|(?<![\w.(\[])-?\d[\d,]*(?:\.\d+)?\s*%?)(?![\w.]*\d)[^.\n$\\\d]{0,120}"
    r"(?:\swith\s\d+\s[a-zA-Z]+\s(?:in\s)?(?:each|per)\s[a-zA-Z]+)?(?:[.!]|$)",
)  # "... can fill 14 bags with 2 lollipops in each bag.": a per-unit qualifier does not carry the answer
_PROSE_TAIL = re.compile(
    r"\s+(?:because|since|as|which|when|where|if|given|so that|so|for|in order)\b|,\s+(?!and\b|or\b)(?=[a-zA-Z]{3,})"
)
_MATHY = re.compile(r"[\d\\$^=()]|^\s*[A-E]\s*$")
_ENVIRONMENT = re.compile(r"\\(?:begin|end)\s*\{[^{}]*\}(?:\{[^{}]*\})?")
_WORDS = re.compile(r"(?<![\\a-zA-Z])[a-zA-Z]{3,}")


def _strip_think(text: str) -> str:
    """Reasoning models put scratch work in `<think>`; the answer is what follows the last `</think>`."""
    if "</think>" in text:
        after = text.rsplit("</think>", 1)[1]
        if after.strip():
            return after
        text = text.rsplit("</think>", 1)[0]
    return text.replace("<think>", " ")


def _read_braced(text: str, start: int) -> tuple[str, int] | None:
    """Content of the brace group opening at text[start] == '{' (nested braces), with the end index."""
    depth = 0
    for index in range(start, min(len(text), start + _MAX_BOX_CHARS)):
        char = text[index]
        if char == "{" and text[index - 1] != "\\":
            depth += 1
        elif char == "}" and text[index - 1] != "\\":
            depth -= 1
            if depth == 0:
                return text[start + 1 : index], index + 1
    return None


def _boxes(text: str) -> list[tuple[int, int, str, bool]]:
    """(start, end, content, closed) of each box; an unclosed box keeps what was written up to the line's end."""
    found = []
    # Only the last boxes can hold the answer; capping them keeps 5,000 nested `\boxed{` linear in the text size.
    for match in list(re.finditer(r"\\(?:boxed|fbox)\s*", text))[-_MAX_BOXES:]:
        start = match.end()
        if start < len(text) and text[start] == "{":
            braced = _read_braced(text, start)
            if braced is None:  # truncated generation: keep what was written up to the end of the line
                found.append((match.start(), len(text), text[start + 1 :].split("\n")[0][:200], False))
                continue
            found.append((match.start(), braced[1], braced[0], True))
        else:
            word = re.match(r"[^\s$]+", text[start:])
            if word:
                found.append((match.start(), start + word.end(), word.group(), True))
    return found


def _last_box_group(text: str, gap: re.Pattern = _BOX_GAP) -> str | None:
    """Content of the last box, joined with the boxes just before it when only `gap` separates them."""
    boxes = _boxes(text)
    if not boxes:
        return None
    group = [boxes[-1]]
    for box in reversed(boxes[:-1]):
        if not gap.match(text[box[1] : group[0][0]]):
            break
        group.insert(0, box)
    contents = list(dict.fromkeys(b[2].strip() for b in group))
    return ", ".join(contents)


def _after_phrase(text: str) -> str | None:
    """What follows the last "the final answer is" / "Answer:" / "####", up to the end of that sentence."""
    matches = list(_ANSWER_PHRASE.finditer(text))
    if not matches:
        return None
    rest = text[matches[-1].end() :].lstrip(" :*")
    line_end = _SENTENCE_END.search(rest)
    sentence = rest[: line_end.start()] if line_end else rest
    outside = _MATH_SPAN.sub(lambda m: " " * len(m.group(0)), sentence)
    tail = _PROSE_TAIL.search(outside)
    if tail:  # "The answer is 5 because it is the smallest": drop the justification
        sentence, outside = sentence[: tail.start()], outside[: tail.start()]
    spans = [s for s in _MATH_SPAN.finditer(rest[:400]) if s.start() <= len(sentence)]
    verbs = list(re.finditer(r"\b(?:is|are|be|was|equals)\b", outside))
    if verbs:  # "The volume of $ABCD$ is 120": the answer follows the verb
        start = verbs[-1].end()
        spans = [s for s in spans if s.start() >= start]
        sentence = sentence[start:]
    if spans:
        return ", ".join(_span_text(s) for s in spans)
    return sentence.strip(" *").rstrip(".").strip(" *") or None


def _span_text(match: re.Match) -> str:
    if match.group(1) is not None:  # an align block: its last statement, with the `&= ...` rows continuing it
        rows = [row.strip() for row in match.group(1).split("\\\\") if row.strip()]
        starts = [i for i, row in enumerate(rows) if not row.startswith(("&", "="))]
        return " ".join(rows[starts[-1] if starts else 0 :])
    return next(group for group in match.groups() if group is not None).strip()


def _last_math_span(text: str) -> str | None:
    spans = list(_MATH_SPAN.finditer(text))
    return _span_text(spans[-1]) if spans else None


def last_number(text: str) -> str | None:
    """The last number in the text (integers, decimals, 1,000-style and a/b fractions)."""
    numbers = _NUMBER.findall(text[-MAX_SCAN_CHARS:])
    return numbers[-1].replace(" ", "") if numbers else None


def has_broken_inline_math(text: str) -> bool:
    """True when an inline `$`/`\\(` span is opened at a line's end (`Answer $\\n 9 \\n $`): malformed output."""
    text = text[-MAX_SCAN_CHARS:]
    for match in _BROKEN_INLINE.finditer(text):
        line_start = text.rfind("\n", 0, match.start()) + 1
        before = text[line_start : match.start()].replace("\\$", "").replace("$$", "")
        if match.group().strip() == "\\(" or before.count("$") % 2 == 0:
            return True  # an opening delimiter, not the closing `$` of a span on this line
    return False


def looks_like_bare_answer(text: str, max_words: int = 2) -> bool:
    """Text with at most `max_words` plain words (LaTeX commands aside) is an answer, not a completion."""
    text = _ENVIRONMENT.sub(" ", text.strip()[:MAX_SCAN_CHARS])
    return bool(text.strip()) and len(_WORDS.findall(text)) <= max_words


def extract_gold_answer(solution: str) -> str | None:
    """The answer of a worked reference solution: its last box group (boxes a few words apart join), else as
    for a completion."""
    text = undouble_backslashes(solution[-MAX_SCAN_CHARS:])
    return _last_box_group(text, _GOLD_BOX_GAP) or extract_answer(text)


def undouble_backslashes(text: str) -> str:
    """`\\\\frac` (a JSON- or prompt-escaped `\\frac`) back to one backslash before known command names."""
    return _DOUBLED_COMMAND.sub(r"\\", text)


def extract_answer(completion: str, number_fallback: bool = True) -> str | None:
    """The final answer written in `completion`, as raw LaTeX/text (not yet normalised), or None."""
    text = answer_section(completion)
    tags = _ANSWER_TAG.findall(text)
    if tags and tags[-1].strip():
        inner = tags[-1].strip()
        prose_number = None if looks_like_bare_answer(inner, 4) else _conclusion_number(inner)  # tags around prose
        return _last_box_group(inner) or _after_phrase(inner) or prose_number or inner  # "<answer>The answer is 2."
    boxes, phrases = _boxes(text), list(_ANSWER_PHRASE.finditer(text))
    if boxes and not boxes[-1][3]:
        return None  # the generation stopped inside its last box: "\\boxed{10" might have become 100
    if boxes and phrases and phrases[-1].start() > boxes[-1][1]:
        answer = _after_phrase(text)  # "\\boxed{255} ... The final answer is $10,455$": the later one wins
        if answer and _MATHY.search(answer):  # but not "\\boxed{5} ... I hope the answer is correct."
            return answer
    for finder in (_last_box_group, _after_phrase, _conclusion_number, _last_math_span):
        answer = finder(text)
        if answer and answer.strip():
            return answer.strip()
    return last_number(text) if number_fallback else None


def answer_section(completion: str) -> str:
    """The part of a completion that can hold its answer: the last 40 KB, after the last `</think>`."""
    return undouble_backslashes(_strip_think(completion[-MAX_SCAN_CHARS:]))


def ends_in_open_box(completion: str) -> bool:
    """True when the completion's last `\\boxed{` is never closed (a generation cut off mid-answer)."""
    boxes = _boxes(answer_section(completion))
    return bool(boxes) and not boxes[-1][3]


def _conclusion_number(text: str) -> str | None:
    """ "Therefore, there are 12 sequences." after the last math span: the concluding sentence's number."""
    conclusions = list(_CONCLUSION.finditer(text))
    if not conclusions:
        return None
    spans = list(_MATH_SPAN.finditer(text))
    if spans and spans[-1].end() > conclusions[-1].start(1):
        return None
    return conclusions[-1].group(1)
