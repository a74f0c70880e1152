"""Packages an interrupted run left behind (killed in extract's last moments, in normalize or in load, or a
load that failed on the warehouse): loaded first, counted honestly, before this run extracts anything.

dlt's `pipeline.run(source)` on a pipeline with pending packages loads only those and returns without
extracting, so a run after a crash would silently skip the range it was asked for.
"""

from __future__ import annotations

import logging

import dlt
from dlt.pipeline.exceptions import PipelineStepFailed

from pipelines.errors import FinopsError
from sources.run_report import SourceReport

log = logging.getLogger("finops_etl")


def finish_pending(pipeline: dlt.Pipeline, reports: dict[str, SourceReport]) -> None:
    """Normalize and load every pending package; add its rows to `rows_finished` of its source's report."""
    import sources.loading

    sources.loading.appends_allowed = True
    _drop_normalized_leftovers(pipeline)
    if not pipeline.has_pending_data:
        return
    from pipelines.runner import _is_data_table, _step_failure

    # whatever the state says after this, this run merges (sources/loading.py)
    sources.loading.appends_allowed = False
    _restore_package_schemas(pipeline)
    load_ids = [*pipeline.list_extracted_load_packages(), *pipeline.list_normalized_load_packages()]
    schemas = {load_id: pipeline.get_load_package_info(load_id).schema_name for load_id in load_ids}
    log.info("loading %d package(s) an interrupted run left pending, before this run's own work", len(load_ids))
    try:
        if pipeline.list_extracted_load_packages():
            pipeline.normalize()
        pipeline.load()
        # A kill between dlt committing an extracted package and saving the local state leaves the local
        # high-water marks behind the package's; the package carried its state to the destination, so take
        # that back (otherwise a source could plan an append over rows just loaded).
        pipeline.sync_destination()
    except PipelineStepFailed as exc:
        raise _step_failure("pending packages", exc) from None
    for load_id, schema_name in schemas.items():
        tables = [t for t in pipeline.schemas[schema_name].data_table_names() if _is_data_table(t)]
        rows = _rows_of_load(pipeline, tables, load_id)
        report = reports.get(schema_name)
        if report is not None:
            report.rows_finished += rows
        else:  # a source not selected this time: still loaded, and said so
            log.info("%s: loaded %d row(s) an interrupted run had extracted", schema_name, rows)


def _restore_package_schemas(pipeline: dlt.Pipeline) -> None:
    """A kill between dlt committing a source's first package and saving its schema leaves a package whose schema
    the pipeline does not know (normalize would fail on it for ever); the package carries its own copy."""
    storages = [(pipeline._get_normalize_storage().extracted_packages,  # noqa: SLF001 - no public call for this
                 pipeline.list_extracted_load_packages()),
                (pipeline._get_load_storage().normalized_packages,  # noqa: SLF001
                 pipeline.list_normalized_load_packages())]
    for packages, load_ids in storages:
        for load_id in load_ids:
            name = packages.schema_name(load_id)
            if name not in pipeline.schema_names:
                log.debug("package %s: taking its schema %s back into the pipeline", load_id, name)
                pipeline._schema_storage.save_schema(packages.load_schema(load_id))  # noqa: SLF001
                pipeline.schema_names.append(name)


def _drop_normalized_leftovers(pipeline: dlt.Pipeline) -> None:
    """Normalize commits a package to the load folder, then deletes its extracted copy file by file: a kill in
    between leaves a half-deleted extracted package (no schema.json) that dlt would try to normalize again, and
    fail on, for ever. Its rows are safe in the committed copy, so the leftover goes."""
    done = {*pipeline.list_normalized_load_packages(), *pipeline.list_completed_load_packages()}
    leftovers = [load_id for load_id in pipeline.list_extracted_load_packages() if load_id in done]
    if leftovers:
        storage = pipeline._get_normalize_storage()  # noqa: SLF001 - dlt has no public call for this clean-up
        for load_id in leftovers:
            log.debug("removing the extracted copy of package %s, normalized before a crash", load_id)
            storage.extracted_packages.delete_package(load_id)


def _rows_of_load(pipeline: dlt.Pipeline, tables: list[str], load_id: str) -> int:
    """Rows the warehouse now holds from that load (a merge may have replaced some of the package's rows)."""
    total = 0
    try:
        with pipeline.sql_client() as client:
            for table in tables:
                name = client.make_qualified_table_name(table)
                rows = client.execute_sql(f"SELECT count(*) FROM {name} WHERE _dlt_load_id = %s", load_id)
                total += rows[0][0] if rows else 0
    except Exception as exc:  # noqa: BLE001 - the rows are loaded; only the count for the summary is missing
        raise FinopsError(f"pending packages loaded, but counting their rows failed: {exc}") from None
    return total
