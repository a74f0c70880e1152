"""Run the SQL models in transforms/ in dependency order, inside the destination (DuckDB SQL).

Each model file starts with a header: `-- <name>: <grain>`, `-- key: ...`, `-- depends_on: a, b`.
Raw tables are referenced as `{{ source('table') }}`: the runner puts the real `finops.table` there, or,
when that source was never loaded (not configured), an empty stand-in with the same columns, so the
FOCUS table and rollups always build from whatever is loaded.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from graphlib import CycleError, TopologicalSorter
from importlib import resources

import dlt

from pipelines.errors import FinopsError, UsageError

_DEPENDS = re.compile(r"^--[ \t]*depends_on:[ \t]*(.*)$", re.MULTILINE)
_SOURCE = re.compile(r"\{\{\s*source\('([a-z_]+)'\)\s*\}\}")
_PARAM = re.compile(r"\{\{\s*([a-z_]+)\s*\}\}")

# Empty stand-ins for raw tables that do not exist yet: the columns the staging models read.
STAND_INS = {
    "cloudflare_billable_usage": """(SELECT * FROM (VALUES (NULL::VARCHAR, NULL::VARCHAR, NULL::VARCHAR,
        NULL::VARCHAR, NULL::VARCHAR, NULL::VARCHAR, NULL::TIMESTAMPTZ, NULL::TIMESTAMPTZ, NULL::TIMESTAMPTZ,
        NULL::TIMESTAMPTZ, NULL::DECIMAL(38,10), NULL::VARCHAR, NULL::DECIMAL(38,10), NULL::VARCHAR,
        NULL::DECIMAL(38,10), NULL::DECIMAL(38,10), NULL::DECIMAL(38,10), NULL::DECIMAL(38,10),
        NULL::DECIMAL(38,10), NULL::DECIMAL(38,10), NULL::VARCHAR, NULL::VARCHAR, NULL::VARCHAR, NULL::VARCHAR,
        NULL::VARCHAR, NULL::VARCHAR, NULL::VARCHAR, NULL::VARCHAR, NULL::VARCHAR, NULL::VARCHAR, NULL::VARCHAR,
        NULL::VARCHAR, NULL::VARCHAR, NULL::VARCHAR, NULL::VARCHAR))
        AS t(billing_account_id, billing_account_name, charge_category, charge_class, charge_description,
        charge_frequency, charge_period_start, charge_period_end, billing_period_start, billing_period_end,
        consumed_quantity, consumed_unit, pricing_quantity, pricing_unit, billed_cost, effective_cost, list_cost,
        contracted_cost, list_unit_price, contracted_unit_price, billing_currency, host_provider_name,
        invoice_issuer_name, service_provider_name, region_id, region_name, sub_account_id, sub_account_name,
        x_billable_metric_id, x_billable_metric_name, x_product_family_name, x_zone_id, x_zone_name, record_key,
        _dlt_load_id) WHERE false)""",
    "ai_gateway_usage_history": """(SELECT * FROM (VALUES (NULL::VARCHAR, NULL::VARCHAR, NULL::VARCHAR,
        NULL::DECIMAL(38,10), NULL::TIMESTAMPTZ, NULL::TIMESTAMPTZ, NULL::VARCHAR))
        AS t(account_id, value_grouping_window, id, aggregated_value, start_time, end_time, _dlt_load_id)
        WHERE false)""",
    "ai_gateway_spending_limits": """(SELECT * FROM (VALUES (NULL::VARCHAR, NULL::BOOLEAN, NULL::BIGINT,
        NULL::VARCHAR, NULL::VARCHAR, NULL::TIMESTAMPTZ, NULL::TIMESTAMPTZ))
        AS t(account_id, enabled, amount, duration, strategy, valid_from, valid_to) WHERE false)""",
    "venice_billing_usage": """(SELECT * FROM (VALUES (NULL::TIMESTAMPTZ, NULL::VARCHAR, NULL::DECIMAL(38,10),
        NULL::DECIMAL(38,10), NULL::DECIMAL(38,10), NULL::VARCHAR, NULL::VARCHAR, NULL::VARCHAR, NULL::BIGINT,
        NULL::BIGINT, NULL::BIGINT, NULL::DECIMAL(38,10), NULL::VARCHAR, NULL::VARCHAR))
        AS t(timestamp, sku, price_per_unit_usd, units, amount, currency, notes, request_id,
        inference_execution_time_ms, prompt_tokens, completion_tokens, usd_cost, record_key, _dlt_load_id)
        WHERE false)""",
}


@dataclass
class Model:
    name: str
    sql: str
    depends_on: list[str]


def load_models() -> dict[str, Model]:
    models = {}
    for entry in resources.files("transforms").iterdir():
        if entry.name.endswith(".sql"):
            sql = entry.read_text()
            match = _DEPENDS.search(sql)
            depends = [d.strip() for d in match.group(1).split(",") if d.strip()] if match else []
            models[entry.name[:-4]] = Model(entry.name[:-4], sql, depends)
    return models


def build_order(models: dict[str, Model]) -> list[str]:
    graph = {name: [d for d in m.depends_on if d in models] for name, m in models.items()}
    try:
        return list(TopologicalSorter(graph).static_order())
    except CycleError as exc:
        raise FinopsError(f"transforms/ has a dependency cycle: {exc.args[1]}") from None


def _params() -> dict[str, str]:
    scale = dlt.config.get("sources.cloudflare.value_scale")
    try:
        value = float(scale) if scale is not None else 1.0
    except (TypeError, ValueError):
        value = -1.0
    if value <= 0:
        raise UsageError(f"SOURCES__CLOUDFLARE__VALUE_SCALE must be a positive number, got {scale!r}")
    sheet = dlt.config.get("sources.cloudflare.price_sheet") or str(
        resources.files("transforms") / "seeds" / "cloudflare_list_prices.csv")
    if "'" in str(sheet):
        raise UsageError(f"SOURCES__CLOUDFLARE__PRICE_SHEET must be a plain file path, got {sheet!r}")
    return {"value_scale": repr(value), "price_sheet": str(sheet)}


def render(sql: str, existing: set[str], dataset: str, params: dict[str, str]) -> str:
    def source(match: re.Match) -> str:
        table = match.group(1)
        return f"{dataset}.{table}" if table in existing else STAND_INS[table]

    sql = _SOURCE.sub(source, sql)
    return _PARAM.sub(lambda m: params[m.group(1)], sql)


# Loads run with a small DuckDB memory cap; the models and the export scan everything, so they get more
# room, and insertion order (meaningless for these tables) is not preserved, which lets DuckDB stream.
ANALYTIC_MEMORY_LIMIT = "2GB"


def analytic_session(con) -> None:  # noqa: ANN001 - a DuckDB connection
    con.execute(f"SET memory_limit = '{ANALYTIC_MEMORY_LIMIT}'")
    con.execute("SET preserve_insertion_order = false")
    con.execute("SET TimeZone = 'UTC'")  # date_trunc and day boundaries in UTC, whatever the host says


def run_transforms(pipeline: dlt.Pipeline) -> list[str]:
    """Build every model, in order, in one DuckDB connection. Idempotent: models replace themselves."""
    models = load_models()
    order = build_order(models)
    params = _params()
    dataset = pipeline.dataset_name
    with pipeline.sql_client() as client:
        con = client.native_connection
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {dataset}")
        existing = {name for (name,) in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = ?", [dataset]).fetchall()}
        analytic_session(con)
        con.execute(f"SET schema = '{dataset}'")
        for name in order:
            try:
                con.execute(render(models[name].sql, existing, dataset, params))
            except Exception as exc:  # noqa: BLE001 - name the model that broke
                raise FinopsError(f"transform {name} failed: {exc}") from None
            existing.add(name)
    return order
