-- One row per row of another provider's FOCUS export file (AWS, Azure, Google Cloud, OCI, ...), already in the
-- FOCUS 1.3 shape: the source maps 1.0-1.2 columns (ProviderName -> ServiceProviderName, ...) at load time, so
-- this model reads 1.3 columns only. The provider billed these rows: x_cost_status 'billed'.
-- Source key: the file and the row's position in it. A re-delivered file replaces all of that file's rows
-- (see the delete_redelivered_files() pre-hook of cost_and_usage), so positions never mix two versions.
with export_rows as (
    select * from {{ raw_table('focus_files_cost_and_usage') }}
)
select
    billed_cost, effective_cost, list_cost, contracted_cost, billing_currency,
    charge_period_start, charge_period_end, billing_period_start, billing_period_end,
    charge_category, charge_class, coalesce(charge_frequency, 'Usage-Based') as charge_frequency,
    charge_description,
    consumed_quantity, consumed_unit, pricing_quantity, pricing_unit, list_unit_price, contracted_unit_price,
    coalesce(service_provider_name, x_export_provider) as service_provider_name,
    coalesce(host_provider_name, service_provider_name, x_export_provider) as host_provider_name,
    coalesce(invoice_issuer_name, service_provider_name, x_export_provider) as invoice_issuer_name,
    billing_account_id, coalesce(billing_account_name, billing_account_id) as billing_account_name,
    sub_account_id, sub_account_name, region_id, region_name,
    coalesce(service_name, 'Unknown') as service_name, coalesce(service_category, 'Other') as service_category,
    service_subcategory as service_subcategory_known, sku_id,
    sku_price_id, sku_meter, cast(sku_price_details as varchar) as sku_price_details,
    coalesce(pricing_currency, billing_currency) as pricing_currency,
    coalesce(pricing_currency_list_unit_price, list_unit_price) as pricing_currency_list_unit_price,
    coalesce(pricing_currency_contracted_unit_price, contracted_unit_price) as pricing_currency_contracted_unit_price,
    coalesce(pricing_currency_effective_cost, effective_cost) as pricing_currency_effective_cost,
    'billed' as x_cost_status,
    cast(null as varchar) as x_billable_metric_id, cast(null as varchar) as x_billable_metric_name,
    cast(null as varchar) as x_product_family_name, cast(null as varchar) as x_zone_id,
    cast(null as varchar) as x_zone_name,
    cast(null as bigint) as x_prompt_tokens, cast(null as bigint) as x_completion_tokens,
    billing_currency as x_original_currency, billed_cost as x_original_amount,
    'focus_files' as x_source, x_file || '#' || cast(x_row as varchar) as x_source_key,
    _dlt_load_id as x_load_id
from export_rows
