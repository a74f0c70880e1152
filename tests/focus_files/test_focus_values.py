"""The pure parts: times to UTC, export URLs, version detection (money: tests/test_exact_numbers.py)."""

from __future__ import annotations

from datetime import datetime, timezone

import pyarrow as pa
import pytest

from pipelines.errors import UsageError
from sources.focus_files.helpers import detect_version, parse_exports, split_url
from sources.focus_files.values import to_utc


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
