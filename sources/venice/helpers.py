"""Venice HTTP details: errors and wait signals, the charge key, the walks (pages are parsed in pages.py)."""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from typing import Iterator

import httpx
import orjson
import pyarrow as pa
import pyarrow.compute as pc

from pipelines.errors import CredentialsRejected, FinopsError, ProviderFailing, UsageError
from sources.arrow_records import Rejection, key_column
from sources.http_client import ApiClient, ApiStatusError, RetryPolicy
from sources.prefetch import prefetched
from sources.quota import Quota, QuotaGate
from sources.venice.pages import parse_csv, parse_json
from sources.venice.settings import (
    HISTORY_PAGE_SIZE, HISTORY_PATH, KEY_PARTS, LEGACY_PAGE_SIZE, LEGACY_PATH, MAX_PAGES_PER_WINDOW,
    MAX_WALK_RESTARTS,
)

Page = tuple[pa.Table, list[Rejection]]  # a page's rows and its rejected records
QUOTA_RESERVE = 0  # requests left unspent in each rate-limit window (in-flight ones are already counted)


def describe_error(response: httpx.Response) -> ApiStatusError:
    message = response.reason_phrase or "error"
    try:
        body = orjson.loads(response.content)
        message = body.get("error") or message
        if body.get("details"):
            message += f" ({orjson.dumps(body['details']).decode()})"
    except (orjson.JSONDecodeError, AttributeError):
        pass
    return ApiStatusError(response.status_code, message, wait_seconds=wait_signal(response.headers))


def _number(text: str | None) -> float | None:
    return float(text) if text and text.strip().replace(".", "", 1).isdigit() else None


def wait_signal(headers: httpx.Headers) -> float | None:
    """Seconds Venice asks us to wait: `x-ratelimit-reset-requests` (a Unix time, what billing sends), then
    `X-RateLimit-Reset` (a Unix time, its inference endpoints' per-minute cap), then `Retry-After` (seconds)."""
    for name in ("x-ratelimit-reset-requests", "X-RateLimit-Reset"):
        reset = _number(headers.get(name))
        if reset is not None:
            return max(0.0, reset - time.time())
    return _number(headers.get("Retry-After"))


def quota(response: httpx.Response) -> Quota | None:
    """`x-ratelimit-remaining-requests` and `x-ratelimit-reset-requests` (a Unix time), the window's size from
    `x-ratelimit-limit-requests` when sent."""
    remaining = _number(response.headers.get("x-ratelimit-remaining-requests"))
    reset = _number(response.headers.get("x-ratelimit-reset-requests"))
    if remaining is None or reset is None:
        return None
    limit = _number(response.headers.get("x-ratelimit-limit-requests"))
    return Quota(int(remaining), max(0.0, reset - time.time()), int(limit) if limit else None)


def venice_client(base_url: str, api_key: str, policy: RetryPolicy, max_connections: int = 2) -> ApiClient:
    return ApiClient("Venice", base_url, api_key, policy=policy, describe_error=describe_error,
                     gate=QuotaGate(reserve=QUOTA_RESERVE), read_quota=quota, max_connections=max_connections)


def classify(exc: ApiStatusError, api: str) -> FinopsError:
    if exc.status in (401, 403):
        return CredentialsRejected(
            f"Venice rejected the API key (HTTP {exc.status}: {exc.message}). The billing endpoints need an ADMIN "
            f"key (an inference key gets 401): check SOURCES__VENICE__API_KEY.")
    if exc.status == 410:
        return UsageError(
            f"Venice answered 410 Gone for GET {LEGACY_PATH} (api = {api!r}): Venice removed that endpoint on "
            f"2026-09-16. Set SOURCES__VENICE__API=usage-history (the default) to use its successor.")
    if exc.status == 400:
        return UsageError(f"Venice refused the request (HTTP 400: {exc.message}).")
    return ProviderFailing(f"Venice failed (HTTP {exc.status}: {exc.message}).")


class ChargeKeys:
    """`record_key` = every delivered field + '#' + the ordinal among identical charges.

    Identical charges are two real charges: they always share a timestamp, pages come in ascending
    timestamp order, and a half-open window holds every charge of a timestamp, so counting within a
    timestamp from the window's start gives the same key on every re-read.
    """

    def __init__(self) -> None:
        self._stamp: str | None = None
        self._seen: dict[str, int] = {}

    def add_keys(self, table: pa.Table) -> pa.Table:
        base = key_column(table, KEY_PARTS)
        if len(base) and self._all_first_of_their_kind(base):
            keys = pc.binary_join_element_wise(base, "#0", "")  # the usual page: no two charges alike
            last = base[-1].as_py()
            stamp = last[: last.index("|")]
            if stamp != self._stamp:
                self._stamp, self._seen = stamp, {}
            at_stamp = base.filter(pc.starts_with(base, stamp + "|")).to_pylist()
            self._seen.update(dict.fromkeys(at_stamp, 1))
        else:
            keys = pa.array(self._numbered(base.to_pylist()), pa.string())
        return table.append_column(pa.field("record_key", pa.string(), nullable=False), keys)

    def _all_first_of_their_kind(self, base: pa.Array) -> bool:
        if pc.count_distinct(base).as_py() != len(base):
            return False
        return not self._seen or not pc.any(pc.is_in(base, value_set=pa.array(list(self._seen)))).as_py()

    def _numbered(self, base: list[str]) -> list[str]:
        keys = []
        for key in base:
            stamp = key[: key.index("|")]
            if stamp != self._stamp:
                self._stamp, self._seen = stamp, {}
            n = self._seen.get(key, 0)
            self._seen[key] = n + 1
            keys.append(f"{key}#{n}")
        return keys


def iso(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


class CursorRejected(Exception):
    """A 400 answering a request that carried only a cursor: Venice's spec says restart the walk."""


def _history_pages(client: ApiClient, params: dict[str, str], fmt: str, position: str
                   ) -> Iterator[tuple[pa.Table, list[Rejection], str | None]]:
    """Each page of one cursor walk, parsed inside the retry (a truncated body is fetched again).

    A server that repeats a cursor, or keeps paging past what a window can hold, would keep the run (and the
    lock) for ever: either ends the window with ProviderFailing (exit 4)."""
    headers = {"Accept": "text/csv"} if fmt == "csv" else {"Accept": "application/json"}
    seen: set[str] = set()

    def parse(response: httpx.Response) -> tuple[pa.Table, list[Rejection], str | None]:
        if fmt == "csv":
            return (*parse_csv(response.content, position), response.headers.get("x-next-cursor"))
        table, rejections, others = parse_json(response.content, position)
        return table, rejections, others.get("nextCursor")

    for _page in range(MAX_PAGES_PER_WINDOW):
        try:
            table, rejections, cursor = client.request("GET", HISTORY_PATH, params=params, headers=headers,
                                                       parse=parse)
        except ApiStatusError as exc:
            if exc.status == 400 and set(params) == {"cursor"}:
                raise CursorRejected(exc.message) from None
            raise
        yield table, rejections, cursor
        if not cursor:
            return
        if cursor in seen:
            raise ProviderFailing(f"Venice sent the same nextCursor twice while walking {position}: the walk "
                                  f"would never end. Stopped; the next run reads this window again.")
        seen.add(cursor)
        params = {"cursor": cursor}
    raise ProviderFailing(f"Venice: more than {MAX_PAGES_PER_WINDOW} pages for {position} (more than "
                          f"{MAX_PAGES_PER_WINDOW * HISTORY_PAGE_SIZE} charges): the cursor walk is not "
                          f"ending. Stopped; if the volume is real, lower SOURCES__VENICE__WINDOW_DAYS.")


def walk_history(client: ApiClient, start: datetime, end: datetime, fmt: str) -> Iterator[Page]:
    """Follow nextCursor through [start, end); a rejected cursor (any 400 to a cursor-only request: expired,
    tampered with, issued to another user, whatever the wording) restarts the walk from the window's start,
    at most MAX_WALK_RESTARTS times. Rows read again after a restart carry the same keys and are not yielded
    twice, so every load package holds each key once (the merge can skip its dedup pass). The next page is
    fetched while this one is keyed and handed on."""
    position = f"{iso(start)}..{iso(end)}"
    yielded: list[pa.Array] = []
    rejected = ""
    for attempt in range(MAX_WALK_RESTARTS + 1):
        keys = ChargeKeys()
        params = {"startTimestamp": iso(start), "endTimestamp": iso(end), "pageSize": str(HISTORY_PAGE_SIZE)}
        try:
            for table, rejections, _cursor in prefetched(_history_pages(client, params, fmt, position)):
                keyed = keys.add_keys(table)
                if attempt:  # a restart: drop what the interrupted walk already handed over
                    seen = pa.chunked_array(yielded, pa.string()).combine_chunks()
                    keyed = keyed.filter(pc.invert(pc.is_in(keyed.column("record_key"), value_set=seen)))
                yielded.append(keyed.column("record_key").combine_chunks())
                yield keyed, rejections
            return
        except CursorRejected as exc:
            rejected = str(exc)
    raise ProviderFailing(f"Venice rejected the cursor {MAX_WALK_RESTARTS + 1} times while walking {position} "
                          f"(last answer: HTTP 400 {rejected}); try a smaller SOURCES__VENICE__WINDOW_DAYS.")


def walk_legacy(client: ApiClient, start: datetime, end: datetime, fmt: str) -> list[Page]:
    """Offset paging shifts when charges land mid-walk: re-walk until `total` held still from first page to
    last, so a charge inserted while paging is neither lost nor read twice."""
    position = f"{iso(start)}..{iso(end)}"
    headers = {"Accept": "text/csv"} if fmt == "csv" else {"Accept": "application/json"}
    end_inclusive = iso(end - timedelta(milliseconds=1))  # the legacy endDate is inclusive
    for _attempt in range(MAX_WALK_RESTARTS + 1):
        pages: list[Page] = []
        totals: set[str] = set()
        page = 1
        while True:
            response = client.request("GET", LEGACY_PATH, headers=headers, params={
                "startDate": iso(start), "endDate": end_inclusive, "limit": str(LEGACY_PAGE_SIZE),
                "page": str(page), "sortOrder": "asc"})
            if fmt == "csv":
                table, rejections = parse_csv(response.content, position)
                total_pages = int(response.headers.get("x-pagination-total-pages") or 0)
                totals.add(response.headers.get("x-pagination-total", ""))
            else:
                table, rejections, others = parse_json(response.content, position)
                pagination = others.get("pagination") or {}
                total_pages = int(pagination.get("totalPages") or 0)
                totals.add(str(pagination.get("total")))
            pages.append((table, rejections))
            if table.num_rows == 0 or page >= total_pages:
                break
            page += 1
        if len(totals) == 1:
            keys = ChargeKeys()
            return [(keys.add_keys(table), rejections) for table, rejections in pages]
    raise ProviderFailing(f"Venice: charges kept arriving while paging {position}; the legacy endpoint cannot "
                          f"give a consistent read. Switch SOURCES__VENICE__API to usage-history.")
