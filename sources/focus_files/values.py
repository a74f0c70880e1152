"""Delivered values to our types, column at a time: UTC timestamps, JSON text (money: sources.exact_numbers).

Each function returns the converted array and a boolean mask of the values it could not read (NULL in the
array), so the caller quarantines those rows and loads the rest. Arrow does the work for a clean column;
only a column that Arrow refuses goes value by value, and only to find which values are bad.
"""

from __future__ import annotations

from datetime import datetime, timezone

import orjson
import pyarrow as pa
import pyarrow.compute as pc

from sources.exact_numbers import blank_to_null, none_bad
from sources.focus_files.settings import UTC


# ISO 8601 as providers write it: 7 fractional digits (Azure), a date alone, no zone (UTC is meant).
_FRACTION_TOO_LONG = (r"(\.\d{6})\d+", r"\1")
_DATE_ONLY = (r"^(\d{4}-\d{2}-\d{2})$", r"\1T00:00:00")
_NO_ZONE = (r"^(.*[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)$", r"\1Z")


def to_utc(array: pa.Array) -> tuple[pa.Array, pa.Array]:
    """Any delivered time column to a UTC timestamp (naive values are taken as UTC)."""
    kind = array.type
    if pa.types.is_null(kind):
        return pa.nulls(len(array), UTC), none_bad(array)
    if pa.types.is_timestamp(kind):
        if kind.tz is None:
            array = pc.assume_timezone(array, "UTC")
        return pc.cast(array, UTC, safe=False), none_bad(array)
    if pa.types.is_date(kind):
        return pc.cast(pc.cast(array, pa.timestamp("us")), UTC), none_bad(array)
    strings = blank_to_null(pc.cast(array, pa.string()))
    for pattern, replacement in (_FRACTION_TOO_LONG, _DATE_ONLY, _NO_ZONE):
        strings = pc.replace_substring_regex(strings, pattern, replacement)
    try:
        return pc.cast(strings, UTC), none_bad(strings)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        pass
    values = [_time_of(s) for s in strings.to_pylist()]
    bad = [v is None and s is not None for v, s in zip(values, strings.to_pylist(), strict=True)]
    return pa.array(values, UTC), pa.array(bad, pa.bool_())


def _time_of(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        return None
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


def to_json_text(array: pa.Array) -> tuple[pa.Array, pa.Array]:
    """A JSON column as JSON text: strings must parse as JSON; maps, structs and lists are written as JSON."""
    kind = array.type
    if pa.types.is_null(kind):
        return pa.nulls(len(array), pa.string()), none_bad(array)
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        strings = blank_to_null(pc.cast(array, pa.string()))
        bad = [s is not None and not _is_json(s) for s in strings.to_pylist()]
        return pc.if_else(pa.array(bad, pa.bool_()), pa.scalar(None, pa.string()), strings), pa.array(bad)
    values = array.to_pylist()
    if pa.types.is_map(kind):
        values = [None if v is None else dict(v) for v in values]
    texts = [None if v is None else orjson.dumps(v, default=str).decode() for v in values]
    return pa.array(texts, pa.string()), none_bad(array)


def _is_json(text: str) -> bool:
    try:
        orjson.loads(text)
    except orjson.JSONDecodeError:
        return False
    return True
