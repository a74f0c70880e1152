"""JSON pages to typed Arrow tables, without per-row Python on the happy path.

Arrow's C++ JSON reader parses a whole response against a declared schema: decimals stay exact (the
digits as sent, no float detour), ISO timestamps become UTC timestamps, absent fields become NULL, and
fields we do not know yet are kept with an inferred type. Float-encoded numbers longer than 10 decimals are
read wide and rounded half-even by Arrow (sources.exact_numbers). Only when that fails too (a wrong type, an
unparsable date, 1e400) do we go record by record, so the bad records go to quarantine and the rest load.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pa_json
from dlt.common.normalizers.naming.snake_case import NamingConvention

from sources.exact_numbers import MONEY, exact, narrowed, widened
from sources.http_client import MalformedBody

_naming = NamingConvention()


@dataclass
class Rejection:
    """One record that failed validation: kept verbatim with the reason, never dropped."""

    payload: str
    reason: str
    position: str


def _read(body: bytes, schema: pa.Schema) -> pa.Table:
    options = pa_json.ParseOptions(explicit_schema=schema, unexpected_field_behavior="infer")
    read_options = pa_json.ReadOptions(block_size=max(len(body) + 1, 1 << 20), use_threads=False)
    return pa_json.read_json(io.BytesIO(body), read_options=read_options, parse_options=options)


# Record types whose pages have needed the wide read: their next pages start there (one parse, not two).
_wide_first: set[pa.StructType] = set()


def parse_page(body: bytes, records_field: str, record_type: pa.StructType, position: str
               ) -> tuple[pa.Table, list[Rejection], dict[str, Any]]:
    """Parse one JSON response whose records sit in a list under `records_field`.

    Returns the records as a table (top-level fields of the record as columns), the rejected records,
    and the response's other top-level fields (e.g. a next cursor) as Python values. Numbers are exact at
    DECIMAL(38,10), half-even (see sources.exact_numbers); only a record the schema itself refuses is rejected.
    """
    money = [f.name for f in record_type if f.type == MONEY]
    tiers = [record_type] + ([widened(record_type)] if money else [])
    if record_type in _wide_first:
        tiers = tiers[1:]
    for tier in tiers:
        try:
            parsed = _read(body, pa.schema([pa.field(records_field, pa.list_(tier))]))
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            continue
        others = {name: parsed.column(name)[0].as_py() for name in parsed.column_names if name != records_field}
        column = parsed.column(records_field)
        items = pa.concat_arrays([chunk.flatten() for chunk in column.chunks]) if column.num_chunks else None
        if items is None or len(items) == 0:
            return empty_table(record_type), [], others
        table, out_of_range = narrowed(pa.Table.from_struct_array(items), money)
        if out_of_range is None:
            if tier is not record_type:
                _wide_first.add(record_type)
            return table, [], others
        break  # a number too large for DECIMAL(38,10): find its record, keep the others
    return _parse_one_by_one(body, records_field, record_type, position)


def _decimal_text(value: object) -> Any:
    if isinstance(value, Decimal):
        return orjson.Fragment(str(value))
    raise TypeError(f"not JSON: {type(value).__name__}")


def _exact_record(record: dict, money: list[str]) -> str | None:
    """Round the record's money fields in place; the reason it cannot be loaded, or None."""
    for name in money:
        value = record.get(name)
        if value is None:
            continue
        number = exact(value)
        if number is None:
            return f"{name} {value} is not a number DECIMAL(38,10) can hold"
        record[name] = number
    return None


def _parse_one_by_one(body: bytes, records_field: str, record_type: pa.StructType, position: str
                      ) -> tuple[pa.Table, list[Rejection], dict[str, Any]]:
    """Record by record, numbers through Decimal (stdlib json keeps 1e400 and 45-digit integers exact):
    a record the schema refuses is quarantined on its own."""
    try:
        document = json.loads(body, parse_float=Decimal, parse_int=Decimal, parse_constant=Decimal)
    except (ValueError, RecursionError) as exc:
        raise MalformedBody(f"response is not valid JSON ({exc})", body) from None
    if not isinstance(document, dict) or not isinstance(document.get(records_field), list):
        raise MalformedBody(f"response has no list under {records_field!r}", body)
    schema = pa.schema(list(record_type))
    money = [f.name for f in record_type if f.type == MONEY]
    tables, rejections = [], []
    for index, record in enumerate(document[records_field]):
        original = orjson.dumps(record, default=_decimal_text).decode()
        try:
            if not isinstance(record, dict):
                raise pa.ArrowInvalid("record is not a JSON object")
            problem = _exact_record(record, money)
            if problem:
                raise pa.ArrowInvalid(problem)
            tables.append(_read(orjson.dumps(record, default=_decimal_text), schema))
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
            rejections.append(Rejection(original, f"unreadable record: {exc}", f"{position}#{index}"))
    others = {k: _plain(v) for k, v in document.items() if k != records_field}
    if not tables:
        return empty_table(record_type), rejections, others
    return pa.concat_tables(tables, promote_options="permissive"), rejections, others


def _plain(value: Any) -> Any:
    """Envelope fields as the fast path gives them (a Decimal there would surprise its readers)."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def empty_table(record_type: pa.StructType) -> pa.Table:
    return pa.schema(list(record_type)).empty_table()


def reject_missing(table: pa.Table, required: list[str], position: str) -> tuple[pa.Table, list[Rejection]]:
    """Rows with NULL in a field the key needs cannot be merged safely: quarantine them."""
    if table.num_rows == 0:
        return table, []
    missing = None
    for name in required:
        is_null = pc.is_null(table.column(name))
        missing = is_null if missing is None else pc.or_(missing, is_null)
    if missing is None or not pc.any(missing).as_py():
        return table, []
    bad = table.filter(missing)
    rejections = [
        Rejection(orjson.dumps(row, default=str).decode(),
                  "missing key field(s): " + ", ".join(n for n in required if row.get(n) is None), position)
        for row in bad.to_pylist()
    ]
    return table.filter(pc.invert(missing)), rejections


def snake_case_columns(table: pa.Table) -> pa.Table:
    """The column names dlt would give (x_BillableMetricId -> x_billable_metric_id), set up front so
    column hints, keys and SQL all use one spelling."""
    return table.rename_columns([_naming.normalize_identifier(name) for name in table.column_names])


KEY_SEPARATOR, KEY_NULL = "|", "\u2205"


def _escaped(strings: pa.ChunkedArray) -> pa.ChunkedArray:
    """Free text (Venice notes) may hold the separator or the NULL mark: escape them, and the escape."""
    for char in ("\\", KEY_SEPARATOR, KEY_NULL):
        strings = pc.replace_substring(strings, char, "\\" + char)
    return strings


def key_column(table: pa.Table, parts: list[str]) -> pa.Array:
    """One non-null merge key from nullable parts; distinct tuples of parts always give distinct keys.

    NULL is spelled as a bare mark so (a, NULL) != (a, ''); text parts are escaped so no value can imitate
    a separator or the mark. Keys of values without those characters are unchanged by the escaping.
    """
    strings = [pc.cast(table.column(name), pa.string()) for name in parts]
    strings = [_escaped(s) if pa.types.is_string(table.schema.field(name).type) else s
               for s, name in zip(strings, parts, strict=True)]
    return pc.binary_join_element_wise(*strings, KEY_SEPARATOR, null_handling="replace", null_replacement=KEY_NULL)
