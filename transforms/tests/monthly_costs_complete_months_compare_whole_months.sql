-- A complete month (as_of_day its last day) is compared with the whole month before, so the month-to-date
-- figures of past months are the month-over-month ones their users already rely on.
select * from {{ ref('monthly_costs') }}
where as_of_day = {{ month_last_day('month') }}
  and previous_month_same_days_billed_cost is distinct from previous_billed_cost
