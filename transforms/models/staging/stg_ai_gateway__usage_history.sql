-- AI Gateway spend buckets as loaded, both grains (hour and day), in cents: aggregated_value x value_scale
-- (the meter is taken to be in cents; SOURCES__CLOUDFLARE__VALUE_SCALE converts when it is not).
with usage_history as (
    select * from {{ raw_table('ai_gateway_usage_history') }}
)
select
    account_id,
    value_grouping_window,
    id as meter_id,
    start_time,
    end_time,
    aggregated_value,
    aggregated_value * {{ var('value_scale', 1.0) }} as spend_cents,
    _dlt_load_id
from usage_history
