{{ config(materialized='ephemeral') }}
-- Every provider's rows in cost_and_usage's shape, with FOCUS StringHandling (ASCII only: Cloudflare writes an
-- em dash into ChargeDescription) and UnitFormat ("1M Operations" -> "1000000 Operations") applied. The raw
-- tables keep what was delivered.
with all_providers as (
    {% for model in ['stg_cloudflare__billable_usage', 'int_ai_gateway__daily_focus_rows', 'stg_venice__billing_usage',
                   'stg_focus_files__cost_and_usage'] %}
    select {{ provider_row_columns() | join(', ') }} from {{ ref(model) }}
    {% if not loop.last %}union all{% endif %}
    {% endfor %}
)
select
    billed_cost, effective_cost, list_cost, contracted_cost, billing_currency,
    charge_period_start, charge_period_end, billing_period_start, billing_period_end,
    charge_category, charge_class, charge_frequency, {{ focus_ascii('charge_description') }} as charge_description,
    cast(null as varchar) as invoice_id,
    consumed_quantity, {{ focus_unit('consumed_unit') }} as consumed_unit, pricing_quantity,
    {{ focus_unit('pricing_unit') }} as pricing_unit, list_unit_price, contracted_unit_price,
    'Standard' as pricing_category,
    service_provider_name, host_provider_name, invoice_issuer_name,
    billing_account_id, {{ focus_ascii('billing_account_name') }} as billing_account_name,
    sub_account_id, {{ focus_ascii('sub_account_name') }} as sub_account_name,
    region_id, {{ focus_ascii('region_name') }} as region_name, {{ focus_ascii('service_name') }} as service_name,
    service_category, coalesce(service_subcategory_known, 'Other (' || service_category || ')') as service_subcategory,
    sku_id,
    x_source, x_source_key, x_cost_status, x_billable_metric_id, x_billable_metric_name, x_product_family_name,
    x_zone_id, x_zone_name, x_prompt_tokens, x_completion_tokens, x_original_currency, x_original_amount, x_load_id
from all_providers
