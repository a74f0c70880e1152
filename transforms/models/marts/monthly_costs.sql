-- Cost per billing month, provider and service, with the change against the month before: against the whole
-- month before (month_over_month_*), and against its same days (month_to_date_*), which is what a month still
-- in progress can fairly be compared with.
with daily_costs as (
    select * from {{ ref('daily_costs') }}
),
-- Accounts summed first: the passes below read one row per day and service.
per_day as (
    select cast(date_trunc('month', day) as date) as month, day, provider, service_name,
           sum(billed_cost) as billed_cost, sum(effective_cost) as effective_cost, sum(list_cost) as list_cost
    from daily_costs
    group by day, provider, service_name
),
per_month as (
    select month, provider, service_name,
           sum(billed_cost) as billed_cost, sum(effective_cost) as effective_cost, sum(list_cost) as list_cost
    from per_day
    group by month, provider, service_name
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
),
-- Per provider, not per service: a service with no cost on its provider's latest days has simply not been
-- used since, and must not shorten the days it is compared over. As of the data, not the wall clock (as
-- month_to_date_forecast), so a re-run on old data gives the same answer.
provider_latest_day as (
    select provider, max(day) as latest_day from per_day group by provider
),
as_of as (
    select months.month, months.provider,
           least(latest.latest_day, {{ month_last_day('months.month') }}) as as_of_day
    from (select distinct month, provider from per_month) as months
    join provider_latest_day as latest on latest.provider = months.provider
),
-- A complete month is compared with the whole month before (so month_to_date_* = month_over_month_*);
-- a month in progress with the month before through the same day of month, which the interval arithmetic
-- clamps to that month's last day when it is shorter (Mar 1-30 vs Feb 1-28).
compared_days as (
    select month, provider, as_of_day, cast(month - interval '1 month' as date) as previous_month,
           case when as_of_day = {{ month_last_day('month') }} then cast(month - interval '1 day' as date)
                else cast(as_of_day - interval '1 month' as date) end as previous_month_as_of_day
    from as_of
),
previous_same_days as (
    select c.month, d.provider, d.service_name, sum(d.billed_cost) as billed_cost
    from compared_days as c
    join per_day as d
      on d.provider = c.provider and d.month = c.previous_month and d.day <= c.previous_month_as_of_day
    group by c.month, d.provider, d.service_name
),
with_same_days as (
    -- NULL when the month before has no cost for the service (as prior); 0 when all of it came after those days
    select m.*, c.as_of_day, c.previous_month_as_of_day,
           case when m.prior is not null then coalesce(s.billed_cost, 0) end as same_days_prior
    from consecutive as m
    join compared_days as c on c.month = m.month and c.provider = m.provider
    left join previous_same_days as s
      on s.month = m.month and s.provider = m.provider and s.service_name = m.service_name
)
select month, provider, service_name, billed_cost, effective_cost, list_cost,
       prior as previous_billed_cost,
       billed_cost - prior as month_over_month_change,
       round(100 * (billed_cost - prior) / nullif(prior, 0), 2) as month_over_month_pct,
       as_of_day, previous_month_as_of_day,
       same_days_prior as previous_month_same_days_billed_cost,
       billed_cost - same_days_prior as month_to_date_change,
       round(100 * (billed_cost - same_days_prior) / nullif(same_days_prior, 0), 2) as month_to_date_pct
from with_same_days
order by month, provider, service_name
