"""The official `cloudflare` SDK (5.9.0, generated from Cloudflare's OpenAPI spec) as a client of the sandbox.

Every Cloudflare endpoint we serve must parse into the SDK's own response models with every required field,
and the requests our sources send must be the ones the SDK sends for the same call (the sandbox logs method,
path and query of each request).
"""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest
from pydantic import TypeAdapter

from conftest import CLOUDFLARE_TOKEN, point_at

cloudflare = pytest.importorskip("cloudflare", reason="the SDK contract test needs the test extra")
from cloudflare.types.ai_gateway.billing.spending_limit_get_response import SpendingLimitGetResponse  # noqa: E402
from cloudflare.types.ai_gateway.billing_usage_history_response import BillingUsageHistoryResponse  # noqa: E402
from cloudflare.types.billing.usage_get_account_usage_v2_response import (  # noqa: E402
    UsageGetAccountUsageV2ResponseItem,
)

LO = int(datetime(2026, 10, 1, tzinfo=timezone.utc).timestamp() * 1000)
HI = int(datetime(2026, 10, 8, tzinfo=timezone.utc).timestamp() * 1000)


@pytest.fixture
def sdk(sandbox):
    client = cloudflare.Cloudflare(api_token=CLOUDFLARE_TOKEN, base_url=sandbox.cloudflare_base_url, max_retries=0)
    yield client
    client.close()


def logged(sb, api: str) -> list[tuple[str, str, dict]]:
    return [(r["method"], r["path"], r["query"]) for r in sb.requests if r["api"] == api]


def test_billable_usage_parses_into_the_sdk_model_with_every_required_field(sandbox, sdk):
    sandbox.set_today(date(2026, 11, 21))  # past the rename: both spellings of the metric are served over time
    for account in sandbox.account_ids:
        raw = sdk.billing.usage.with_raw_response.get_account_usage_v2(
            account_id=account, from_=date(2026, 10, 1), to=date(2026, 10, 31))
        records = raw.http_response.json()["result"]
        strict = TypeAdapter(list[UsageGetAccountUsageV2ResponseItem]).validate_python(records)
        assert len(strict) == len(raw.parse()) == len(records) > 0
        assert any(r.billing_account_id is None for r in strict)  # contract level: no account, as documented
        assert any(r.billed_cost is not None for r in strict)


def test_ai_gateway_history_and_spending_limit_parse_into_the_sdk_models(sandbox, sdk):
    sandbox.gateway_max_buckets = 50
    for account in sandbox.account_ids:
        raw = sdk.ai_gateway.billing.with_raw_response.usage_history(
            account_id=account, value_grouping_window="hour", start_time=LO, end_time=HI)
        history = BillingUsageHistoryResponse.model_validate(raw.http_response.json()["result"])
        assert len(history.history) == 50 and raw.http_response.json()["result_info"]["has_more"] is True
        limit = sdk.ai_gateway.billing.spending_limit.with_raw_response.get(account_id=account)
        SpendingLimitGetResponse.model_validate(limit.http_response.json()["result"])


def test_our_billable_usage_request_is_the_one_the_sdk_sends(sandbox, sdk, cli, workdir, monkeypatch):
    account = sandbox.account_ids[0]
    sdk.billing.usage.get_account_usage_v2(account_id=account, from_=date(2026, 10, 1), to=date(2026, 10, 31))
    theirs = logged(sandbox, "cloudflare_billing")
    sandbox.clear_requests()
    point_at(monkeypatch, sandbox, venice=False, SOURCES__CLOUDFLARE__METRIC="r2_storage_standard",
             SOURCES__CLOUDFLARE__ACCOUNT_IDS=f'["{account}"]')
    assert cli("backfill", "--start", "2026-10-01", "--end", "2026-10-31", "--sources", "cloudflare_billing").code == 0
    assert logged(sandbox, "cloudflare_billing") == theirs


def test_our_ai_gateway_requests_are_the_ones_the_sdk_sends(sandbox, sdk, cli, workdir, monkeypatch):
    account = sandbox.account_ids[0]
    point_at(monkeypatch, sandbox, venice=False, SOURCES__CLOUDFLARE__ACCOUNT_IDS=f'["{account}"]')
    assert cli("backfill", "--start", "2026-10-01", "--end", "2026-10-07", "--sources", "ai_gateway").code == 0
    ours = logged(sandbox, "ai_gateway") + logged(sandbox, "spending_limit")
    sandbox.clear_requests()
    for _method, _path, q in [r for r in ours if r[2]]:
        sdk.ai_gateway.billing.usage_history(account_id=account, value_grouping_window=q["value_grouping_window"],
                                             start_time=int(q["start_time"]), end_time=int(q["end_time"]))
    sdk.ai_gateway.billing.spending_limit.get(account_id=account)
    assert logged(sandbox, "ai_gateway") + logged(sandbox, "spending_limit") == ours
