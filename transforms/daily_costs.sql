-- daily_costs: cost per UTC day, provider, service and billing account
-- key: day, provider, service_name, billing_account_id
-- depends_on: cost_and_usage
CREATE OR REPLACE TABLE daily_costs AS
SELECT charge_period_start::DATE AS day,
       service_provider_name AS provider,
       service_name,
       billing_account_id,
       sum(billed_cost) AS billed_cost,
       sum(effective_cost) AS effective_cost,
       sum(list_cost) AS list_cost,
       sum(consumed_quantity) AS consumed_quantity,
       count(*) FILTER (WHERE x_cost_status = 'estimated') AS estimated_rows,
       count(*) AS rows
FROM cost_and_usage
GROUP BY ALL
ORDER BY day, provider, service_name, billing_account_id;
