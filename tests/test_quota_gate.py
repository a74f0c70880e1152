"""The quota gate: many threads, one provider window; the window is never overdrawn and an ETA can be read."""

from __future__ import annotations

import math
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from sources.quota import Quota, QuotaGate


class FixedWindow:
    """A provider's budget of `limit` per `seconds`, counted when a request arrives; the reset it reports is exact
    or rounded to whole seconds (`rounding`: math.ceil, as the sandbox does, or math.floor)."""

    def __init__(self, limit: int, seconds: float, rounding=None):
        self.limit, self.seconds, self.rounding = limit, seconds, rounding
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
            reset = max(self.started + self.seconds - now, 0)
            return Quota(self.limit - self.used, self.rounding(reset) if self.rounding else reset, self.limit,
                         self.seconds)


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


def test_a_window_opens_at_the_earliest_reset_its_answers_allow():
    """Answers spread over the window, `t` rounded up: the earliest arrival + t is within a way back of the
    server's reset, where the latest would open the next window up to a second late."""
    server, gate = FixedWindow(10, 2.0, math.ceil), QuotaGate(reserve=0)

    def call(_: int) -> None:
        window = gate.acquire()
        time.sleep(0.1)
        quota = server.serve()
        time.sleep(0.1)
        gate.release(quota, window=window)

    started = time.monotonic()
    with ThreadPoolExecutor(2) as pool:
        list(pool.map(call, range(20)))
    assert server.refused == 0
    # first serve at 0.1, reset at 2.1, earliest bound 2.2; a lone probe, then 9 more in pairs: ~3.4 s
    # (the latest bound, 3.0, would end at ~4.0 s)
    assert time.monotonic() - started < 3.75


def test_a_server_that_rounds_its_reset_down_costs_one_refusal_then_none():
    server, gate = FixedWindow(5, 2.0, math.floor), QuotaGate(reserve=0)
    refusals = []

    def call(_: int) -> None:
        while True:
            window = gate.acquire()
            time.sleep(0.05)
            before = server.refused
            quota = server.serve()
            refused = server.refused > before
            time.sleep(0.05)
            gate.release(quota, refused=refused, window=window)
            if not refused:
                return
            refusals.append(time.monotonic())
            time.sleep(quota.reset_seconds + 0.05)

    with ThreadPoolExecutor(2) as pool:
        list(pool.map(call, range(20)))
    assert gate.started - len(refusals) == 20
    assert len(refusals) <= 1


def test_a_429_whose_count_shows_room_does_not_hold_the_window():
    """A refusal about something else (a burst limit, a fault upstream) says r=500 left: the window is not spent,
    and nothing waits for its reset five minutes away."""
    gate = QuotaGate()
    gate.release(Quota(500, 300.0, 1200, 300), refused=True, window=gate.acquire())
    started = time.monotonic()
    for _ in range(5):
        gate.release(Quota(499, 300.0, 1200, 300), window=gate.acquire())
    assert time.monotonic() - started < 1.0
