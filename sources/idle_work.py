"""Work a run wants done while a source waits on a provider's rate limit.

A rate-limited backfill spends most of its wall time waiting for windows to reset, then imports dbt (~2 s) and,
in a fresh pipeline directory, parses the project (~4 s) with nothing left to overlap. The pipeline registers
that work before extracting; the quota gate starts it the first time a request must wait IDLE_SECONDS or more.
Each piece runs once, in its own daemon thread; `settle` drops what never started and waits for the rest.
"""

from __future__ import annotations

import logging
import threading
from typing import Callable

log = logging.getLogger("finops_etl")

IDLE_SECONDS = 2.0

_lock = threading.Lock()
_pending: list[Callable[[], None]] = []
_running: list[threading.Thread] = []


def register(work: Callable[[], None]) -> None:
    with _lock:
        _pending.append(work)


def offer(seconds: float) -> None:
    """A source is about to wait `seconds` on a provider: start whatever is registered."""
    if seconds < IDLE_SECONDS or not _pending:
        return
    with _lock:
        work, _pending[:] = list(_pending), []
        for piece in work:
            thread = threading.Thread(target=_run, args=(piece,), name="finops-idle-work", daemon=True)
            thread.start()
            _running.append(thread)


def settle() -> None:
    """Before the registered work's results are used (or the run ends): drop what never started, wait for the rest."""
    with _lock:
        _pending.clear()
        running, _running[:] = list(_running), []
    for thread in running:
        thread.join()


def _run(piece: Callable[[], None]) -> None:
    try:
        piece()
    except Exception:  # noqa: BLE001 - only a head start: the step that needs it does the work again
        log.debug("work done while waiting failed; the step itself will redo it", exc_info=True)
