{{ config(materialized='ephemeral') }}
-- Every provider's rows in cost_and_usage's shape, with FOCUS StringHandling (ASCII only: Cloudflare writes an
-- em dash into ChargeDescription) and UnitFormat applied. Units go through the focus_unit_mapping seed
-- (delivered unit -> FOCUS unit, scale factor): where the scale changes ("CPU-ms" -> "CPU-Seconds", 0.001) the
-- quantity is multiplied and the unit prices divided by the factor, so PricingQuantity x ListUnitPrice still
-- equals ListCost. A unit the seed does not know is kept as delivered (and counted by `finops-etl validate`).
-- The delivered units stay in x_delivered_consumed_unit / x_delivered_pricing_unit; the raw tables keep all.
with all_providers as (
    {% for model in ['stg_cloudflare__billable_usage', 'int_ai_gateway__daily_focus_rows', 'stg_venice__billing_usage',
                   'stg_focus_files__cost_and_usage'] %}
    select {{ provider_row_columns() | join(', ') }} from {{ ref(model) }}
    {% if not loop.last %}union all{% endif %}
    {% endfor %}
),
units as (
    select delivered_unit, focus_unit, cast(scale_factor as decimal(38, 10)) as scale_factor
    from {{ ref('focus_unit_mapping') }}
),
mapped as (
    select r.*,
           cu.focus_unit as consumed_focus_unit, coalesce(cu.scale_factor, 1) as consumed_scale,
           pu.focus_unit as pricing_focus_unit, coalesce(pu.scale_factor, 1) as pricing_scale
    from all_providers as r
    left join units as cu on cu.delivered_unit = r.consumed_unit
    left join units as pu on pu.delivered_unit = r.pricing_unit
)
select
    billed_cost, effective_cost, list_cost, contracted_cost, billing_currency,
    charge_period_start, charge_period_end, billing_period_start, billing_period_end,
    charge_category, charge_class, charge_frequency, {{ focus_ascii('charge_description') }} as charge_description,
    cast(null as varchar) as invoice_id,
    cast(consumed_quantity * consumed_scale as decimal(38, 10)) as consumed_quantity,
    coalesce(consumed_focus_unit, consumed_unit) as consumed_unit,
    cast(pricing_quantity * pricing_scale as decimal(38, 10)) as pricing_quantity,
    coalesce(pricing_focus_unit, pricing_unit) as pricing_unit,
    cast(list_unit_price / pricing_scale as decimal(38, 10)) as list_unit_price,
    cast(contracted_unit_price / pricing_scale as decimal(38, 10)) as contracted_unit_price,
    'Standard' as pricing_category,
    service_provider_name, host_provider_name, invoice_issuer_name,
    billing_account_id, {{ focus_ascii('billing_account_name') }} as billing_account_name,
    sub_account_id, {{ focus_ascii('sub_account_name') }} as sub_account_name,
    region_id, {{ focus_ascii('region_name') }} as region_name, {{ focus_ascii('service_name') }} as service_name,
    service_category, coalesce(service_subcategory_known, 'Other (' || service_category || ')') as service_subcategory,
    sku_id, sku_price_id, {{ focus_ascii('sku_meter') }} as sku_meter, sku_price_details,
    pricing_currency,
    cast(pricing_currency_list_unit_price / pricing_scale as decimal(38, 10)) as pricing_currency_list_unit_price,
    cast(pricing_currency_contracted_unit_price / pricing_scale as decimal(38, 10))
        as pricing_currency_contracted_unit_price,
    pricing_currency_effective_cost,
    cast(null as varchar) as commitment_discount_status,  -- no provider of ours has commitment discounts
    x_source, x_source_key, x_cost_status, x_billable_metric_id, x_billable_metric_name, x_product_family_name,
    x_zone_id, x_zone_name, x_prompt_tokens, x_completion_tokens, x_original_currency, x_original_amount,
    consumed_unit as x_delivered_consumed_unit, pricing_unit as x_delivered_pricing_unit, x_load_id
from mapped
