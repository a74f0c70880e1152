"""A lake (dlt's filesystem destination): Delta tables merged exactly once, or refused with exit 2."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import point_at

deltalake = pytest.importorskip("deltalake")


@pytest.fixture
def lake(workdir, monkeypatch) -> Path:
    root = workdir / "lake"
    monkeypatch.setenv("DESTINATION_TYPE", "filesystem")
    monkeypatch.setenv("DESTINATION__FILESYSTEM__BUCKET_URL", str(root))
    monkeypatch.delenv("DESTINATION__DUCKDB__CREDENTIALS", raising=False)
    return root


def rows(lake: Path, table: str) -> list[dict]:
    return deltalake.DeltaTable(str(lake / "finops" / table)).to_pyarrow_table().to_pylist()


def test_a_filesystem_destination_without_a_table_format_is_refused_before_loading(sandbox, cli, lake, monkeypatch):
    point_at(monkeypatch, sandbox, venice=False)
    result = cli("backfill", "--start", "2026-10-01", "--end", "2026-10-03")
    assert result.code == 2, result.output
    assert "FINOPS__TABLE_FORMAT=delta" in result.stderr and "duplicate" in result.stderr
    assert not (lake / "finops").exists()
    monkeypatch.setenv("FINOPS__TABLE_FORMAT", "iceberg")
    assert cli("run").code == 2


def test_an_overlapping_rerun_on_delta_never_duplicates_a_row(sandbox, cli, lake, monkeypatch):
    point_at(monkeypatch, sandbox, FINOPS__TABLE_FORMAT="delta")
    only = ("--sources", "cloudflare_billing,venice")
    first = cli("backfill", "--start", "2026-10-01", "--end", "2026-10-10", *only)
    assert first.code == 0, first.output
    assert "transforms skipped" in first.stderr
    counts = {t: len(rows(lake, t)) for t in ("cloudflare_billable_usage", "venice_billing_usage")}
    assert all(counts.values()), counts
    again = cli("backfill", "--start", "2026-10-05", "--end", "2026-10-14", *only)
    assert again.code == 0, again.output
    for table in counts:
        loaded = rows(lake, table)
        keys = [r["record_key"] for r in loaded]
        assert len(keys) == len(set(keys)), f"{table}: {len(keys) - len(set(keys))} duplicated rows"
        assert len(loaded) > counts[table]
    status = cli("status", "--sources", "cloudflare_billing,venice")
    assert status.code == 0 and all(f"{t}: {len(rows(lake, t))} rows" in status.stdout for t in counts), status.output
    # the overlap was re-read (the second backfill started inside the first) and replaced, not appended
    billed = sum(r["billed_cost"] or 0 for r in rows(lake, "cloudflare_billable_usage"))
    assert billed > 0


def test_the_spending_limit_history_is_refused_on_delta_which_has_no_scd2(sandbox, cli, lake, monkeypatch):
    """dlt 1.31 merges Delta tables by upsert, insert-only or cdc: the limit history (scd2) cannot live there."""
    point_at(monkeypatch, sandbox, venice=False, FINOPS__TABLE_FORMAT="delta")
    result = cli("run")
    assert result.code == 2, result.output
    assert "scd2" in result.stderr and "--sources cloudflare_billing,venice" in result.stderr
    assert not (lake / "finops").exists()


def test_an_unconfigured_ai_gateway_does_not_block_a_lake(sandbox, cli, lake, monkeypatch):
    point_at(monkeypatch, sandbox, cloudflare=False, FINOPS__TABLE_FORMAT="delta")
    result = cli("backfill", "--start", "2026-10-01", "--end", "2026-10-02")
    assert result.code == 0, result.output
    assert rows(lake, "venice_billing_usage")


def test_transform_and_export_on_a_lake_exit_2_naming_the_limitation(cli, lake, monkeypatch, tmp_path):
    monkeypatch.setenv("FINOPS__TABLE_FORMAT", "delta")
    for args in (("transform",), ("export", "--out", str(tmp_path / "out"))):
        result = cli(*args)
        assert result.code == 2, result.output
        assert "warehouse destination" in result.stderr and "raw tables only" in result.stderr
    assert not (tmp_path / "out").exists()


def test_a_warehouse_whose_merges_would_become_appends_is_refused(workdir):
    """Athena merges only Iceberg tables: dlt's capabilities say so, and we refuse it before loading."""
    import dlt

    from pipelines.destinations import check_loadable
    from pipelines.errors import UsageError

    pipeline = dlt.pipeline(pipeline_name="probe", destination="athena", pipelines_dir=str(workdir / "dlt"))
    with pytest.raises(UsageError, match="cannot merge with 'delete-insert'.*silently become an append") as caught:
        check_loadable(pipeline, ["cloudflare_billing"])
    assert caught.value.exit_code == 2
    check_loadable(dlt.pipeline(pipeline_name="probe2", destination="postgres",
                                pipelines_dir=str(workdir / "dlt")), ["cloudflare_billing", "ai_gateway"])
