"""Safety properties of the math checker: injection, pathological inputs, budget, threads, processes, pickling."""

from __future__ import annotations

import multiprocessing
import pickle
import signal
import threading
from concurrent.futures import ThreadPoolExecutor
from fractions import Fraction
from pathlib import Path

import pytest

from bench.math_cases import BARE_CASES, guard_cases, load_cases
from rewards import math_rewards
from rewards.math_checker.sympy_worker import SympyWorker
from rewards.math_rewards import budget_exhaustions, math_reward, math_rewards_batch, verify

# A prediction that only sympy can judge (infinity has no numeric value at the probe points).
_SYMPY_ONLY = ("1", "\\infty \\cdot 0")


def _injections(marker: Path) -> list[str]:
    command = f"__import__('os').system('touch {marker}')"
    return [command, f"\\boxed{{{command}}}", f"The answer is ${command}$", f"<answer>{command}</answer>"]


def test_injected_code_in_prediction_or_gold_has_no_effect(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    for text in _injections(marker):
        assert verify("42", text) is False
        assert verify(text, "42") is False
        assert math_reward(text, text) in (0.0, 1.0, None)
    assert not marker.exists()


PATHOLOGICAL_PREDICTIONS = [
    "10^{10^{10^{10}}}",  # power tower
    "9^{9^{9^{9^{9}}}}",  # taller tower
    "x^{x^{x^{x^{x}}}}",  # symbolic tower
    "(10^{100})!",  # huge factorial
    "100000!",  # factorial beyond the exact guard
    "9" * 100_000,  # 10^5-digit number
    "(" * 20_000,  # 20 KB degenerate completion
    "\\boxed{" * 5_000,  # nested unclosed boxes
    "\\frac{" * 3_000,  # unclosed fractions
    "\\sqrt{" * 500 + "2" + "}" * 500,  # deep nesting
    "1+" * 10_000 + "1",  # very long sum
    "a" * 20_000,  # one long word
    "\\pm" * 50 + "1",  # sign explosion
]


@pytest.mark.parametrize("prediction", PATHOLOGICAL_PREDICTIONS, ids=range(len(PATHOLOGICAL_PREDICTIONS)))
def test_pathological_predictions_are_rejected(prediction: str) -> None:
    assert verify("7", prediction) is False  # 7 appears in none of them, not even as a last number


def test_pathological_gold_is_unusable_not_zero() -> None:
    assert math_reward("\\boxed{1}", "9" * 100_000) is None
    assert math_reward("\\boxed{1}", "10^{10^{10^{10}}}") in (0.0, None)


def test_budget_exhaustion_scores_zero_and_is_counted() -> None:
    before = budget_exhaustions()
    assert verify(*_SYMPY_ONLY, timeout_s=0.0) is False
    assert budget_exhaustions() == before + 1


def test_sympy_worker_is_killed_on_timeout_and_restarts() -> None:
    worker = SympyWorker()
    try:
        assert worker.start()
        slow = ("fact", ("num", Fraction(10**8), None))  # computing (10^8)! exactly takes far longer than 0.2 s
        assert worker.equal(slow, ("num", Fraction(1), None), timeout_s=0.2) is None
        assert worker.start()
        x = ("sym", "x")
        assert worker.equal(("pow", x, ("num", Fraction(2), None)), ("mul", (x, x)), timeout_s=30.0) is True
    finally:
        worker.stop()


def test_no_signal_handler_is_installed_or_replaced() -> None:
    def own_handler(signum: int, frame: object) -> None:
        raise AssertionError("the checker must never trigger the caller's SIGALRM")

    previous = signal.signal(signal.SIGALRM, own_handler)
    try:
        verify("2\\sqrt{2}", "\\sqrt{8}")
        verify(*_SYMPY_ONLY)
        assert signal.getsignal(signal.SIGALRM) is own_handler
        assert signal.alarm(0) == 0  # no alarm was scheduled behind our back
    finally:
        signal.signal(signal.SIGALRM, previous)


def test_eight_threads_give_the_sequential_verdicts() -> None:
    """Slow pathological rows hold the GIL for long stretches; the other threads' verdicts must not change."""
    rows = load_cases()[::3] + guard_cases()
    sequential = [verify(case.gold, case.prediction) for case in rows]
    with ThreadPoolExecutor(max_workers=8) as pool:
        threaded = list(pool.map(lambda case: verify(case.gold, case.prediction), rows))
    assert threaded == sequential


def test_sympy_fallback_from_worker_threads() -> None:
    results: list[bool] = []
    threads = [threading.Thread(target=lambda: results.append(verify(*_SYMPY_ONLY, timeout_s=30.0))) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [False] * 4  # oo * 0 is NaN, not 1; answered by sympy, not by the budget


def test_public_functions_pickle_by_reference() -> None:
    for func in (verify, math_reward, math_rewards_batch, math_rewards.extract_answer):
        assert pickle.loads(pickle.dumps(func)) is func


def test_process_pool_batch_matches_sequential() -> None:
    rows = BARE_CASES[::4]
    completions = [f"So the result is \\boxed{{{pred}}}." for _, _, pred, _ in rows]
    solutions = [gold for _, gold, _, _ in rows]
    sequential = [math_reward(c, s) for c, s in zip(completions, solutions)]
    assert math_rewards_batch(completions, solutions, max_workers=2, chunk_size=8) == sequential


def test_batch_rejects_mismatched_lengths() -> None:
    with pytest.raises(ValueError, match="2 completions but 1 solutions"):
        math_rewards_batch(["a", "b"], ["1"])


def _verify_in_child(queue: multiprocessing.Queue) -> None:
    queue.put((verify("2\\sqrt{2}", "\\sqrt{8}"), verify(*_SYMPY_ONLY, timeout_s=30.0)))


@pytest.mark.parametrize("method", ["fork", "spawn"])
def test_fork_and_spawn_children_can_verify(method: str) -> None:
    verify(*_SYMPY_ONLY, timeout_s=30.0)  # the parent owns a running sympy worker before the fork
    context = multiprocessing.get_context(method)
    queue = context.Queue()
    child = context.Process(target=_verify_in_child, args=(queue,))
    child.start()
    assert queue.get(timeout=60) == (True, False)
    child.join(timeout=30)
    assert child.exitcode == 0


def test_pure_python_comparison_respects_the_deadline() -> None:
    gold = ",".join(f"x^{{{i}}}" for i in range(60))
    pred = ",".join(f"x^{{{i}}}" for i in reversed(range(60)))
    assert verify(gold, pred) is True  # a long symbolic list, matched through probe-value keys
    before = budget_exhaustions()
    assert verify(gold, pred, timeout_s=0.0) is False
    assert budget_exhaustions() == before + 1
