"""The pure parts: money to the cent and beyond, times to UTC, export URLs, version detection."""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import ROUND_HALF_EVEN, Context, Decimal

import pyarrow as pa
import pytest
from hypothesis import given, settings, strategies as st

from pipelines.errors import UsageError
from sources.focus_files.helpers import detect_version, parse_exports, split_url
from sources.focus_files.values import decimal_of, to_decimal, to_utc

QUANTUM = Decimal("1e-10")
WIDE = Context(prec=100, rounding=ROUND_HALF_EVEN)


def expected(text: str) -> Decimal:
    return WIDE.create_decimal(text).quantize(QUANTUM, context=WIDE)


decimal_texts = st.decimals(min_value=Decimal("-1e27"), max_value=Decimal("1e27"), allow_nan=False,
                            allow_infinity=False, places=None).map(str)


@settings(max_examples=300, deadline=None)
@given(st.lists(decimal_texts, min_size=1, max_size=20))
def test_decimal_strings_round_half_even_to_10_places(texts):
    array, bad = to_decimal(pa.array(texts))
    assert array.to_pylist() == [expected(t) for t in texts]
    assert not any(bad.to_pylist())


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(min_value=-1e15, max_value=1e15, allow_nan=False), min_size=1, max_size=20))
def test_floats_round_half_even_from_their_shortest_decimal_form(values):
    array, bad = to_decimal(pa.array(values, pa.float64()))
    assert array.to_pylist() == [expected(repr(v)) for v in values]
    assert not any(bad.to_pylist())


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(decimal_texts, st.sampled_from(["abc", "1e40", "NaN", "12,5", "inf"])), min_size=1))
def test_one_unreadable_value_is_flagged_and_the_rest_stay_exact(texts):
    array, bad = to_decimal(pa.array(texts))
    for text, value, flagged in zip(texts, array.to_pylist(), bad.to_pylist(), strict=True):
        assert (value, flagged) == ((None, True) if decimal_of(text) is None else (expected(text), False))


def test_ties_go_to_even_and_wide_scales_are_rounded_not_refused():
    array, _ = to_decimal(pa.array(["0.00000000005", "0.00000000015", "-0.00000000025",
                                    "1.23456789012345678901234567890123456789"]))
    assert array.to_pylist() == [Decimal("0E-10"), Decimal("2E-10"), Decimal("-2E-10"), Decimal("1.2345678901")]
    wide, _ = to_decimal(pa.array([Decimal("0.123456789012345678")], pa.decimal128(38, 18)))
    assert wide.to_pylist() == [Decimal("0.1234567890")]


@pytest.mark.parametrize("text", ["2026-05-01T00:00:00Z", "2026-05-01T02:00:00+02:00", "2026-05-01T00:00:00",
                                  "2026-05-01", "2026-05-01T00:00:00.0000000Z", "2026-05-01T00:00Z",
                                  "2026-05-01 00:00:00"])
def test_provider_time_spellings_are_utc(text):
    array, bad = to_utc(pa.array([text]))
    assert array.to_pylist() == [datetime(2026, 5, 1, tzinfo=timezone.utc)] and bad.to_pylist() == [False]


@pytest.mark.parametrize("url, folder, pattern", [
    ("s3://bucket/focus/*.parquet", "s3://bucket/focus", "*.parquet"),
    ("s3://bucket/exports/focus/**/*.csv.gz", "s3://bucket/exports/focus", "**/*.csv.gz"),
    ("gs://b/a/2026-*/part.csv", "gs://b/a", "2026-*/part.csv"),
    ("az://container/focus/", "az://container/focus", "**/*"),
    ("/data/aws/2026-05.parquet", "/data/aws", "2026-05.parquet"),
    ("/data/aws/*.parquet", "/data/aws", "*.parquet"),
    ("file:///data/gcp/*.csv", "file:///data/gcp", "*.csv"),
])
def test_a_url_glob_becomes_a_folder_and_a_pattern(url, folder, pattern):
    assert split_url(url) == (folder, pattern)


def test_versions_are_told_by_the_columns_each_one_introduced():
    base = ["BilledCost", "ProviderName", "PublisherName"]
    assert detect_version(base) == "1.0"
    assert detect_version(base + ["SkuPriceDetails"]) == "1.1"
    assert detect_version(base + ["SkuPriceDetails", "InvoiceId"]) == "1.2"
    assert detect_version(base + ["ServiceProviderName"]) == "1.3"


def test_exports_config_accepts_a_json_string_and_a_list():
    text = '[{"provider": "AWS", "url": "s3://b/*.parquet", "focus_version": "1.2"}]'
    assert parse_exports(text) == parse_exports([{"provider": "AWS", "url": "s3://b/*.parquet", "focus_version": 1.2}])
    with pytest.raises(UsageError, match="SOURCES__FOCUS_FILES__EXPORTS\\[0\\]"):
        parse_exports([{"url": "x"}])
