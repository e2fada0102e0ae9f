"""Sandbox execution statistics, collected where code is graded and read by the GRPO telemetry each step.

Kept free of torch and transformers so the code reward (and the sandbox CLI that imports it) stays light to import.
`rewards.code_rewards` calls `record_sandbox_call(result.duration_s)` once per executed program;
`alignment.telemetry.GRPOTelemetryMixin` drains the collector after every reward pass and logs `sandbox_metrics`.
Only executions in this process are seen (each training rank grades its own share of the batch).
"""

from __future__ import annotations

import math
import threading

__all__ = ["SANDBOX_STATS", "SandboxStats", "percentile", "record_sandbox_call", "sandbox_metrics"]


class SandboxStats:
    """Thread-safe collector of sandbox call latencies (reward functions may run in worker threads)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._latencies_s: list[float] = []

    def record(self, duration_s: float) -> None:
        with self._lock:
            self._latencies_s.append(duration_s)

    def drain(self) -> list[float]:
        with self._lock:
            latencies, self._latencies_s = self._latencies_s, []
        return latencies


SANDBOX_STATS = SandboxStats()


def record_sandbox_call(duration_s: float) -> None:
    """Called by code rewards once per sandbox execution, with its wall-clock duration in seconds."""
    SANDBOX_STATS.record(duration_s)


def percentile(values: list[float], q: float) -> float:
    """Linear-interpolated percentile (numpy's default method), q in [0, 100]."""
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def sandbox_metrics(latencies_s: list[float], wall_s: float) -> dict[str, float]:
    if not latencies_s:
        return {}
    return {
        "sandbox/calls": float(len(latencies_s)),
        "sandbox/throughput_per_s": len(latencies_s) / wall_s if wall_s > 0 else float("nan"),
        "sandbox/latency_p50_s": percentile(latencies_s, 50),
        "sandbox/latency_p90_s": percentile(latencies_s, 90),
        "sandbox/latency_p99_s": percentile(latencies_s, 99),
    }
