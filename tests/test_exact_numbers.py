"""Number parsing: every finite float or decimal text lands exact at DECIMAL(38,10), rounded half-even."""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Context, Decimal

import pyarrow as pa
from hypothesis import given, settings, strategies as st

from pipelines.sandbox.hashing import float_text
from sources.arrow_records import parse_page
from sources.exact_numbers import LIMIT, MONEY, exact, from_strings

RECORD = pa.struct([("n", MONEY)])
Q = Decimal("1e-10")
IN_RANGE = st.floats(allow_nan=False, allow_infinity=False).filter(lambda x: abs(x) < 1e27)
DECIMALS = st.decimals(allow_nan=False, allow_infinity=False, min_value=Decimal("-1e27"), max_value=Decimal("1e27"))


def expected(text: str) -> Decimal:
    return Decimal(text).quantize(Q, rounding=ROUND_HALF_EVEN, context=Context(prec=100))


@settings(max_examples=300, deadline=None)
@given(st.lists(IN_RANGE, min_size=1, max_size=20))
def test_any_finite_float_as_json_round_trips_half_even(values):
    texts = [float_text(v) for v in values]
    body = ('{"data":[' + ",".join('{"n":%s}' % t for t in texts) + "]}").encode()
    table, rejected, _ = parse_page(body, "data", RECORD, "test")
    assert rejected == [] and table.column("n").to_pylist() == [expected(t) for t in texts]


@settings(max_examples=300, deadline=None)
@given(DECIMALS)
def test_any_decimal_text_round_trips_half_even(value):
    text = str(value)
    assert exact(text) == expected(text)
    values, bad = from_strings(pa.array([text, text]))
    assert bad == [] and values.to_pylist() == [expected(text)] * 2


def test_out_of_range_and_non_finite_are_refused_one_by_one():
    for text in ("1e400", "1" * 45, "NaN", "Infinity", str(LIMIT), "twelve"):
        assert exact(text) is None
    assert exact("5e-50") == 0 and exact("0.00000000015") == Decimal("2E-10")
    body = b'{"data":[{"n":1e400},{"n":0.30000000000000004},{"n":' + b"1" * 45 + b'},{"n":-5e-11}]}'
    table, rejected, _ = parse_page(body, "data", RECORD, "p")
    assert table.column("n").to_pylist() == [Decimal("0.3000000000"), Decimal("0E-10")]
    assert [r.position for r in rejected] == ["p#0", "p#2"]
