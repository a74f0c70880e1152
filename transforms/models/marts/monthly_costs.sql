-- Cost per billing month, provider and service, with the change against the month before.
with daily_costs as (
    select * from {{ ref('daily_costs') }}
),
per_month as (
    select cast(date_trunc('month', day) as date) as month, provider, service_name,
           sum(billed_cost) as billed_cost, sum(effective_cost) as effective_cost, sum(list_cost) as list_cost
    from daily_costs
    group by cast(date_trunc('month', day) as date), provider, service_name
),
with_previous as (
    select *, lag(billed_cost) over (partition by provider, service_name order by month) as previous_billed_cost,
           lag(month) over (partition by provider, service_name order by month) as previous_month
    from per_month
),
consecutive as (
    select *, case when previous_month = cast(month - interval '1 month' as date) then previous_billed_cost end
               as prior
    from with_previous
)
select month, provider, service_name, billed_cost, effective_cost, list_cost,
       prior as previous_billed_cost,
       billed_cost - prior as month_over_month_change,
       round(100 * (billed_cost - prior) / nullif(prior, 0), 2) as month_over_month_pct
from consecutive
order by month, provider, service_name
