"""Every finite delivered number, exact to DECIMAL(38,10): rounded half-even, never through a binary float.

The one money rule of every source. The providers' schemas type money and quantities as `number`/`float64`, so
float encoders send values such as `0.30000000000000004`, `-0.0014475999999999998` or `7e-7`; a float that
arrives as a float (Parquet) is first written as its shortest round-trip text, which is what such an encoder
would have sent. Arrow's typed parse into decimal128(38, 10) refuses more than 10 fractional digits, so numbers
are read in three tiers, each exact:
1. the declared decimal128(38, 10) (most pages, the fastest);
2. decimal256(76, 40), then Arrow's own half-even round to 10 places (float expansions: still vectorized);
3. Python's Decimal, value by value (anything longer: 1e-50, a 45-digit integer, 1e400).
A value whose integer part does not fit DECIMAL(38,10) (|x| >= 1e28) is refused on its own: the API pages reject
its record, the files flag it in a mask.
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Context, Decimal

import pyarrow as pa
import pyarrow.compute as pc

SCALE = 10
MONEY = pa.decimal128(38, SCALE)
# 36 integer and 40 fractional digits: any 17-digit float64 repr down to ~1e-23. The scale is chosen for Arrow's
# sake too: its 256-bit long division (pyarrow 26.0.1, used by round and by the rescale to MONEY) keeps the
# partial remainder `rhat` in 32 bits, so for some divisors 10^k it guesses a quotient digit one too low and the
# result is off by 10^-10, silently. That needs the divisor's two leading 32-bit words (normalized) to sum to
# 2^32 or more: 10^28 (scale 38) does, from |x| = 0.4294967295 up; 10^30 (scale 40) does not. Test a new scale.
WIDE = pa.decimal256(76, 40)
LIMIT = Decimal(10) ** (38 - SCALE)  # the first magnitude DECIMAL(38,10) cannot hold
_QUANTUM = Decimal(1).scaleb(-SCALE)
# quantize needs room for the result only (<= 38 digits in range); a longer one raises and is refused
_CONTEXT = Context(prec=100, rounding=ROUND_HALF_EVEN)


def widened(record_type: pa.StructType) -> pa.StructType:
    """The record type with every decimal field read wide (tier 2)."""
    return pa.struct([pa.field(f.name, WIDE if f.type == MONEY else f.type, f.nullable) for f in record_type])


def exact(value: object) -> Decimal | None:
    """One number (Decimal, int, float or its text) at scale 10, half-even; None if not a finite number in range.

    Text goes through Decimal's constructor, which keeps every digit: rounding once at creation (to a context's
    precision) and again to 10 places could turn 0.00000000005000...01 into a tie and round it the wrong way."""
    if value is None or isinstance(value, bool):
        return None
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value).strip())
        if not number.is_finite():
            return None
        rounded = number.quantize(_QUANTUM, context=_CONTEXT)
    except (ArithmeticError, ValueError):  # not a number, or too large to quantize (1e999999999)
        return None
    return rounded if abs(rounded) < LIMIT else None


def _rounded(wide: pa.Array | pa.ChunkedArray) -> tuple[pa.Array | pa.ChunkedArray, pa.Array | pa.ChunkedArray]:
    """WIDE decimals to MONEY, half-even; returns them (NULL where out of range) and the out-of-range mask."""
    column = pc.round(wide, ndigits=SCALE, round_mode="half_to_even")
    too_big = pc.fill_null(pc.greater_equal(pc.abs(column), pa.scalar(LIMIT, WIDE)), False)
    if pc.any(too_big).as_py():
        column = pc.if_else(too_big, pa.scalar(None, WIDE), column)
    return pc.cast(column, MONEY), too_big


def narrowed(table: pa.Table, money_columns: list[str]) -> tuple[pa.Table, pa.Array | None]:
    """Round wide decimal columns half-even to DECIMAL(38,10); returns the table and a mask of rows out of range."""
    out_of_range = None
    for name in money_columns:
        if name not in table.column_names or table.schema.field(name).type == MONEY:
            continue
        column, too_big = _rounded(table.column(name))
        if pc.any(too_big).as_py():
            out_of_range = too_big if out_of_range is None else pc.or_(out_of_range, too_big)
        index = table.schema.get_field_index(name)
        table = table.set_column(index, pa.field(name, MONEY), column)
    return table, out_of_range


def blank_to_null(strings: pa.Array) -> pa.Array:
    """Text trimmed, and empty text as NULL: exports write an absent value as an empty (or blank) field."""
    trimmed = pc.utf8_trim_whitespace(strings)
    return pc.if_else(pc.equal(trimmed, ""), pa.scalar(None, pa.string()), trimmed)


def none_bad(array: pa.Array) -> pa.Array:
    """The mask of a column in which every value was read."""
    return pa.array([False] * len(array), pa.bool_())


def from_strings(strings: pa.Array | pa.ChunkedArray) -> tuple[pa.Array, pa.Array]:
    """Number texts to DECIMAL(38,10), through the three tiers; blank text is NULL.

    Returns the decimals and a mask of the texts that are not finite numbers in range (NULL in the decimals)."""
    if isinstance(strings, pa.ChunkedArray):
        strings = strings.combine_chunks()
    strings = blank_to_null(pc.cast(strings, pa.string()))
    try:
        return pc.cast(strings, MONEY), none_bad(strings)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        pass  # more than 10 fractional digits (or not a number)
    try:
        return _rounded(pc.cast(strings, WIDE))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        pass  # more than 40 fractional or 36 integer digits (or not a number): value by value
    texts = strings.to_pylist()
    values = [exact(text) for text in texts]
    bad = [number is None and text is not None for number, text in zip(values, texts, strict=True)]
    return pa.array(values, MONEY), pa.array(bad, pa.bool_())


def from_array(array: pa.Array) -> tuple[pa.Array, pa.Array]:
    """A delivered column of any type (file formats) to DECIMAL(38,10); returns the decimals and the bad mask."""
    kind = array.type
    if pa.types.is_null(kind):
        return pa.nulls(len(array), MONEY), none_bad(array)
    if pa.types.is_integer(kind):  # int64 and uint64 stay below 2e19: always in range, and the cast only multiplies
        return pc.cast(array, MONEY), none_bad(array)
    if pa.types.is_decimal(kind) and kind.scale <= SCALE and kind.precision - kind.scale <= 38 - SCALE:
        return pc.cast(array, MONEY), none_bad(array)
    if pa.types.is_floating(kind):  # shortest round-trip text; NaN and infinities are bad
        return from_strings(pc.if_else(pc.is_finite(array), pc.cast(array, pa.string()), "nan"))
    return from_strings(array)
