"""Venice as its swagger allows: float64 numbers, any wording for a rejected cursor, CSV header styles, and a
server that repeats itself."""

from __future__ import annotations

import json
import time
from datetime import datetime, timezone
from decimal import ROUND_HALF_EVEN, Decimal

import httpx
import orjson
import pytest

from conftest import point_at, query
from sources.venice.helpers import wait_signal

LO, HI = datetime(2026, 10, 1, tzinfo=timezone.utc), datetime(2026, 10, 4, tzinfo=timezone.utc)
HISTORY = r"/usage-history$"


def served_amounts(sb) -> tuple[int, Decimal]:
    charges = sb.expected_venice_charges(LO, HI)
    exact = [Decimal(json.dumps(c["amount"])) for c in charges]  # orjson's float repr is the served text
    return len(charges), sum(a.quantize(Decimal("1e-10"), rounding=ROUND_HALF_EVEN) for a in exact)


def backfill(cli):
    return cli("backfill", "--start", "2026-10-01", "--end", "2026-10-03", "--sources", "venice", "--log-format", "json")


def summary(result) -> dict:
    return json.loads(result.stdout.strip().splitlines()[-1])["sources"][0]


@pytest.mark.parametrize("fmt", ["json", "csv"])
def test_float64_prices_and_amounts_load_exactly_with_nothing_quarantined(sandbox, cli, workdir, monkeypatch, fmt):
    point_at(monkeypatch, sandbox, cloudflare=False, SOURCES__VENICE__FORMAT=fmt)
    result = backfill(cli)
    assert result.code == 0, result.output
    assert summary(result)["rows_rejected"] == 0
    charges = sandbox.expected_venice_charges(LO, HI)
    assert any("e-" in json.dumps(c["pricePerUnitUsd"]) for c in charges)  # 7e-7, as float encoders write it
    assert query(workdir, "SELECT count(*), sum(amount) FROM finops.venice_billing_usage")[0] == served_amounts(sandbox)


@pytest.mark.parametrize("wording", ["Invalid cursor", "cursor signature mismatch", "Bad Request"])
def test_a_cursor_rejected_with_any_wording_restarts_the_walk(sandbox, cli, workdir, monkeypatch, wording):
    point_at(monkeypatch, sandbox, cloudflare=False)
    sandbox.add_fault(HISTORY, "expire_cursor", times=2, message=wording)
    result = backfill(cli)
    assert result.code == 0, result.output
    assert query(workdir, "SELECT count(*), sum(amount) FROM finops.venice_billing_usage")[0] == served_amounts(sandbox)
    assert sum(r["status"] == 400 for r in sandbox.requests) == 2


def test_a_cursor_rejected_on_every_restart_exits_4_with_a_message(sandbox, cli, workdir, monkeypatch):
    point_at(monkeypatch, sandbox, cloudflare=False)
    sandbox.add_fault(HISTORY, "expire_cursor", times=100, message="no")
    result = backfill(cli)
    assert result.code == 4, result.output
    assert "rejected the cursor 4 times" in result.output


def test_a_server_that_repeats_its_next_cursor_ends_the_window_with_exit_4(sandbox, cli, workdir, monkeypatch):
    point_at(monkeypatch, sandbox, cloudflare=False)
    sandbox.add_fault(HISTORY, "repeat_cursor", times=50)
    started = time.monotonic()
    result = backfill(cli)
    assert result.code == 4, result.output
    assert "same nextCursor twice" in result.output
    assert time.monotonic() - started < 60


@pytest.mark.parametrize("style", ["flat", "dotted"])
def test_csv_headers_in_either_style_give_the_same_table(sandbox, cli, workdir, monkeypatch, style):
    names = ("timestamp", "sku", "pricePerUnitUsd", "units", "amount", "currency", "notes")
    details = ("requestId", "inferenceExecutionTime", "promptTokens", "completionTokens")
    prefix = "inferenceDetails." if style == "dotted" else ""
    sandbox.venice_csv_header = names + tuple(prefix + d for d in details)
    point_at(monkeypatch, sandbox, cloudflare=False, SOURCES__VENICE__FORMAT="csv")
    assert backfill(cli).code == 0
    (with_details,) = query(workdir, "SELECT count(*) FROM finops.venice_billing_usage WHERE request_id IS NOT NULL "
                                     "AND prompt_tokens IS NOT NULL")[0]
    assert with_details > 0
    assert query(workdir, "SELECT count(*), sum(amount) FROM finops.venice_billing_usage")[0] == served_amounts(sandbox)


def test_a_csv_page_that_cannot_be_mapped_is_quarantined_not_a_traceback(sandbox, cli, workdir, monkeypatch):
    sandbox.venice_csv_header = ("time", "product", "price", "qty", "total", "cur", "notes", "id", "ms", "in", "out")
    point_at(monkeypatch, sandbox, cloudflare=False, SOURCES__VENICE__FORMAT="csv")
    result = backfill(cli)
    assert result.code == 0, result.output
    assert summary(result)["rows_rejected"] == 1
    (reason,) = query(workdir, "SELECT reason FROM finops._rejected_records")[0]
    assert "timestamp" in reason and "KeyError" not in result.output
    assert sum(r["api"] == "venice" for r in sandbox.requests) == 1  # not retried: the same page again


def test_one_out_of_range_amount_quarantines_only_its_charge(sandbox, cli, workdir, monkeypatch):
    point_at(monkeypatch, sandbox, cloudflare=False)
    count, _ = served_amounts(sandbox)
    record = dict(sandbox.expected_venice_charges(LO, HI)[5], amount=orjson.Fragment(b"1e400"), sku="huge")
    sandbox.add_raw_venice_charge(datetime(2026, 10, 2, 3, tzinfo=timezone.utc), record)
    result = backfill(cli)
    assert result.code == 0, result.output
    assert summary(result)["rows_rejected"] == 1
    assert query(workdir, "SELECT count(*) FROM finops.venice_billing_usage")[0][0] == count


def test_wait_signals_in_venice_order():
    soon = str(int(time.time()) + 30)
    assert 25 < wait_signal(httpx.Headers({"x-ratelimit-reset-requests": soon, "Retry-After": "2"})) <= 30
    assert 25 < wait_signal(httpx.Headers({"X-RateLimit-Reset": soon, "Retry-After": "2"})) <= 30
    assert wait_signal(httpx.Headers({"Retry-After": "2"})) == 2.0
    assert wait_signal(httpx.Headers({})) is None
