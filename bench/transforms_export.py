"""Transforms + Parquet export over N million cost_and_usage-shaped rows generated straight into DuckDB.

The raw Cloudflare table is filled by DuckDB itself (no API, no Python rows), then the real
`finops-etl transform` and `finops-etl export` run over it. Baseline: one DuckDB COPY of the same rows.
Then what cron pays: the last 3 days re-loaded with restated costs (what a merge leaves: same keys, a new
load id), `transform` again (incremental), and `export --since` the last month.
    python bench/transforms_export.py [--rows 10000000]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import duckdb  # noqa: E402

from bench.harness import report, run_cli, workdir  # noqa: E402

GENERATE = """
CREATE SCHEMA IF NOT EXISTS finops;
CREATE OR REPLACE TABLE finops.cloudflare_billable_usage AS
SELECT
  lpad(format('{:x}', (i % 50)), 32, '0') AS billing_account_id,
  'Account ' || (i % 50) AS billing_account_name,
  'Usage' AS charge_category, NULL::VARCHAR AS charge_class, 'synthetic usage' AS charge_description,
  'Usage-Based' AS charge_frequency,
  (TIMESTAMPTZ '2024-01-01 00:00:00+00' + to_days(((i // 1000) % 730)::INT)) AS charge_period_start,
  (TIMESTAMPTZ '2024-01-02 00:00:00+00' + to_days(((i // 1000) % 730)::INT)) AS charge_period_end,
  date_trunc('month', TIMESTAMPTZ '2024-01-01 00:00:00+00' + to_days(((i // 1000) % 730)::INT)) AS billing_period_start,
  date_trunc('month', TIMESTAMPTZ '2024-01-01 00:00:00+00' + to_days(((i // 1000) % 730)::INT)) + INTERVAL 1 MONTH AS billing_period_end,
  ((i * 7919) % 100000)::DECIMAL(38,10) AS consumed_quantity, 'Requests' AS consumed_unit,
  ((i * 7919) % 100000)::DECIMAL(38,10) AS pricing_quantity, 'Requests' AS pricing_unit,
  (((i * 7919) % 100000) * 0.0000005)::DECIMAL(38,10) AS billed_cost,
  (((i * 7919) % 100000) * 0.0000005)::DECIMAL(38,10) AS effective_cost,
  (((i * 7919) % 100000) * 0.0000005)::DECIMAL(38,10) AS list_cost,
  (((i * 7919) % 100000) * 0.0000005)::DECIMAL(38,10) AS contracted_cost,
  0.0000005::DECIMAL(38,10) AS list_unit_price, 0.0000005::DECIMAL(38,10) AS contracted_unit_price,
  'USD' AS billing_currency, 'Cloudflare' AS host_provider_name, 'Cloudflare' AS invoice_issuer_name,
  'Cloudflare' AS service_provider_name, NULL::VARCHAR AS region_id, NULL::VARCHAR AS region_name,
  'sub-' || (i % 50) AS sub_account_id, 'Subscription' AS sub_account_name,
  'metric_' || (i % 40) AS x_billable_metric_id, 'Metric ' || (i % 40) AS x_billable_metric_name,
  (['Workers','R2','KV','D1','Queues'])[1 + (i % 5)::INT] AS x_product_family_name,
  'zone-' || ((i // 40) % 25) AS x_zone_id, 'zone' || ((i // 40) % 25) || '.example' AS x_zone_name,
  'k' || i AS record_key, '1700000000.0' AS _dlt_load_id, 'id' || i AS _dlt_id
FROM range({rows}) t(i);
"""

RELOAD_LAST_DAYS = """
UPDATE finops.cloudflare_billable_usage
SET billed_cost = billed_cost * 1.01, effective_cost = effective_cost * 1.01, _dlt_load_id = '1800000000.0'
WHERE charge_period_start >= (SELECT max(charge_period_start) - INTERVAL 2 DAY FROM finops.cloudflare_billable_usage)
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10_000_000)
    args = parser.parse_args()
    work = workdir()
    with duckdb.connect(str(work / "finops_etl.duckdb")) as con:
        con.execute(GENERATE.replace("{rows}", str(args.rows)))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SOURCES__", "DESTINATION__"))}
    env.update({"DLT_DATA_DIR": str(work / "dlt"), "DESTINATION__DUCKDB__CREDENTIALS": str(work / "finops_etl.duckdb"),
                "RUNTIME__DLTHUB_TELEMETRY": "false"})
    transform_s, peak_mb, _ = run_cli(["transform"], env, work)
    export_s, _, _ = run_cli(["export", "--out", str(work / "export")], env, work)
    with duckdb.connect(str(work / "finops_etl.duckdb")) as con:
        reloaded = con.execute(RELOAD_LAST_DAYS).fetchone()[0]
        last_month = con.execute("SELECT strftime(max(billing_period_start), '%Y-%m') "
                                 "FROM finops.cloudflare_billable_usage").fetchone()[0]
    cron_transform_s, _, _ = run_cli(["transform"], env, work)
    cron_export_s, _, _ = run_cli(["export", "--out", str(work / "export"), "--since", last_month], env, work)
    with duckdb.connect(str(work / "finops_etl.duckdb"), read_only=True) as con:
        rows = con.execute("SELECT count(*) FROM finops.cost_and_usage").fetchone()[0]
        started = time.perf_counter()
        con.execute(f"COPY (SELECT * FROM finops.cloudflare_billable_usage) TO '{work / 'baseline'}' "
                    "(FORMAT parquet, PARTITION_BY (billing_account_id), OVERWRITE_OR_IGNORE)")
        baseline = time.perf_counter() - started
    report("transforms_export", {"cost_and_usage_rows": rows, "transform_seconds": round(transform_s, 2),
                                 "export_seconds": round(export_s, 2), "total_seconds": round(transform_s + export_s, 2),
                                 "peak_rss_mb": round(peak_mb), "baseline_copy_seconds": round(baseline, 2),
                                 "ratio_to_baseline": round((transform_s + export_s) / baseline, 2),
                                 "cron_rows_reloaded": reloaded, "cron_transform_seconds": round(cron_transform_s, 2),
                                 "cron_export_since_last_month_seconds": round(cron_export_s, 2)})


if __name__ == "__main__":
    main()
