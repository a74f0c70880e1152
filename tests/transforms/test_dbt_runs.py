"""How finops-etl runs dbt: when it starts at all, what a failure says, and what the profile on disk holds."""

from __future__ import annotations

from types import SimpleNamespace

from conftest import point_at, query
from pipelines.dbt_profile import profile_for, write_profile


def test_a_run_that_loaded_nothing_does_not_start_dbt(sandbox, cli, workdir, monkeypatch):
    point_at(monkeypatch, sandbox)
    assert cli("backfill", "--start", "2026-10-01", "--end", "2026-10-02").code == 0
    # Venice keeps 60 days before the sandbox's today: nothing to load in early 2026
    result = cli("backfill", "--start", "2026-01-01", "--end", "2026-01-02", "--sources", "venice", "-v")
    assert result.code == 0, result.output
    assert "dbt not started" in result.stderr and "dbt build" not in result.stderr
    # a new price sheet makes the last build stale: the same empty load now rebuilds
    sheet = workdir / "prices.csv"
    sheet.write_text("x_billable_metric_id,list_unit_price_usd\nnone,1\n")
    monkeypatch.setenv("SOURCES__CLOUDFLARE__PRICE_SHEET", str(sheet))
    result = cli("backfill", "--start", "2026-01-01", "--end", "2026-01-02", "--sources", "venice", "-v")
    assert result.code == 0 and "transform cost_and_usage: full build" in result.stderr, result.stderr[-2000:]
    (estimated,) = query(workdir, "SELECT count(*) FROM finops.cost_and_usage WHERE x_cost_status = 'estimated'")[0]
    assert estimated == 0


def test_a_failing_model_is_named_with_the_database_error(sandbox, cli, workdir, monkeypatch):
    point_at(monkeypatch, sandbox, venice=False)
    assert cli("backfill", "--start", "2026-10-01", "--end", "2026-10-01").code == 0
    monkeypatch.setenv("SOURCES__CLOUDFLARE__VALUE_SCALE", "1e400")  # inf: valid for Python, not for SQL
    result = cli("transform")
    assert result.code == 1
    assert "transform stg_ai_gateway__usage_history failed:" in result.stderr, result.stderr
    assert "Binder Error" in result.stderr.split("failed:", 1)[1]


def test_the_profile_on_disk_holds_no_password(tmp_path):
    credentials = SimpleNamespace(host="db.internal", port=5432, username="finops", password="s3cret-pw",
                                  database="warehouse")
    output, env = profile_for("postgres", credentials, "finops")
    text = write_profile(tmp_path / "profile", output).joinpath("profiles.yml").read_text()
    assert "s3cret-pw" not in text and "env_var('FINOPS_DBT_PASSWORD'" in text
    assert env["FINOPS_DBT_PASSWORD"] == "s3cret-pw" and env["FINOPS_DBT_SCHEMA"] == "finops"
    output, _ = profile_for("duckdb", SimpleNamespace(database=str(tmp_path / "x.duckdb"), global_config=None),
                            "finops")
    assert output["extensions"] == [] and output["settings"]["TimeZone"] == "UTC"
    assert output["settings"]["autoinstall_known_extensions"] is False
