"""What a user sees when a file is not FOCUS, a value is unreadable, or the configuration is wrong."""

from __future__ import annotations

import gzip
import json

import pyarrow as pa
import pytest

from conftest import query, table_exists
from focus_samples import file_totals, generate, read_strings, write_csv
from sources.focus_files.settings import TABLE

pytestmark = pytest.mark.slow


def point(monkeypatch, url: str, **extra) -> None:
    monkeypatch.setenv("SOURCES__FOCUS_FILES__EXPORTS", json.dumps([{"provider": "AWS", "url": url, **extra}]))


def test_a_file_that_is_not_focus_is_quarantined_once_naming_its_missing_columns(workdir, cli, monkeypatch):
    gen = workdir / "gen"
    good = generate("aws", "1.3", 100, gen)
    folder = workdir / "exports"
    folder.mkdir()
    (folder / "good.csv").write_bytes(good.read_bytes())
    # the toolkit's other dataset, Contract Commitment, is a real FOCUS file but not Cost and Usage
    (folder / "commitments.csv").write_bytes((good.parent / "focus_1_3_contract_commitment_aws.csv").read_bytes())
    point(monkeypatch, str(folder / "*.csv"))
    result = cli("run", "--sources", "focus_files")
    assert result.code == 0, result.output
    assert "1 record(s) quarantined" in result.stdout
    [(reason, position)] = query(workdir, "SELECT reason, position FROM finops._rejected_records")
    assert reason.startswith("not a FOCUS file: missing mandatory column(s) BilledCost,")
    assert "ServiceName" in reason and position.endswith("commitments.csv")
    assert query(workdir, f"SELECT count(*) FROM finops.{TABLE}") == [(file_totals(good)[0],)]
    assert cli("run", "--sources", "focus_files").code == 0  # the same version of the file is not re-quarantined
    assert query(workdir, "SELECT count(*) FROM finops._rejected_records") == [(1,)]


def test_rows_with_unreadable_values_are_quarantined_and_the_rest_load(workdir, cli, monkeypatch):
    table = read_strings(generate("azure", "1.2", 50, workdir / "gen"))
    billed = table.column("BilledCost").to_pylist()
    billed[3], billed[7] = "12,50", "abc"
    times = table.column("ChargePeriodStart").to_pylist()
    times[9] = "yesterday"
    table = table.set_column(table.column_names.index("BilledCost"), "BilledCost", pa.array(billed))
    table = table.set_column(table.column_names.index("ChargePeriodStart"), "ChargePeriodStart", pa.array(times))
    path = write_csv(table, workdir / "month.csv")
    point(monkeypatch, str(path))
    result = cli("run", "--sources", "focus_files")
    assert result.code == 0, result.output
    assert query(workdir, f"SELECT count(*), min(x_row), max(x_row) FROM finops.{TABLE}") == [(47, 1, 50)]
    rejected = query(workdir, "SELECT position, reason FROM finops._rejected_records ORDER BY 1")
    assert [(p.rsplit("#", 1)[1], r) for p, r in rejected] == [
        ("10", "unreadable value in column(s) ChargePeriodStart"),
        ("4", "unreadable value in column(s) BilledCost"), ("8", "unreadable value in column(s) BilledCost")]


def test_a_truncated_gzip_file_is_named_and_nothing_of_it_loads(workdir, cli, monkeypatch):
    source = generate("gcp", "1.3", 200, workdir / "gen")
    packed = gzip.compress(source.read_bytes())
    path = workdir / "broken.csv.gz"
    path.write_bytes(packed[: len(packed) // 2])
    point(monkeypatch, str(path))
    result = cli("run", "--sources", "focus_files")
    assert "broken.csv.gz" in result.output
    assert not table_exists(workdir, TABLE) or query(workdir, f"SELECT count(*) FROM finops.{TABLE}") == [(0,)]


@pytest.mark.parametrize("value, words", [
    ("not json", "is not valid JSON"),
    ('[{"provider": "AWS"}]', '"url" must be a path or fsspec URL'),
    ('[{"provider": "AWS", "url": "/x/*.csv", "focus_version": "2.0"}]', '"focus_version" must be one of'),
    ('[{"provider": "AWS", "url": "/x/*.csv", "bucket": "b"}]', "unknown key(s) bucket"),
    ("[]", "is an empty list"),
])
def test_bad_configuration_exits_2_naming_the_key(workdir, cli, monkeypatch, value, words):
    monkeypatch.setenv("SOURCES__FOCUS_FILES__EXPORTS", value)
    result = cli("run", "--sources", "focus_files")
    assert result.code == 2, result.output
    assert "SOURCES__FOCUS_FILES__EXPORTS" in result.output and words in result.output


def test_no_exports_configured_is_skipped_with_a_notice(workdir, cli):
    result = cli("run", "--sources", "focus_files")
    assert result.code == 0, result.output
    assert "focus_files: skipped, not configured (set SOURCES__FOCUS_FILES__EXPORTS" in result.stdout
