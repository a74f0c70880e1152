"""Reading one FOCUS file into pages of our shape: the export config, version detection, CSV/Parquet reading."""

from __future__ import annotations

import posixpath
from dataclasses import dataclass
from typing import Any, Iterator

import orjson
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
from dlt.common.normalizers.naming.snake_case import NamingConvention

from pipelines.errors import UsageError
from sources.arrow_records import Rejection
from sources.exact_numbers import from_array
from sources.focus_files.settings import (
    CONFIG_KEY, CSV_BLOCK_BYTES, DECIMAL_COLUMNS, FILE_COLUMNS, FOCUS_1_3_COLUMNS, INTRODUCED, JSON_COLUMNS,
    MANDATORY, MONEY, PARQUET_BATCH_ROWS, PROVIDER_COLUMNS, TIME_COLUMNS, UTC, VERSIONS,
)
from sources.focus_files.values import to_json_text, to_utc

_naming = NamingConvention()
_GLOB_CHARS = "*?["
_NOT_NULL = {"x_export_provider", "x_focus_version", "x_file", "x_file_modified", "x_row"}


@dataclass(frozen=True)
class Export:
    provider: str
    url: str
    focus_version: str | None = None

    @property
    def bucket_and_glob(self) -> tuple[str, str]:
        return split_url(self.url)


def parse_exports(value: Any) -> list[Export]:
    """The configured exports, checked: bad config stops the run with exit 2 and names the key."""
    if isinstance(value, (str, bytes)):
        try:
            value = orjson.loads(value)
        except orjson.JSONDecodeError as exc:
            raise UsageError(f"{CONFIG_KEY} is not valid JSON ({exc})") from None
    if isinstance(value, dict):
        value = [value]
    if not isinstance(value, list):
        raise UsageError(f"{CONFIG_KEY} must be a JSON list of {{\"provider\", \"url\", \"focus_version\"}} objects")
    exports = []
    for index, item in enumerate(value):
        where = f"{CONFIG_KEY}[{index}]"
        if not isinstance(item, dict):
            raise UsageError(f"{where} must be an object with \"provider\" and \"url\", got {item!r}")
        unknown = set(item) - {"provider", "url", "focus_version"}
        if unknown:
            raise UsageError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
        provider, url, version = item.get("provider"), item.get("url"), item.get("focus_version")
        if not isinstance(provider, str) or not provider.strip():
            raise UsageError(f"{where}: \"provider\" must be a non-empty string (e.g. \"AWS\")")
        if not isinstance(url, str) or not url.strip():
            raise UsageError(f"{where}: \"url\" must be a path or fsspec URL (glob allowed)")
        if version is not None and str(version) not in VERSIONS:
            raise UsageError(f"{where}: \"focus_version\" must be one of {', '.join(VERSIONS)}, got {version!r}")
        exports.append(Export(provider.strip(), url.strip(), None if version is None else str(version)))
    if not exports:
        raise UsageError(f"{CONFIG_KEY} is an empty list: give at least one export or unset it")
    return exports


def split_url(url: str) -> tuple[str, str]:
    """`s3://b/focus/*/x.parquet` -> (`s3://b/focus`, `*/x.parquet`): dlt's filesystem takes a folder and a glob.

    A URL without glob characters names one file (folder, file name) or, ending in `/`, every file below it.
    """
    if url.endswith("/"):
        return url.rstrip("/") or "/", "**/*"
    scheme, sep, path = url.partition("://")
    if not sep:
        scheme, path = "", url
    parts = path.split("/")
    first_glob = next((i for i, part in enumerate(parts) if any(c in part for c in _GLOB_CHARS)), len(parts) - 1)
    folder, pattern = "/".join(parts[:first_glob]), "/".join(parts[first_glob:])
    if not folder and path.startswith("/"):
        folder = "/"
    return (f"{scheme}://{folder}" if sep else folder or "."), pattern


def detect_version(columns: list[str]) -> str:
    """The newest version whose new columns the file carries (conditional columns may be absent, so a
    sparse 1.2 file can look like 1.1: set `focus_version` in the config when you know it)."""
    present = set(columns)
    return next((v for v in ("1.3", "1.2", "1.1") if present & set(INTRODUCED[v])), "1.0")


def missing_mandatory(columns: list[str]) -> list[str]:
    present = set(columns)
    missing = [c for c in MANDATORY if c not in present]
    if not present & set(PROVIDER_COLUMNS):
        missing.append(" or ".join(PROVIDER_COLUMNS))
    return missing


def file_format(name: str) -> str:
    lower = name.lower()
    if lower.endswith((".parquet", ".parq", ".pq", ".snappy.parquet")):
        return "parquet"
    return "csv"  # .csv, .csv.gz, .gz: gzip is undone by the file item's open()


def read_batches(file_item: Any) -> Iterator[pa.Table]:
    """The file's rows as Arrow tables; CSV columns stay strings (so nothing is guessed), Parquet keeps types."""
    if file_format(file_item["file_name"]) == "parquet":
        with file_item.open(mode="rb", compression="disable") as handle:
            reader = pq.ParquetFile(handle)
            for batch in reader.iter_batches(batch_size=PARQUET_BATCH_ROWS):
                yield pa.Table.from_batches([batch])
        return
    with file_item.open(mode="rb") as handle:
        header = pa_csv.open_csv(handle, read_options=pa_csv.ReadOptions(block_size=CSV_BLOCK_BYTES))
        names = header.schema.names
    with file_item.open(mode="rb") as handle:
        convert = pa_csv.ConvertOptions(column_types={n: pa.string() for n in names},
                                        strings_can_be_null=True, quoted_strings_can_be_null=True)
        reader = pa_csv.open_csv(handle, read_options=pa_csv.ReadOptions(block_size=CSV_BLOCK_BYTES,
                                                                         use_threads=False),
                                 convert_options=convert)
        for batch in reader:
            yield pa.Table.from_batches([batch])


def shape(table: pa.Table, version: str, provider: str, file_item: Any, first_row: int
          ) -> tuple[pa.Table, list[Rejection]]:
    """One page of delivered rows to our 1.3 shape plus the file columns; unreadable rows are returned apart."""
    columns: dict[str, pa.Array] = {}
    bad = pa.array([False] * table.num_rows, pa.bool_())
    bad_why: dict[str, pa.Array] = {}
    for name in table.column_names:
        array = table.column(name).combine_chunks()
        convert = (from_array if name in DECIMAL_COLUMNS else to_utc if name in TIME_COLUMNS
                   else to_json_text if name in JSON_COLUMNS else None)
        if convert is not None:
            array, column_bad = convert(array)
            if pc.any(column_bad).as_py():
                bad, bad_why[name] = pc.or_(bad, column_bad), column_bad
        elif pa.types.is_dictionary(array.type):
            array = array.dictionary_decode()
        columns[name] = array
    provider_name = columns.get("ProviderName")
    if provider_name is not None:  # FOCUS 1.3: ServiceProviderName replaces ProviderName; the host is not exposed
        service = columns.get("ServiceProviderName")
        columns["ServiceProviderName"] = provider_name if service is None else pc.coalesce(service, provider_name)
        host = columns.get("HostProviderName")
        service = columns["ServiceProviderName"]
        columns["HostProviderName"] = service if host is None else pc.coalesce(host, service)
    rows = pc.add(pa.array(range(table.num_rows), pa.int64()), first_row)
    out = {}
    for name in FOCUS_1_3_COLUMNS:
        default = (MONEY if name in DECIMAL_COLUMNS else UTC if name in TIME_COLUMNS else pa.string())
        out[name] = columns.pop(name) if name in columns else pa.nulls(table.num_rows, default)
    out.update(columns)  # provider columns (x_..., oci_...) and anything newer, as delivered
    n = table.num_rows
    out.update({
        "x_export_provider": pa.array([provider] * n, pa.string()),
        "x_focus_version": pa.array([version] * n, pa.string()),
        "x_file": pa.array([file_item["file_url"]] * n, pa.string()),
        "x_file_modified": pa.array([file_item["modification_date"]] * n, FILE_COLUMNS["x_file_modified"]),
        "x_file_size": pa.array([file_item.get("size_in_bytes")] * n, pa.int64()),
        "x_row": rows,
    })
    shaped = pa.table(out)
    # the file columns are never NULL: say so, as the table's hints do
    shaped = shaped.cast(pa.schema([f.with_nullable(f.name not in _NOT_NULL) for f in shaped.schema]))
    shaped = shaped.rename_columns([_naming.normalize_identifier(c) for c in shaped.column_names])
    if not bad_why:
        return shaped, []
    rejected = table.filter(bad)
    reasons = []
    for i in range(table.num_rows):
        if bad[i].as_py():
            reasons.append(", ".join(c for c, mask in bad_why.items() if mask[i].as_py()))
    rejections = [
        Rejection(orjson.dumps(row, default=str).decode(), f"unreadable value in column(s) {why}",
                  f"{file_item['file_url']}#{row_number}")
        for row, why, row_number in zip(rejected.to_pylist(), reasons, pc.filter(rows, bad).to_pylist(),
                                        strict=True)
    ]
    return shaped.filter(pc.invert(bad)), rejections


def file_label(file_item: Any) -> str:
    return posixpath.basename(file_item["file_url"])
