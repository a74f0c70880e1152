{{ config(materialized='incremental', unique_key='day', incremental_strategy='delete+insert', on_schema_change='fail') }}
-- depends_on: {{ ref('int_cost_and_usage__changes') }}
-- Cost per UTC day, provider, service and billing account. After its first build a run rebuilds only the days
-- the rows cost_and_usage took in touch (their own days and the days of the rows they replaced, from
-- int_cost_and_usage__changes); --full-refresh (and any change of our SQL or price sheet) rebuilds it whole.
with cost_and_usage as (
    select * from {{ ref('cost_and_usage') }}
    {% if is_incremental() %}
    {#- A constant range first (a day either side: any time zone's day of a touched row lies within it), so the
        scan skips the row groups whose min/max rule them out; then the exact days. -#}
    {%- set changes = ref('int_cost_and_usage__changes') -%}
    {%- set bounds = run_query('select min(least(charge_period_start, coalesce(old_charge_period_start, '
        ~ 'charge_period_start))), max(greatest(charge_period_start, coalesce(old_charge_period_start, '
        ~ 'charge_period_start))) from ' ~ changes).rows[0] if execute else [none, none] -%}
    {%- if bounds[0] is none %}
    where 1 = 0
    {%- else %}
    where charge_period_start >= cast('{{ bounds[0] }}' as timestamp with time zone) - interval '1 day'
      and charge_period_start < cast('{{ bounds[1] }}' as timestamp with time zone) + interval '1 day'
      and cast(charge_period_start as date) in (
        select cast(charge_period_start as date) from {{ ref('int_cost_and_usage__changes') }}
        union
        select cast(old_charge_period_start as date) from {{ ref('int_cost_and_usage__changes') }}
        where old_charge_period_start is not null
    )
    {%- endif %}
    {% endif %}
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
