"""Peak resident memory of the test process while a block runs (bounded-memory tests)."""

from __future__ import annotations

import threading
import time

import psutil

MiB = 1024 * 1024


class PeakMemory:
    """Samples this process's resident memory while a block runs."""

    def __init__(self, interval: float = 0.02) -> None:
        self.process = psutil.Process()
        self.start = self.peak = self.process.memory_info().rss
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self.process.memory_info().rss)
            time.sleep(self.interval)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    @property
    def growth_mib(self) -> float:
        return (self.peak - self.start) / MiB
