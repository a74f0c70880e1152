"""Parquet export: FOCUS names, hive partitions by billing month, round trip, idempotence, conformance."""

from __future__ import annotations

import json
import re
from pathlib import Path

import duckdb
import pytest

from conftest import point_at, query
from pipelines.conformance import count_failures

UNIT_MAPPING = Path(__file__).parents[2] / "transforms" / "seeds" / "focus_unit_mapping.csv"

MANDATORY_1_3 = ["BilledCost", "EffectiveCost", "ListCost", "ContractedCost", "BillingCurrency",
                 "ChargePeriodStart", "ChargePeriodEnd", "BillingPeriodStart", "BillingPeriodEnd", "ChargeCategory",
                 "ChargeFrequency", "ChargeDescription", "ServiceProviderName", "HostProviderName",
                 "InvoiceIssuerName", "BillingAccountId", "BillingAccountName", "ServiceName", "ServiceCategory",
                 "PricingCategory"]
SERVICE_CATEGORIES = ["AI and Machine Learning", "Analytics", "Business Applications", "Compute", "Databases",
                      "Developer Tools", "Multicloud", "Identity", "Integration", "Internet of Things",
                      "Management and Governance", "Media", "Migration", "Mobile", "Networking", "Security",
                      "Storage", "Web", "Other"]


@pytest.fixture(params=["auto", "arrow"])
def exported(request, sandbox, cli, workdir, monkeypatch) -> Path:
    """Both export paths on DuckDB: its COPY (auto picks it here) and the general sql_client/Arrow path."""
    point_at(monkeypatch, sandbox, FINOPS__EXPORT_ENGINE=request.param)
    assert cli("backfill", "--start", "2026-09-20", "--end", "2026-10-05").code == 0
    out = workdir / "export"
    result = cli("export", "--out", str(out))
    assert result.code == 0, result.output
    return out


def _snake(focus_name: str) -> str:
    """BilledCost -> billed_cost, x_BillableMetricId -> x_billable_metric_id (export_schema.focus_name reversed)."""
    return re.sub(r"(?<!^)(?<!_)([A-Z])", r"_\1", focus_name).lower()


def read(out: Path, sql: str) -> list[tuple]:
    glob = f"read_parquet('{out}/cost_and_usage/*/*.parquet', hive_partitioning = true)"
    return duckdb.sql(sql.replace("EXPORT", glob)).fetchall()


def test_export_round_trips_rows_and_totals_by_billing_month(exported, workdir):
    assert read(exported, "SELECT count(*), sum(BilledCost) FROM EXPORT") == \
        query(workdir, "SELECT count(*), sum(billed_cost) FROM finops.cost_and_usage")
    months = sorted(p.name for p in (exported / "cost_and_usage").iterdir())
    assert months == ["billing_month=2026-09", "billing_month=2026-10"]
    sidecar = json.loads((exported / "_focus_export.json").read_text())
    assert sidecar["focus_version"] == "1.3" and sidecar["run_id"]
    for part in sidecar["partitions"]:
        rows, billed = read(exported, f"SELECT count(*), sum(BilledCost)::VARCHAR FROM EXPORT "
                                      f"WHERE billing_month = '{part['billing_month']}'")[0]
        assert (rows, billed) == (part["rows"], part["billed_cost"])
    for rollup in ("daily_costs", "monthly_costs", "ai_token_costs", "month_to_date_forecast", "spend_vs_limit"):
        assert (exported / f"{rollup}.parquet").exists()


def test_re_export_is_idempotent_and_leaves_no_temporary_files(exported, cli):
    before = read(exported, "SELECT * FROM EXPORT ORDER BY ALL")
    assert cli("export", "--out", str(exported)).code == 0
    assert read(exported, "SELECT * FROM EXPORT ORDER BY ALL") == before
    assert not [p for p in exported.rglob("*") if p.name.startswith(".")]
    assert all(len(list(d.iterdir())) == 1 for d in (exported / "cost_and_usage").iterdir())


def test_since_limits_the_months_and_a_bad_month_exits_2(exported, cli, tmp_path):
    assert cli("export", "--out", str(tmp_path / "late"), "--since", "2026-10").code == 0
    assert [p.name for p in (tmp_path / "late" / "cost_and_usage").iterdir()] == ["billing_month=2026-10"]
    bad = cli("export", "--out", str(tmp_path / "x"), "--since", "October")
    assert bad.code == 2 and "--since" in bad.stderr


def test_export_conforms_to_focus_1_3_row_by_row(exported):
    columns = [name for name, *_ in read(exported, "DESCRIBE SELECT * FROM EXPORT")]
    assert set(MANDATORY_1_3) <= set(columns)
    focus, extensions = columns[: columns.index("x_Source")], columns[columns.index("x_Source"):]
    assert all(not c.startswith("x_") for c in focus) and all(c.startswith("x_") or c == "billing_month"
                                                              for c in extensions)
    nulls = read(exported, "SELECT " + ", ".join(f"count(*) FILTER ({c} IS NULL)" for c in MANDATORY_1_3)
                 + " FROM EXPORT")[0]
    assert dict(zip(MANDATORY_1_3, nulls, strict=False)) == dict.fromkeys(MANDATORY_1_3, 0)
    bad = read(exported, f"""SELECT count(*) FROM EXPORT WHERE
        ChargeCategory NOT IN ('Usage', 'Purchase', 'Tax', 'Credit', 'Adjustment')
        OR (ChargeClass IS NOT NULL AND ChargeClass <> 'Correction')
        OR ChargeFrequency NOT IN ('One-Time', 'Recurring', 'Usage-Based')
        OR ServiceCategory NOT IN ({", ".join(f"'{c}'" for c in SERVICE_CATEGORIES)})
        OR PricingCategory NOT IN ('Standard', 'Dynamic', 'Committed', 'Other')
        OR NOT regexp_full_match(BillingCurrency, '[A-Z]{{3}}')
        OR ChargePeriodEnd <= ChargePeriodStart OR BillingPeriodEnd <= BillingPeriodStart""")[0][0]
    assert bad == 0
    types = dict((name, kind) for name, kind, *_ in read(exported, "DESCRIBE SELECT * FROM EXPORT"))
    assert all(types[c] == "DECIMAL(38,10)" for c in ("BilledCost", "EffectiveCost", "ListCost", "ContractedCost"))
    assert types["ChargePeriodStart"] == "TIMESTAMP WITH TIME ZONE"
    assert types["x_PromptTokens"] == types["x_CompletionTokens"] == "BIGINT"
    # and every check `finops-etl validate` makes, on the export's rows (FOCUS names back to snake_case)
    snake = ", ".join(f'"{c}" AS {_snake(c)}' for c in columns if c != "billing_month")
    con = duckdb.connect()
    con.execute(f"CREATE VIEW export AS SELECT {snake} FROM read_parquet('{exported}/cost_and_usage/*/*.parquet')")
    con.execute(f"CREATE VIEW units AS SELECT * FROM read_csv('{UNIT_MAPPING}', header = true)")
    counts = count_failures(lambda sql: con.execute(sql).fetchall(), "export", "1.3", "units")
    assert counts.pop("rows") > 0 and {name: n for name, n in counts.items() if n} == {}
    assert read(exported, "SELECT count(*) FROM EXPORT WHERE ChargeCategory = 'Purchase'")[0][0] > 0  # a top-up


def test_token_counts_are_integers_and_both_paths_write_the_same_rows(exported, workdir, cli, tmp_path, monkeypatch):
    tokens = duckdb.sql(f"DESCRIBE SELECT tokens_in, tokens_out FROM '{exported}/ai_token_costs.parquet'").fetchall()
    assert [kind for _, kind, *_ in tokens] == ["BIGINT", "BIGINT"]
    assert read(exported, "SELECT sum(x_PromptTokens) FROM EXPORT") == \
        query(workdir, "SELECT sum(x_prompt_tokens) FROM finops.cost_and_usage")
    other = "arrow" if json.loads((exported / "_focus_export.json").read_text())["engine"] == "duckdb" else "auto"
    monkeypatch.setenv("FINOPS__EXPORT_ENGINE", other)
    assert cli("export", "--out", str(tmp_path / "other")).code == 0
    assert read(tmp_path / "other", "SELECT * FROM EXPORT ORDER BY ALL") == read(exported, "SELECT * FROM EXPORT ORDER BY ALL")
    for rollup in ("daily_costs", "ai_token_costs", "spend_vs_limit"):
        one, two = (duckdb.sql(f"SELECT * FROM '{d}/{rollup}.parquet' ORDER BY ALL").fetchall()
                    for d in (exported, tmp_path / "other"))
        assert one == two, rollup


def test_focus_1_2_export_has_provider_and_publisher_and_no_1_3_columns(exported, cli, tmp_path):
    out = tmp_path / "v12"
    assert cli("export", "--out", str(out), "--focus-version", "1.2").code == 0
    columns = [name for name, *_ in read(out, "DESCRIBE SELECT * FROM EXPORT")]
    assert {"ProviderName", "PublisherName"} <= set(columns)
    assert not {"ServiceProviderName", "HostProviderName"} & set(columns)
    assert read(out, "SELECT count(*) FROM EXPORT WHERE ProviderName IS NULL")[0][0] == 0
