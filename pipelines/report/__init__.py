"""`finops-etl report`: one self-contained HTML file of the rollups (Plotly inlined once, Jinja2 template).

The page shows what the rollups hold; it does not re-derive them (STYLE.md). It reads through the pipeline's
own destination, so it works wherever the transforms run. A warehouse with nothing for the month gives a
page that says so, never a traceback.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import dlt

from pipelines.errors import FinopsError, UsageError
from pipelines.report import charts
from pipelines.report.queries import Month, Rollups, month_of

STALE_AFTER_DAYS = 2  # a source whose last loaded day is older than this (at report time) is stale
EMPTY: dict[str, Any] = {"by_provider": [], "forecast": {}, "totals": {}, "daily_totals": [], "anomalies": [],
                         "movers": [], "ai_models": [], "limits": [], "restatements": [], "estimates": [],
                         "restatement_totals": {"restatements": 0}}
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


@dataclass
class Report:
    path: Path
    month: str | None
    bytes: int
    seconds: float
    stale: list[str]


def parse_month(value: str | None) -> date | None:
    """`--month YYYY-MM` as the month's first day; anything else is a usage error (exit 2)."""
    if value is None:
        return None
    match = _MONTH.match(value.strip())
    if match and 1 <= int(match.group(2)) <= 12 and int(match.group(1)) >= 1:
        return date(int(match.group(1)), int(match.group(2)), 1)
    raise UsageError(f"--month expects a month like 2026-11 (YYYY-MM), got {value!r}")


def build_report(pipeline: dlt.Pipeline, out: str | Path = "report.html", month: str | None = None,
                 now: datetime | None = None) -> Report:
    """Write the report for `month` (default: the latest month loaded) to `out`."""
    started = time.perf_counter()
    wanted = parse_month(month)
    now = now or datetime.now(timezone.utc)
    try:
        pipeline.sync_destination()  # the high-water marks for freshness, also on a machine without local state
    except Exception:  # noqa: BLE001 - nothing loaded yet is a valid report
        pass
    with pipeline.sql_client() as client:
        context = collect(pipeline, client, wanted, now)
    html = render(context)
    path = Path(out)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(html, encoding="utf-8")
        tmp.replace(path)
    except OSError as exc:
        raise FinopsError(f"cannot write the report to {path}: {exc.strerror or exc}") from None
    return Report(path.resolve(), context["month"].label if context["month"] else None, len(html.encode()),
                  time.perf_counter() - started, context["stale"])


def collect(pipeline: dlt.Pipeline, client: Any, wanted: date | None, now: datetime) -> dict[str, Any]:
    """Everything the template shows, as rows read from the rollups, plus each section's chart."""
    rollups = Rollups(client)
    latest = rollups.latest_month()
    fresh = freshness(pipeline, client, now)
    context: dict[str, Any] = {"now": now, "freshness": fresh, "latest": latest, "stale": _stale_sources(fresh),
                               "stale_after_days": STALE_AFTER_DAYS, "month": None, "loaded": {"days": 0}, **EMPTY}
    figures: dict[str, Any] = {"freshness": fresh and charts.freshness(fresh, STALE_AFTER_DAYS)}
    start = wanted or latest
    if start is not None:
        m: Month = month_of(start)
        context["month"] = m
        context["loaded"] = rollups.days_loaded(m)
    if context["loaded"]["days"]:
        figures.update(_month_sections(rollups, m, context))
    context["charts"] = {name: charts.to_html(fig, f"chart-{name}") for name, fig in figures.items() if fig}
    return context


def _month_sections(rollups: Rollups, m: Month, context: dict[str, Any]) -> dict[str, Any]:
    """The month's rows into `context`; its figures returned (None where a section has no rows)."""
    by_provider = rollups.month_by_provider(m)
    forecast = {row["provider"]: row for row in rollups.forecast(m)}
    daily_rows, totals, anomalies = rollups.daily_by_service(m), rollups.daily_totals(m), rollups.anomalies(m)
    movers = rollups.top_movers(m)
    ai_rows, ai_models = rollups.ai_tokens(m), rollups.ai_models(m)
    limits, restated = rollups.spend_vs_limit(m), rollups.restatements(m)
    context.update(by_provider=by_provider, forecast=forecast, totals=rollups.month_totals(m),
                   daily_totals=totals, anomalies=anomalies, movers=movers, ai_models=ai_models, limits=limits,
                   restatements=restated, restatement_totals=rollups.restatement_totals(m),
                   estimates=rollups.estimates(m))
    return {
        "summary": by_provider and charts.summary(by_provider, forecast),
        "daily": daily_rows and charts.daily(daily_rows, totals, anomalies),
        "movers": movers and charts.movers(movers),
        "ai": ai_rows and charts.ai_spend(ai_rows),
        "limits": limits and charts.limits(limits),
        "restatements": restated and charts.restatements(restated),
    }


def freshness(pipeline: dlt.Pipeline, client: Any, now: datetime) -> list[dict[str, Any]]:
    """Per source and account: the last loaded day (dlt state) and the last run's result (`_run_history`)."""
    from pipelines.history import STATE_KEYS, last_loaded, last_run

    rows = []
    for source in STATE_KEYS:
        run = last_run(client, source)
        marks = last_loaded(pipeline, source)
        result = run["result"] if run else "never run"
        failed = run is not None and result not in ("ok", "skipped")
        for scope, mark in sorted(marks.items()):
            day = _last_full_day(mark)
            behind = (now.date() - day).days if day else None
            rows.append({"source": source, "scope": scope, "loaded_through": day, "days_behind": behind,
                         "run": run, "result": result,
                         "stale": failed or (behind is not None and behind > STALE_AFTER_DAYS)})
        if not marks and run is not None:
            rows.append({"source": source, "scope": "", "loaded_through": None, "days_behind": None,
                         "run": run, "result": result, "stale": failed})
    return rows


def _stale_sources(rows: list[dict[str, Any]]) -> list[str]:
    """One phrase per stale source for the banner: `venice (loaded through 2026-11-20)`."""
    stale: dict[str, list[date]] = {}
    for row in rows:
        if row["stale"]:
            stale.setdefault(row["source"], []).extend([row["loaded_through"]] if row["loaded_through"] else [])
    return [f"{source} (loaded through {min(days)})" if days else f"{source} (last run failed)"
            for source, days in stale.items()]


def _last_full_day(mark: Any) -> date | None:
    """A mark is a day (loaded through it) or an instant (loaded up to it, exclusive)."""
    text = str(mark)
    try:
        if "T" in text or " " in text:
            return (datetime.fromisoformat(text) - timedelta(microseconds=1)).date()
        return date.fromisoformat(text)
    except ValueError:
        return None


def render(context: dict[str, Any]) -> str:
    import jinja2
    from plotly.offline import get_plotlyjs

    env = jinja2.Environment(loader=jinja2.PackageLoader("pipelines.report", "."),
                             autoescape=jinja2.select_autoescape(["html", "j2"]), trim_blocks=True,
                             lstrip_blocks=True, undefined=jinja2.StrictUndefined)
    env.filters["usd"] = charts.usd
    env.filters["when"] = charts.when
    env.filters["count"] = lambda v: "—" if v is None else f"{v:,}"
    env.filters["pct"] = lambda v: "n/a" if v is None else f"{float(v):+.1f}%"
    return env.get_template("template.html.j2").render(plotly_js=get_plotlyjs(), **context)
