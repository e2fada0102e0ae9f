"""Ground-truth answer checking for the math half of the GRPO reward.

Public API (stable):
- `verify(gold, prediction) -> bool`: is the prediction's final answer mathematically equal to the gold answer?
  `prediction` is a whole completion or a bare answer; `gold` a bare answer, LaTeX, or a worked solution with a
  `\\boxed{}` answer.
- `extract_answer(completion) -> str | None`: the final answer as written (see `rewards/math_checker/extract.py`).
- `math_reward(completion, solution) -> float | None`: 1.0 equal, 0.0 not equal or no answer in the completion,
  None when the gold itself cannot be used (empty, or too large to judge).
- `math_rewards_batch(completions, solutions, max_workers=...)`: the same over a process pool.

Pipeline: extract -> normalise (`math_checker.normalize`) -> parse into a tuple AST with our own grammar
(`math_checker.parse`; nothing is ever `eval`-ed or `sympify`-ed) -> compare (`math_checker.equiv`, policy in its docstring):
exact rationals, then 40-digit numerics at pseudo-random points. Only when no point can be evaluated does the
comparison go to sympy, in a child process with a wall-clock budget (`math_checker.sympy_worker`, no signals).

Budget verdict: a *prediction* that exhausts the per-call budget (`timeout_s`, default 0.5 s) scores 0.0 (False)
and is counted in `budget_exhaustions()` and logged; it never hangs the caller. The budget is wall-clock for the
sympy child (which is killed) and the calling thread's CPU time for the pure-Python comparison (checked between
element comparisons), so verdicts do not change when 8 threads share the GIL. Call `warmup()` at start-up: the
sympy child's start (about 1 s) otherwise counts against the first case that needs it. Pathological inputs (power towers,
huge factorials, 400+-digit literals, answers over 1000 characters, nesting deeper than 40) are rejected by static
guards before any evaluation: in a prediction they score 0.0, in a gold they make the gold unusable (None).
"""

from __future__ import annotations

import logging
import re
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context

from rewards.math_checker.equiv import DeadlineExceeded, equivalent
from rewards.math_checker.extract import (
    answer_section,
    ends_in_open_box,
    extract_answer,
    extract_gold_answer,
    has_broken_inline_math,
    last_number,
    looks_like_bare_answer,
)
from rewards.math_checker.normalize import PathologicalInput, joined_by_words, normalize_answer, strip_math_delimiters
from rewards.math_checker.parse import ParseError, parse_answer
from rewards.math_checker.sympy_worker import WORKER

__all__ = ["budget_exhaustions", "extract_answer", "math_reward", "math_rewards_batch", "verify", "warmup"]

logger = logging.getLogger(__name__)

DEFAULT_TIMEOUT_S = 0.5
_CHOICE_LETTERS = frozenset("ABCDEFGH")
_OTHER_CHOICE = re.compile(r"(?<![A-Za-z\\])[A-H](?![A-Za-z])")
_PROSE_WORD = re.compile(r"(?<![\\a-zA-Z])[a-zA-Z]{3,}")
_DECIMAL_COMMA = re.compile(r"-?(?:0,\d+|[1-9]\d*,(?:\d{1,2}|\d{4,}))")
_CHOICE_LABEL = re.compile(
    r"^\s*\$?\s*\\(?:textbf|text|mathrm)\s*\{\s*\(([A-E])\)\s*\}\s*(?:\\[ ,;:!]|~|\s)*(?=\S)|^\s*\(([A-E])\)\s+(?=\S)"
)
_exhausted_lock = threading.Lock()
_exhausted_count = 0


class _BudgetExhausted(Exception):
    pass


def budget_exhaustions() -> int:
    """How many verify calls in this process ended because the prediction exhausted the time budget."""
    return _exhausted_count


def _count_exhaustion(gold: str, prediction: str) -> None:
    global _exhausted_count
    with _exhausted_lock:
        _exhausted_count += 1
    logger.warning("math checker budget exhausted; scoring 0.0 (gold=%r, prediction tail=%r)", gold, prediction[-200:])


def warmup() -> None:
    """Start the sympy worker now rather than at the first case that needs it (benchmarks, pool initialisers)."""
    if not WORKER.start():
        raise RuntimeError("the sympy worker did not start; check that sympy imports in a fresh interpreter")


def _gold_answer(gold: str) -> str | None:
    """A bare gold (even a long matrix) is used as written; a worked solution gives its boxed answer."""
    if "\\boxed" in gold or "\\fbox" in gold or not looks_like_bare_answer(strip_math_delimiters(gold), 4):
        return extract_gold_answer(gold)
    return gold


def _parse(answer: str, collapse_thousands: bool = True) -> tuple:
    """Parse an answer; text the grammar cannot read becomes a ("raw", text) node compared literally."""
    text = normalize_answer(answer, collapse_thousands)
    if not text:
        raise ParseError("empty answer")
    try:
        node = parse_answer(text)
    except ParseError:
        return ("raw", text)
    if node[0] == "list" and joined_by_words(answer) and all(item[0] != "rel" for item in node[1]):
        return ("set", node[1])  # "7, -2, and -5" lists a solution set: any order
    return node


def _prediction_answer(prediction: str) -> str | None:
    """The answer in a completion; a short bare answer (`\\frac{1}{3}`, `28 percent`) is used as it is.

    No answer is read from a completion whose only math is an inline span broken across lines (`Answer $\\n 9
    \\n $`) or whose last box is never closed (`\\boxed{10`, cut off): the text is malformed or unfinished, and
    its digits may be anything inside the broken formula.
    """
    answer = extract_answer(prediction, number_fallback=False)
    if answer is None and (has_broken_inline_math(prediction) or ends_in_open_box(prediction)):
        return None
    if answer is None and looks_like_bare_answer(strip_math_delimiters(prediction)):
        return prediction
    return answer if answer is not None else last_number(answer_section(prediction))  # never inside <think>


def _choice_letter(node: tuple) -> str | None:
    if node[0] == "sym" and node[1] in _CHOICE_LETTERS:
        return node[1]
    if node[0] == "text" and len(node[1]) == 1 and node[1].upper() in _CHOICE_LETTERS:
        return node[1].upper()
    return None


def _decimal_comma_reading(answer: str) -> list[tuple]:
    """`1,22`, `1000,99` or `0,111` as a whole answer is a European decimal, read as a second interpretation."""
    text = strip_math_delimiters(answer).replace("$", "").strip()
    if _DECIMAL_COMMA.fullmatch(text):
        return [_parse(text.replace(",", "."))]
    return []


def _label_letter(match: re.Match | None) -> str | None:
    return (match.group(1) or match.group(2)) if match else None


def _compare(
    gold_nodes: list[tuple],
    answer: str,
    deadlines: tuple[float, float],
    gold_letter: str | None,
    prose: bool = False,
) -> bool:
    """Compare every reading of the answer with every reading of the gold; `prose` marks a whole completion that
    was taken as a bare answer, whose last number is then one more reading."""
    letter = gold_letter or _choice_letter(gold_nodes[0])
    if letter is not None:
        text = normalize_answer(answer).lstrip("( ")
        if text[:1] == letter and (len(text) == 1 or not text[1].isalnum()) and not _OTHER_CHOICE.search(text[1:]):
            return True  # "(C)", "C. x = 42"; not "(A) and (B)", which picks two options
    pred_letter = _label_letter(_CHOICE_LABEL.match(answer))
    if gold_letter and pred_letter and pred_letter != gold_letter:
        return False  # "(D) 16" for "(B) 16": the chosen option is wrong whatever its text says
    if letter is None or gold_letter:
        answer = _CHOICE_LABEL.sub("", answer, count=1) or answer  # "\\textbf{(C)}\\ 42" answers 42
    pred_node = _parse(answer)
    readings = [pred_node] + _decimal_comma_reading(answer)
    number = last_number(answer) if pred_node[0] == "raw" or prose else None
    if number:  # prose around a number: "Soucis : 2,74 $ a..", "not 10, it's 1,000.99m²"
        number_readings = [_parse(number)] + _decimal_comma_reading(number)
        readings = (
            number_readings if pred_node[0] == "raw" and gold_nodes[0][0] != "raw" else readings + number_readings
        )
    if gold_nodes[0][0] in ("list", "set", "tuple") and pred_node[0] not in ("list", "set", "tuple"):
        readings.append(_parse(answer, collapse_thousands=False))  # "100,200" may be a list, not 100200
    wall_deadline, cpu_deadline = deadlines
    fallback = _fallback(wall_deadline)
    return any(equivalent(gold, reading, fallback, cpu_deadline) for gold in gold_nodes for reading in readings)


def _fallback(deadline: float):  # noqa: ANN202 - returns a SymbolicFallback closure
    def ask_sympy(gold: tuple, pred: tuple) -> bool:
        verdict = WORKER.equal(gold, pred, deadline - time.monotonic())
        if verdict is None:
            raise _BudgetExhausted
        return verdict

    return ask_sympy


def _judge(gold: str, prediction: str, timeout_s: float) -> bool | None:
    """True/False verdict, or None when the gold answer is unusable."""
    # Wall-clock for the sympy child; the calling thread's CPU time for our own pure-Python work, so that 8
    # threads sharing the GIL reach the same verdicts as one.
    deadlines = (time.monotonic() + timeout_s, time.thread_time() + timeout_s)
    try:
        gold_answer = _gold_answer(gold)
        gold_letter = _label_letter(_CHOICE_LABEL.match(gold_answer or ""))
        if gold_letter:  # AMC-style gold "\\textbf{(B) }42": the letter or the value both answer it
            gold_answer = _CHOICE_LABEL.sub("", gold_answer, count=1)
        gold_nodes = [_parse(gold_answer)] + _decimal_comma_reading(gold_answer) if gold_answer else None
    except (ParseError, PathologicalInput) as err:
        logger.debug("unusable gold %r: %s", gold[:200], err)
        return None
    if gold_nodes is None:
        return None
    answer = _prediction_answer(prediction)
    if answer is None:
        return False
    try:
        prose = answer is prediction and bool(_PROSE_WORD.search(normalize_answer(answer)))
        return _compare(gold_nodes, answer, deadlines, gold_letter, prose)
    except (ParseError, PathologicalInput, RecursionError) as err:
        logger.debug("prediction answer %r rejected: %s", answer[:200], err)
        return False
    except (_BudgetExhausted, DeadlineExceeded):
        _count_exhaustion(gold, prediction)
        return False


def verify(gold: str, prediction: str, timeout_s: float = DEFAULT_TIMEOUT_S) -> bool:
    """True when the final answer in `prediction` equals `gold` (policy: `rewards/math_checker/equiv.py`)."""
    if not isinstance(gold, str) or not isinstance(prediction, str):
        raise TypeError(f"verify expects two strings, got {type(gold).__name__} and {type(prediction).__name__}")
    return _judge(gold, prediction, timeout_s) is True


def math_reward(completion: str, solution: str) -> float | None:
    """1.0 when the completion's final answer equals the solution's, 0.0 when not or absent, None if gold unusable."""
    verdict = _judge(solution, completion, DEFAULT_TIMEOUT_S)
    return None if verdict is None else float(verdict)


def _score_chunk(pairs: list[tuple[str, str]]) -> list[float | None]:
    return [math_reward(completion, solution) for completion, solution in pairs]


def math_rewards_batch(
    completions: list[str], solutions: list[str], max_workers: int | None = 2, chunk_size: int = 16
) -> list[float | None]:
    """`math_reward` over many pairs; with `max_workers` > 0 over a spawn-started process pool.

    A crash of the pool (e.g. a worker killed by the OOM killer) raises `BrokenProcessPool`: an infrastructure
    failure is never turned into rewards of 0.
    """
    if len(completions) != len(solutions):
        raise ValueError(
            f"math_rewards_batch got {len(completions)} completions but {len(solutions)} solutions; "
            "pass one solution per completion (repeat the gold for each sample of a group)"
        )
    pairs = list(zip(completions, solutions))
    if not max_workers or len(pairs) <= chunk_size:
        return _score_chunk(pairs)
    chunks = [pairs[i : i + chunk_size] for i in range(0, len(pairs), chunk_size)]
    with ProcessPoolExecutor(max_workers=max_workers, mp_context=get_context("spawn"), initializer=warmup) as pool:
        return [score for chunk_scores in pool.map(_score_chunk, chunks) for score in chunk_scores]
