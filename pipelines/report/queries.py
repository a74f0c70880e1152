"""What the report shows, read from the rollups through the pipeline's own destination (`sql_client`).

Plain SELECTs from the rollup tables (DuckDB and Postgres alike); sums only where the page shows a total of a
rollup's rows. A rollup that is not there yet (nothing loaded, transforms never ran) reads as no rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

ROLLUPS = ("daily_costs", "monthly_costs", "ai_token_costs", "cost_anomalies", "month_to_date_forecast",
           "spend_vs_limit", "cost_restatements")
TOP_MOVERS = 10
TOP_RESTATEMENTS = 20


@dataclass
class Month:
    start: date
    end: date  # exclusive: the first day of the next month
    previous: date

    @property
    def label(self) -> str:
        return self.start.strftime("%Y-%m")


def month_of(day: date) -> Month:
    start = day.replace(day=1)
    end = date(start.year + start.month // 12, start.month % 12 + 1, 1)
    previous = date(start.year - (start.month == 1), (start.month - 2) % 12 + 1, 1)
    return Month(start, end, previous)


class Rollups:
    """Named reads of the rollup tables; each returns rows as dicts."""

    def __init__(self, client: Any):
        self.client = client
        self.present = {name for (name,) in client.execute_sql(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = %s",
            client.dataset_name) or []}

    def _rows(self, table: str, sql: str, *args: Any) -> list[dict[str, Any]]:
        if table not in self.present:
            return []
        sql = sql.replace("{t}", self.client.make_qualified_table_name(table))
        with self.client.execute_query(sql, *args) as cursor:
            names = [c[0] for c in cursor.description]
            return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def latest_month(self) -> date | None:
        rows = self._rows("monthly_costs", "SELECT max(month) AS month FROM {t}")
        return rows[0]["month"] if rows and rows[0]["month"] else None

    def days_loaded(self, m: Month) -> dict[str, Any]:
        rows = self._rows("daily_costs", "SELECT min(day) AS first_day, max(day) AS last_day, count(DISTINCT day) AS days "
                          "FROM {t} WHERE day >= %s AND day < %s", m.start, m.end)
        return rows[0] if rows else {"first_day": None, "last_day": None, "days": 0}

    def month_by_provider(self, m: Month) -> list[dict[str, Any]]:
        return self._rows("monthly_costs", """
            SELECT provider,
                   sum(CASE WHEN month = %s THEN billed_cost END) AS this_month,
                   sum(CASE WHEN month = %s THEN billed_cost END) AS last_month
            FROM {t} WHERE month IN (%s, %s) GROUP BY provider ORDER BY provider""",
                          m.start, m.previous, m.start, m.previous)

    def month_totals(self, m: Month) -> dict[str, Any]:
        rows = self._rows("monthly_costs", """
            SELECT sum(CASE WHEN month = %s THEN billed_cost END) AS this_month,
                   sum(CASE WHEN month = %s THEN billed_cost END) AS last_month
            FROM {t} WHERE month IN (%s, %s)""", m.start, m.previous, m.start, m.previous)
        return rows[0] if rows else {"this_month": None, "last_month": None}

    def forecast(self, m: Month) -> list[dict[str, Any]]:
        return self._rows("month_to_date_forecast", """
            SELECT provider, as_of_day, days_elapsed, days_in_month, mtd_cost, projected_month_end_cost
            FROM {t} WHERE month = %s ORDER BY provider""", m.start)

    def daily_by_service(self, m: Month) -> list[dict[str, Any]]:
        return self._rows("daily_costs", """
            SELECT day, provider, service_name, sum(billed_cost) AS billed_cost,
                   sum(estimated_rows) AS estimated_rows, sum(rows) AS rows
            FROM {t} WHERE day >= %s AND day < %s
            GROUP BY day, provider, service_name ORDER BY provider, service_name, day""", m.start, m.end)

    def daily_totals(self, m: Month) -> list[dict[str, Any]]:
        return self._rows("daily_costs", """
            SELECT day, sum(billed_cost) AS billed_cost, sum(estimated_rows) AS estimated_rows
            FROM {t} WHERE day >= %s AND day < %s GROUP BY day ORDER BY day""", m.start, m.end)

    def anomalies(self, m: Month) -> list[dict[str, Any]]:
        return self._rows("cost_anomalies", """
            SELECT day, provider, service_name, cost, median_cost, jump, jump_pct
            FROM {t} WHERE day >= %s AND day < %s ORDER BY day, provider, service_name""", m.start, m.end)

    def estimates(self, m: Month) -> list[dict[str, Any]]:
        return self._rows("daily_costs", """
            SELECT provider, service_name, sum(estimated_rows) AS estimated_rows, sum(rows) AS rows
            FROM {t} WHERE day >= %s AND day < %s
            GROUP BY provider, service_name HAVING sum(estimated_rows) > 0
            ORDER BY provider, service_name""", m.start, m.end)

    def top_movers(self, m: Month) -> list[dict[str, Any]]:
        """Month to date against the same days of last month: mid-month, the whole of last month would make
        nearly every service look like it dropped."""
        return self._rows("monthly_costs", f"""
            SELECT provider, service_name, as_of_day, previous_month_as_of_day,
                   previous_month_same_days_billed_cost, billed_cost, month_to_date_change, month_to_date_pct
            FROM {{t}} WHERE month = %s AND month_to_date_change IS NOT NULL
            ORDER BY abs(month_to_date_change) DESC, provider, service_name LIMIT {TOP_MOVERS}""", m.start)

    def ai_tokens(self, m: Month) -> list[dict[str, Any]]:
        return self._rows("ai_token_costs", """
            SELECT day, provider, sku_id, tokens_in, tokens_out, billed_cost, cost_per_million_tokens
            FROM {t} WHERE day >= %s AND day < %s ORDER BY provider, sku_id, day""", m.start, m.end)

    def ai_models(self, m: Month) -> list[dict[str, Any]]:
        return self._rows("ai_token_costs", """
            SELECT provider, sku_id, sum(tokens_in) AS tokens_in, sum(tokens_out) AS tokens_out,
                   sum(billed_cost) AS billed_cost, avg(cost_per_million_tokens) AS mean_cost_per_million_tokens
            FROM {t} WHERE day >= %s AND day < %s GROUP BY provider, sku_id
            ORDER BY sum(billed_cost) DESC, provider, sku_id""", m.start, m.end)

    def spend_vs_limit(self, m: Month) -> list[dict[str, Any]]:
        """Limit windows that overlap the month (the rollup holds each account's current window)."""
        return self._rows("spend_vs_limit", """
            SELECT account_id, strategy, duration, window_start, window_end, as_of, percent_used,
                   spent_cents / 100 AS spent_usd, limit_cents / 100.0 AS limit_usd,
                   (limit_cents - spent_cents) / 100 AS remaining_usd,
                   (limit_cents - projected_cents_at_window_end) / 100 AS remaining_at_window_end_usd,
                   cents_per_hour / 100 AS usd_per_hour, projected_breach_at
            FROM {t} WHERE window_start < %s AND window_end > %s ORDER BY account_id""", m.end, m.start)

    def restatements(self, m: Month) -> list[dict[str, Any]]:
        return self._rows("cost_restatements", f"""
            SELECT CAST(charge_period_start AS DATE) AS day, billing_account_id, x_billable_metric_id,
                   old_billed_cost, new_billed_cost, new_billed_cost - old_billed_cost AS change,
                   old_cost_status, new_cost_status, detected_at
            FROM {{t}} WHERE charge_period_start >= %s AND charge_period_start < %s
            ORDER BY abs(coalesce(new_billed_cost, 0) - coalesce(old_billed_cost, 0)) DESC, day, record_key
            LIMIT {TOP_RESTATEMENTS}""", m.start, m.end)

    def restatement_totals(self, m: Month) -> dict[str, Any]:
        rows = self._rows("cost_restatements", """
            SELECT count(*) AS restatements, sum(old_billed_cost) AS old_billed_cost,
                   sum(new_billed_cost) AS new_billed_cost
            FROM {t} WHERE charge_period_start >= %s AND charge_period_start < %s""", m.start, m.end)
        return rows[0] if rows else {"restatements": 0, "old_billed_cost": None, "new_billed_cost": None}
