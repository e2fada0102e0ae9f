"""A CPU hog on every core, started and stopped by a benchmark itself: busy processes that keep each core runnable,
as a trainer sharing the machine with the sandbox does. Always stopped on exit (a context manager)."""

from __future__ import annotations

import multiprocessing
import os


def _spin(stop) -> None:
    while not stop.is_set():
        for _ in range(100_000):  # check the event only now and then: the loop is the load
            pass


class CpuHog:
    """`with CpuHog(): ...` keeps `processes` (default: one per core) busy loops running."""

    def __init__(self, processes: int | None = None):
        self.count = processes or os.cpu_count() or 1
        self.context = multiprocessing.get_context("fork")
        self.stop = self.context.Event()
        self.workers: list = []

    def __enter__(self) -> CpuHog:
        for _ in range(self.count):
            worker = self.context.Process(target=_spin, args=(self.stop,), daemon=True)
            worker.start()
            self.workers.append(worker)
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        for worker in self.workers:
            worker.join(timeout=5)
            if worker.is_alive():
                worker.kill()
                worker.join()
        self.workers.clear()
