"""FOCUS exports of every version and format load with the files' own row counts and cost totals."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pytest

from conftest import query, table_exists
from focus_samples import (
    as_version, file_totals, generate, oci_style, read_strings, touch, write_csv, write_parquet,
)
from sources.focus_files.settings import FOCUS_1_3_COLUMNS, TABLE

pytestmark = pytest.mark.slow
SUMS = "round(sum(billed_cost), 2), round(sum(effective_cost), 2), round(sum(list_cost), 2)"


@pytest.fixture
def exports(workdir) -> dict[str, list[tuple[Path, str]]]:
    """Files per provider folder, each with the FOCUS version it is in."""
    gen = workdir / "generated"
    folders = {name: workdir / "exports" / name for name in ("aws", "azure", "gcp", "oci")}
    for folder in folders.values():
        folder.mkdir(parents=True)
    aws13, aws12 = read_strings(generate("aws", "1.3", 300, gen)), read_strings(generate("aws", "1.2", 250, gen))
    azure13, azure12 = read_strings(generate("azure", "1.3", 300, gen)), read_strings(generate("azure", "1.2", 200, gen))
    gcp13, gcp12 = read_strings(generate("gcp", "1.3", 300, gen)), read_strings(generate("gcp", "1.2", 220, gen))
    return {
        "aws": [(write_parquet(aws13, folders["aws"] / "2026-05.parquet", pa.decimal128(38, 18)), "1.3"),
                (write_parquet(aws12, folders["aws"] / "2026-04.parquet", pa.float64()), "1.2")],
        "azure": [(write_csv(azure13, folders["azure"] / "part_0_0001.csv.gz", gzipped=True), "1.3"),
                  (write_csv(as_version(azure12, "1.1"), folders["azure"] / "part_1_1.csv"), "1.1")],
        "gcp": [(write_csv(gcp13, folders["gcp"] / "focus-000.csv"), "1.3"),
                (write_csv(as_version(gcp12, "1.0"), folders["gcp"] / "focus-old.csv"), "1.0")],
        "oci": [(write_csv(oci_style(aws12), folders["oci"] / "0001.csv.gz", gzipped=True), "1.0")],
    }


def configure(monkeypatch, workdir: Path) -> None:
    monkeypatch.setenv("SOURCES__FOCUS_FILES__EXPORTS", json.dumps([
        {"provider": "AWS", "url": str(workdir / "exports/aws/*.parquet")},
        {"provider": "Azure", "url": str(workdir / "exports/azure") + "/*.csv*"},
        {"provider": "Google Cloud", "url": (workdir / "exports/gcp").as_uri() + "/*.csv"},  # a file:// URL
        {"provider": "OCI", "url": str(workdir / "exports/oci") + "/", "focus_version": "1.0"},
    ]))


def loaded_totals(workdir: Path, path: Path) -> tuple:
    return query(workdir, f"SELECT count(*), {SUMS} FROM finops.{TABLE} WHERE x_file = '{path.as_uri()}'")[0]


def focus_totals(workdir: Path, path: Path) -> tuple:
    """The file's rows as cost_and_usage holds them (source key '<file URL>#<row>')."""
    return query(workdir, f"SELECT count(*), {SUMS} FROM finops.cost_and_usage WHERE x_source = 'focus_files' "
                          f"AND x_source_key LIKE '{path.as_uri()}#%'")[0]


def test_every_version_and_format_loads_with_the_files_own_totals(workdir, cli, monkeypatch, exports):
    configure(monkeypatch, workdir)
    result = cli("run", "--sources", "focus_files")
    assert result.code == 0, result.output
    files = [f for per_provider in exports.values() for f in per_provider]
    for path, version in files:
        assert loaded_totals(workdir, path) == file_totals(path), path.name
        assert focus_totals(workdir, path) == file_totals(path), path.name  # and one FOCUS row each
        assert query(workdir, f"SELECT DISTINCT x_focus_version FROM finops.{TABLE} "
                              f"WHERE x_file = '{path.as_uri()}'") == [(version,)], path.name
    expected_rows = sum(file_totals(p)[0] for p, _ in files)
    assert query(workdir, f"SELECT count(*) FROM finops.{TABLE}") == [(expected_rows,)]
    assert f"{expected_rows:>13,}" in result.stdout  # the run summary counts them


def test_older_versions_get_the_1_3_provider_columns_and_every_1_3_column_exists(workdir, cli, monkeypatch,
                                                                                exports):
    configure(monkeypatch, workdir)
    assert cli("run", "--sources", "focus_files").code == 0
    columns = {name for (name,) in query(workdir, "SELECT column_name FROM information_schema.columns "
                                                  f"WHERE table_schema = 'finops' AND table_name = '{TABLE}'")}
    from dlt.common.normalizers.naming.snake_case import NamingConvention

    naming = NamingConvention()
    assert {naming.normalize_identifier(c) for c in FOCUS_1_3_COLUMNS} <= columns
    assert {"x_export_provider", "x_focus_version", "x_file", "x_file_modified", "x_file_size", "x_row",
            "oci_reference_number", "oci_compartment_name"} <= columns
    by_version = dict(query(workdir, f"SELECT x_focus_version, count(*) FILTER (WHERE service_provider_name IS NULL "
                                     f"OR host_provider_name IS NULL) FROM finops.{TABLE} GROUP BY 1"))
    assert set(by_version) == {"1.0", "1.1", "1.2", "1.3"} and set(by_version.values()) == {0}
    assert query(workdir, f"SELECT DISTINCT service_provider_name, host_provider_name, x_export_provider "
                          f"FROM finops.{TABLE} WHERE x_export_provider = 'OCI'") == [("Oracle", "Oracle", "OCI")]
    types = dict(query(workdir, "SELECT column_name, data_type FROM information_schema.columns "
                                f"WHERE table_schema = 'finops' AND table_name = '{TABLE}'"))
    assert types["billed_cost"] == "DECIMAL(38,10)" and types["tags"] == "JSON"
    assert types["charge_period_start"] == "TIMESTAMP WITH TIME ZONE"
    # Tags as JSON: a key of the generator's tags can be read back with JSON functions
    assert query(workdir, f"SELECT count(*) FROM finops.{TABLE} WHERE tags->>'$.CostCenter' IS NOT NULL")[0][0] > 0
    # OCI's minute-precision times are UTC timestamps
    assert query(workdir, f"SELECT min(extract(second FROM charge_period_start)) FROM finops.{TABLE} "
                          "WHERE x_export_provider = 'OCI'") == [(0,)]


def test_a_rerun_reads_no_file_again(workdir, cli, monkeypatch, exports):
    configure(monkeypatch, workdir)
    assert cli("run", "--sources", "focus_files").code == 0
    loads = query(workdir, f"SELECT count(DISTINCT _dlt_load_id) FROM finops.{TABLE}")
    again = cli("run", "--sources", "focus_files")
    assert again.code == 0
    assert "focus_files         ok                0        0            0" in again.stdout
    assert query(workdir, f"SELECT count(DISTINCT _dlt_load_id) FROM finops.{TABLE}") == loads
    status = cli("status", "--sources", "focus_files")
    assert "OCI" in status.stdout and "(1 files)" in status.stdout and f"{TABLE}: " in status.stdout


def test_a_redelivered_month_replaces_its_rows_and_a_vanished_file_keeps_them(workdir, cli, monkeypatch,
                                                                               exports):
    configure(monkeypatch, workdir)
    assert cli("run", "--sources", "focus_files").code == 0
    month, _ = exports["azure"][1]  # plain CSV, FOCUS 1.1
    other, _ = exports["gcp"][0]
    other_before = loaded_totals(workdir, other)
    # the provider rewrites the month: 40 rows fewer, every BilledCost changed
    table = read_strings(month).slice(0, 160)
    billed = [None if v is None else f"{float(v) * 1.1 + 0.01:.6f}" for v in table.column("BilledCost").to_pylist()]
    table = table.set_column(table.column_names.index("BilledCost"), "BilledCost", pa.array(billed))
    write_csv(table, month)
    touch(month, 3600)
    assert file_totals(month)[0] == 160
    gone, _ = exports["gcp"][1]
    gone_before = loaded_totals(workdir, gone)
    gone.unlink()
    result = cli("run", "--sources", "focus_files")
    assert result.code == 0, result.output
    assert loaded_totals(workdir, month) == file_totals(month)
    assert focus_totals(workdir, month) == file_totals(month)  # the 40 rows past the new end are gone there too
    restated = query(workdir, "SELECT count(*), count(*) FILTER (WHERE new_billed_cost > old_billed_cost) "
                              f"FROM finops.cost_restatements WHERE record_key LIKE '{month.as_uri()}#%'")[0]
    assert restated[0] > 100 and restated[0] == restated[1]  # every changed row of the month, old vs new
    assert query(workdir, f"SELECT max(x_row) FROM finops.{TABLE} WHERE x_file = '{month.as_uri()}'") == [(160,)]
    assert loaded_totals(workdir, other) == other_before
    assert loaded_totals(workdir, gone) == gone_before  # a file no longer delivered keeps its rows
    assert focus_totals(workdir, gone) == gone_before and focus_totals(workdir, other) == other_before


def test_an_fsspec_memory_url_loads(workdir, cli, monkeypatch):
    import fsspec

    source = generate("gcp", "1.3", 120, workdir / "generated")
    fs = fsspec.filesystem("memory")
    fs.pipe("/focus-test/exports/gcp-1.csv", source.read_bytes())
    monkeypatch.setenv("SOURCES__FOCUS_FILES__EXPORTS", json.dumps(
        [{"provider": "Google Cloud", "url": "memory://focus-test/exports/*.csv"}]))
    try:
        assert cli("run", "--sources", "focus_files").code == 0
    finally:
        fs.rm("/focus-test", recursive=True)
    assert query(workdir, f"SELECT count(*), {SUMS} FROM finops.{TABLE}") == [file_totals(source)]
    assert table_exists(workdir, TABLE)
