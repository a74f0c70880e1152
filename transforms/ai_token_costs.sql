-- ai_token_costs: AI inference per UTC day and model/sku: tokens in and out, cost, cost per million tokens
-- key: day, provider, sku_id
-- depends_on: cost_and_usage
CREATE OR REPLACE TABLE ai_token_costs AS
SELECT charge_period_start::DATE AS day,
       service_provider_name AS provider,
       sku_id,
       sum(x_prompt_tokens) AS tokens_in,
       sum(x_completion_tokens) AS tokens_out,
       sum(billed_cost) AS billed_cost,
       round(sum(billed_cost) * 1000000
             / nullif(coalesce(sum(x_prompt_tokens), 0) + coalesce(sum(x_completion_tokens), 0), 0), 6)
           AS cost_per_million_tokens
FROM cost_and_usage
WHERE x_prompt_tokens IS NOT NULL OR x_completion_tokens IS NOT NULL
GROUP BY ALL
ORDER BY day, provider, sku_id;
