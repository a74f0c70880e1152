-- Per provider, cost so far in the latest month loaded and a straight-line month-end projection.
-- As of the latest day with data (not the wall clock), so a re-run on old data gives the same answer.
with daily_costs as (
    select * from {{ ref('daily_costs') }}
),
latest as (
    select provider, max(day) as as_of_day from daily_costs group by provider
),
month_to_date as (
    select l.provider, cast(date_trunc('month', l.as_of_day) as date) as month, l.as_of_day,
           sum(d.billed_cost) as mtd_cost
    from latest as l
    join daily_costs as d
      on d.provider = l.provider and d.day >= date_trunc('month', l.as_of_day) and d.day <= l.as_of_day
    group by l.provider, cast(date_trunc('month', l.as_of_day) as date), l.as_of_day
),
with_days as (
    select *, cast(extract(day from as_of_day) as integer) as days_elapsed,
           cast(extract(day from {{ month_last_day('as_of_day') }}) as integer) as days_in_month
    from month_to_date
)
select provider, month, as_of_day, days_elapsed, days_in_month, mtd_cost,
       round(mtd_cost / days_elapsed * days_in_month, 6) as projected_month_end_cost
from with_days
order by provider
