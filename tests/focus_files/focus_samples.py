"""FOCUS export files for the tests, made by a third party's generator (PyPI `focus-data-toolkit`), not by us.

The toolkit writes provider-realistic FOCUS 1.2 and 1.3 Cost and Usage CSVs for AWS, Azure and Google Cloud.
From those we make the other shapes a provider delivers: gzip CSV, Parquet (decimals or doubles), FOCUS 1.0
and 1.1 files (the 1.2 file without the columns 1.1 and 1.2 introduced, per the specification's column
lists), and an OCI-style file (FOCUS 1.0 with `oci_` columns and minute-precision times).
"""

from __future__ import annotations

import contextlib
import gzip
import io
import os
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from sources.focus_files.settings import DECIMAL_COLUMNS, INTRODUCED

COSTS = ("BilledCost", "EffectiveCost", "ListCost")


def generate(provider: str, version: str, rows: int, out: Path, seed: int = 1202) -> Path:
    """One Cost and Usage CSV from the toolkit's own command line (in-process)."""
    from focus_data_toolkit.cli import main

    folder = out / f"gen-{provider}-{version}-{seed}"
    with contextlib.redirect_stdout(io.StringIO()):
        code = main(["generate", "--provider", provider, "--focus-version", version, "--rows", str(rows),
                     "--seed", str(seed), "--out", str(folder)])
    assert code == 0
    return folder / f"focus_{version.replace('.', '_')}_cost_and_usage_{provider}.csv"


def read_strings(path: Path) -> pa.Table:
    with open(path, "rb") as handle:
        names = pa_csv.open_csv(handle).schema.names
    return pa_csv.read_csv(path, convert_options=pa_csv.ConvertOptions(column_types={n: pa.string() for n in names}))


def write_csv(table: pa.Table, path: Path, gzipped: bool = False) -> Path:
    buffer = io.BytesIO()
    pa_csv.write_csv(table, buffer)
    data = buffer.getvalue()
    path.write_bytes(gzip.compress(data) if gzipped else data)
    return path


def write_parquet(table: pa.Table, path: Path, money: pa.DataType) -> Path:
    """Parquet as a provider writes it: cost columns typed (decimal or double), the rest strings."""
    columns = {}
    for name in table.column_names:
        column = table.column(name)
        if name in DECIMAL_COLUMNS:
            column = pc.if_else(pc.equal(column, ""), pa.scalar(None, pa.string()), column).cast(money)
        columns[name] = column
    pq.write_table(pa.table(columns), path)
    return path


def as_version(table: pa.Table, version: str) -> pa.Table:
    """A 1.2 table in the shape of FOCUS 1.1 or 1.0: drop what the later versions introduced."""
    later = [v for v in ("1.3", "1.2", "1.1") if v > version]
    drop = {c for v in later for c in INTRODUCED[v]}
    return table.select([c for c in table.column_names if c not in drop])


def oci_style(table: pa.Table) -> pa.Table:
    """FOCUS 1.0 as OCI delivers it: Oracle names, its own `oci_` columns, times to the minute."""
    table = as_version(table, "1.0")
    n = table.num_rows
    replace = {"ProviderName": "Oracle", "PublisherName": "Oracle", "InvoiceIssuerName": "Oracle"}
    columns = {}
    for name in table.column_names:
        column = table.column(name)
        if name in replace:
            column = pa.array([replace[name]] * n)
        elif name in ("ChargePeriodStart", "ChargePeriodEnd", "BillingPeriodStart", "BillingPeriodEnd"):
            column = pa.array([None if v is None else v[:16] + "Z" for v in column.to_pylist()])
        columns[name] = column
    columns["oci_ReferenceNumber"] = pa.array([f"ref-{i}" for i in range(n)])
    columns["oci_CompartmentName"] = pa.array(["finance"] * n)
    return pa.table(columns)


def touch(path: Path, seconds_later: int) -> None:
    """A new modification time, as a provider's rewrite of the month gives."""
    stat = path.stat()
    os.utime(path, (stat.st_atime + seconds_later, stat.st_mtime + seconds_later))


def file_totals(path: Path) -> tuple[int, ...]:
    """Rows and cost totals (to the cent) of one file, read directly with DuckDB, not through our code."""
    if path.name.endswith(".parquet"):
        source = f"read_parquet('{path}')"
    else:
        source = f"read_csv('{path}', all_varchar=true, header=true)"
    sums = ", ".join(f"round(sum({c}::DECIMAL(38,10)), 2)" for c in COSTS)
    return duckdb.sql(f"SELECT count(*), {sums} FROM {source}").fetchone()
