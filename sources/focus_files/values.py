"""Delivered values to our types, column at a time: exact decimals, UTC timestamps, JSON text.

Each function returns the converted array and a boolean mask of the values it could not read (NULL in the
array), so the caller quarantines those rows and loads the rest. Arrow does the work for a clean column;
only a column that Arrow refuses goes value by value, and only to find which values are bad.

Money rule (the same rule issue 11 sets for the API sources in sources/arrow_records.py; the lead may unify
the two): every finite number is kept, rounded half-even to 10 fractional digits, never through a binary
float. A decimal string is parsed as decimal; a float delivered in Parquet is first written as its shortest
round-trip decimal string (what any float encoder writes, e.g. 0.30000000000000004), then parsed the same way.
"""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import ROUND_HALF_EVEN, Context, Decimal, InvalidOperation

import orjson
import pyarrow as pa
import pyarrow.compute as pc

from sources.focus_files.settings import MONEY, UTC

_WIDE = pa.decimal256(76, 38)
_ARROW_ROUNDS_BELOW = pa.scalar(Decimal(10) ** 20, _WIDE)
_QUANTUM = Decimal(1).scaleb(-MONEY.scale)
_LIMIT = Decimal(10) ** (MONEY.precision - MONEY.scale)
_CONTEXT = Context(prec=200, rounding=ROUND_HALF_EVEN)


def _none_bad(array: pa.Array) -> pa.Array:
    return pa.array([False] * len(array), pa.bool_())


def _blank_to_null(strings: pa.Array) -> pa.Array:
    trimmed = pc.utf8_trim_whitespace(strings)
    return pc.if_else(pc.equal(trimmed, ""), pa.scalar(None, pa.string()), trimmed)


def decimal_of(text: str | None) -> Decimal | None:
    """One decimal string (any finite number) to our scale, half-even; None when it is not a number that fits."""
    if text is None:
        return None
    try:
        value = _CONTEXT.create_decimal(text.strip())
    except (InvalidOperation, ValueError):
        return None
    if not value.is_finite():
        return None
    rounded = value.quantize(_QUANTUM, context=_CONTEXT)
    return rounded if abs(rounded) < _LIMIT else None


def to_decimal(array: pa.Array) -> tuple[pa.Array, pa.Array]:
    """Any delivered number column to DECIMAL(38,10), rounded half-even."""
    kind = array.type
    if pa.types.is_null(kind):
        return pa.nulls(len(array), MONEY), _none_bad(array)
    if pa.types.is_integer(kind):
        return _decimal_strings(pc.cast(array, pa.string()))
    if pa.types.is_decimal(kind):
        if kind.scale <= MONEY.scale and kind.precision - kind.scale <= MONEY.precision - MONEY.scale:
            return pc.cast(array, MONEY), _none_bad(array)
        return _decimal_strings(pc.cast(array, pa.string()))
    if pa.types.is_floating(kind):
        finite = pc.is_finite(array)
        strings = pc.if_else(finite, pc.cast(array, pa.string()), pa.scalar("nan", pa.string()))
        return _decimal_strings(strings)
    return _decimal_strings(pc.cast(array, pa.string()))


def _decimal_strings(strings: pa.Array) -> tuple[pa.Array, pa.Array]:
    strings = _blank_to_null(strings)
    try:
        wide = pc.cast(strings, _WIDE)
        # Arrow's decimal256 round (and rescale) go wrong from 10^20 up (pyarrow 26.0.1; found by the property
        # test): the rare values that large are rounded by Python instead.
        if not pc.any(pc.greater_equal(pc.abs(wide), _ARROW_ROUNDS_BELOW)).as_py():
            return pc.cast(pc.round(wide, MONEY.scale, round_mode="half_to_even"), MONEY), _none_bad(strings)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        pass  # more than 38 fractional or integer digits, or not a number: value by value
    values = [decimal_of(s) for s in strings.to_pylist()]
    bad = [v is None and s is not None for v, s in zip(values, strings.to_pylist(), strict=True)]
    return pa.array(values, MONEY), pa.array(bad, pa.bool_())


# ISO 8601 as providers write it: 7 fractional digits (Azure), a date alone, no zone (UTC is meant).
_FRACTION_TOO_LONG = (r"(\.\d{6})\d+", r"\1")
_DATE_ONLY = (r"^(\d{4}-\d{2}-\d{2})$", r"\1T00:00:00")
_NO_ZONE = (r"^(.*[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)$", r"\1Z")


def to_utc(array: pa.Array) -> tuple[pa.Array, pa.Array]:
    """Any delivered time column to a UTC timestamp (naive values are taken as UTC)."""
    kind = array.type
    if pa.types.is_null(kind):
        return pa.nulls(len(array), UTC), _none_bad(array)
    if pa.types.is_timestamp(kind):
        if kind.tz is None:
            array = pc.assume_timezone(array, "UTC")
        return pc.cast(array, UTC, safe=False), _none_bad(array)
    if pa.types.is_date(kind):
        return pc.cast(pc.cast(array, pa.timestamp("us")), UTC), _none_bad(array)
    strings = _blank_to_null(pc.cast(array, pa.string()))
    for pattern, replacement in (_FRACTION_TOO_LONG, _DATE_ONLY, _NO_ZONE):
        strings = pc.replace_substring_regex(strings, pattern, replacement)
    try:
        return pc.cast(strings, UTC), _none_bad(strings)
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
        return pa.nulls(len(array), pa.string()), _none_bad(array)
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        strings = _blank_to_null(pc.cast(array, pa.string()))
        bad = [s is not None and not _is_json(s) for s in strings.to_pylist()]
        return pc.if_else(pa.array(bad, pa.bool_()), pa.scalar(None, pa.string()), strings), pa.array(bad)
    values = array.to_pylist()
    if pa.types.is_map(kind):
        values = [None if v is None else dict(v) for v in values]
    texts = [None if v is None else orjson.dumps(v, default=str).decode() for v in values]
    return pa.array(texts, pa.string()), _none_bad(array)


def _is_json(text: str) -> bool:
    try:
        orjson.loads(text)
    except orjson.JSONDecodeError:
        return False
    return True
