"""Issue 14: the category mapping against the FOCUS spec's table, the unit mapping seed, and `finops-etl validate`."""

from __future__ import annotations

import csv
import re
from pathlib import Path

from conftest import point_at, query
from pipelines.conformance import category_pairs

ROOT = Path(__file__).parents[2]
STAGING = ROOT / "transforms" / "models" / "staging"
SEED = ROOT / "transforms" / "seeds" / "focus_unit_mapping.csv"
# FOCUS UnitFormat (attributes/unit_format.md), as focus-validator 2.2.1 checks it (FormatUnitGenerator)
TIME = "Years|Months|Days|Hours|Minutes|Seconds"
COUNT = r"[A-Za-z][A-Za-z0-9]*(?: [A-Za-z][A-Za-z0-9]*)*"
UNIT_FORMAT = re.compile(rf"^(?:{COUNT}|{COUNT}-(?:{TIME})|{COUNT}/(?:Year|Month|Day|Hour|Minute|Second)"
                         rf"|[0-9]+ {COUNT})$")


def _case(sql: str, alias: str) -> dict[str, str]:
    """family -> value of the CASE x_product_family_name ... END AS alias block."""
    block = re.search(r"CASE x_product_family_name((?:(?!CASE).)*?)END AS " + alias, sql, re.S).group(1)
    return dict(re.findall(r"WHEN '([^']+)' THEN '([^']+)'", block))


def emitted_pairs() -> set[tuple[str, str]]:
    """Every (ServiceCategory, ServiceSubcategory) our staging models can emit."""
    cloudflare = (STAGING / "stg_cloudflare__billable_usage.sql").read_text()
    categories, subcategories = _case(cloudflare, "service_category"), _case(cloudflare, "service_subcategory_known")
    assert set(subcategories) <= set(categories), "a subcategory for a family without a category"
    pairs = {(category, subcategories.get(family, f"Other ({category})")) for family, category in categories.items()}
    pairs.add(("Other", "Other (Other)"))  # the ELSE branches
    for model in ("stg_venice__billing_usage.sql", "../intermediate/int_ai_gateway__daily_focus_rows.sql"):
        sql = (STAGING / model).read_text()
        category = re.search(r"'([^']+)' as service_category", sql).group(1)
        subcategory = re.search(r"'([^']+)' as service_subcategory_known", sql).group(1)
        pairs.add((category, subcategory))
    return pairs


def test_every_category_pair_we_emit_is_one_the_spec_allows():
    allowed = set(category_pairs())
    assert len(allowed) > 60 and ("Networking", "Network Security") in allowed
    parents = {}
    for category, subcategory in allowed:
        assert parents.setdefault(subcategory, category) == category, f"{subcategory} has two parents"
    assert sorted(emitted_pairs() - allowed) == []


def test_the_unit_mapping_seed_yields_focus_units_only():
    rows = list(csv.DictReader(SEED.open()))
    assert len({r["delivered_unit"] for r in rows}) == len(rows), "a delivered unit mapped twice"
    assert [r["focus_unit"] for r in rows if not UNIT_FORMAT.match(r["focus_unit"])] == []
    assert all(float(r["scale_factor"]) > 0 for r in rows)
    assert {"GB-Month", "CPU-ms"} <= {r["delivered_unit"] for r in rows}


def test_validate_is_clean_then_names_the_failing_check(sandbox, cli, workdir, monkeypatch):
    point_at(monkeypatch, sandbox)
    assert cli("backfill", "--start", "2026-10-04", "--end", "2026-10-05").code == 0  # 10-05: a top-up
    for version in ("1.3", "1.2"):
        result = cli("validate", "--focus-version", version)
        assert result.code == 0, result.output
        assert "clean" in result.stdout and "dbt test: all pass" in result.stdout
    units = query(workdir, "SELECT x_delivered_pricing_unit, pricing_unit, pricing_quantity, x_delivered_consumed_unit "
                           "FROM finops.cost_and_usage WHERE x_delivered_pricing_unit = 'GB-Month' LIMIT 1")
    assert units and units[0][1] == "GB-Months"
    assert query(workdir, "SELECT count(*) FROM finops.cost_and_usage WHERE charge_category = 'Purchase' "
                          "AND charge_frequency = 'One-Time' AND effective_cost = 0")[0][0] > 0
    import duckdb

    with duckdb.connect(str(workdir / "finops_etl.duckdb")) as con:
        con.execute("UPDATE finops.cost_and_usage SET pricing_unit = 'Furlongs', x_delivered_pricing_unit = 'Furlongs' "
                    "WHERE x_source = 'venice_billing_usage'")
        con.execute("UPDATE finops.cost_and_usage SET charge_frequency = 'Usage-Based' "
                    "WHERE charge_category = 'Purchase'")
    result = cli("validate", "--skip-dbt-tests")
    assert result.code == 1
    assert re.search(r"FAIL ChargeFrequency-C-004-C .*: [1-9][0-9]* rows", result.stdout), result.stdout
    assert re.search(r"FAIL UnknownUnit-pricing .*: [1-9][0-9]* rows", result.stdout), result.stdout
