-- monthly_costs: cost per billing month, provider and service, with the change against the month before
-- key: month, provider, service_name
-- depends_on: daily_costs
CREATE OR REPLACE TABLE monthly_costs AS
WITH per_month AS (
    SELECT date_trunc('month', day)::DATE AS month, provider, service_name,
           sum(billed_cost) AS billed_cost, sum(effective_cost) AS effective_cost, sum(list_cost) AS list_cost
    FROM daily_costs
    GROUP BY ALL
),
with_previous AS (
    SELECT *, lag(billed_cost) OVER (PARTITION BY provider, service_name ORDER BY month) AS previous_billed_cost,
           lag(month) OVER (PARTITION BY provider, service_name ORDER BY month) AS previous_month
    FROM per_month
),
consecutive AS (
    SELECT *, CASE WHEN previous_month = month - INTERVAL 1 MONTH THEN previous_billed_cost END AS prior
    FROM with_previous
)
SELECT month, provider, service_name, billed_cost, effective_cost, list_cost,
       prior AS previous_billed_cost,
       billed_cost - prior AS month_over_month_change,
       round(100 * (billed_cost - prior) / nullif(prior, 0), 2) AS month_over_month_pct
FROM consecutive
ORDER BY month, provider, service_name;
