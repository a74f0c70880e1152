-- The FOCUS 1.3 shape, pinned: reports built on it keep working when cost_and_usage moves on.
{{ config(materialized='view') }}
with cost_and_usage as (
    select * from {{ ref('cost_and_usage') }}
)
select {{ cost_and_usage_columns() | join(', ') }}
from cost_and_usage
