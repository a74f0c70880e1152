-- AI inference per UTC day and model/sku: tokens in and out, cost, cost per million tokens.
with token_usage as (
    select * from {{ ref('cost_and_usage') }}
    where x_prompt_tokens is not null or x_completion_tokens is not null
)
select cast(charge_period_start as date) as day,
       service_provider_name as provider,
       sku_id,
       sum(x_prompt_tokens) as tokens_in,
       sum(x_completion_tokens) as tokens_out,
       sum(billed_cost) as billed_cost,
       round(sum(billed_cost) * 1000000
             / nullif(coalesce(sum(x_prompt_tokens), 0) + coalesce(sum(x_completion_tokens), 0), 0), 6)
           as cost_per_million_tokens
from token_usage
group by cast(charge_period_start as date), service_provider_name, sku_id
order by day, provider, sku_id
