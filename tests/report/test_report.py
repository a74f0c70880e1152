"""`finops-etl report`: the page a person opens, in headless Chromium, against the SQL totals of cost_and_usage."""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest

from conftest import point_at, query

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]
SECTIONS = ["summary", "daily", "movers", "ai", "limits", "restatements", "freshness"]
CENT = Decimal("0.01")


def usd(value: Decimal) -> str:
    cents = value.quantize(CENT, rounding=ROUND_HALF_UP)
    return f"{'-' if cents < 0 else ''}${abs(cents):,.2f}"


def sql_month_totals(workdir: Path, month: str) -> dict[str, Decimal]:
    """What an analyst gets from the FOCUS table for that month, per provider and in all."""
    start = date.fromisoformat(f"{month}-01")
    end = date(start.year + start.month // 12, start.month % 12 + 1, 1)
    rows = query(workdir, f"SELECT service_provider_name, sum(billed_cost) FROM finops.cost_and_usage "
                          f"WHERE charge_period_start >= TIMESTAMPTZ '{start} 00:00:00+00' "
                          f"AND charge_period_start < TIMESTAMPTZ '{end} 00:00:00+00' GROUP BY 1")
    totals = dict(rows)
    totals["month"] = sum(totals.values(), Decimal(0))
    return totals


def sql_same_days_movers(workdir: Path, month: str) -> list[dict]:
    """Top movers as an analyst gets them from the FOCUS table: each provider's month through its latest day
    with data, against the month before through the same day of month; with the whole month before beside it."""
    start = date.fromisoformat(f"{month}-01")
    end = date(start.year + start.month // 12, start.month % 12 + 1, 1)
    previous = (start - timedelta(days=1)).replace(day=1)
    rows = query(workdir, f"""
        WITH charges AS (SELECT service_provider_name AS provider, service_name, billed_cost,
                                CAST(charge_period_start AT TIME ZONE 'UTC' AS DATE) AS day
                         FROM finops.cost_and_usage),
             latest AS (SELECT provider, max(day) AS last_day FROM charges GROUP BY provider),
             this_month AS (SELECT provider, service_name, sum(billed_cost) AS cost FROM charges
                            WHERE day >= DATE '{start}' AND day < DATE '{end}' GROUP BY ALL),
             last_month AS (SELECT provider, service_name, sum(billed_cost) AS whole,
                                   coalesce(sum(billed_cost) FILTER (WHERE day - DATE '{previous}'
                                                                     <= last_day - DATE '{start}'), 0) AS same_days
                            FROM charges JOIN latest USING (provider)
                            WHERE day >= DATE '{previous}' AND day < DATE '{start}' GROUP BY ALL)
        SELECT provider, service_name, last_day, same_days, whole, cost
        FROM this_month JOIN last_month USING (provider, service_name) JOIN latest USING (provider)""")
    movers = [{"service": f"{p} / {s}", "provider": p, "last_day": last, "same_days": same, "whole": whole,
               "cost": cost, "change": cost - same} for p, s, last, same, whole, cost in rows]
    return sorted(movers, key=lambda m: (-abs(m["change"]), m["provider"], m["service"]))[:10]


@pytest.fixture
def chromium():
    """Debian's chromium through Playwright (no browser download). Missing: skip here, fail in CI."""
    reason = None
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        reason = "playwright is not installed (pip install -e '.[test]')"
    if reason is None and not (os.path.exists(CHROMIUM) or shutil.which("chromium")):
        reason = "chromium is not installed (apt-get install -y chromium)"
    if reason:
        if os.environ.get("FINOPS_REQUIRE_BROWSER") == "1":
            pytest.fail(f"FINOPS_REQUIRE_BROWSER=1 but {reason}")
        pytest.skip(reason)
    with sync_playwright() as playwright, tempfile.TemporaryDirectory() as profile:
        context = playwright.chromium.launch_persistent_context(
            profile, executable_path=CHROMIUM if os.path.exists(CHROMIUM) else shutil.which("chromium"),
            headless=True, args=CHROMIUM_FLAGS, viewport={"width": 1400, "height": 900})
        yield context
        context.close()


def open_report(context, path: Path, screenshot: Path):  # noqa: ANN001, ANN201
    """Open the file offline: every request other than the file itself is recorded and refused."""
    page_url = path.resolve().as_uri()
    requests, errors = [], []

    def refuse(route):  # noqa: ANN001
        if route.request.url != page_url:
            requests.append(route.request.url)
            route.abort()
        else:
            route.continue_()

    context.route("**/*", refuse)
    context.on("request", lambda r: None if r.url == page_url else requests.append(r.url))
    page = context.new_page()
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(page_url, wait_until="load")
    page.wait_for_timeout(300)
    page.screenshot(path=str(screenshot), full_page=True)
    return page, sorted(set(requests)), errors


def test_report_of_a_sandbox_load_opens_offline_with_every_chart_and_totals_to_the_cent(
        sandbox, cli, workdir, monkeypatch, chromium, tmp_path):
    point_at(monkeypatch, sandbox)
    first = cli("run", "--report", str(workdir / "after-run.html"))
    assert first.code == 0, first.output
    assert (workdir / "after-run.html").stat().st_size > 100_000 and "report: " in first.stdout
    sandbox.restate(sandbox.account_ids[0], date(2026, 11, 19), Decimal("1.5"))
    assert cli("run").code == 0  # the look-back re-reads the restated day: cost_restatements has rows
    out = tmp_path / "report.html"
    result = cli("report", "--out", str(out))
    assert result.code == 0, result.output
    assert "report for 2026-11" in result.stdout

    page, requests, errors = open_report(chromium, out, tmp_path / "report.png")
    assert errors == [] and requests == []
    assert (tmp_path / "report.png").stat().st_size > 50_000
    assert page.title().startswith("FinOps cost report 2026-11")
    assert "2026-11-01" in page.inner_text("#date-range") and "2026-11-20" in page.inner_text("#date-range")
    drawn = page.evaluate("Object.fromEntries([...document.querySelectorAll('section[data-section]')]"
                          ".map(s => [s.id, s.querySelectorAll('svg.main-svg, canvas').length]))")
    assert [name for name in SECTIONS if drawn.get(name, 0) == 0] == [], drawn
    assert page.evaluate("document.querySelectorAll('script[src], link[href]').length") == 0

    expected = sql_month_totals(workdir, "2026-11")
    assert page.inner_text("[data-total=month]") == usd(expected["month"])
    assert page.inner_text("[data-total=daily]") == usd(expected["month"])
    shown = {cell.get_attribute("data-provider"): cell.inner_text()
             for cell in page.query_selector_all("[data-total=provider]")}
    assert shown == {p: usd(v) for p, v in expected.items() if p != "month"}
    # Mid-month (the sandbox stops on the 20th): the movers compare November 1-20 with October 1-20, not with
    # the whole of October, which would make nearly every service look like it dropped.
    movers = sql_same_days_movers(workdir, "2026-11")
    assert {m["last_day"] for m in movers} == {date(2026, 11, 20)}
    assert any(m["same_days"] != m["whole"] for m in movers)
    shown = [(row.get_attribute("data-mover"), row.query_selector("[data-previous]").inner_text(),
              row.query_selector("[data-current]").inner_text(),
              row.query_selector("[data-change]").inner_text().split(" (")[0])
             for row in page.query_selector_all("#movers [data-mover]")]
    assert shown == [(m["service"], usd(m["same_days"]), usd(m["cost"]), usd(m["change"])) for m in movers]
    assert [s.inner_text() for s in page.query_selector_all("#movers [data-days]")] == ["Nov 1–20 vs Oct 1–20"]
    assert "month to date vs the same days last month" in page.inner_text("#movers h2")
    assert re.search(r"\d+ restatement\(s\)", page.inner_text("#restatements"))
    assert "estimate" in page.inner_text("#estimates")
    assert "stale" in page.inner_text("#stale")  # the sandbox clock stops at 2026-11-20, the wall clock did not

    page.emulate_media(media="print")  # the print stylesheet: no navigation, tables unclipped, still every chart
    assert page.evaluate("getComputedStyle(document.querySelector('nav')).display") == "none"
    assert page.evaluate("getComputedStyle(document.querySelector('.numbers')).overflow") == "visible"
    page.pdf(path=str(tmp_path / "report.pdf"))
    assert (tmp_path / "report.pdf").stat().st_size > 50_000


def test_an_empty_warehouse_gives_a_page_that_says_so(cli, workdir):
    result = cli("report", "--out", "empty.html")
    assert result.code == 0, result.output
    html = (workdir / "empty.html").read_text()
    assert "No data for any month: nothing has been loaded" in html and "<title>FinOps cost report no data" in html
    assert "Traceback" not in html + result.output


def test_a_single_day_gives_a_clear_page_with_that_day_total(sandbox, cli, workdir, monkeypatch):
    point_at(monkeypatch, sandbox)
    assert cli("backfill", "--start", "2026-11-20", "--end", "2026-11-20").code == 0
    assert cli("report", "--out", "day.html").code == 0
    html = (workdir / "day.html").read_text()
    assert "(1 day loaded)" in html
    assert f'data-total="month">{usd(sql_month_totals(workdir, "2026-11")["month"])}<' in html
    assert "No data for changes against the same days last month in 2026-11: 2026-10 is not loaded." in html


def test_a_month_without_ai_gateway_data_says_so_in_its_section(sandbox, cli, workdir, monkeypatch):
    point_at(monkeypatch, sandbox)
    assert cli("backfill", "--start", "2026-11-01", "--end", "2026-11-05",
               "--sources", "cloudflare_billing,venice").code == 0
    assert cli("report", "--out", "no-gateway.html", "--month", "2026-11").code == 0
    html = (workdir / "no-gateway.html").read_text()
    assert "No data for AI Gateway spending limits in 2026-11" in html
    assert f'data-total="month">{usd(sql_month_totals(workdir, "2026-11")["month"])}<' in html
    assert cli("report", "--out", "other.html", "--month", "2026-03").code == 0
    assert "No data for 2026-03: the latest month loaded is 2026-11" in (workdir / "other.html").read_text()


@pytest.mark.parametrize("month", ["2026-13", "11-2026", "2026-1", "last"])
def test_an_invalid_month_exits_2_naming_the_format(cli, month):
    result = cli("report", "--month", month)
    assert result.code == 2
    assert f"--month expects a month like 2026-11 (YYYY-MM), got {month!r}" in result.output


def test_a_report_that_cannot_be_written_exits_1_naming_the_path(cli, workdir):
    (workdir / "blocker").write_text("a file, not a directory")
    result = cli("report", "--out", "blocker/report.html")
    assert result.code == 1
    assert "cannot write the report to blocker/report.html" in result.output


def test_money_is_shown_in_dollars_rounded_as_sql_rounds():
    from pipelines.report.charts import usd

    assert [usd(Decimal(v)) for v in ("0.005", "-1234.565", "1234567.994999", "0")] == [
        "$0.01", "-$1,234.57", "$1,234,567.99", "$0.00"]
    assert usd(None) == "—"
