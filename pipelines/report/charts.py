"""One Plotly figure per report section, readable without colour: patterns on bars, dash styles and marker
symbols on lines, values written on the marks. Each returns Plotly's own HTML fragment (no plotly.js: the
page inlines it once)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from itertools import cycle
from typing import Any

import plotly.graph_objects as go
import plotly.io as pio
from plotly.subplots import make_subplots

# Okabe-Ito: distinguishable with the common colour-vision deficiencies.
COLOURS = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"]
PATTERNS = ["", "/", "\\", "x", ".", "-", "|", "+"]
DASHES = ["solid", "dot", "dash", "longdash", "dashdot", "longdashdot"]
SYMBOLS = ["circle", "square", "diamond", "triangle-up", "cross", "x", "star", "hexagon", "triangle-down",
           "pentagon", "hourglass", "bowtie"]
CONFIG = {"displaylogo": False, "responsive": True, "modeBarButtonsToRemove": ["toImage", "sendDataToCloud"]}
MONEY_AXIS = {"tickprefix": "$", "tickformat": ",.2f", "separatethousands": True}
CENT = Decimal("0.01")
DAY_MS = 86_400_000  # Plotly measures widths and ticks on a date axis in milliseconds


def usd(value: Any) -> str:
    """Money as the page shows it: US dollars, rounded half away from zero to the cent (as SQL's round)."""
    if value is None:
        return "—"
    cents = Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)
    return f"{'-' if cents < 0 else ''}${abs(cents):,.2f}"


def _num(value: Any) -> float | None:
    return None if value is None else float(value)


def _layout(fig: go.Figure, title: str, height: int = 420, **extra: Any) -> go.Figure:
    settings = {"margin": {"l": 70, "r": 30, "t": 50, "b": 50}, "legend": {"orientation": "h", "y": -0.18}}
    fig.update_layout(title={"text": title, "x": 0, "font": {"size": 15}}, height=height, template="plotly_white",
                      font={"family": "system-ui, sans-serif", "size": 12}, **(settings | extra))
    return fig


def to_html(fig: go.Figure, div_id: str) -> str:
    return pio.to_html(fig, full_html=False, include_plotlyjs=False, div_id=div_id, config=CONFIG,
                       default_width="100%")


def summary(by_provider: list[dict], forecast: dict[str, dict]) -> go.Figure:
    providers = [row["provider"] for row in by_provider]
    series = [("last month", [row["last_month"] for row in by_provider]),
              ("this month so far", [row["this_month"] for row in by_provider]),
              ("forecast month-end", [(forecast.get(p) or {}).get("projected_month_end_cost") for p in providers])]
    fig = go.Figure()
    for i, (name, values) in enumerate(series):
        fig.add_bar(name=name, x=providers, y=[_num(v) for v in values], text=[usd(v) for v in values],
                    textposition="outside", marker={"color": COLOURS[i], "pattern": {"shape": PATTERNS[i]}})
    return _layout(fig, "Billed cost per provider (USD)", barmode="group", yaxis=MONEY_AXIS)


def daily(rows: list[dict], totals: list[dict], anomalies: list[dict]) -> go.Figure:
    fig = go.Figure()
    series: dict[tuple[str, str], list[dict]] = {}
    estimated = set()
    for row in rows:
        series.setdefault((row["provider"], row["service_name"]), []).append(row)
        if row["estimated_rows"]:
            estimated.add((row["provider"], row["service_name"]))
    styles = zip(cycle(COLOURS), cycle(PATTERNS[1:] + PATTERNS[:1]), strict=False)
    for (provider, service), points in series.items():
        colour, pattern = next(styles)
        label = f"{provider} / {service}" + (" (incl. estimates)" if (provider, service) in estimated else "")
        fig.add_bar(name=label, x=[p["day"] for p in points], y=[_num(p["billed_cost"]) for p in points],
                    width=DAY_MS * 0.8,  # explicit: a single day would otherwise get a bar 1 ms wide
                    marker={"color": colour, "pattern": {"shape": pattern, "fgcolor": "#333", "size": 6}},
                    hovertemplate=f"{label}<br>%{{x|%Y-%m-%d}}: $%{{y:,.2f}}<extra></extra>")
    fig.add_scatter(name="daily total", x=[t["day"] for t in totals], y=[_num(t["billed_cost"]) for t in totals],
                    mode="lines+markers", line={"color": "#000", "width": 2},
                    hovertemplate="total %{x|%Y-%m-%d}: $%{y:,.2f}<extra></extra>")
    day_total = {t["day"]: t["billed_cost"] for t in totals}
    if anomalies:
        fig.add_scatter(name="anomaly (see table)", mode="markers+text",
                        x=[a["day"] for a in anomalies], y=[_num(day_total.get(a["day"])) for a in anomalies],
                        text=[f"⚠ {a['service_name']}" for a in anomalies], textposition="top center",
                        marker={"symbol": "triangle-down-open", "size": 16, "color": "#D55E00",
                                "line": {"width": 3}},
                        hovertemplate="%{text}<extra>anomaly</extra>")
    return _layout(fig, "Daily billed cost by provider and service (stacked), anomalies marked ⚠", height=560,
                   barmode="stack", yaxis=MONEY_AXIS, xaxis=_day_axis([t["day"] for t in totals]))


def movers(rows: list[dict]) -> go.Figure:
    labels = [f"{r['provider']} / {r['service_name']}" for r in rows][::-1]
    changes = [r["month_to_date_change"] for r in rows][::-1]
    pcts = [r["month_to_date_pct"] for r in rows][::-1]
    fig = go.Figure(go.Bar(
        orientation="h", y=labels, x=[_num(c) for c in changes],
        text=[f"{'+' if c > 0 else ''}{usd(c)} ({'n/a' if p is None else f'{p:+.1f}%'})"
              for c, p in zip(changes, pcts, strict=True)],
        textposition="auto", marker={"color": ["#D55E00" if c > 0 else "#0072B2" for c in changes],
                                     "pattern": {"shape": ["/" if c > 0 else "" for c in changes]}},
        name="change vs the same days last month"))
    return _layout(fig, "Change per service, month to date vs the same days last month (up: hatched, down: solid)",
                   height=max(300, 40 * len(rows) + 120), xaxis=MONEY_AXIS, showlegend=False,
                   margin={"l": 220, "r": 30, "t": 50, "b": 50})


def ai_spend(rows: list[dict]) -> go.Figure:
    fig = make_subplots(rows=3, cols=1, shared_xaxes=True, vertical_spacing=0.07,
                        subplot_titles=("tokens in (prompt)", "tokens out (completion)",
                                        "cost per million tokens (USD)"))
    models: dict[str, list[dict]] = {}
    for row in rows:
        models.setdefault(f"{row['provider']} / {row['sku_id']}", []).append(row)
    styles = zip(cycle(COLOURS), cycle(DASHES), cycle(SYMBOLS), strict=False)
    for name, points in models.items():
        colour, dash, symbol = next(styles)
        days = [p["day"] for p in points]
        for panel, column in enumerate(("tokens_in", "tokens_out", "cost_per_million_tokens"), start=1):
            values = [_num(p[column]) for p in points]
            fig.add_scatter(name=name, legendgroup=name, showlegend=panel == 1, x=days, y=values,
                            mode="lines+markers+text", line={"color": colour, "dash": dash},
                            marker={"symbol": symbol, "size": 6},
                            text=[""] * (len(days) - 1) + [name.split(" / ", 1)[1]],
                            textposition="middle right", textfont={"size": 9}, row=panel, col=1)
    fig.update_xaxes(**_day_axis([row["day"] for row in rows]))
    fig.update_yaxes(tickformat=",.0f", row=1, col=1)
    fig.update_yaxes(tickformat=",.0f", row=2, col=1)
    fig.update_yaxes(tickprefix="$", tickformat=",.2f", row=3, col=1)
    return _layout(fig, "AI spend by model per day", height=820, margin={"l": 70, "r": 200, "t": 60, "b": 50},
                   legend={"orientation": "h", "y": -0.08})


def limits(rows: list[dict]) -> go.Figure:
    fig = make_subplots(rows=len(rows), cols=1, vertical_spacing=0.12 if len(rows) > 1 else 0.1,
                        subplot_titles=[f"{r['account_id']} ({r['strategy']} {r['duration']})" for r in rows])
    for i, r in enumerate(rows, start=1):
        end = r["projected_breach_at"] or r["window_end"]
        end_value = 0 if r["projected_breach_at"] else _num(r["remaining_at_window_end_usd"])
        fig.add_scatter(name="remaining (actual)", legendgroup="actual", showlegend=i == 1,
                        x=[r["window_start"], r["as_of"]], y=[_num(r["limit_usd"]), _num(r["remaining_usd"])],
                        mode="lines+markers+text", line={"color": "#0072B2", "width": 3},
                        text=["limit " + usd(r["limit_usd"]), "now " + usd(r["remaining_usd"]) + " left"],
                        textposition="top right", row=i, col=1)
        fig.add_scatter(name="remaining (projected)", legendgroup="projected", showlegend=i == 1,
                        x=[r["as_of"], end], y=[_num(r["remaining_usd"]), end_value],
                        mode="lines+markers+text", line={"color": "#D55E00", "dash": "dash", "width": 3},
                        marker={"symbol": ["circle", "x" if r["projected_breach_at"] else "circle"], "size": 12},
                        text=["", f"breach {when(r['projected_breach_at'])}" if r["projected_breach_at"]
                              else f"{usd(end_value)} left at window end"],
                        textposition="bottom left", row=i, col=1)
        fig.add_hline(y=0, line={"color": "#000", "width": 1}, row=i, col=1)
        fig.update_yaxes(tickprefix="$", tickformat=",.2f", rangemode="tozero", row=i, col=1)
    return _layout(fig, "AI Gateway spending limit: burn-down of the current window", height=320 * len(rows) + 80)


def restatements(rows: list[dict]) -> go.Figure:
    labels = [f"{r['day']} {r['x_billable_metric_id']} {r['billing_account_id'][:8]}" for r in rows]
    fig = go.Figure()
    for i, (name, column) in enumerate((("before", "old_billed_cost"), ("after", "new_billed_cost"))):
        fig.add_bar(name=name, x=labels, y=[_num(r[column]) for r in rows],
                    text=[usd(r[column]) for r in rows], textposition="outside",
                    marker={"color": COLOURS[i * 3], "pattern": {"shape": PATTERNS[i]}})
    return _layout(fig, "Restated billed cost: before and after (largest changes)", barmode="group",
                   yaxis=MONEY_AXIS, xaxis={"tickangle": -30}, height=480)


def _day_axis(days: list[date]) -> dict[str, Any]:
    """A date axis in days; a single day gets a day either side instead of Plotly's millisecond ticks."""
    axis: dict[str, Any] = {"type": "date", "tickformat": "%b %d"}
    if days and min(days) == max(days):
        axis.update(range=[str(min(days) - timedelta(days=1)), str(max(days) + timedelta(days=1))],
                    dtick=DAY_MS)
    return axis


def freshness(rows: list[dict], stale_after_days: int) -> go.Figure:
    rows = [r for r in rows if r["days_behind"] is not None]
    labels = [f"{r['source']} {r['scope']}" for r in rows][::-1]
    behind = [r["days_behind"] for r in rows][::-1]
    fig = go.Figure(go.Bar(
        orientation="h", y=labels, x=behind, name="days behind",
        text=[f"loaded through {r['loaded_through']}{' — STALE' if r['stale'] else ''}" for r in rows][::-1],
        textposition="outside", cliponaxis=False,
        marker={"color": ["#D55E00" if r["stale"] else "#009E73" for r in rows][::-1],
                "pattern": {"shape": ["x" if r["stale"] else "" for r in rows][::-1]}}))
    fig.add_vline(x=stale_after_days, line={"dash": "dash", "color": "#000"},
                  annotation={"text": f"stale after {stale_after_days} days", "yanchor": "bottom"})
    longest = max(behind, default=0)
    return _layout(fig, "Days between the last loaded day and this report (stale: hatched)", showlegend=False,
                   height=max(260, 34 * len(rows) + 120), margin={"l": 330, "r": 30, "t": 50, "b": 50},
                   xaxis={"title": "days", "range": [0, max(stale_after_days + 3, longest * 1.6)]})


def when(value: datetime | date | None) -> str:
    if value is None:
        return "—"
    return value.strftime("%Y-%m-%d %H:%M UTC") if isinstance(value, datetime) else value.isoformat()
