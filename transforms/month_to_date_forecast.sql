-- month_to_date_forecast: per provider, cost so far in the latest month loaded and a straight-line month-end
-- key: provider, month
-- depends_on: daily_costs
-- As of the latest day with data (not the wall clock), so a re-run on old data gives the same answer.
CREATE OR REPLACE TABLE month_to_date_forecast AS
WITH latest AS (
    SELECT provider, max(day) AS as_of_day FROM daily_costs GROUP BY provider
),
month_to_date AS (
    SELECT l.provider, date_trunc('month', l.as_of_day)::DATE AS month, l.as_of_day,
           sum(d.billed_cost) AS mtd_cost
    FROM latest AS l
    JOIN daily_costs AS d
      ON d.provider = l.provider AND d.day >= date_trunc('month', l.as_of_day) AND d.day <= l.as_of_day
    GROUP BY ALL
)
SELECT provider, month, as_of_day,
       day(as_of_day) AS days_elapsed,
       day(last_day(as_of_day)) AS days_in_month,
       mtd_cost,
       round(mtd_cost / day(as_of_day) * day(last_day(as_of_day)), 6) AS projected_month_end_cost
FROM month_to_date
ORDER BY provider;
