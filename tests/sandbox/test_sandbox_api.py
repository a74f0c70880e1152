"""The sandbox speaks the four provider APIs as their docs describe, over real HTTP, and its faults work."""

from __future__ import annotations

import json
import re
import socket
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

from pipelines.sandbox import CLOUDFLARE_TOKEN, VENICE_ADMIN_KEY, VENICE_INFERENCE_KEY, Sandbox

TODAY = date(2026, 11, 20)
OPTIONS = {"seed": 7, "accounts": 3, "metrics": 12, "days": 120, "venice_charges_per_day": 240,
           "venice_days": 30, "today": TODAY}
CF_AUTH = {"Authorization": f"Bearer {CLOUDFLARE_TOKEN}"}
VENICE_AUTH = {"Authorization": f"Bearer {VENICE_ADMIN_KEY}"}
COSTS = ("BilledCost", "EffectiveCost", "ListCost", "ContractedCost", "ListUnitPrice", "ContractedUnitPrice",
         "PricingQuantity", "PricingUnit", "BillingCurrency")
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def sb():
    with Sandbox(**OPTIONS) as sandbox:
        yield sandbox


@pytest.fixture(autouse=True)
def clean(sb):
    """Every test starts from the module sandbox's first state, whatever the previous test changed."""
    yield
    sb.clear_faults()
    sb.clear_requests()
    sb.set_today(TODAY)
    sb.restricted_accounts.clear()
    sb.spending_limit_post_forbidden = False
    sb.venice_legacy_gone = False
    sb.venice_cursor_ttl_seconds = 600


@pytest.fixture
def cf(sb):
    with httpx.Client(base_url=sb.cloudflare_base_url, headers=CF_AUTH, timeout=10) as client:
        yield client


@pytest.fixture
def venice(sb):
    with httpx.Client(base_url=sb.venice_base_url, headers=VENICE_AUTH, timeout=10) as client:
        yield client


def usage(cf, account: str, **params: str) -> httpx.Response:
    return cf.get(f"/accounts/{account}/billable/usage", params=params)


def error_code(response: httpx.Response) -> int:
    body = response.json()
    assert body["success"] is False and body["result"] is None
    return body["errors"][0]["code"]


def utc(year: int, month: int, day: int) -> datetime:
    return datetime(year, month, day, tzinfo=UTC)


def ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def exact(body: bytes) -> object:
    """JSON with every number as the exact Decimal of its digits."""
    return json.loads(body, parse_float=Decimal, parse_int=Decimal)


# --- Cloudflare billable usage --------------------------------------------------------------------
def test_31_days_counted_inclusively_are_served_and_32_are_refused(sb, cf):
    account = sb.account_ids[0]
    ok = usage(cf, account, **{"from": "2026-10-01", "to": "2026-10-31"})
    assert ok.status_code == 200 and ok.json()["success"] is True
    days = {r["ChargePeriodStart"][:10] for r in ok.json()["result"]}
    assert min(days) == "2026-10-01" and max(days) == "2026-10-31" and len(days) == 31
    too_long = usage(cf, account, **{"from": "2026-10-01", "to": "2026-11-01"})
    assert too_long.status_code == 400 and error_code(too_long) == 10001
    assert "31 days" in too_long.json()["errors"][0]["message"]


@pytest.mark.parametrize("params", [{"from": "2026-10-01"}, {"to": "2026-10-01"},
                                    {"from": "2026-10-05", "to": "2026-10-01"},
                                    {"from": "yesterday", "to": "2026-10-01"},
                                    {"from": "2026-10-01T00:00:00Z", "to": "2026-10-02"}])
def test_a_malformed_range_is_a_400(sb, cf, params):
    response = usage(cf, sb.account_ids[0], **params)
    assert response.status_code == 400 and error_code(response) == 10001


def test_no_range_means_the_first_of_this_month_through_today(sb, cf):
    days = {r["ChargePeriodStart"][:10] for r in usage(cf, sb.account_ids[0]).json()["result"]}
    assert min(days) == "2026-11-01" and max(days) == TODAY.isoformat()


@pytest.mark.parametrize("headers", [{"Authorization": "Bearer not-the-token"}, {"Authorization": ""}])
def test_a_bad_or_missing_token_is_403_with_code_10000(sb, headers):
    url = f"{sb.cloudflare_base_url}/accounts/{sb.account_ids[0]}/billable/usage"
    response = httpx.get(url, headers=headers)
    assert response.status_code == 403 and error_code(response) == 10000


def test_a_restricted_or_unknown_account_is_403_with_code_9109_not_10000(sb, cf):
    sb.restricted_accounts.add(sb.account_ids[1])
    for account in (sb.account_ids[1], "0" * 32):
        response = usage(cf, account, **{"from": "2026-10-01", "to": "2026-10-02"})
        assert response.status_code == 403 and error_code(response) == 9109
    assert usage(cf, sb.account_ids[0], **{"from": "2026-10-01", "to": "2026-10-02"}).status_code == 200


def test_records_carry_the_documented_fields_and_unpopulated_costs_are_absent_not_null(sb, cf):
    response = usage(cf, sb.account_ids[0], **{"from": "2026-10-01", "to": "2026-10-31"})
    assert b":null" not in response.content
    records = exact(response.content)["result"]
    priced = [r for r in records if "BilledCost" in r]
    unpriced = [r for r in records if "BilledCost" not in r]
    assert priced and unpriced
    assert all(not any(key in r for key in COSTS) for r in unpriced)
    assert all(all(key in r for key in COSTS) for r in priced)
    for r in records:
        assert (r["ChargeCategory"], r["ChargeFrequency"], r["HostProviderName"]) == ("Usage", "Usage-Based",
                                                                                       "Cloudflare")
        start = date.fromisoformat(r["ChargePeriodStart"][:10])
        assert r["ChargePeriodStart"] == f"{start}T00:00:00Z"
        assert r["ChargePeriodEnd"] == f"{start + timedelta(days=1)}T00:00:00Z"
        assert r["BillingPeriodStart"] == f"{start.replace(day=1)}T00:00:00Z"
        assert -r["ConsumedQuantity"].as_tuple().exponent <= 6
        for key in ("BilledCost", "EffectiveCost", "ListCost", "ContractedCost", "PricingQuantity"):
            if key in r:  # float64 as a float encoder writes it: at most 17 significant digits
                assert len(r[key].normalize().as_tuple().digits) <= 17
    assert any("x_ZoneId" in r for r in records) and any("x_ZoneId" not in r for r in records)
    assert any("RegionId" in r for r in records)
    third = sb.expected_cloudflare_records(sb.account_ids[2], date(2026, 10, 1), date(2026, 10, 1))
    # some accounts have no subscription id (their contract-level records carry the contract's)
    assert all("SubAccountId" not in r for r in third if "BillingAccountId" in r)
    contract = [r for r in third if "BillingAccountId" not in r]
    assert contract and all("x_ZoneId" not in r and "SubAccountId" in r for r in contract)


def test_correction_rows_are_small_credits_beside_a_regular_record(sb, cf):
    october = usage(cf, sb.account_ids[0], **{"from": "2026-10-01", "to": "2026-10-31"})
    records = exact(october.content)["result"]
    corrections = [r for r in records if r.get("ChargeClass") == "Correction"]
    assert corrections
    regular = {(r["x_BillableMetricId"], r["ChargePeriodStart"]) for r in records if "ChargeClass" not in r}
    for c in corrections:
        assert c["BilledCost"] < 0 and (c["x_BillableMetricId"], c["ChargePeriodStart"]) in regular


def test_late_metrics_deliver_a_day_only_two_days_after_it(sb):
    account, day = sb.account_ids[0], TODAY - timedelta(days=1)
    before = {r["x_BillableMetricId"] for r in sb.expected_cloudflare_records(account, day, day)}
    sb.set_today(TODAY + timedelta(days=1))
    after = {r["x_BillableMetricId"] for r in sb.expected_cloudflare_records(account, day, day)}
    assert before < after  # the late metric's record for `day` has arrived
    assert not sb.expected_cloudflare_records(account, TODAY + timedelta(days=2), TODAY + timedelta(days=2))


def test_the_metric_filter_and_restatement(sb, cf):
    account, day = sb.account_ids[0], date(2026, 10, 7)
    metric = next(r for r in sb.expected_cloudflare_records(account, day, day) if "BilledCost" in r)
    only = usage(cf, account, **{"from": str(day), "to": str(day), "metric": metric["x_BillableMetricId"]})
    assert {r["x_BillableMetricId"] for r in only.json()["result"]} == {metric["x_BillableMetricId"]}
    with Sandbox(**OPTIONS) as restating:  # restatements last: not on the shared sandbox
        restating.restate(account, day, Decimal("1.5"))
        again = httpx.get(f"{restating.cloudflare_base_url}/accounts/{account}/billable/usage",
                          params={"from": str(day), "to": str(day), "metric": metric["x_BillableMetricId"]},
                          headers=CF_AUTH)
    before, after = exact(only.content)["result"][0], exact(again.content)["result"][0]
    assert after["ListCost"] == (before["ListCost"] * Decimal("1.5")).quantize(Decimal("1e-10"))
    assert after["ConsumedQuantity"] == before["ConsumedQuantity"]


def test_two_sandboxes_with_one_seed_serve_identical_bytes(sb, cf, venice):
    with Sandbox(**OPTIONS) as twin:
        assert twin.account_ids == sb.account_ids
        account = f"/client/v4/accounts/{sb.account_ids[1]}"
        paths = [(f"{account}/billable/usage", {"from": "2026-09-01", "to": "2026-09-30"}, CF_AUTH),
                 (f"{account}/ai-gateway/billing/usage-history", {"value_grouping_window": "hour"}, CF_AUTH),
                 ("/api/v1/billing/usage", {"limit": "500", "page": "3"}, VENICE_AUTH)]
        for path, params, headers in paths:
            ours = httpx.get(sb.url + path, params=params, headers=headers)
            theirs = httpx.get(twin.url + path, params=params, headers=headers)
            assert ours.status_code == 200 and ours.content == theirs.content


def test_the_expected_helpers_equal_what_is_served(sb, cf, venice):
    account = sb.account_ids[2]
    served = usage(cf, account, **{"from": "2026-11-01", "to": "2026-11-20"}).json()["result"]
    assert served == sb.expected_cloudflare_records(account, date(2026, 11, 1), date(2026, 11, 20))
    lo = ms(utc(2026, 11, 18))
    hi = lo + 5 * 86_400_000
    history = cf.get(f"/accounts/{account}/ai-gateway/billing/usage-history",
                     params={"value_grouping_window": "hour", "start_time": lo, "end_time": hi}).json()
    assert history["result"]["history"] == sb.expected_ai_gateway_buckets(account, "hour", lo, hi)
    walked = walk_history(venice, {"startTimestamp": "2026-11-01T00:00Z", "endTimestamp": "2026-11-03"})
    assert walked == sb.expected_venice_charges(utc(2026, 11, 1), utc(2026, 11, 3))


def test_every_cloudflare_answer_carries_ratelimit_headers_and_the_limit_is_enforced(sb, cf):
    response = usage(cf, sb.account_ids[0], **{"from": "2026-10-01", "to": "2026-10-01"})
    assert re.fullmatch(r'"default";r=\d+;t=\d+', response.headers["Ratelimit"])
    assert response.headers["Ratelimit-Policy"] == '"default";q=1200;w=300'
    with Sandbox(**OPTIONS, cloudflare_rate_limit=3, cloudflare_rate_window=60) as small:
        url = f"{small.cloudflare_base_url}/accounts/{small.account_ids[0]}/billable/usage"
        remaining = [httpx.get(url, headers=CF_AUTH).headers["Ratelimit"] for _ in range(3)]
        assert [r.split(";")[1] for r in remaining] == ["r=2", "r=1", "r=0"]
        refused = httpx.get(url, headers=CF_AUTH)
        assert refused.status_code == 429 and error_code(refused) == 971
        assert 1 <= int(refused.headers["Retry-After"]) <= 60


# --- AI Gateway ---------------------------------------------------------------------------------------
def test_usage_history_buckets_are_aligned_and_a_day_is_the_sum_of_its_hours(sb, cf):
    account = sb.account_ids[0]
    day = ms(utc(2026, 11, 19))
    hours = exact(cf.get(f"/accounts/{account}/ai-gateway/billing/usage-history", params={
        "value_grouping_window": "hour", "start_time": day, "end_time": day + 2 * 86_400_000}).content)
    days = exact(cf.get(f"/accounts/{account}/ai-gateway/billing/usage-history", params={
        "value_grouping_window": "day", "start_time": f"{day}.0", "end_time": day + 2 * 86_400_000}).content)
    hours, days = hours["result"]["history"], days["result"]["history"]
    assert {h["id"] for h in hours} == {"workers-ai", "openai", "anthropic"}
    assert all(h["start_time"] % 3_600_000 == 0 for h in hours)
    assert all(h["end_time"] - h["start_time"] == 3_600_000 for h in hours)
    assert all(-h["aggregated_value"].as_tuple().exponent <= 4 for h in hours)
    # the clock is set: now is 2026-11-20 12:30Z, so today has 13 hour buckets and the last is half full
    assert len(hours) == 3 * (24 + 13) and len(days) == 3 * 2
    for d in days:
        parts = [h["aggregated_value"] for h in hours
                 if h["id"] == d["id"] and d["start_time"] <= h["start_time"] < d["end_time"]]
        assert d["aggregated_value"] == sum(parts)
    refused = cf.get(f"/accounts/{account}/ai-gateway/billing/usage-history",
                     params={"value_grouping_window": "week"})
    assert refused.status_code == 400 and error_code(refused) == 10001


def test_spending_limit_get_post_validation_and_delete(sb, cf):
    path = f"/accounts/{sb.account_ids[1]}/ai-gateway/billing/spending-limit"
    assert cf.get(path).json()["result"] == {"config": {"amount": None, "duration": None, "strategy": None},
                                             "enabled": False}
    for body, field in (({"amount": 99, "duration": "daily", "strategy": "fixed"}, "amount"),
                        ({"amount": 150.5, "duration": "daily", "strategy": "fixed"}, "amount"),
                        ({"amount": 500, "duration": "yearly", "strategy": "fixed"}, "duration"),
                        ({"amount": 500, "duration": "daily", "strategy": "greedy"}, "strategy")):
        refused = cf.post(path, json=body)
        assert refused.status_code == 400 and field in refused.json()["errors"][0]["message"]
    stored = cf.post(path, json={"amount": 25000, "duration": "weekly", "strategy": "sliding"})
    assert stored.status_code == 200 and stored.json()["result"] == {}
    config = {"amount": 25000, "duration": "weekly", "strategy": "sliding"}
    assert cf.get(path).json()["result"] == {"config": config, "enabled": True}
    assert cf.delete(path).json()["result"] == {}
    assert cf.get(path).json()["result"]["enabled"] is False
    sb.spending_limit_post_forbidden = True
    forbidden = cf.post(path, json={"amount": 25000, "duration": "weekly", "strategy": "sliding"})
    assert forbidden.status_code == 403 and error_code(forbidden) == 10405
    assert "deprecated" in forbidden.json()["errors"][0]["message"]


# --- Venice ---------------------------------------------------------------------------------------------
def walk_history(venice, params: dict, accept: str = "application/json") -> list:
    pages = []
    while True:
        response = venice.get("/billing/usage-history", params=params, headers={"Accept": accept})
        assert response.status_code == 200, response.text
        if accept == "text/csv":
            pages.append(response.text)
            cursor = response.headers.get("x-next-cursor")
        else:
            body = response.json()
            pages.extend(body["data"])
            cursor = body["nextCursor"]
        if not cursor:
            return pages
        params = {"cursor": cursor}


def test_an_inference_key_or_no_key_is_401(sb):
    for key in (VENICE_INFERENCE_KEY, "nonsense"):
        response = httpx.get(f"{sb.venice_base_url}/billing/usage-history",
                             headers={"Authorization": f"Bearer {key}"})
        assert response.status_code == 401 and "error" in response.json()


def test_a_cursor_walk_covers_the_window_exactly_once_and_csv_equals_json(sb, venice):
    window = {"startTimestamp": "2026-11-10T00:00Z", "endTimestamp": "2026-11-13T00:00Z", "pageSize": "100"}
    charges = walk_history(venice, window)
    expected = sb.expected_venice_charges(utc(2026, 11, 10), utc(2026, 11, 13))
    assert charges == expected and len(charges) == 3 * 240
    assert [c["timestamp"] for c in charges] == sorted(c["timestamp"] for c in charges)
    pairs = {}
    for c in charges:
        if c["inferenceDetails"]:
            pairs.setdefault(c["inferenceDetails"]["requestId"], []).append(c)
    assert pairs and all(len({c["timestamp"] for c in rows}) == 1 for rows in pairs.values())
    assert any(c["inferenceDetails"] is None for c in charges)
    csv_pages = walk_history(venice, window, accept="text/csv")
    header = "timestamp,sku,pricePerUnitUsd,units,amount,currency,notes,inferenceDetails.requestId," \
             "inferenceDetails.inferenceExecutionTime,inferenceDetails.promptTokens,inferenceDetails.completionTokens"
    lines = [line for page in csv_pages for line in page.splitlines()[1:]]
    assert all(page.splitlines()[0] == header for page in csv_pages)
    as_csv = []
    for c in charges:
        d = c["inferenceDetails"] or {}
        values = (c["timestamp"], c["sku"], c["pricePerUnitUsd"], c["units"], c["amount"], c["currency"],
                  c["notes"], d.get("requestId"), d.get("inferenceExecutionTime"), d.get("promptTokens"),
                  d.get("completionTokens"))
        as_csv.append(",".join("" if v is None else str(v) for v in values))
    assert [parse_csv_line(line) for line in lines] == [parse_csv_line(line) for line in as_csv]


def parse_csv_line(line: str) -> list:
    return [Decimal(v) if re.fullmatch(r"-?\d+(\.\d+)?(e-?\d+)?", v) else v for v in line.split(",")]


@pytest.mark.parametrize("params", [{"cursor": "abc", "pageSize": "100"}, {"pageSize": "9"},
                                    {"pageSize": "1001"}, {"startTimestamp": "soon"}, {"currency": "EUR"},
                                    {"cursor": "garbage"}])
def test_bad_usage_history_requests_are_400_with_error_and_details(venice, params):
    response = venice.get("/billing/usage-history", params=params)
    assert response.status_code == 400 and {"error", "details"} <= set(response.json())


def test_an_old_cursor_or_the_expire_cursor_fault_answers_cursor_expired(sb, venice):
    first = venice.get("/billing/usage-history", params={"pageSize": "10"}).json()
    sb.add_fault(r"/usage-history$", "expire_cursor")
    expired = venice.get("/billing/usage-history", params={"cursor": first["nextCursor"]})
    assert expired.status_code == 400 and expired.json()["error"] == "Cursor expired"
    assert venice.get("/billing/usage-history", params={"cursor": first["nextCursor"]}).status_code == 200
    sb.venice_cursor_ttl_seconds = 0
    time.sleep(0.01)
    assert venice.get("/billing/usage-history", params={"cursor": first["nextCursor"]}).status_code == 400


def test_legacy_usage_pages_by_offset_with_totals_and_goes_410_when_retired(sb, venice):
    params = {"startDate": "2026-11-10", "endDate": "2026-11-11", "limit": "200", "sortOrder": "asc"}
    first = venice.get("/billing/usage", params=params)
    body = first.json()
    assert body["pagination"] == {"limit": 200, "page": 1, "total": 480, "totalPages": 3}
    assert first.headers["x-pagination-total"] == "480" and first.headers["x-pagination-total-pages"] == "3"
    pages = body["data"]
    for page in ("2", "3"):
        pages += venice.get("/billing/usage", params={**params, "page": page}).json()["data"]
    assert pages == sb.expected_venice_charges(utc(2026, 11, 10), utc(2026, 11, 12))
    newest_first = venice.get("/billing/usage", params={"limit": "5"}).json()["data"]
    stamps = [c["timestamp"] for c in newest_first]
    assert stamps == sorted(stamps, reverse=True)
    sb.venice_legacy_gone = True
    gone = venice.get("/billing/usage", params=params)
    assert gone.status_code == 410 and "usage-history" in gone.json()["error"]


def test_insert_midwalk_shifts_the_later_offset_pages_by_one():
    day = (utc(2026, 11, 1), utc(2026, 11, 2))
    params = {"startDate": "2026-11-01", "endDate": "2026-11-01", "limit": "50", "sortOrder": "asc"}
    with Sandbox(**OPTIONS) as inserting:  # the inserted charge stays: not on the shared sandbox
        before = inserting.expected_venice_charges(*day)
        inserting.add_fault(r"/billing/usage$", "insert_midwalk")
        with httpx.Client(base_url=inserting.venice_base_url, headers=VENICE_AUTH) as venice:
            page1 = venice.get("/billing/usage", params=params).json()
            page2 = venice.get("/billing/usage", params={**params, "page": "2"}).json()
        after = inserting.expected_venice_charges(*day)
    assert page2["pagination"]["total"] == page1["pagination"]["total"] + 1
    assert page2["data"][0] == page1["data"][-1]  # the offset walk reads a row twice
    assert len(after) == len(before) + 1
    assert [c for c in after if c["sku"] == "late-adjustment"]


def test_the_legacy_endpoint_calls_diem_charges_from_before_june_2026_vcu(venice):
    with Sandbox(**{**OPTIONS, "today": date(2026, 6, 1), "venice_days": 2}) as old:
        legacy = httpx.get(f"{old.venice_base_url}/billing/usage", params={"currency": "VCU", "limit": "500"},
                           headers=VENICE_AUTH).json()["data"]
        history = httpx.get(f"{old.venice_base_url}/billing/usage-history", params={"currency": "DIEM"},
                            headers=VENICE_AUTH).json()["data"]
    assert {c["currency"] for c in legacy} == {"VCU", "DIEM"}
    assert {c["currency"] for c in history} == {"DIEM"} and len(history) == len(legacy)


def test_raw_records_are_served_verbatim_for_quarantine_tests(venice, cf):
    broken = {"BillingAccountName": "no id", "ChargePeriodStart": "yesterday", "ConsumedQuantity": "lots"}
    charge = {"timestamp": "2026-11-02T10:00:00.000Z", "sku": None, "pricePerUnitUsd": 1, "units": "many",
              "amount": -1, "currency": "USD", "notes": "broken", "inferenceDetails": None}
    with Sandbox(**OPTIONS) as raw:
        raw.add_raw_cloudflare_record(raw.account_ids[0], date(2026, 11, 2), broken)
        raw.add_raw_venice_charge(utc(2026, 11, 2) + timedelta(hours=10), charge)
        url = f"{raw.cloudflare_base_url}/accounts/{raw.account_ids[0]}/billable/usage"
        records = httpx.get(url, params={"from": "2026-11-02", "to": "2026-11-02"}, headers=CF_AUTH).json()
        assert records["result"][-1] == broken
        hour = {"startTimestamp": "2026-11-02T10:00Z", "endTimestamp": "2026-11-02T11:00Z"}
        served = httpx.get(f"{raw.venice_base_url}/billing/usage-history", headers=VENICE_AUTH, params=hour)
        assert charge in served.json()["data"]
        assert charge in raw.expected_venice_charges(utc(2026, 11, 2), utc(2026, 11, 3))


# --- faults, control surface, request log ------------------------------------------------------------
def test_status_and_rate_limit_faults_use_each_apis_own_shapes(sb, cf, venice):
    sb.add_fault(r"/billable/usage$", "status", times=2, status=503)
    sb.add_fault(r"/usage-history$", "rate_limit", retry_after=2)
    account = sb.account_ids[0]
    statuses = [usage(cf, account).status_code for _ in range(3)]
    assert statuses == [503, 503, 200]
    limited = venice.get("/billing/usage-history")
    assert limited.status_code == 429 and "error" in limited.json()
    assert 1 <= int(limited.headers["x-ratelimit-reset-requests"]) - time.time() <= 3
    sb.add_fault(r"/billable/usage$", "rate_limit", retry_after=3)
    limited = usage(cf, account)
    assert limited.status_code == 429 and limited.headers["Retry-After"] == "3" and error_code(limited) == 971
    sb.add_fault(r"/api/v1/", "status", status=500)
    assert venice.get("/billing/usage").json() == {"error": "Internal Server Error"}


def test_delay_reset_and_truncate_faults(sb, cf):
    account = sb.account_ids[0]
    sb.add_fault(r"/billable/usage$", "delay", seconds=0.3)
    started = time.monotonic()
    assert usage(cf, account).status_code == 200 and time.monotonic() - started >= 0.3
    sb.add_fault(r"/billable/usage$", "reset")
    with pytest.raises(httpx.TransportError):
        usage(cf, account)
    sb.add_fault(r"/billable/usage$", "truncate")
    cut = usage(cf, account)
    assert cut.status_code == 200 and len(cut.content) == int(cut.headers["Content-Length"])
    with pytest.raises(json.JSONDecodeError):
        cut.json()
    assert usage(cf, account).json()["success"] is True  # each fault was used once


def test_the_control_surface_and_a_log_without_tokens(sb):
    control = httpx.Client(base_url=sb.url, timeout=10)
    assert control.post("/_sandbox/faults", json={"path_regex": "/billable/usage$", "kind": "status",
                                                   "status": 502}).status_code == 200
    assert control.post("/_sandbox/today", json={"today": "2026-11-22"}).json()["today"] == "2026-11-22"
    assert sb.today == date(2026, 11, 22)
    response = httpx.get(f"{sb.cloudflare_base_url}/accounts/{sb.account_ids[0]}/billable/usage",
                         params={"from": "2026-11-01", "to": "2026-11-02"},
                         headers=CF_AUTH)
    assert response.status_code == 502
    log = control.get("/_sandbox/requests").json()
    assert {"method": "GET", "path": f"/client/v4/accounts/{sb.account_ids[0]}/billable/usage",
            "query": {"from": "2026-11-01", "to": "2026-11-02"}, "status": 502,
            "api": "cloudflare_billing"} in log
    assert CLOUDFLARE_TOKEN not in json.dumps(log) and CLOUDFLARE_TOKEN not in repr(sb.requests)
    assert control.post("/_sandbox/reset").status_code == 200
    assert [r["api"] for r in sb.requests] == ["control"]


def test_python_m_pipelines_sandbox_serves_and_prints_how_to_point_finops_etl_at_it():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    command = [sys.executable, "-m", "pipelines.sandbox", "--port", str(port), "--accounts", "2",
               "--today", "2026-11-20"]
    proc = subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        for name in ("SOURCES__CLOUDFLARE__BASE_URL", "SOURCES__CLOUDFLARE__API_TOKEN",
                     "SOURCES__CLOUDFLARE__ACCOUNT_IDS", "SOURCES__VENICE__BASE_URL",
                     "SOURCES__VENICE__API_KEY"):
            assert name in line
        accounts = json.loads(re.search(r"ACCOUNT_IDS='(\[.*?\])'", line).group(1))
        response = httpx.get(f"http://127.0.0.1:{port}/client/v4/accounts/{accounts[1]}/billable/usage",
                             headers=CF_AUTH)
        assert response.status_code == 200 and response.json()["result"]
    finally:
        proc.terminate()
        proc.wait(timeout=10)
