{{ config(materialized='table') }}
-- The rows of the loads cost_and_usage has not taken in yet, each beside the values cost_and_usage holds for
-- its key now (NULL for a new key). Built just before cost_and_usage takes them in, so cost_restatements can
-- compare old and new. dlt load ids grow with time: "not taken in yet" is "newer than the newest taken in".
-- Empty on a full build (cost_and_usage absent or --full-refresh): then nothing is replaced.
-- cost_and_usage is read by name, not ref(): it is downstream of this model.
{%- set taken_in = last_load_taken_in() %}
with new_rows as (
    select * from {{ ref('int_cost_and_usage__focus_rows') }}
    {% if taken_in is none %}where 1 = 0{% else %}where x_load_id > {{ taken_in }}{% endif %}
){% if taken_in is not none %},
current_rows as (
    select x_source, x_source_key, billed_cost, effective_cost, x_load_id, x_cost_status
    from {{ api.Relation.create(database=this.database, schema=this.schema, identifier='cost_and_usage') }}
){% endif %}
select n.*,
    {%- if taken_in is none %}
    cast(null as decimal(38, 10)) as old_billed_cost, cast(null as decimal(38, 10)) as old_effective_cost,
    cast(null as varchar) as old_load_id, cast(null as varchar) as old_cost_status
from new_rows as n
    {%- else %}
    c.billed_cost as old_billed_cost, c.effective_cost as old_effective_cost,
    c.x_load_id as old_load_id, c.x_cost_status as old_cost_status
from new_rows as n
left join current_rows as c on c.x_source = n.x_source and c.x_source_key = n.x_source_key
    {%- endif %}
