"""What a destination can do for us, asked before anything is written: refuse rather than degrade.

dlt quietly turns a merge into an append where the destination (or the table format) cannot merge: the
`filesystem` destination does so for plain Parquet/JSONL files. That would duplicate every re-read row and
break the spending-limit history (scd2), so such a destination is refused with exit 2 and a message naming
what to configure. A lake is supported as Delta tables (`FINOPS__TABLE_FORMAT=delta`), which dlt merges by key (upsert)
with the `deltalake` package; what Delta cannot merge (scd2) is refused too.

A lake has no SQL engine of its own: the transforms (and so `cost_and_usage` and its export) need a
warehouse destination. `require_sql_engine` says so, with exit 2, instead of building the models into the
throwaway in-memory DuckDB that dlt's filesystem `sql_client()` hands out.
"""

from __future__ import annotations

import dlt
from dlt.extract.source import DltSource

from pipelines.errors import UsageError

TABLE_FORMAT_KEY = "finops.table_format"  # env FINOPS__TABLE_FORMAT
LAKE_FORMATS = ("delta",)
# The merges our sources declare (sources/*/__init__.py) and who needs them.
NEEDED_STRATEGIES = {"delete-insert": "the billing tables (re-read look-back days replace their rows)",
                     "scd2": "ai_gateway_spending_limits (the history of each account's limit)"}
# Delta on dlt 1.31 merges with upsert, insert-only or cdc only (filesystem capabilities): no delete-insert,
# no scd2. Our delete-insert tables have a unique key in every package, where upsert gives the same rows;
# the limit history needs scd2, so the source holding it is refused on a lake.
LAKE_REFUSED_SOURCES = {"ai_gateway": "ai_gateway_spending_limits keeps each account's limit history with dlt's "
                                      "scd2 merge, which dlt does not support on Delta tables"}
LAKE_REFUSED_SOURCES_CREDENTIAL = {"ai_gateway": "sources.cloudflare.api_token"}


def destination_type(pipeline: dlt.Pipeline) -> str:
    """`duckdb`, `postgres`, `filesystem`, ...: the dlt destination's short type name."""
    return pipeline.destination.destination_type.rsplit(".", 1)[-1]


def is_lake(pipeline: dlt.Pipeline) -> bool:
    return destination_type(pipeline) == "filesystem"


def table_format(pipeline: dlt.Pipeline) -> str | None:
    """The open table format the raw tables are loaded as: only ever set for a lake."""
    configured = dlt.config.get(TABLE_FORMAT_KEY, str)
    if configured is None:
        return None
    if configured not in LAKE_FORMATS:
        raise UsageError(f"FINOPS__TABLE_FORMAT must be {' or '.join(LAKE_FORMATS)}, got {configured!r} "
                         "(iceberg is not supported: finops-etl's merges are tested on Delta only)")
    if not is_lake(pipeline):
        raise UsageError(f"FINOPS__TABLE_FORMAT={configured} applies to the filesystem destination only; "
                         f"this pipeline loads into {destination_type(pipeline)}: unset it")
    return configured


def check_loadable(pipeline: dlt.Pipeline, sources: list[str]) -> None:
    """Refuse (exit 2), before anything is loaded, a destination that would turn a merge into an append."""
    fmt = table_format(pipeline)
    if is_lake(pipeline):
        if fmt is None:
            raise UsageError(
                "the filesystem destination cannot merge plain files: every re-run would duplicate rows. "
                "Load the lake as Delta tables: set FINOPS__TABLE_FORMAT=delta (and pip install "
                "'finops-etl[lake]'), or choose a warehouse destination (duckdb, postgres, ...)")
        try:
            import deltalake  # noqa: F401
        except ImportError:
            raise UsageError("FINOPS__TABLE_FORMAT=delta needs the deltalake package: "
                             "pip install 'finops-etl[lake]'") from None
        # a source without credentials is skipped anyway (one notice): refuse only what would really load
        refused = [name for name in sources if name in LAKE_REFUSED_SOURCES and dlt.secrets.get(
            LAKE_REFUSED_SOURCES_CREDENTIAL[name], str)]
        if refused:
            others = ",".join(name for name in sources if name not in LAKE_REFUSED_SOURCES)
            raise UsageError(f"{', '.join(refused)} cannot load into a Delta lake: "
                             f"{'; '.join(LAKE_REFUSED_SOURCES[n] for n in refused)}. Load it into a warehouse "
                             f"destination, or leave it out on the lake: --sources {others or 'cloudflare_billing'}")
        return
    caps = pipeline.destination.capabilities()
    for strategy, needed_by in NEEDED_STRATEGIES.items():
        supported = list(caps.supported_merge_strategies or [])
        if caps.merge_strategies_selector is not None:  # e.g. athena merges only iceberg tables
            supported = caps.merge_strategies_selector(supported, table_schema={"name": "_probe"})
        if strategy not in supported:
            raise UsageError(f"destination {destination_type(pipeline)} cannot merge with {strategy!r}, which "
                             f"{needed_by} need; a merge there would silently become an append. "
                             "Choose a destination that merges (duckdb, postgres, ...)")


def prepare_source(pipeline: dlt.Pipeline, source: DltSource) -> DltSource:
    """On a lake: every table as Delta, and delete-insert merges as upserts (the same rows for a unique key)."""
    fmt = table_format(pipeline) if is_lake(pipeline) else None
    if fmt is None:
        return source
    for resource in source.resources.values():
        disposition = resource.write_disposition
        if isinstance(disposition, dict) and disposition.get("strategy") == "delete-insert" or disposition == "merge":
            resource.apply_hints(write_disposition={"disposition": "merge", "strategy": "upsert"})
        resource.apply_hints(table_format=fmt)
    return source


def require_sql_engine(pipeline: dlt.Pipeline, command: str) -> None:
    """`transform` and `export` run SQL in the destination; a lake has none to keep their results in."""
    if is_lake(pipeline):
        raise UsageError(
            f"`{command}` needs a SQL warehouse destination: the filesystem destination (a lake) holds the raw "
            "tables only, as Delta tables that Spark, Trino, Athena or DuckDB read, and no cost_and_usage or "
            "rollups. Run the transforms against a warehouse (DESTINATION_TYPE=duckdb or postgres)")


def lake_row_count(pipeline: dlt.Pipeline, table: str) -> int:
    """Rows of a raw Delta table, read with deltalake: the filesystem sql_client's DuckDB would need its
    `delta` extension, which it downloads at first use (and offline cannot)."""
    from dlt.common.libs.deltalake import get_delta_tables

    for schema in pipeline.schema_names:
        try:
            delta = get_delta_tables(pipeline, table, schema_name=schema)[table]
        except (ValueError, KeyError):
            continue  # not in this source's schema, or not created yet
        return delta.to_pyarrow_dataset().count_rows()
    return 0
