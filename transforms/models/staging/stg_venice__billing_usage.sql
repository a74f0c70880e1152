-- Venice charges rolled up to one FOCUS row per UTC hour, sku and currency.
-- USD value of a charge: abs(amount) when it is in USD, otherwise abs(units x price_per_unit_usd); costs are
-- positive whatever Venice's sign convention (debits are negative amounts).
-- A credit top-up (positive amount) is a prepaid Purchase: One-Time, EffectiveCost 0 (the usage it pays for
-- carries that cost), no ConsumedQuantity. PricingCurrency* are in the currency Venice charged (USD, DIEM or
-- BUNDLED_CREDITS; the legacy name VCU is DIEM), from Venice's amount; the USD columns are unchanged.
with billing_usage as (
    select * from {{ raw_table('venice_billing_usage') }}
),
charges as (
    select date_trunc('hour', timestamp) as hour, sku, currency, units, amount, price_per_unit_usd,
           prompt_tokens, completion_tokens, _dlt_load_id,
           case when currency = 'VCU' then 'DIEM' else currency end as pricing_currency,
           case when currency = 'USD' then abs(amount) else abs(units * price_per_unit_usd) end as usd_cost
    from billing_usage
)
select
    cast(sum(usd_cost) as decimal(38, 10)) as billed_cost,
    case when sum(amount) > 0 then cast(0 as decimal(38, 10))
         else cast(sum(usd_cost) as decimal(38, 10)) end as effective_cost,
    cast(sum(abs(units * price_per_unit_usd)) as decimal(38, 10)) as list_cost,
    cast(sum(usd_cost) as decimal(38, 10)) as contracted_cost,
    'USD' as billing_currency,
    hour as charge_period_start, hour + interval '1 hour' as charge_period_end,
    date_trunc('month', hour) as billing_period_start,
    date_trunc('month', hour) + interval '1 month' as billing_period_end,
    case when sum(amount) > 0 then 'Purchase' else 'Usage' end as charge_category,
    cast(null as varchar) as charge_class,
    case when sum(amount) > 0 then 'One-Time' else 'Usage-Based' end as charge_frequency,
    'Venice ' || sku || ' (' || cast(count(*) as varchar) || ' charges)' as charge_description,
    case when sum(amount) > 0 then null else cast(sum(units) as decimal(38, 10)) end as consumed_quantity,
    case when sum(amount) > 0 then null when sku like '%-mtoken' then 'Tokens' else 'Units' end as consumed_unit,
    cast(sum(units) as decimal(38, 10)) as pricing_quantity,
    case when sku like '%-mtoken' then 'Tokens' else 'Units' end as pricing_unit,
    cast(max(price_per_unit_usd) as decimal(38, 10)) as list_unit_price,
    cast(max(price_per_unit_usd) as decimal(38, 10)) as contracted_unit_price,
    'Venice' as service_provider_name, 'Venice' as host_provider_name, 'Venice' as invoice_issuer_name,
    'venice' as billing_account_id, 'Venice' as billing_account_name,
    cast(null as varchar) as sub_account_id, cast(null as varchar) as sub_account_name,
    cast(null as varchar) as region_id, cast(null as varchar) as region_name,
    'Venice API' as service_name, 'AI and Machine Learning' as service_category,
    'Generative AI' as service_subcategory_known, sku as sku_id,
    sku as sku_price_id,
    case when sum(amount) > 0 then 'Credits' when sku like '%-mtoken' then 'Tokens' else 'Units' end as sku_meter,
    cast(null as varchar) as sku_price_details,
    pricing_currency,
    cast(sum(abs(amount)) / nullif(sum(units), 0) as decimal(38, 10)) as pricing_currency_list_unit_price,
    cast(sum(abs(amount)) / nullif(sum(units), 0) as decimal(38, 10)) as pricing_currency_contracted_unit_price,
    case when sum(amount) > 0 then cast(0 as decimal(38, 10))
         else cast(sum(abs(amount)) as decimal(38, 10)) end as pricing_currency_effective_cost,
    'billed' as x_cost_status,
    cast(null as varchar) as x_billable_metric_id, cast(null as varchar) as x_billable_metric_name,
    'Venice' as x_product_family_name, cast(null as varchar) as x_zone_id, cast(null as varchar) as x_zone_name,
    cast(sum(prompt_tokens) as bigint) as x_prompt_tokens, cast(sum(completion_tokens) as bigint) as x_completion_tokens,
    currency as x_original_currency, cast(sum(amount) as decimal(38, 10)) as x_original_amount,
    'venice_billing_usage' as x_source,
    {{ utc_iso('hour', to='hour') }} || '|' || sku || '|' || currency as x_source_key,
    max(_dlt_load_id) as x_load_id
from charges
group by hour, sku, currency, pricing_currency
