-- stg_ai_gateway_daily: one row per account, meter and UTC day of AI Gateway spend (day grain only: adding the
-- key: billing_account_id, sku_id, charge_period_start          hour grain too would count the spend twice)
-- depends_on:
-- aggregated_value is taken to be in cents (x value_scale); FOCUS costs are in USD.
CREATE OR REPLACE VIEW stg_ai_gateway_daily AS
SELECT
    (aggregated_value * {{ value_scale }} / 100)::DECIMAL(38, 10) AS billed_cost,
    (aggregated_value * {{ value_scale }} / 100)::DECIMAL(38, 10) AS effective_cost,
    (aggregated_value * {{ value_scale }} / 100)::DECIMAL(38, 10) AS list_cost,
    (aggregated_value * {{ value_scale }} / 100)::DECIMAL(38, 10) AS contracted_cost,
    'USD' AS billing_currency,
    start_time AS charge_period_start,
    coalesce(end_time, start_time + INTERVAL 1 DAY) AS charge_period_end,
    date_trunc('month', start_time) AS billing_period_start,
    date_trunc('month', start_time) + INTERVAL 1 MONTH AS billing_period_end,
    'Usage' AS charge_category, NULL::VARCHAR AS charge_class, 'Usage-Based' AS charge_frequency,
    'AI Gateway usage: ' || id AS charge_description,
    NULL::DECIMAL(38, 10) AS consumed_quantity, NULL::VARCHAR AS consumed_unit,
    NULL::DECIMAL(38, 10) AS pricing_quantity, NULL::VARCHAR AS pricing_unit,
    NULL::DECIMAL(38, 10) AS list_unit_price, NULL::DECIMAL(38, 10) AS contracted_unit_price,
    'Cloudflare' AS service_provider_name, 'Cloudflare' AS host_provider_name, 'Cloudflare' AS invoice_issuer_name,
    account_id AS billing_account_id, account_id AS billing_account_name,
    NULL::VARCHAR AS sub_account_id, NULL::VARCHAR AS sub_account_name,
    NULL::VARCHAR AS region_id, NULL::VARCHAR AS region_name,
    'AI Gateway' AS service_name, 'AI and Machine Learning' AS service_category, 'Generative AI' AS service_subcategory_known, id AS sku_id,
    'billed' AS x_cost_status,
    NULL::VARCHAR AS x_billable_metric_id, NULL::VARCHAR AS x_billable_metric_name,
    'AI Gateway' AS x_product_family_name, NULL::VARCHAR AS x_zone_id, NULL::VARCHAR AS x_zone_name,
    NULL::BIGINT AS x_prompt_tokens, NULL::BIGINT AS x_completion_tokens,
    'cents' AS x_original_currency, aggregated_value AS x_original_amount,
    'ai_gateway_usage_history' AS x_source,
    account_id || '|day|' || id || '|' || strftime(start_time, '%Y-%m-%dT%H:%M:%SZ') AS x_source_key,
    _dlt_load_id AS x_load_id
FROM {{ source('ai_gateway_usage_history') }}
WHERE value_grouping_window = 'day';
