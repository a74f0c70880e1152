-- The FOCUS 1.2 shape: 1.3-only columns dropped, ProviderName/PublisherName from the 1.3 provider columns
-- (ServiceProviderName).
{{ config(materialized='view') }}
with cost_and_usage as (
    select * from {{ ref('cost_and_usage') }}
)
select billed_cost, effective_cost, list_cost, contracted_cost, billing_currency,
       charge_period_start, charge_period_end, billing_period_start, billing_period_end,
       charge_category, charge_class, charge_frequency, charge_description, invoice_id,
       consumed_quantity, consumed_unit, pricing_quantity, pricing_unit, list_unit_price, contracted_unit_price,
       pricing_category,
       service_provider_name as provider_name, service_provider_name as publisher_name, invoice_issuer_name,
       billing_account_id, billing_account_name, sub_account_id, sub_account_name,
       region_id, region_name, service_name, service_category, service_subcategory, sku_id,
       sku_price_id, sku_meter, sku_price_details, pricing_currency, pricing_currency_list_unit_price,
       pricing_currency_contracted_unit_price, pricing_currency_effective_cost, commitment_discount_status,
       x_source, x_source_key, x_cost_status, x_billable_metric_id, x_billable_metric_name, x_product_family_name,
       x_zone_id, x_zone_name, x_prompt_tokens, x_completion_tokens, x_original_currency, x_original_amount,
       x_delivered_consumed_unit, x_delivered_pricing_unit, x_load_id
from cost_and_usage
