{{ config(
    materialized='incremental',
    unique_key=['x_source', 'x_source_key'],
    incremental_strategy='replace_keys',
    changes_relation='int_cost_and_usage__changes',
    on_schema_change='fail',
    pre_hook="{{ delete_redelivered_files() }}",
) }}
-- depends_on: {{ ref('int_cost_and_usage__changes') }}
-- depends_on: {{ ref('int_cost_and_usage__focus_rows') }}
-- FOCUS v1.3 cost-and-usage rows from every provider (snake_case FOCUS names, then x_ columns).
-- After its first build a run takes in only the rows of loads it has not seen (int_cost_and_usage__changes),
-- replacing the rows with the same key; `finops-etl transform --full-refresh` builds it whole.
with focus_rows as (
    {% if is_incremental() %}
    select * from {{ ref('int_cost_and_usage__changes') }}
    {% else %}
    select * from {{ ref('int_cost_and_usage__focus_rows') }}
    {% endif %}
)
select {{ cost_and_usage_columns() | join(', ') }}
from focus_rows
