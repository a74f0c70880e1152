"""Ordered, bounded fan-out: fetch several windows at once, yield them in order, never hold them all."""

from __future__ import annotations

from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Callable, Iterable, Iterator, TypeVar

T = TypeVar("T")
R = TypeVar("R")


def ordered_map(fn: Callable[[T], R], items: Iterable[T], workers: int) -> Iterator[tuple[T, R | BaseException]]:
    """Yield (item, result or the exception it raised) in input order, at most 2 x workers in flight.

    Exceptions are returned, not raised, so the caller decides per item whether one failure ends the
    walk (bad token) or only that account (restricted endpoint).
    """
    if workers <= 1:
        for item in items:
            try:
                yield item, fn(item)
            except Exception as exc:  # noqa: BLE001 - handed to the caller to classify
                yield item, exc
        return
    pending: deque[tuple[T, Future[R]]] = deque()
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="fetch") as pool:
        try:
            for item in items:
                pending.append((item, pool.submit(fn, item)))
                if len(pending) >= 2 * workers:
                    yield _settle(*pending.popleft())
            while pending:
                yield _settle(*pending.popleft())
        finally:
            for _, future in pending:
                future.cancel()


def _settle(item: T, future: "Future[R]") -> tuple[T, R | BaseException]:
    try:
        return item, future.result()
    except Exception as exc:  # noqa: BLE001
        return item, exc
