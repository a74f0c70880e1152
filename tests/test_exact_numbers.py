"""Number parsing: every finite float or decimal text lands exact at DECIMAL(38,10), rounded half-even."""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Context, Decimal
from functools import reduce

import pyarrow as pa
from hypothesis import assume, given, settings, strategies as st

from pipelines.sandbox.hashing import float_text
from sources.arrow_records import parse_page
from sources.exact_numbers import LIMIT, MONEY, WIDE, exact, from_strings, narrowed

RECORD = pa.struct([("n", MONEY)])
Q = Decimal("1e-10")
IN_RANGE = st.floats(allow_nan=False, allow_infinity=False).filter(lambda x: abs(x) < 1e27)
DECIMALS = st.decimals(allow_nan=False, allow_infinity=False, min_value=Decimal("-1e27"), max_value=Decimal("1e27"))
# Arrow's 256-bit division has guessed a quotient digit one too low when a base-2^32 digit of the quotient is
# near 2^32 - 1: values built from such digits find it if a scale change brings it back.
WORD = st.one_of(st.sampled_from([0, 1, 2**31, 2**32 - 2, 2**32 - 1]), st.integers(0, 2**32 - 1))
QUANTA = st.one_of(st.integers(0, 10**38 - 1), st.integers(10**30, 10**38 - 1),  # |x| from 1e20 up, on purpose
                   st.lists(WORD, min_size=1, max_size=4).map(lambda w: reduce(lambda a, b: a << 32 | b, w))
                   .filter(lambda q: q < 10**38))


def expected(text: str) -> Decimal:
    return Decimal(text).quantize(Q, rounding=ROUND_HALF_EVEN, context=Context(prec=100))


@st.composite
def long_texts(draw: st.DrawFn) -> str:
    """A number with 11 to 40 fractional digits that rounds into range: the wide tier's (ties go to even)."""
    quanta = draw(QUANTA)  # the value in units of 10^-10, before the digits that are rounded away
    tail = draw(st.one_of(st.just("5"), st.text("0123456789", min_size=1, max_size=30)))
    text = f"{draw(st.sampled_from(['', '-']))}{quanta // 10**10}.{quanta % 10**10:010d}{tail}"
    assume(abs(expected(text)) < LIMIT)
    return text


def page(texts: list[str]) -> bytes:
    return ('{"data":[' + ",".join('{"n":%s}' % t for t in texts) + "]}").encode()


@settings(max_examples=300, deadline=None)
@given(st.lists(IN_RANGE, min_size=1, max_size=20))
def test_any_finite_float_as_json_round_trips_half_even(values):
    texts = [float_text(v) for v in values]
    table, rejected, _ = parse_page(page(texts), "data", RECORD, "test")
    assert rejected == [] and table.column("n").to_pylist() == [expected(t) for t in texts]


@settings(max_examples=300, deadline=None)
@given(st.lists(long_texts(), min_size=1, max_size=20))
def test_numbers_longer_than_10_places_round_half_even_from_1e20_up(texts):
    wide, out_of_range = narrowed(pa.table({"n": pa.array([Decimal(t) for t in texts], WIDE)}), ["n"])
    assert out_of_range is None and wide.column("n").to_pylist() == [expected(t) for t in texts]
    table, rejected, _ = parse_page(page(texts), "data", RECORD, "test")
    assert rejected == [] and table.column("n").to_pylist() == [expected(t) for t in texts]


@settings(max_examples=300, deadline=None)
@given(DECIMALS)
def test_any_decimal_text_round_trips_half_even(value):
    text = str(value)
    assert exact(text) == expected(text)
    values, bad = from_strings(pa.array([text, text]))
    assert bad == [] and values.to_pylist() == [expected(text)] * 2


def test_out_of_range_and_non_finite_are_refused_one_by_one():
    for text in ("1e400", "1" * 45, "NaN", "Infinity", str(LIMIT), "twelve", "1e1000000", "1e999999999999999999"):
        assert exact(text) is None
    assert exact("5e-50") == 0 and exact("0.00000000015") == Decimal("2E-10")
    # a tie only to the first 120 digits: rounding at parse (to a context's precision) would make it one
    assert exact("0.00000000005" + "0" * 150 + "1") == Decimal("1E-10")
    body = b'{"data":[{"n":1e400},{"n":0.30000000000000004},{"n":' + b"1" * 45 + b'},{"n":-5e-11}]}'
    table, rejected, _ = parse_page(body, "data", RECORD, "p")
    assert table.column("n").to_pylist() == [Decimal("0.3000000000"), Decimal("0E-10")]
    assert [r.position for r in rejected] == ["p#0", "p#2"]
