"""The end-of-run summary on stdout: one table for people, one JSON line for log shippers."""

from __future__ import annotations

import json

import dlt

from pipelines.runner import RunOutcome

RESULT_WORDS = {0: "done", 1: "failed", 2: "bad usage or configuration", 3: "credentials rejected",
                4: "provider failing", 5: "locked", 6: "partial"}


def summary_rows(outcome: RunOutcome) -> list[dict]:
    return [{
        "source": r.source, "result": r.result, "requests": r.requests, "windows": r.windows,
        "rows_loaded": r.rows_loaded, "rows_from_interrupted_run": r.rows_finished, "rows_rejected": r.rows_rejected,
        "duration_seconds": round(r.duration_seconds, 2), "skipped": r.skipped,
        "not_covered": r.not_covered, "errors": [e.message for e in r.errors],
    } for r in outcome.reports]


def print_summary(outcome: RunOutcome, log_format: str = "text") -> None:
    code = outcome.exit_code
    rows = summary_rows(outcome)
    if log_format == "json":
        print(json.dumps({"event": "run_summary", "command": outcome.command, "exit_code": code,
                          "result": RESULT_WORDS.get(code, "failed"), "sources": rows,
                          "errors": [e.message for e in outcome.errors],
                          "transform_error": outcome.transform_error and outcome.transform_error.message}))
        return
    print(f"\nfinops-etl {outcome.command}: {RESULT_WORDS.get(code, 'failed')} (exit {code})")
    header = f"{'source':<20}{'result':<10}{'requests':>9}{'windows':>9}{'rows loaded':>13}{'rejected':>10}{'seconds':>9}"
    print(header)
    for row in rows:
        print(f"{row['source']:<20}{row['result']:<10}{row['requests']:>9}{row['windows']:>9}"
              f"{row['rows_loaded']:>13,}{row['rows_rejected']:>10}{row['duration_seconds']:>9.1f}")
    for error in outcome.errors:
        print(f"  run: ERROR {error.message}")
    for row in rows:
        if row["rows_from_interrupted_run"]:
            print(f"  {row['source']}: also loaded {row['rows_from_interrupted_run']:,} row(s) an interrupted run "
                  "had extracted")
        if row["skipped"]:
            print(f"  {row['source']}: skipped, {row['skipped']}")
        for _account, why in row["not_covered"].items():
            print(f"  {row['source']}: NOT COVERED {why}")
        for message in row["errors"]:
            print(f"  {row['source']}: ERROR {message}")
        if row["rows_rejected"]:
            print(f"  {row['source']}: {row['rows_rejected']} record(s) quarantined in finops._rejected_records")
    if outcome.transform_error:
        print(f"  transforms: ERROR {outcome.transform_error.message}")


def print_demo_summary(pipeline: dlt.Pipeline) -> None:
    """Rows per table and cost by product family: what a new user wants to see first."""
    with pipeline.sql_client() as client:
        tables = client.execute_sql(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = %s "
            "AND table_name NOT LIKE '\\_dlt%%' ESCAPE '\\' ORDER BY 1", pipeline.dataset_name)
        print("\nrows per table in finops:")
        for (name,) in tables:
            (count,) = client.execute_sql(f"SELECT count(*) FROM {client.make_qualified_table_name(name)}")[0]
            print(f"  {name:<32}{count:>10,}")
        usage = client.make_qualified_table_name("cloudflare_billable_usage")
        try:
            families = client.execute_sql(
                f"SELECT coalesce(x_product_family_name, '(none)'), count(*), sum(billed_cost) FROM {usage} "
                "GROUP BY 1 ORDER BY 3 DESC NULLS LAST")
        except Exception:  # noqa: BLE001 - nothing loaded from Cloudflare
            families = []
        if families:
            print("\nCloudflare billed cost by product family (NULL = not yet priced by Cloudflare):")
            for family, count, cost in families:
                print(f"  {family:<24}{count:>8,} records  {cost if cost is not None else 'NULL':>18} USD")
    print(f"\nopen it: duckdb {pipeline.pipeline_name}.duckdb  (schema {pipeline.dataset_name})")
