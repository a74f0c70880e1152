"""Bad command-line input exits 2 with a one-line reason, before anything is loaded."""

import json

import pytest

from conftest import point_at


@pytest.mark.parametrize("args, reason", [
    (["backfill", "--start", "2026-10-05", "--end", "2026-10-01"], "before --start"),
    (["backfill", "--start", "yesterday", "--end", "2026-10-01"], "expected a date"),
    (["backfill", "--start", "2026-02-30", "--end", "2026-03-01"], "expected a date"),
    (["run", "--sources", "aws"], "unknown source"),
    (["export"], "--out"),
    (["frobnicate"], "invalid choice"),
])
def test_bad_usage_exits_2_with_a_one_line_reason(cli, args, reason):
    result = cli(*args)
    assert result.code == 2
    assert reason in result.stderr
    assert "Traceback" not in result.output
    assert len([line for line in result.stderr.splitlines() if line.strip()]) == 1


def test_json_log_format_prints_one_summary_object(sandbox, cli, workdir, monkeypatch):
    point_at(monkeypatch, sandbox, venice=False)
    result = cli("backfill", "--start", "2026-10-01", "--end", "2026-10-02", "--sources", "cloudflare_billing",
                 "--log-format", "json")
    assert result.code == 0, result.output
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert summary["event"] == "run_summary" and summary["exit_code"] == 0
    (source,) = summary["sources"]
    assert source["source"] == "cloudflare_billing" and source["rows_loaded"] > 0 and source["windows"] == 3


def test_a_source_without_credentials_is_skipped_with_a_notice(sandbox, cli, workdir, monkeypatch):
    point_at(monkeypatch, sandbox, venice=False)
    result = cli("backfill", "--start", "2026-10-01", "--end", "2026-10-02", "--sources",
                 "cloudflare_billing,venice")
    assert result.code == 0, result.output
    assert "venice: skipped" in result.stdout and "SOURCES__VENICE__API_KEY" in result.stdout


def test_verbose_shows_the_traceback_it_promises(cli, workdir, monkeypatch):
    # fails before: cli.py set logging back to non-verbose before logging the traceback at debug level
    from pipelines import commands

    def broken(args):
        raise RuntimeError("something nobody classified")

    monkeypatch.setattr(commands, "status", broken)
    quiet = cli("status")
    assert quiet.code == 1 and "run with -v for the traceback" in quiet.stderr and "Traceback" not in quiet.stderr
    verbose = cli("status", "-v")
    assert verbose.code == 1
    assert "Traceback (most recent call last)" in verbose.stderr and "in broken" in verbose.stderr
