-- stg_venice_hourly: Venice charges rolled up to one row per UTC hour, sku and currency
-- key: charge_period_start, sku_id, x_original_currency
-- depends_on:
-- USD value of a charge: abs(amount) when it is in USD, otherwise abs(units x price_per_unit_usd); costs are
-- positive whatever Venice's sign convention (debits are negative amounts).
CREATE OR REPLACE VIEW stg_venice_hourly AS
WITH charges AS (
    SELECT date_trunc('hour', timestamp) AS hour, sku, currency, units, amount, price_per_unit_usd,
           prompt_tokens, completion_tokens, _dlt_load_id,
           CASE WHEN currency = 'USD' THEN abs(amount) ELSE abs(units * price_per_unit_usd) END AS usd_cost
    FROM {{ source('venice_billing_usage') }}
)
SELECT
    sum(usd_cost)::DECIMAL(38, 10) AS billed_cost,
    sum(usd_cost)::DECIMAL(38, 10) AS effective_cost,
    sum(abs(units * price_per_unit_usd))::DECIMAL(38, 10) AS list_cost,
    sum(usd_cost)::DECIMAL(38, 10) AS contracted_cost,
    'USD' AS billing_currency,
    hour AS charge_period_start, hour + INTERVAL 1 HOUR AS charge_period_end,
    date_trunc('month', hour) AS billing_period_start, date_trunc('month', hour) + INTERVAL 1 MONTH AS billing_period_end,
    CASE WHEN sum(amount) > 0 THEN 'Purchase' ELSE 'Usage' END AS charge_category,
    NULL::VARCHAR AS charge_class, 'Usage-Based' AS charge_frequency,
    'Venice ' || sku || ' (' || count(*) || ' charges)' AS charge_description,
    sum(units)::DECIMAL(38, 10) AS consumed_quantity,
    CASE WHEN sku LIKE '%-mtoken' THEN 'Tokens' ELSE 'Units' END AS consumed_unit,
    sum(units)::DECIMAL(38, 10) AS pricing_quantity,
    CASE WHEN sku LIKE '%-mtoken' THEN 'Tokens' ELSE 'Units' END AS pricing_unit,
    max(price_per_unit_usd)::DECIMAL(38, 10) AS list_unit_price,
    max(price_per_unit_usd)::DECIMAL(38, 10) AS contracted_unit_price,
    'Venice' AS service_provider_name, 'Venice' AS host_provider_name, 'Venice' AS invoice_issuer_name,
    'venice' AS billing_account_id, 'Venice' AS billing_account_name,
    NULL::VARCHAR AS sub_account_id, NULL::VARCHAR AS sub_account_name,
    NULL::VARCHAR AS region_id, NULL::VARCHAR AS region_name,
    'Venice API' AS service_name, 'AI and Machine Learning' AS service_category, 'Generative AI' AS service_subcategory_known, sku AS sku_id,
    'billed' AS x_cost_status,
    NULL::VARCHAR AS x_billable_metric_id, NULL::VARCHAR AS x_billable_metric_name,
    'Venice' AS x_product_family_name, NULL::VARCHAR AS x_zone_id, NULL::VARCHAR AS x_zone_name,
    sum(prompt_tokens)::BIGINT AS x_prompt_tokens, sum(completion_tokens)::BIGINT AS x_completion_tokens,
    currency AS x_original_currency, sum(amount)::DECIMAL(38, 10) AS x_original_amount,
    'venice_billing_usage' AS x_source,
    strftime(hour, '%Y-%m-%dT%H:00Z') || '|' || sku || '|' || currency AS x_source_key,
    max(_dlt_load_id) AS x_load_id
FROM charges
GROUP BY hour, sku, currency;
