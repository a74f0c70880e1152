{{ config(materialized='incremental', incremental_strategy='append', full_refresh=false) }}
-- Each time a later load changed the cost of a Cloudflare record (or a row of a re-delivered FOCUS export file,
-- keyed 'file#row') we already had: old and new billed and
-- effective cost as cost_and_usage showed them, both load ids, old and new x_cost_status (a price-sheet
-- estimate replaced by Cloudflare's billed cost is a restatement too). Found among the rows cost_and_usage
-- takes in (int_cost_and_usage__changes, which holds the value each replaced: written by cost_and_usage's
-- incremental strategy, hence the dependency). Kept across --full-refresh.
-- depends_on: {{ ref('cost_and_usage') }}
with changed_rows as (
    select * from {{ ref('int_cost_and_usage__changes') }}
    where x_source in ('cloudflare_billable_usage', 'focus_files') and old_load_id is not null
)
select
    x_source_key as record_key, billing_account_id, charge_period_start, x_billable_metric_id,
    old_billed_cost, billed_cost as new_billed_cost,
    old_effective_cost, effective_cost as new_effective_cost,
    old_load_id, x_load_id as new_load_id,
    {{ dbt.current_timestamp() }} as detected_at,
    old_cost_status, x_cost_status as new_cost_status
from changed_rows
where billed_cost is distinct from old_billed_cost or effective_cost is distinct from old_effective_cost
