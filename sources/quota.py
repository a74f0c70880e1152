"""Pacing from the provider's own count: start a request only while the window it reported has room for it.

Every answer says how many requests are left in the current window and when it resets (Cloudflare's `Ratelimit`,
Venice's `x-ratelimit-remaining-requests` / `-reset-requests`). Requests in flight are not counted in the last
answer yet, so a start needs `remaining - in_flight > reserve`: however many threads ask, the window is never
overdrawn and no 429 is drawn. When the window is used up, starts wait for its reset. The number in flight is
therefore chosen by the quota, up to the caller's cap (its worker count).

When the window resets is read from every answer as its arrival plus `t`, and the earliest of a window's answers
is taken: with `t` rounded up to whole seconds (or exact), each is an upper bound on the reset, and among a
window's ~100 answers one lands within a few hundredths of a second of it, where the latest would wait up to a
second more per window. Neither Cloudflare nor Venice says how `t` is rounded, so the first start after a reset is
a lone probe: if it is refused (a server that rounds down, a clock behind ours) the gate waits for the server's
own reset and adds a second to every reset it counts after that, at the cost of that one 429.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from sources import idle_work


ROUNDING_SECONDS = 1.0  # what a reset rounded down to whole seconds may be early by
UNKNOWN_WINDOW_SECONDS = 60.0  # a window's length until an answer of it says when it resets


@dataclass(frozen=True)
class Quota:
    remaining: int
    reset_seconds: float
    limit: int | None = None  # the window's size (Ratelimit-Policy `q`), when the provider says it
    window_seconds: float | None = None  # its length (`w`)


class QuotaGate:
    def __init__(self, reserve: int = 1) -> None:
        self.reserve = reserve
        self._cond = threading.Condition()
        self._remaining: int | None = None  # unknown until the first answer: one request probes
        self._reset_at = 0.0
        self._limit: int | None = None
        self._period: float | None = None
        self._in_flight = 0
        self._next_ticket = 0
        self._serving = 0
        self._abandoned: set[int] = set()
        self._unmetered = False  # an answer came without a count: only the caller's worker cap applies
        self._probing = False  # a spent window just reset on our count: one request goes first, alone
        self._window = 0  # windows opened on our count: an answer is read against the window its request began in
        self._window_heard = False  # an answer of the current window came back
        self._pad = 0.0  # added to every reset once a probe was refused (ROUNDING_SECONDS)
        self.waited_seconds = 0.0
        self.started = 0  # requests let through, ever (counted with in-flight ones: what an ETA subtracts)
        self._window_first = 0  # `started` when the current window opened

    def acquire(self) -> int:
        """Wait for room, first come first served: callers start in the order they asked (a walk that yields
        in order must not see its first request overtaken by a whole window of later ones). Returns the window
        the request starts in, for `release`."""
        with self._cond:
            ticket = self._next_ticket
            self._next_ticket += 1
            try:
                self._wait_for_room(ticket)
            except BaseException:
                self._abandoned.add(ticket)  # interrupted while queued: the next in line must not wait on it
                self._skip_abandoned()
                raise
            self._in_flight += 1
            self.started += 1
            self._serving += 1
            self._skip_abandoned()
            self._cond.notify_all()
            return self._window

    def _skip_abandoned(self) -> None:
        while self._serving in self._abandoned:
            self._abandoned.discard(self._serving)
            self._serving += 1
        self._cond.notify_all()

    def _wait_for_room(self, ticket: int) -> None:
        while True:
            now = time.monotonic()
            if ticket != self._serving:
                self._cond.wait(1.0)
                continue
            if self._remaining is not None and now >= self._reset_at:
                # the window turned over: a full one if we know its size, else probe with one request; a spent
                # one is probed either way (our count of its reset may be early, see above)
                self._probing = self._remaining - self._in_flight <= self.reserve
                self._remaining = self._limit
                self._reset_at = now + (self._period or UNKNOWN_WINDOW_SECONDS)  # until an answer of it says
                self._window += 1
                self._window_heard = False
                self._window_first = self.started
            if self._probing:
                if self._in_flight == 0:
                    break
                wait = 0.5
            elif self._remaining is None:
                if self._in_flight == 0 or self._unmetered:
                    break
                wait = 0.5
            elif self._remaining - self._in_flight > self.reserve:
                break
            else:
                wait = max(self._reset_at - now, 0.005)
                idle_work.offer(wait)  # a window to wait out: time for what the run needs later
            started = time.monotonic()
            self._cond.wait(min(wait, 1.0))
            self.waited_seconds += time.monotonic() - started

    def release(self, quota: Quota | None, refused: bool = False, window: int | None = None) -> None:
        """One request is answered; `quota` is what its answer reported (None: no header), `refused` whether it
        was a 429, `window` what `acquire` returned. The reset is counted from the answer's arrival (later than
        the server's by the way back)."""
        with self._cond:
            self._in_flight -= 1
            current = window is None or window == self._window  # else a late answer of a window we have left
            probe = self._probing and current
            if probe:
                self._probing = False
            if quota is None and self._remaining is None:
                self._unmetered = True
            if quota is not None and current:
                reset_at = time.monotonic() + quota.reset_seconds + self._pad
                if refused and quota.remaining <= 0:  # the window is spent, whatever we counted: its reset stands
                    # (a 429 whose count shows room is about something else: a burst limit, a fault upstream)
                    if probe:  # we opened the window early: the server does not round `t` up
                        self._pad = ROUNDING_SECONDS
                        reset_at += ROUNDING_SECONDS
                    self._remaining, self._reset_at = 0, reset_at
                elif self._remaining is None or not self._window_heard:
                    self._remaining, self._reset_at = quota.remaining, reset_at
                else:  # answers arrive out of order: the lowest count is the latest, the earliest reset the tightest
                    self._remaining = min(self._remaining, quota.remaining)
                    self._reset_at = min(self._reset_at, reset_at)
                self._window_heard = True
                if quota.limit:
                    self._limit = quota.limit
                if quota.window_seconds:
                    self._period = quota.window_seconds
            self._cond.notify_all()

    def estimate_seconds(self, requests: int, latency: float = 0.0) -> float:
        """Seconds the quota holds back `requests` more starts (0 when this window has room): for an ETA."""
        with self._cond:
            if self._remaining is None or not self._limit or not self._period:
                return 0.0
            now = time.monotonic()
            if now >= self._reset_at:
                room = self._limit - self.reserve
            else:  # what we started in this window tells the room better than `remaining - in flight`, which
                # counts twice the requests the server has seen but whose answers are still on their way
                room = max(min(self._remaining, self._limit - (self.started - self._window_first)) - self.reserve, 0)
            if requests <= room:
                return 0.0
            per_window = max(self._limit - self.reserve, 1)
            windows_after = -(-(requests - room) // per_window) - 1
            # we open each window late by the way back (~latency) and the probe's round trip: a server that starts
            # its next window at our first request (the sandbox does) drifts by about that much
            late = self._pad + latency
            return max(self._reset_at - now, 0.0) + windows_after * (self._period + late)
