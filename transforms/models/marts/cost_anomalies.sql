-- Days whose cost for a service jumped away from its trailing 14-day median (robust: MAD).
-- Flagged when at least 7 of the 14 days before exist and |cost - median| > 3 x 1.4826 x MAD; when the
-- trailing days are all equal (MAD = 0), any move of more than 50% of the median is flagged.
with daily_costs as (
    select * from {{ ref('daily_costs') }}
),
service_days as (
    select day, provider, service_name, sum(billed_cost) as cost
    from daily_costs group by day, provider, service_name
),
trailing_window as (
    select s.day, s.provider, s.service_name, s.cost, t.cost as past_cost
    from service_days as s
    join service_days as t
      on t.provider = s.provider and t.service_name = s.service_name
     and t.day >= s.day - 14 and t.day < s.day
),
trailing_median as (
    select day, provider, service_name, max(cost) as cost, {{ median('past_cost') }} as median_cost,
           count(*) as trailing_days
    from trailing_window group by day, provider, service_name
),
trailing_mad as (
    select m.day, m.provider, m.service_name, m.cost, m.median_cost, m.trailing_days,
           {{ median('abs(t.past_cost - m.median_cost)') }} as mad
    from trailing_median as m
    join trailing_window as t
      on t.day = m.day and t.provider = m.provider and t.service_name = m.service_name
    group by m.day, m.provider, m.service_name, m.cost, m.median_cost, m.trailing_days
)
select day, provider, service_name, cost, median_cost, mad, trailing_days,
       cost - median_cost as jump,
       round(100 * (cost - median_cost) / nullif(median_cost, 0), 2) as jump_pct,
       round((cost - median_cost) / nullif(1.4826 * mad, 0), 2) as robust_z
from trailing_mad
where trailing_days >= 7
  and ((mad > 0 and abs(cost - median_cost) > 3 * 1.4826 * mad)
       or (mad = 0 and abs(cost - median_cost) > 0.5 * abs(median_cost) and cost <> median_cost))
order by day, provider, service_name
