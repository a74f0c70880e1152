-- spend_vs_limit: one row per account with an enabled AI Gateway spending limit, as of its newest hourly bucket
-- key: account_id
-- depends_on:
-- Spend is the hourly history in the limit's unit (cents; `value_scale` converts when the meter is not).
-- Window: fixed = the calendar day / ISO week / month (UTC) holding `as_of`; sliding = the trailing 1/7/30
-- days. Rate = mean spend per hour over the last 6 hours. Sliding windows are projected as if nothing rolls out.
CREATE OR REPLACE TABLE spend_vs_limit AS
WITH hourly_spend AS (
    SELECT account_id, start_time, end_time, aggregated_value * {{ value_scale }} AS cents
    FROM {{ source('ai_gateway_usage_history') }}
    WHERE value_grouping_window = 'hour'
),
latest AS (
    SELECT account_id, least(now(), max(end_time)) AS as_of FROM hourly_spend GROUP BY account_id
),
current_limit AS (
    SELECT account_id, amount, duration, strategy
    FROM {{ source('ai_gateway_spending_limits') }}
    WHERE valid_to IS NULL AND enabled AND amount IS NOT NULL
),
limit_window AS (
    SELECT l.account_id, l.amount, l.duration, l.strategy, t.as_of,
           CASE WHEN l.strategy = 'fixed' THEN date_trunc(
                    CASE l.duration WHEN 'daily' THEN 'day' WHEN 'weekly' THEN 'week' ELSE 'month' END, t.as_of)
                ELSE t.as_of - CASE l.duration WHEN 'daily' THEN INTERVAL 1 DAY WHEN 'weekly' THEN INTERVAL 7 DAY
                                               ELSE INTERVAL 30 DAY END
           END AS window_start
    FROM current_limit AS l JOIN latest AS t USING (account_id)
),
bounded_window AS (
    SELECT *, CASE WHEN strategy = 'fixed' THEN window_start + CASE duration WHEN 'daily' THEN INTERVAL 1 DAY
                                                                WHEN 'weekly' THEN INTERVAL 7 DAY
                                                                ELSE INTERVAL 1 MONTH END
                   ELSE as_of END AS window_end
    FROM limit_window
),
window_spend AS (
    SELECT w.account_id,
           coalesce(sum(h.cents) FILTER (WHERE h.start_time >= w.window_start AND h.start_time < w.as_of), 0)
               AS spent_cents,
           coalesce(sum(h.cents) FILTER (WHERE h.start_time >= w.as_of - INTERVAL 6 HOUR
                                           AND h.start_time < w.as_of), 0) / 6 AS cents_per_hour
    FROM bounded_window AS w LEFT JOIN hourly_spend AS h USING (account_id)
    GROUP BY w.account_id
),
projection AS (
    SELECT w.*, s.spent_cents, s.cents_per_hour,
           CASE WHEN w.strategy = 'fixed'
                THEN s.spent_cents + s.cents_per_hour * epoch(w.window_end - w.as_of) / 3600
                ELSE s.spent_cents END AS projected_cents
    FROM bounded_window AS w JOIN window_spend AS s USING (account_id)
)
SELECT account_id, strategy, duration, window_start, window_end, as_of,
       spent_cents::DECIMAL(38, 4) AS spent_cents,
       amount AS limit_cents,
       round(100 * spent_cents / amount, 2)::DECIMAL(10, 2) AS percent_used,
       cents_per_hour::DECIMAL(38, 4) AS cents_per_hour,
       projected_cents::DECIMAL(38, 4) AS projected_cents_at_window_end,
       CASE WHEN spent_cents >= amount THEN as_of
            WHEN cents_per_hour > 0 AND (strategy = 'sliding' OR projected_cents >= amount)
            THEN as_of + to_microseconds(((amount - spent_cents) / cents_per_hour * 3600e6)::BIGINT)
       END AS projected_breach_at
FROM projection
ORDER BY account_id;
