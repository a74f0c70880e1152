{{ config(materialized='table') }}
-- The rows of the loads cost_and_usage has not taken in yet, and (old_ columns) the values cost_and_usage held
-- for their keys (NULL for a new key; old_charge_period_start tells daily_costs which days to rebuild). The old values are filled in by cost_and_usage's incremental strategy
-- (macros/replace_keys.sql) in the same pass over cost_and_usage that finds the rows it replaces: one join of
-- the new rows with cost_and_usage per run, not two. cost_restatements reads them after cost_and_usage.
-- dlt load ids grow with time: "not taken in yet" is "newer than the newest taken in"; that bound is a constant
-- by compile time, so the filter reaches the raw-table scans.
-- Empty on a full build (cost_and_usage absent or --full-refresh): then nothing is replaced.
{%- set taken_in = last_load_taken_in() %}
select n.*,
    cast(null as decimal(38, 10)) as old_billed_cost, cast(null as decimal(38, 10)) as old_effective_cost,
    cast(null as varchar) as old_load_id, cast(null as varchar) as old_cost_status,
    cast(null as timestamp with time zone) as old_charge_period_start
from {{ ref('int_cost_and_usage__focus_rows') }} as n
{% if taken_in is none %}where 1 = 0{% else %}where n.x_load_id > {{ taken_in }}{% endif %}
