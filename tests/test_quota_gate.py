"""The quota gate: many threads, one provider window; the window is never overdrawn and an ETA can be read."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

from sources.quota import Quota, QuotaGate


class FixedWindow:
    """A provider's budget of `limit` per `seconds`, counted when a request arrives."""

    def __init__(self, limit: int, seconds: float):
        self.limit, self.seconds = limit, seconds
        self.lock = threading.Lock()
        self.started = time.monotonic()
        self.used = 0
        self.refused = 0

    def serve(self) -> Quota:
        with self.lock:
            now = time.monotonic()
            if now - self.started >= self.seconds:
                self.started, self.used = now, 0
            if self.used >= self.limit:
                self.refused += 1
            else:
                self.used += 1
            return Quota(self.limit - self.used, max(self.started + self.seconds - now, 0), self.limit, self.seconds)


def test_sixteen_threads_never_overdraw_a_window_and_use_it_whole():
    server, gate = FixedWindow(10, 1.0), QuotaGate()

    def call(_: int) -> None:
        gate.acquire()
        time.sleep(0.01)  # the way there
        quota = server.serve()
        time.sleep(0.01)  # and back
        gate.release(quota)

    started = time.monotonic()
    with ThreadPoolExecutor(16) as pool:
        list(pool.map(call, range(35)))
    assert server.refused == 0
    assert gate.started == 35
    assert time.monotonic() - started < 3.0 + 0.5  # four windows: 10, 10, 10, 5


def test_the_estimate_counts_the_windows_still_needed():
    gate = QuotaGate()
    gate.acquire()
    gate.release(Quota(99, 30.0, 100, 30))
    assert gate.estimate_seconds(50) == 0.0  # this window has room
    assert 29 < gate.estimate_seconds(150) <= 30  # the rest waits for the reset
    assert 29 + 30 < gate.estimate_seconds(250) <= 30 + 30.5 + 0.01  # and one window after it


def test_without_a_count_the_gate_only_probes_once():
    gate = QuotaGate()
    gate.acquire()
    gate.release(None)
    for _ in range(5):
        gate.acquire()  # unmetered: no waiting
    assert gate.started == 6
