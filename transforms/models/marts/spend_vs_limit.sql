-- One row per account with an enabled AI Gateway spending limit, as of its newest hourly bucket.
-- Spend is the hourly history in the limit's unit (cents). Window: fixed = the calendar day / ISO week /
-- month (UTC) holding `as_of`; sliding = the trailing 1/7/30 days. Rate = mean spend per hour over the last
-- 6 hours. Sliding windows are projected as if nothing rolls out.
with hourly_spend as (
    select account_id, start_time, end_time, spend_cents as cents
    from {{ ref('stg_ai_gateway__usage_history') }}
    where value_grouping_window = 'hour'
),
current_limit as (
    select account_id, limit_cents as amount, duration, strategy
    from {{ ref('stg_ai_gateway__spending_limits') }}
    where valid_to is null and enabled and limit_cents is not null
),
latest as (
    select account_id, least({{ dbt.current_timestamp() }}, max(end_time)) as as_of
    from hourly_spend group by account_id
),
limit_window as (
    select l.account_id, l.amount, l.duration, l.strategy, t.as_of,
           case when l.strategy = 'fixed' then
                    case l.duration when 'daily' then date_trunc('day', t.as_of)
                                    when 'weekly' then date_trunc('week', t.as_of)
                                    else date_trunc('month', t.as_of) end
                else t.as_of - case l.duration when 'daily' then interval '1 day' when 'weekly' then interval '7 days'
                                               else interval '30 days' end
           end as window_start
    from current_limit as l join latest as t on t.account_id = l.account_id
),
bounded_window as (
    select *, case when strategy = 'fixed' then window_start + case duration when 'daily' then interval '1 day'
                                                                when 'weekly' then interval '7 days'
                                                                else interval '1 month' end
                   else as_of end as window_end
    from limit_window
),
window_spend as (
    select w.account_id,
           coalesce(sum(h.cents) filter (where h.start_time >= w.window_start and h.start_time < w.as_of), 0)
               as spent_cents,
           coalesce(sum(h.cents) filter (where h.start_time >= w.as_of - interval '6 hours'
                                           and h.start_time < w.as_of), 0) / 6 as cents_per_hour
    from bounded_window as w left join hourly_spend as h on h.account_id = w.account_id
    group by w.account_id
),
projection as (
    select w.*, s.spent_cents, s.cents_per_hour,
           case when w.strategy = 'fixed'
                then s.spent_cents + s.cents_per_hour * {{ interval_seconds('w.window_end - w.as_of') }} / 3600
                else s.spent_cents end as projected_cents
    from bounded_window as w join window_spend as s on s.account_id = w.account_id
)
select account_id, strategy, duration, window_start, window_end, as_of,
       cast(spent_cents as decimal(38, 4)) as spent_cents,
       amount as limit_cents,
       cast(round(100 * spent_cents / amount, 2) as decimal(10, 2)) as percent_used,
       cast(cents_per_hour as decimal(38, 4)) as cents_per_hour,
       cast(projected_cents as decimal(38, 4)) as projected_cents_at_window_end,
       case when spent_cents >= amount then as_of
            when cents_per_hour > 0 and (strategy = 'sliding' or projected_cents >= amount)
            then {{ add_microseconds('as_of', '(amount - spent_cents) / cents_per_hour * 3600e6') }}
       end as projected_breach_at
from projection
order by account_id
