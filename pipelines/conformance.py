"""`finops-etl validate`: FOCUS conformance of the current table, row by row, in portable SQL.

Each check is a WHERE clause selecting the rows that break one FOCUS rule (named like focus-validator's
rules where there is one), over cost_and_usage_v1_3 or _v1_2 (snake_case names). The same checks run on
a Parquet export in the tests, whose FOCUS names are turned back into snake_case. Units the
focus_unit_mapping seed does not know are counted too: kept as delivered, they may not be FOCUS UnitFormat.
"""

from __future__ import annotations

import csv
from pathlib import Path

CATEGORIES = Path(__file__).with_name("focus_service_categories.csv")
MANDATORY = ["billed_cost", "effective_cost", "list_cost", "contracted_cost", "billing_currency",
             "charge_period_start", "charge_period_end", "billing_period_start", "billing_period_end",
             "charge_category", "charge_frequency", "charge_description", "invoice_issuer_name",
             "billing_account_id", "billing_account_name", "service_name", "service_category",
             "service_subcategory", "pricing_category", "pricing_currency", "pricing_currency_effective_cost"]
PROVIDERS = {"1.3": ["service_provider_name", "host_provider_name"], "1.2": ["provider_name", "publisher_name"]}
USAGE_OR_PURCHASE = "charge_category IN ('Usage', 'Purchase') AND coalesce(charge_class, '') <> 'Correction'"


def category_pairs() -> list[tuple[str, str]]:
    """(ServiceCategory, ServiceSubcategory) pairs the FOCUS spec allows, each subcategory with its parent."""
    lines = [line for line in CATEGORIES.read_text().splitlines() if not line.startswith("#")]
    return [(row["service_category"], row["service_subcategory"]) for row in csv.DictReader(lines)]


def _quoted(values) -> str:  # noqa: ANN001
    return ", ".join("'" + v.replace("'", "''") + "'" for v in values)


def checks(focus_version: str = "1.3", unit_table: str | None = None) -> dict[str, str]:
    """{check name: WHERE clause of the failing rows}."""
    pairs = " OR ".join(f"(service_category = '{c}' AND service_subcategory = '{s}')" for c, s in category_pairs())
    found = {f"{column}-NotNull": f"{column} IS NULL" for column in MANDATORY + PROVIDERS[focus_version]}
    found.update({
        "ChargeCategory-AllowedValues":
            "charge_category NOT IN ('Usage', 'Purchase', 'Tax', 'Credit', 'Adjustment')",
        "ChargeFrequency-AllowedValues": "charge_frequency NOT IN ('One-Time', 'Recurring', 'Usage-Based')",
        "ChargeFrequency-C-004-C (Purchase not Usage-Based)":
            "charge_category = 'Purchase' AND charge_frequency = 'Usage-Based'",
        "EffectiveCost-C-005-C (prepaid Purchase is 0)": "charge_category = 'Purchase' AND effective_cost <> 0",
        "PricingCurrencyEffectiveCost-C-005-M (prepaid Purchase is 0)":
            "charge_category = 'Purchase' AND pricing_currency_effective_cost <> 0",
        "ChargePeriod-EndAfterStart": "charge_period_end <= charge_period_start",
        "ConsumedQuantity-C-004-C (null unless Usage)":
            "charge_category <> 'Usage' AND consumed_quantity IS NOT NULL",
        "ConsumedQuantity-C-006-C (set on Usage)":
            "charge_category = 'Usage' AND coalesce(charge_class, '') <> 'Correction' AND consumed_quantity IS NULL",
        "ConsumedUnit-C-005/006-C (null exactly when ConsumedQuantity is)":
            "(consumed_unit IS NULL) <> (consumed_quantity IS NULL)",
        "PricingUnit-C-005/006-C (null exactly when PricingQuantity is)":
            "(pricing_unit IS NULL) <> (pricing_quantity IS NULL)",
        "ListUnitPrice-Usage (set on Usage and Purchase)": f"{USAGE_OR_PURCHASE} AND list_unit_price IS NULL",
        "ListCost-PricingQuantity-x-ListUnitPrice":
            f"{USAGE_OR_PURCHASE} AND abs(pricing_quantity * list_unit_price - list_cost) > 0.0001",
        "SkuPriceId-C-005-C (set on Usage and Purchase)": f"{USAGE_OR_PURCHASE} AND sku_price_id IS NULL",
        "SkuMeter-C-004-C (null when SkuId is)": "sku_id IS NULL AND sku_meter IS NOT NULL",
        "SkuPriceDetails-C-004-C (null when SkuPriceId is)": "sku_price_id IS NULL AND sku_price_details IS NOT NULL",
        "PricingCurrencyListUnitPrice-C-005-C (set on Usage and Purchase)":
            f"{USAGE_OR_PURCHASE} AND pricing_currency_list_unit_price IS NULL",
        "PricingCurrencyContractedUnitPrice-C-005-C (set on Usage and Purchase)":
            f"{USAGE_OR_PURCHASE} AND pricing_currency_contracted_unit_price IS NULL",
        "PricingCurrency-UnitPrices-NonNegative":
            "pricing_currency_list_unit_price < 0 OR pricing_currency_contracted_unit_price < 0",
        "BillingCurrency-CurrencyFormat": "length(billing_currency) <> 3 OR upper(billing_currency) <> billing_currency",
        "ServiceSubcategory-C-004-M (one parent, as the spec lists)": f"NOT ({pairs})",
        "InvoiceId-NullWithoutInvoice (no provider of ours gives one)": "invoice_id IS NOT NULL",
    })
    if unit_table:
        for kind in ("consumed", "pricing"):
            found[f"UnknownUnit-{kind} (not in focus_unit_mapping)"] = (
                f"x_delivered_{kind}_unit IS NOT NULL AND x_delivered_{kind}_unit NOT IN "
                f"(SELECT delivered_unit FROM {unit_table})")
    return found


def count_failures(execute, table: str, focus_version: str = "1.3",  # noqa: ANN001
                   unit_table: str | None = None) -> dict[str, int]:
    """{check name: failing rows} for every check; `execute(sql)` returns the rows of a query."""
    named = checks(focus_version, unit_table)
    select = ", ".join(f"sum(CASE WHEN {where} THEN 1 ELSE 0 END)" for where in named.values())
    (row,) = execute(f"SELECT count(*), {select} FROM {table}")
    return {"rows": int(row[0] or 0), **{name: int(n or 0) for name, n in zip(named, row[1:], strict=True)}}


def validate(pipeline, focus_version: str = "1.3", run_dbt_tests: bool = True) -> int:  # noqa: ANN001
    """Print the conformance report of the current table; 1 when a check fails, 0 when clean."""
    from pipelines.destinations import require_sql_engine
    from pipelines.errors import UsageError

    if focus_version not in ("1.3", "1.2"):
        raise UsageError(f"--focus-version must be 1.3 or 1.2, got {focus_version!r}")
    require_sql_engine(pipeline, "validate")
    with pipeline.sql_client() as client:
        def execute(sql: str) -> list[tuple]:
            with client.execute_query(sql) as cursor:
                return cursor.fetchall()

        table = client.make_qualified_table_name(f"cost_and_usage_v{focus_version.replace('.', '_')}")
        units = client.make_qualified_table_name("focus_unit_mapping")
        counts = count_failures(execute, table, focus_version, units)
    rows = counts.pop("rows")
    failing = {name: n for name, n in counts.items() if n}
    print(f"FOCUS {focus_version} conformance of {table}: {rows} rows, {len(counts)} checks")
    for name, n in counts.items():
        print(f"  FAIL {name}: {n} rows" if n else f"  ok   {name}")
    if run_dbt_tests:
        from pipelines.transform import check_models

        dbt_failures = check_models(pipeline)
        print(f"dbt test: {len(dbt_failures)} failing" if dbt_failures else "dbt test: all pass")
        for name, why in dbt_failures.items():
            print(f"  FAIL {name}: {why}")
        failing.update(dbt_failures)
    print("clean" if not failing else f"{len(failing)} check(s) failed")
    return 1 if failing else 0
