"""Bad records go to _rejected_records with the reason; the rest loads; the exit status says so."""

from __future__ import annotations

import json
from datetime import date

from conftest import point_at, query


def add_bad_records(sb) -> None:
    account = sb.account_ids[0]
    good = sb.expected_cloudflare_records(account, date(2026, 10, 2), date(2026, 10, 2))[0]
    no_period = {k: v for k, v in good.items() if k != "ChargePeriodStart"}
    no_period["x_BillableMetricId"] = "missing_period_metric"
    wrong_type = dict(good, x_BillableMetricId="wrong_type_metric", BilledCost="twelve dollars")
    bad_date = dict(good, x_BillableMetricId="bad_date_metric", ChargePeriodStart="the second of October")
    for record in (no_period, wrong_type, bad_date):
        sb.add_raw_cloudflare_record(account, date(2026, 10, 2), record)


def test_bad_records_are_quarantined_with_a_reason_and_the_rest_loads(sandbox, cli, workdir, monkeypatch):
    point_at(monkeypatch, sandbox, venice=False)
    add_bad_records(sandbox)
    result = cli("backfill", "--start", "2026-10-01", "--end", "2026-10-03", "--sources", "cloudflare_billing",
                 "--log-format", "json")
    assert result.code == 0, result.output
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert summary["sources"][0]["rows_rejected"] == 3
    rejected = query(workdir, "SELECT source, payload, reason, load_id FROM finops._rejected_records ORDER BY reason")
    assert len(rejected) == 3 and all(r[0] == "cloudflare_billing" and r[3] for r in rejected)
    reasons = " | ".join(r[2] for r in rejected)
    assert "missing key field" in reasons and "unreadable record" in reasons
    assert any("twelve dollars" in r[1] for r in rejected)
    expected = sum(len(sandbox.expected_cloudflare_records(a, date(2026, 10, 1), date(2026, 10, 3)))
                   for a in sandbox.account_ids)
    (loaded,) = query(workdir, "SELECT count(*) FROM finops.cloudflare_billable_usage")[0]
    assert loaded == expected - 3  # expected_cloudflare_records lists the raw bad ones too
    assert not query(workdir, "SELECT 1 FROM finops.cloudflare_billable_usage WHERE x_billable_metric_id IN "
                              "('missing_period_metric', 'wrong_type_metric', 'bad_date_metric')")


def test_the_fail_policy_turns_rejected_records_into_exit_1(sandbox, cli, workdir, monkeypatch):
    point_at(monkeypatch, sandbox, venice=False, FINOPS__ON_REJECTED_RECORDS="fail")
    add_bad_records(sandbox)
    result = cli("backfill", "--start", "2026-10-01", "--end", "2026-10-03", "--sources", "cloudflare_billing")
    assert result.code == 1
    assert "3 record(s) quarantined in finops._rejected_records" in result.stdout
