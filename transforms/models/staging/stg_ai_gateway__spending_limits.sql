-- Each AI Gateway spending-limit configuration with its validity (valid_to NULL = in force now).
with spending_limits as (
    select * from {{ raw_table('ai_gateway_spending_limits') }}
)
select account_id, enabled, amount as limit_cents, duration, strategy, valid_from, valid_to
from spending_limits
