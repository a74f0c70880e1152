"""Export to object storage (an S3-compatible server on 127.0.0.1), and read back by DuckDB and Spark."""

from __future__ import annotations

import json
import shutil
import socket
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from conftest import point_at, query

moto_server = pytest.importorskip("moto.server")
s3fs = pytest.importorskip("s3fs")

BUCKET = "finops-lake"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def s3(monkeypatch):
    """moto's S3 in server mode, configured the way a user configures dlt's filesystem credentials."""
    port = free_port()
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    credentials = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                   "ENDPOINT_URL": endpoint, "REGION_NAME": "us-east-1"}
    fs = s3fs.S3FileSystem(key="testing", secret="testing", client_kwargs={"endpoint_url": endpoint,
                                                                           "region_name": "us-east-1"})
    import boto3

    boto3.client("s3", endpoint_url=endpoint, aws_access_key_id="testing", aws_secret_access_key="testing",
                 region_name="us-east-1").create_bucket(Bucket=BUCKET)
    yield fs, {f"DESTINATION__FILESYSTEM__CREDENTIALS__{k}": v for k, v in credentials.items()}
    server.stop()


@pytest.fixture
def loaded(sandbox, cli, workdir, monkeypatch):
    point_at(monkeypatch, sandbox)
    assert cli("backfill", "--start", "2026-09-25", "--end", "2026-10-04").code == 0


def read_back(fs, root: str) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.register_filesystem(fs)
    con.execute(f"CREATE VIEW export AS SELECT * FROM read_parquet('s3://{root}/cost_and_usage/*/*.parquet', "
                "hive_partitioning = true)")
    return con


def test_an_export_to_s3_reads_back_with_the_sidecars_totals(s3, loaded, cli, workdir, monkeypatch):
    fs, env = s3
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    root = f"{BUCKET}/exports/focus"
    result = cli("export", "--out", f"s3://{root}")
    assert result.code == 0, result.output
    assert not (workdir / "s3:").exists()
    sidecar = json.loads(fs.cat(f"{root}/_focus_export.json"))
    assert sidecar["engine"] == "arrow" and [p["billing_month"] for p in sidecar["partitions"]] == \
        ["2026-09", "2026-10"]
    con = read_back(fs, root)
    for part in sidecar["partitions"]:
        rows, billed, effective = con.execute(
            "SELECT count(*), sum(BilledCost), sum(EffectiveCost) FROM export WHERE billing_month = ?",
            [part["billing_month"]]).fetchone()
        assert (rows, billed, effective) == (part["rows"], Decimal(part["billed_cost"]),
                                             Decimal(part["effective_cost"]))
    assert con.execute("SELECT count(*), sum(BilledCost) FROM export").fetchone() == \
        tuple(query(workdir, "SELECT count(*), sum(billed_cost) FROM finops.cost_and_usage")[0])
    types = dict(con.execute("SELECT column_name, column_type FROM (DESCRIBE export)").fetchall())
    assert types["BilledCost"] == "DECIMAL(38,10)" and types["ChargePeriodStart"] == "TIMESTAMP WITH TIME ZONE"
    assert types["x_PromptTokens"] == "BIGINT"
    listed = fs.find(root)
    assert f"{root}/daily_costs.parquet" in listed and not [p for p in listed if "/." in p]

    before = con.execute("SELECT * FROM export ORDER BY ALL").fetchall()
    assert cli("export", "--out", f"s3://{root}").code == 0  # a re-export replaces each object whole
    assert read_back(fs, root).execute("SELECT * FROM export ORDER BY ALL").fetchall() == before
    assert json.loads(fs.cat(f"{root}/_focus_export.json"))["run_id"] != sidecar["run_id"]
    assert all(len(fs.ls(d)) == 1 for d in fs.ls(f"{root}/cost_and_usage"))


def test_an_unreachable_or_unsupported_url_exits_2_without_writing_locally(loaded, cli, workdir):
    result = cli("export", "--out", "nosuchfs://bucket/x")
    assert result.code == 2, result.output
    assert "--out" in result.stderr
    assert not list(workdir.glob("nosuchfs*"))


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("java") is None, reason="Spark needs a Java runtime")
def test_spark_reads_the_export_with_exact_decimals_utc_times_and_hive_partitions(loaded, cli, workdir):
    pyspark = pytest.importorskip("pyspark")
    from pyspark.sql import SparkSession, types

    out = workdir / "export"
    assert cli("export", "--out", str(out)).code == 0
    sidecar = json.loads((out / "_focus_export.json").read_text())
    spark = (SparkSession.builder.master("local[1]").appName("finops-export-test")
             .config("spark.sql.session.timeZone", "UTC").config("spark.ui.enabled", "false")
             .config("spark.driver.memory", "512m").config("spark.sql.shuffle.partitions", "1").getOrCreate())
    try:
        frame = spark.read.parquet(str(out / "cost_and_usage"))
        fields = {f.name: f.dataType for f in frame.schema.fields}
        assert fields["BilledCost"] == types.DecimalType(38, 10)
        assert isinstance(fields["ChargePeriodStart"], types.TimestampType)  # instants, shown in UTC
        assert isinstance(fields["x_PromptTokens"], types.LongType)
        assert "billing_month" in fields  # hive partition discovered from the directory names
        by_month = {r["billing_month"]: (r["rows"], r["billed"]) for r in frame.groupBy("billing_month").agg(
            pyspark.sql.functions.count("*").alias("rows"),
            pyspark.sql.functions.sum("BilledCost").alias("billed")).collect()}
        assert by_month == {p["billing_month"]: (p["rows"], Decimal(p["billed_cost"])) for p in sidecar["partitions"]}
        first = frame.selectExpr("min(ChargePeriodStart) AS lo").collect()[0]["lo"]
        lo = min(p["charge_period_start_min"] for p in sidecar["partitions"])
        assert first.strftime("%Y-%m-%dT%H:%M:%S") + "+00:00" == lo
    finally:
        spark.stop()


def test_the_export_directory_name_is_a_path_even_with_a_colon(loaded, cli, workdir):
    out = workdir / "exports:daily"
    assert cli("export", "--out", str(out)).code == 0
    assert (out / "_focus_export.json").exists() and Path(out / "cost_and_usage").is_dir()
