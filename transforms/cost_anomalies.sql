-- cost_anomalies: days whose cost for a service jumped away from its trailing 14-day median (robust: MAD)
-- key: day, provider, service_name
-- depends_on: daily_costs
-- Flagged when at least 7 of the 14 days before exist and |cost - median| > 3 x 1.4826 x MAD; when the
-- trailing days are all equal (MAD = 0), any move of more than 50% of the median is flagged.
CREATE OR REPLACE TABLE cost_anomalies AS
WITH service_days AS (
    SELECT day, provider, service_name, sum(billed_cost) AS cost FROM daily_costs GROUP BY ALL
),
trailing_window AS (
    SELECT s.day, s.provider, s.service_name, s.cost, t.cost AS past_cost
    FROM service_days AS s
    JOIN service_days AS t
      ON t.provider = s.provider AND t.service_name = s.service_name
     AND t.day >= s.day - 14 AND t.day < s.day
),
trailing_median AS (
    SELECT day, provider, service_name, any_value(cost) AS cost, median(past_cost) AS median_cost,
           count(*) AS trailing_days
    FROM trailing_window GROUP BY day, provider, service_name
),
trailing_mad AS (
    SELECT m.day, m.provider, m.service_name, m.cost, m.median_cost, m.trailing_days,
           median(abs(t.past_cost - m.median_cost)) AS mad
    FROM trailing_median AS m
    JOIN trailing_window AS t USING (day, provider, service_name)
    GROUP BY ALL
)
SELECT day, provider, service_name, cost, median_cost, mad, trailing_days,
       cost - median_cost AS jump,
       round(100 * (cost - median_cost) / nullif(median_cost, 0), 2) AS jump_pct,
       round((cost - median_cost) / nullif(1.4826 * mad, 0), 2) AS robust_z
FROM trailing_mad
WHERE trailing_days >= 7
  AND ((mad > 0 AND abs(cost - median_cost) > 3 * 1.4826 * mad)
       OR (mad = 0 AND abs(cost - median_cost) > 0.5 * abs(median_cost) AND cost <> median_cost))
ORDER BY day, provider, service_name;
