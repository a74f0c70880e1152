"""Run the SQL models in transforms/ in dependency order, inside the destination (DuckDB SQL).

Each model file starts with a header: `-- <name>: <grain>`, `-- key: ...`, `-- depends_on: a, b`.
Raw tables are referenced as `{{ source('table') }}`: the runner puts the real `finops.table` there, or,
when that source was never loaded (not configured), an empty stand-in with the same columns, so the
FOCUS table and rollups always build from whatever is loaded.

A model headed `-- materialized: incremental` ends in a SELECT and names its `-- unique_key:` and the
`-- load_column:` that says which dlt load brought a row. It is built whole once; afterwards only rows
from loads it has not taken in yet are selected, and they replace the rows with the same key (merges
re-load a changed record under a new load id, so nothing else can have moved). For the rest of the
session the rows it took in are `{{ taken_in('model') }}` and the rows they replaced `{{ replaced('model') }}`
(both empty after a whole build): that is how cost_restatements sees old and new values. Its SQL, the SQL of everything upstream, the parameters and
the price sheet are fingerprinted: when any of them changes, it is built whole.
"""

from __future__ import annotations

import hashlib
import logging
import re
import time
from dataclasses import dataclass
from graphlib import CycleError, TopologicalSorter
from importlib import resources
from pathlib import Path

import dlt

from pipelines.errors import FinopsError, UsageError

log = logging.getLogger("finops_etl")

_HEADER = re.compile(r"^--[ \t]*(depends_on|materialized|unique_key|load_column):[ \t]*(.*)$", re.MULTILINE)
_SOURCE = re.compile(r"\{\{\s*(source|replaced|taken_in)\('([a-z_0-9]+)'\)\s*\}\}")
_TRAILER = re.compile(r"(\s|;|--[^\n]*)+$")  # what may follow a model's final SELECT
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
# Which loads each incremental model has taken in, and the fingerprint of the SQL it was built with.
STATE_TABLES = """
CREATE TABLE IF NOT EXISTS _model_loads (model VARCHAR, load_id VARCHAR);
CREATE TABLE IF NOT EXISTS _model_builds (model VARCHAR, fingerprint VARCHAR, built_at TIMESTAMPTZ);
"""


@dataclass
class Model:
    name: str
    sql: str
    depends_on: list[str]
    incremental: bool = False
    unique_key: tuple[str, ...] = ()
    load_column: str = ""


def _names(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


def load_models() -> dict[str, Model]:
    models = {}
    for entry in resources.files("transforms").iterdir():
        if entry.name.endswith(".sql"):
            name, sql = entry.name[:-4], entry.read_text()
            header = {key: value.strip() for key, value in _HEADER.findall(sql)}
            model = Model(name, sql, _names(header.get("depends_on", "")),
                          incremental=header.get("materialized") == "incremental",
                          unique_key=tuple(_names(header.get("unique_key", ""))),
                          load_column=header.get("load_column", ""))
            if model.incremental and not (model.unique_key and model.load_column):
                raise FinopsError(f"transforms/{entry.name}: an incremental model needs unique_key and load_column")
            models[name] = model
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
        kind, table = match.groups()
        if kind != "source":
            return f"temp.main._{kind}_{table}"
        return f"{dataset}.{table}" if table in existing else STAND_INS[table]

    sql = _SOURCE.sub(source, sql)
    return _PARAM.sub(lambda m: params[m.group(1)], sql)


# The models run at the end of every cron run and backfill, so they keep the loads' DuckDB memory cap
# (256MB unless configured; DuckDB spills to disk beyond it). The export writes a hive partition per month,
# each with its own row-group buffers, so it takes more. Insertion order (meaningless for these tables) is
# not preserved, which lets DuckDB stream.
EXPORT_MEMORY_LIMIT = "2GB"


def analytic_session(con, memory_limit: str | None = None) -> None:  # noqa: ANN001 - a DuckDB connection
    if memory_limit:
        con.execute(f"SET memory_limit = '{memory_limit}'")
    con.execute("SET preserve_insertion_order = false")
    con.execute("SET TimeZone = 'UTC'")  # date_trunc and day boundaries in UTC, whatever the host says


def run_transforms(pipeline: dlt.Pipeline, full_refresh: bool = False) -> list[str]:
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
        con.execute(STATE_TABLES)
        if full_refresh:
            con.execute("DELETE FROM _model_builds")
        for name in order:
            model = models[name]
            sql = render(model.sql, existing, dataset, params)
            started = time.perf_counter()
            try:
                if model.incremental:
                    fingerprint = _fingerprint(name, models, params)
                    mode = build_incremental(con, model, sql, fingerprint, name in existing)
                else:
                    con.execute(sql)
                    mode = "built"
                log.debug("transform %s: %s in %.2fs", name, mode, time.perf_counter() - started)
            except Exception as exc:  # noqa: BLE001 - name the model that broke
                raise FinopsError(f"transform {name} failed: {exc}") from None
            existing.add(name)
    return order


def _upstream(name: str, models: dict[str, Model]) -> set[str]:
    seen: set[str] = set()
    todo = [name]
    while todo:
        for dep in models[todo.pop()].depends_on:
            if dep in models and dep not in seen:
                seen.add(dep)
                todo.append(dep)
    return seen


def _fingerprint(name: str, models: dict[str, Model], params: dict[str, str]) -> str:
    """The SQL of the model and everything upstream, the parameters and the price sheet's content: what its
    rows depend on. (Not the rendered SQL: a source's stand-in giving way to its table changes no row.)"""
    digest = hashlib.sha256(repr(sorted(params.items())).encode())
    for part in sorted(_upstream(name, models) | {name}):
        digest.update(models[part].sql.encode())
    try:
        digest.update(Path(params["price_sheet"]).read_bytes())
    except OSError:
        pass  # the models report a missing sheet themselves
    return digest.hexdigest()


def build_incremental(con, model: Model, sql: str, fingerprint: str, exists: bool) -> str:  # noqa: ANN001
    """Build `model` whole, or take in only the rows of loads it has not seen. One transaction either way."""
    *setup, last = con.extract_statements(sql)
    for statement in setup:  # macros and the like
        con.execute(statement.query)
    query, name, load = _TRAILER.sub("", last.query), model.name, model.load_column
    built = con.execute("SELECT fingerprint FROM _model_builds WHERE model = ?", [name]).fetchone()
    full = not exists or built is None or built[0] != fingerprint
    con.execute("BEGIN TRANSACTION")
    try:
        if full:
            con.execute(f"CREATE OR REPLACE TABLE {name} AS {query}")
            con.execute("DELETE FROM _model_loads WHERE model = ?", [name])
            con.execute(f"INSERT INTO _model_loads SELECT DISTINCT ?, {load} FROM {name} WHERE {load} IS NOT NULL",
                        [name])
            con.execute(f"CREATE OR REPLACE TEMP TABLE _replaced_{name} AS FROM {name} LIMIT 0")
            con.execute(f"CREATE OR REPLACE TEMP TABLE _taken_in_{name} AS FROM {name} LIMIT 0")
        else:
            # Which loads are new first (a scan of the load-id columns only), then the rows of just those
            # loads: a constant IN list is pushed down to the raw tables' scans; a join would read them all.
            new_loads = [load_id for (load_id,) in con.execute(
                f"SELECT DISTINCT {load} FROM ({query}) WHERE {load} NOT IN "
                "(SELECT load_id FROM _model_loads WHERE model = ?)", [name]).fetchall() if load_id is not None]
            changed = 0
            con.execute(f"CREATE OR REPLACE TEMP TABLE _replaced_{name} AS FROM {name} LIMIT 0")
            con.execute(f"CREATE OR REPLACE TEMP TABLE _taken_in_{name} AS FROM {name} LIMIT 0")
            if new_loads:
                con.execute(f"INSERT INTO _taken_in_{name} BY NAME SELECT * FROM ({query}) "
                            f"WHERE {load} IN ({', '.join('?' * len(new_loads))})", new_loads)
                (changed,) = con.execute(f"SELECT count(*) FROM _taken_in_{name}").fetchone()
                key_match = " AND ".join(f"t.{k} IS NOT DISTINCT FROM c.{k}" for k in model.unique_key)
                # Row ids first (the join reads only the key columns), then whole rows by id: selecting t.* in
                # the join read every column of the table (2.2 s against 0.4 s on 10M rows).
                con.execute(f"CREATE OR REPLACE TEMP TABLE _replaced_ids AS SELECT t.rowid AS id "
                            f"FROM {name} AS t JOIN _taken_in_{name} AS c ON {key_match}")
                con.execute(f"INSERT INTO _replaced_{name} SELECT * FROM {name} "
                            "WHERE rowid IN (SELECT id FROM _replaced_ids)")
                con.execute(f"DELETE FROM {name} WHERE rowid IN (SELECT id FROM _replaced_ids)")
                con.execute(f"INSERT INTO {name} BY NAME SELECT * FROM _taken_in_{name}")
                con.execute("DROP TABLE _replaced_ids")
                con.executemany("INSERT INTO _model_loads VALUES (?, ?)", [[name, i] for i in new_loads])
        con.execute("DELETE FROM _model_builds WHERE model = ?", [name])
        con.execute("INSERT INTO _model_builds VALUES (?, ?, now())", [name, fingerprint])
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return "full build" if full else f"incremental: {changed} rows from {len(new_loads)} new load(s)"
