-- Cost per UTC day, provider, service and billing account.
with cost_and_usage as (
    select * from {{ ref('cost_and_usage') }}
)
select cast(charge_period_start as date) as day,
       service_provider_name as provider,
       service_name,
       billing_account_id,
       sum(billed_cost) as billed_cost,
       sum(effective_cost) as effective_cost,
       sum(list_cost) as list_cost,
       sum(consumed_quantity) as consumed_quantity,
       count(*) filter (where x_cost_status = 'estimated') as estimated_rows,
       count(*) as rows
from cost_and_usage
group by cast(charge_period_start as date), service_provider_name, service_name, billing_account_id
order by day, provider, service_name, billing_account_id
