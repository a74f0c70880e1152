"""Venice pages (JSON and CSV) into our columns, numbers exact at DECIMAL(38,10)."""

from __future__ import annotations

import csv
import io

import orjson
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from sources.arrow_records import Rejection, parse_page, reject_missing
from sources.exact_numbers import MONEY, from_strings
from sources.http_client import MalformedBody
from sources.venice.settings import COLUMNS, CSV_REQUIRED, CSV_TYPES, RECORD_TYPE, REQUIRED

Page = tuple[pa.Table, list[Rejection]]


def _flatten(table: pa.Table) -> pa.Table:
    """JSON pages: inferenceDetails.* become top-level columns, as in the CSV export."""
    details = table.column("inferenceDetails").combine_chunks()
    names = {"requestId": "requestId", "inferenceExecutionTime": "inferenceExecutionTime",
             "promptTokens": "promptTokens", "completionTokens": "completionTokens"}
    table = table.drop_columns(["inferenceDetails"])
    for i, field in enumerate(details.type):
        values = pc.struct_field(details, [i])
        table = table.append_column(names.get(field.name, field.name), values)
    return table


def shape(table: pa.Table, position: str) -> Page:
    """Our columns from either format; VCU (Venice's old name for DIEM) is reported as DIEM."""
    delivered = table.column("currency")
    normalized = pc.if_else(pc.equal(delivered, "VCU"), pa.scalar("DIEM"), delivered)

    def column(name: str) -> pa.ChunkedArray | pa.Array:  # a CSV export may leave out optional columns
        if name in table.column_names:
            return table.column(name)
        return pa.nulls(table.num_rows, CSV_TYPES[name])

    out = pa.table({
        "timestamp": table.column("timestamp"), "sku": table.column("sku"),
        "price_per_unit_usd": column("pricePerUnitUsd"), "units": column("units"),
        "amount": table.column("amount"), "currency": normalized, "currency_delivered": delivered,
        "notes": column("notes"), "request_id": column("requestId"),
        "inference_execution_time_ms": column("inferenceExecutionTime"),
        "prompt_tokens": column("promptTokens"), "completion_tokens": column("completionTokens"),
    })
    return reject_missing(out.select(COLUMNS), REQUIRED, position)


def parse_json(body: bytes, position: str) -> tuple[pa.Table, list[Rejection], dict]:
    table, rejections, others = parse_page(body, "data", RECORD_TYPE, position)
    shaped, missing = shape(_flatten(table), position)
    return shaped, rejections + missing, others


def csv_names(body: bytes) -> list[str]:
    """The header row, each name as our JSON field: `inferenceDetails.requestId` and `requestId` are one column
    (Venice does not specify its CSV headers; the seed page names the fields the dotted way)."""
    header = next(csv.reader(io.StringIO(body.split(b"\n", 1)[0].decode("utf-8-sig", "replace"))), [])
    return [name.strip().removeprefix("inferenceDetails.") for name in header]


def parse_csv(body: bytes, position: str) -> Page:
    if not body.strip():
        return shape(pa.schema(list(CSV_TYPES.items())).empty_table(), position)
    names = csv_names(body)
    missing = [name for name in CSV_REQUIRED if name not in names]
    if missing or len(set(names)) != len(names):
        raise MalformedBody(f"CSV page without the column(s) {', '.join(missing) or 'named once each'}: header "
                            f"{names}", body, retryable=False)
    read = pa_csv.ReadOptions(column_names=names, skip_rows=1)
    table = None
    for money in (MONEY, pa.string()):  # numbers too long for DECIMAL(38,10) are read as text, then rounded
        types = {name: money if CSV_TYPES.get(name) == MONEY else kind for name, kind in CSV_TYPES.items()}
        try:
            table = pa_csv.read_csv(io.BytesIO(body), read_options=read, convert_options=pa_csv.ConvertOptions(
                column_types=types, strings_can_be_null=True, quoted_strings_can_be_null=False))
            break
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
            failure = exc
    if table is None:
        raise MalformedBody(f"unreadable CSV page ({failure})", body) from None
    table, rejections = _exact_csv_numbers(table, position)
    shaped, missing_keys = shape(table, position)
    return shaped, rejections + missing_keys


def _exact_csv_numbers(table: pa.Table, position: str) -> Page:
    """Money columns read as text: exact half-even at DECIMAL(38,10); a row with a number out of range is
    quarantined on its own."""
    bad = None
    for name in [n for n in table.column_names if CSV_TYPES.get(n) == MONEY]:
        if table.schema.field(name).type == MONEY:
            continue
        values, wrong = from_strings(table.column(name))
        bad = wrong if bad is None else pc.or_(bad, wrong)
        table = table.set_column(table.schema.get_field_index(name), pa.field(name, MONEY), values)
    if bad is None or not pc.any(bad).as_py():
        return table, []
    rows = zip(pc.indices_nonzero(bad).to_pylist(), table.filter(bad).to_pylist(), strict=True)
    rejections = [Rejection(orjson.dumps(row, default=str).decode(), "a number DECIMAL(38,10) cannot hold",
                            f"{position}#{i}") for i, row in rows]
    return table.filter(pc.invert(bad)), rejections
