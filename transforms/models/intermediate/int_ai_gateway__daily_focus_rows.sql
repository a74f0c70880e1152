-- One FOCUS row per account, meter and UTC day of AI Gateway spend. Day grain only: adding the hour grain
-- too would count the spend twice. FOCUS costs are in USD (the meter is in cents). The usage history carries
-- no token or request counts, only each meter's spend: that spend, in Cents at 0.01 USD each, is the quantity
-- (ConsumedQuantity = PricingQuantity, so PricingQuantity x ListUnitPrice = ListCost holds).
with daily_spend as (
    select * from {{ ref('stg_ai_gateway__usage_history') }}
    where value_grouping_window = 'day'
)
select
    cast(spend_cents / 100 as decimal(38, 10)) as billed_cost,
    cast(spend_cents / 100 as decimal(38, 10)) as effective_cost,
    cast(spend_cents / 100 as decimal(38, 10)) as list_cost,
    cast(spend_cents / 100 as decimal(38, 10)) as contracted_cost,
    'USD' as billing_currency,
    start_time as charge_period_start,
    coalesce(end_time, start_time + interval '1 day') as charge_period_end,
    date_trunc('month', start_time) as billing_period_start,
    date_trunc('month', start_time) + interval '1 month' as billing_period_end,
    'Usage' as charge_category, cast(null as varchar) as charge_class, 'Usage-Based' as charge_frequency,
    'AI Gateway usage: ' || meter_id as charge_description,
    cast(spend_cents as decimal(38, 10)) as consumed_quantity, 'Cents' as consumed_unit,
    cast(spend_cents as decimal(38, 10)) as pricing_quantity, 'Cents' as pricing_unit,
    cast(0.01 as decimal(38, 10)) as list_unit_price, cast(0.01 as decimal(38, 10)) as contracted_unit_price,
    'Cloudflare' as service_provider_name, 'Cloudflare' as host_provider_name, 'Cloudflare' as invoice_issuer_name,
    account_id as billing_account_id, account_id as billing_account_name,
    cast(null as varchar) as sub_account_id, cast(null as varchar) as sub_account_name,
    cast(null as varchar) as region_id, cast(null as varchar) as region_name,
    'AI Gateway' as service_name, 'AI and Machine Learning' as service_category,
    'Generative AI' as service_subcategory_known, meter_id as sku_id,
    meter_id as sku_price_id, 'AI Gateway spend: ' || meter_id as sku_meter,
    cast(null as varchar) as sku_price_details,
    'USD' as pricing_currency,
    cast(0.01 as decimal(38, 10)) as pricing_currency_list_unit_price,
    cast(0.01 as decimal(38, 10)) as pricing_currency_contracted_unit_price,
    cast(spend_cents / 100 as decimal(38, 10)) as pricing_currency_effective_cost,
    'billed' as x_cost_status,
    cast(null as varchar) as x_billable_metric_id, cast(null as varchar) as x_billable_metric_name,
    'AI Gateway' as x_product_family_name, cast(null as varchar) as x_zone_id, cast(null as varchar) as x_zone_name,
    cast(null as bigint) as x_prompt_tokens, cast(null as bigint) as x_completion_tokens,
    'cents' as x_original_currency, aggregated_value as x_original_amount,
    'ai_gateway_usage_history' as x_source,
    account_id || '|day|' || meter_id || '|' || {{ utc_iso('start_time') }} as x_source_key,
    _dlt_load_id as x_load_id
from daily_spend
