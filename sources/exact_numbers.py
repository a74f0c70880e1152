"""Every finite JSON/CSV number, exact to DECIMAL(38,10): rounded half-even, never through a float.

The providers' schemas type money and quantities as `number`/`float64`, so float encoders send values such as
`0.30000000000000004`, `-0.0014475999999999998` or `7e-7`. Arrow's typed parse into decimal128(38, 10)
refuses more than 10 fractional digits, so numbers are read in three tiers, each exact:
1. the declared decimal128(38, 10) (most pages, the fastest);
2. decimal256(76, 40), then Arrow's own half-even round to 10 places (float expansions: still vectorized);
3. Python's Decimal, value by value (anything longer: 1e-50, a 45-digit integer, 1e400).
A value whose integer part does not fit DECIMAL(38,10) (|x| >= 1e28) rejects only its own record.
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Context, Decimal

import pyarrow as pa
import pyarrow.compute as pc

SCALE = 10
MONEY = pa.decimal128(38, SCALE)
WIDE = pa.decimal256(76, 40)  # 36 integer and 40 fractional digits: any 17-digit float64 repr down to ~1e-23
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


def narrowed(table: pa.Table, money_columns: list[str]) -> tuple[pa.Table, pa.Array | None]:
    """Round wide decimal columns half-even to DECIMAL(38,10); returns the table and a mask of rows out of range."""
    out_of_range = None
    for name in money_columns:
        if name not in table.column_names or table.schema.field(name).type == MONEY:
            continue
        column = pc.round(table.column(name), ndigits=SCALE, round_mode="half_to_even")
        too_big = pc.fill_null(pc.greater_equal(pc.abs(column), pa.scalar(LIMIT, WIDE)), False)
        if pc.any(too_big).as_py():
            out_of_range = too_big if out_of_range is None else pc.or_(out_of_range, too_big)
            column = pc.if_else(too_big, pa.scalar(None, WIDE), column)
        index = table.schema.get_field_index(name)
        table = table.set_column(index, pa.field(name, MONEY), pc.cast(column, MONEY))
    return table, out_of_range


def from_strings(strings: pa.Array | pa.ChunkedArray) -> tuple[pa.Array, list[int]]:
    """Number texts (CSV) to DECIMAL(38,10): Arrow's cast when every text fits, else value by value.

    Returns the decimals and the positions of texts that are not finite numbers in range (empty = NULL)."""
    try:
        return pc.cast(strings, MONEY), []
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        pass
    values, bad = [], []
    for i, text in enumerate(strings.to_pylist()):
        if text is None or text == "":
            values.append(None)
            continue
        number = exact(text)
        if number is None:
            bad.append(i)
        values.append(number)
    return pa.array(values, MONEY), bad
