"""The same sandbox data through the real CLI into DuckDB and into PostgreSQL: the FOCUS table and every
rollup come out the same, row for row, to the cent."""

from __future__ import annotations

import json
import sys
from datetime import date, datetime, timezone
from decimal import Decimal
from pathlib import Path

import duckdb
import psycopg2
import pytest

from conftest import point_at

sys.path.insert(0, str(Path(__file__).parent.parent / "focus_files"))
from focus_samples import generate, read_strings, touch, write_csv  # noqa: E402 - the third-party FOCUS samples
from pipelines.runner import make_pipeline
from pipelines.transform import check_models

CENT = Decimal("0.01")
TABLES = ["cost_and_usage", "cost_and_usage_v1_3", "cost_and_usage_v1_2", "daily_costs", "monthly_costs",
          "ai_token_costs", "cost_anomalies", "month_to_date_forecast", "spend_vs_limit", "cost_restatements"]
# Different by nature between two warehouses: which dlt load brought a row, and when a restatement was seen.
NOT_COMPARED = {"x_load_id", "old_load_id", "new_load_id", "detected_at"}


def _normal(value):
    if isinstance(value, str) and value.startswith("{"):
        try:  # JSON text (SkuPriceDetails): each engine spells it its own way; compare what it says
            return json.dumps(json.loads(value), sort_keys=True)
        except ValueError:
            return value
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, (int, float, Decimal)):
        return Decimal(str(value)).quantize(CENT)
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc).replace(microsecond=0).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _rows(cursor, table: str) -> tuple[list[str], list[tuple]]:
    cursor.execute(f"SELECT * FROM finops.{table}")
    names = [d[0] for d in cursor.description]
    keep = [i for i, n in enumerate(names) if n not in NOT_COMPARED]
    rows = sorted((tuple(_normal(r[i]) for i in keep) for r in cursor.fetchall()), key=repr)
    return [names[i] for i in keep], rows


@pytest.fixture
def on_destination(monkeypatch, workdir, postgres_dsn):
    """Switch the CLI between the DuckDB file and the Postgres database, each with its own pipeline state."""

    def use(name: str) -> None:
        monkeypatch.setenv("DLT_DATA_DIR", str(workdir / name / "dlt"))
        if name == "postgres":
            monkeypatch.setenv("DESTINATION_TYPE", "postgres")
            monkeypatch.setenv("DESTINATION__POSTGRES__CREDENTIALS", postgres_dsn)  # no password: trust auth
        else:
            monkeypatch.delenv("DESTINATION_TYPE", raising=False)
    return use


def test_duckdb_and_postgres_hold_the_same_focus_rows_and_rollups(sandbox, cli, workdir, monkeypatch,
                                                                   on_destination, postgres_dsn):
    point_at(monkeypatch, sandbox)
    export = workdir / "exports" / "aws-2026-10.csv"  # another provider's FOCUS export, re-delivered shorter
    export.parent.mkdir()
    write_csv(read_strings(generate("aws", "1.3", 60, workdir / "generated")), export)
    monkeypatch.setenv("SOURCES__FOCUS_FILES__EXPORTS", json.dumps([{"provider": "AWS", "url": str(export)}]))
    steps = [("backfill", "--start", "2026-10-01", "--end", "2026-10-07"),
             "restate",
             ("backfill", "--start", "2026-10-03", "--end", "2026-10-09"), "redeliver",
             ("run",), ("transform",), ("status",)]
    status = {}
    for step in steps:
        if step == "restate":
            sandbox.restate(sandbox.account_ids[0], date(2026, 10, 4), Decimal(2))
            continue
        if step == "redeliver":
            write_csv(read_strings(export).slice(0, 40), export)
            touch(export, 3600)
            continue
        for destination in ("duckdb", "postgres"):
            on_destination(destination)
            result = cli(*step)
            assert result.code == 0, f"{destination} {step}: {result.output[-3000:]}"
            status[destination] = result.stdout
    counts = {d: sorted(line.strip() for line in out.splitlines() if line.strip().endswith(" rows"))
              for d, out in status.items()}
    assert counts["duckdb"] == counts["postgres"] and any(not c.endswith(": 0 rows") for c in counts["duckdb"])

    with duckdb.connect(str(workdir / "finops_etl.duckdb"), read_only=True) as duck, \
            psycopg2.connect(postgres_dsn) as pg:
        duck.execute("SET TimeZone = 'UTC'")
        pg_cursor = pg.cursor()
        sizes = {}
        for table in TABLES:
            duck_columns, duck_rows = _rows(duck.cursor(), table)
            pg_columns, pg_rows = _rows(pg_cursor, table)
            assert duck_columns == pg_columns, table
            assert len(duck_rows) == len(pg_rows), table
            assert duck_rows == pg_rows, table
            sizes[table] = len(duck_rows)
        (restated,) = duck.execute("SELECT count(*) FROM finops.cost_restatements").fetchone()
        (rows, sources) = duck.execute("SELECT count(*), count(DISTINCT x_source) FROM finops.cost_and_usage").fetchone()
        (focus_rows,) = duck.execute("SELECT count(*) FROM finops.cost_and_usage WHERE x_source = 'focus_files'").fetchone()
    assert focus_rows == 40  # the re-delivered file's 20 vanished rows are gone on both engines
    assert restated > 0 and rows > 1000 and sources == 4
    assert all(sizes.values()), sizes
    for destination in ("duckdb", "postgres"):  # the FOCUS row checks as dbt tests, on both engines
        on_destination(destination)
        assert check_models(make_pipeline()) == {}, destination
    # `finops-etl validate`'s row-by-row SQL checks report the same on both engines. The one failure is the
    # sandbox's restatement: Cloudflare re-bills the day at twice the cost for the same quantity, so ListCost
    # is no longer PricingQuantity x ListUnitPrice on those records (reported, not hidden). The others come from
    # the third-party AWS export file, passed through as delivered: a subscription-fee Purchase that keeps its
    # cost, usage rows without a quantity, and units our mapping does not know (counted, not "fixed").
    from_the_aws_file = ["FAIL EffectiveCost-C-005-C (prepaid Purchase is 0)",
                         "FAIL PricingCurrencyEffectiveCost-C-005-M (prepaid Purchase is 0)",
                         "FAIL ConsumedQuantity-C-006-C (set on Usage)",
                         "FAIL UnknownUnit-consumed (not in focus_unit_mapping)",
                         "FAIL UnknownUnit-pricing (not in focus_unit_mapping)"]
    for version in ("1.3", "1.2"):
        reports = {}
        for destination in ("duckdb", "postgres"):
            on_destination(destination)
            result = cli("validate", "--focus-version", version, "--skip-dbt-tests")
            reports[destination] = (result.code, result.stdout)
        assert reports["duckdb"] == reports["postgres"], version
        code, out = reports["duckdb"]
        failed = [line.split(":")[0].strip() for line in out.splitlines() if "FAIL" in line]
        assert code == 1 and sorted(failed) == sorted(from_the_aws_file + [
            "FAIL ListCost-PricingQuantity-x-ListUnitPrice"]), out
