-- cost_and_usage: FOCUS v1.3 cost-and-usage rows from every provider (snake_case FOCUS names, then x_ columns)
-- key: x_source, x_source_key
-- depends_on: stg_cloudflare_usage, stg_ai_gateway_daily, stg_venice_hourly
-- materialized: incremental
-- unique_key: x_source, x_source_key
-- load_column: x_load_id
-- After its first build a run takes in only the rows of new loads, by key (see pipelines/transform.py).
-- FOCUS StringHandling: text columns hold ASCII only (Cloudflare writes an em dash into ChargeDescription);
-- the raw tables keep what was delivered.
CREATE OR REPLACE MACRO focus_ascii(s) AS regexp_replace(strip_accents(replace(s, '—', '-')), '[^\x00-\x7F]', '?', 'g');
-- FOCUS UnitFormat: a block unit is "<quantity> <units>" with a plain number ("1M Operations" -> "1000000 Operations").
CREATE OR REPLACE MACRO focus_unit(u) AS CASE
    WHEN regexp_matches(u, '^[0-9]+[KMB] ') THEN
        (regexp_extract(u, '^([0-9]+)', 1)::BIGINT
         * CASE regexp_extract(u, '^[0-9]+([KMB])', 1) WHEN 'K' THEN 1000 WHEN 'M' THEN 1000000 ELSE 1000000000 END
        )::VARCHAR || ' ' || regexp_replace(u, '^[0-9]+[KMB] ', '')
    ELSE u
END;
WITH all_providers AS (
    SELECT * FROM stg_cloudflare_usage
    UNION ALL BY NAME SELECT * FROM stg_ai_gateway_daily
    UNION ALL BY NAME SELECT * FROM stg_venice_hourly
)
SELECT
    billed_cost, effective_cost, list_cost, contracted_cost, billing_currency,
    charge_period_start, charge_period_end, billing_period_start, billing_period_end,
    charge_category, charge_class, charge_frequency, focus_ascii(charge_description) AS charge_description,
    NULL::VARCHAR AS invoice_id,
    consumed_quantity, focus_unit(consumed_unit) AS consumed_unit, pricing_quantity,
    focus_unit(pricing_unit) AS pricing_unit, list_unit_price, contracted_unit_price,
    'Standard' AS pricing_category,
    service_provider_name, host_provider_name, invoice_issuer_name,
    billing_account_id, focus_ascii(billing_account_name) AS billing_account_name,
    sub_account_id, focus_ascii(sub_account_name) AS sub_account_name,
    region_id, focus_ascii(region_name) AS region_name, focus_ascii(service_name) AS service_name,
    service_category, coalesce(service_subcategory_known, 'Other (' || service_category || ')') AS service_subcategory,
    sku_id,
    x_source, x_source_key, x_cost_status, x_billable_metric_id, x_billable_metric_name, x_product_family_name,
    x_zone_id, x_zone_name, x_prompt_tokens, x_completion_tokens, x_original_currency, x_original_amount, x_load_id
FROM all_providers;
