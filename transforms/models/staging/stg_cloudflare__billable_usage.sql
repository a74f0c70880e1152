-- One row per Cloudflare FOCUS record, priced from the price sheet where Cloudflare has not billed it yet.
-- x_cost_status: 'billed' (Cloudflare sent BilledCost), 'estimated' (list price x quantity from the price sheet,
-- before free allowances), 'unpriced' (a metric the sheet does not know: cost 0).
-- A contract-level record (no BillingAccountId: usage measured for the whole contract) comes back from every
-- configured account that is asked; it is one charge. Its copies share `charge_key` (the natural key without
-- the queried account), so one copy is kept: the newest load's, the lowest queried account within a load. It
-- is attributed to the lowest account id that returned it (FOCUS requires a BillingAccountId). Account-level
-- rows skip the window, so the incremental build's load-id filter still reaches their scan.
with raw_usage as (
    select * from {{ raw_table('cloudflare_billable_usage') }}
),
kept_contract_level_copies as (
    select charge_key, _dlt_load_id as kept_load_id, queried_account_id as kept_account_id, attributed_account_id
    from (
        select charge_key, _dlt_load_id, queried_account_id,
               row_number() over (partition by charge_key order by _dlt_load_id desc, queried_account_id) as copy_rank,
               min(queried_account_id) over (partition by charge_key) as attributed_account_id
        from raw_usage
        where billing_account_id is null
    ) as ranked_copies
    where copy_rank = 1
),
billable_usage as (
    select r.*, coalesce(r.billing_account_id, k.attributed_account_id) as attributed_account_id
    from raw_usage as r
    left join kept_contract_level_copies as k on r.billing_account_id is null and k.charge_key = r.charge_key
    where r.billing_account_id is not null
       or (k.kept_load_id = r._dlt_load_id and k.kept_account_id = r.queried_account_id)
),
price_sheet as (
    select x_billable_metric_id, cast(list_unit_price_usd as decimal(38, 10)) as list_unit_price_usd
    from {{ ref('cloudflare_list_prices') }}
),
priced as (
    select u.*, p.list_unit_price_usd,
           cast(u.consumed_quantity * p.list_unit_price_usd as decimal(38, 10)) as estimated_cost
    from billable_usage as u
    left join price_sheet as p on p.x_billable_metric_id = u.x_billable_metric_id
)
SELECT
    coalesce(billed_cost, estimated_cost, 0)::decimal(38, 10) AS billed_cost,
    coalesce(effective_cost, billed_cost, estimated_cost, 0)::decimal(38, 10) AS effective_cost,
    coalesce(list_cost, estimated_cost, billed_cost, 0)::decimal(38, 10) AS list_cost,
    coalesce(contracted_cost, billed_cost, estimated_cost, 0)::decimal(38, 10) AS contracted_cost,
    coalesce(billing_currency, 'USD') AS billing_currency,
    charge_period_start, charge_period_end,
    coalesce(billing_period_start, date_trunc('month', charge_period_start)) AS billing_period_start,
    coalesce(billing_period_end, date_trunc('month', charge_period_start) + interval '1 month') AS billing_period_end,
    coalesce(charge_category, 'Usage') AS charge_category,
    charge_class,
    coalesce(charge_frequency, 'Usage-Based') AS charge_frequency,
    coalesce(charge_description, x_billable_metric_name) AS charge_description,
    consumed_quantity, consumed_unit,
    coalesce(pricing_quantity, consumed_quantity) AS pricing_quantity,
    coalesce(pricing_unit, consumed_unit) AS pricing_unit,
    -- an unpriced row (no Cloudflare cost, a metric the sheet does not know) costs 0 at a unit price of 0, so
    -- PricingQuantity x ListUnitPrice = ListCost holds and FOCUS's unit-price columns are never NULL on usage
    coalesce(list_unit_price, list_unit_price_usd, case when billed_cost is null then 0 end) AS list_unit_price,
    coalesce(contracted_unit_price, list_unit_price, list_unit_price_usd, case when billed_cost is null then 0 end) AS contracted_unit_price,
    coalesce(service_provider_name, 'Cloudflare') AS service_provider_name,
    coalesce(host_provider_name, 'Cloudflare') AS host_provider_name,
    coalesce(invoice_issuer_name, 'Cloudflare') AS invoice_issuer_name,
    attributed_account_id AS billing_account_id,
    coalesce(billing_account_name, attributed_account_id) AS billing_account_name,
    sub_account_id, sub_account_name, region_id, region_name,
    coalesce(x_product_family_name, 'Cloudflare') AS service_name,
    CASE x_product_family_name
        WHEN 'Workers' THEN 'Compute' WHEN 'Pages' THEN 'Web' WHEN 'Durable Objects' THEN 'Compute'
        WHEN 'Browser Rendering' THEN 'Compute' WHEN 'Queues' THEN 'Integration'
        WHEN 'R2' THEN 'Storage' WHEN 'KV' THEN 'Databases' WHEN 'D1' THEN 'Databases'
        WHEN 'Hyperdrive' THEN 'Databases' WHEN 'Cache Reserve' THEN 'Storage'
        WHEN 'Workers AI' THEN 'AI and Machine Learning' WHEN 'Vectorize' THEN 'AI and Machine Learning'
        WHEN 'AI Gateway' THEN 'AI and Machine Learning'
        WHEN 'Images' THEN 'Media' WHEN 'Stream' THEN 'Media' WHEN 'Calls' THEN 'Media'
        WHEN 'Load Balancing' THEN 'Networking' WHEN 'Argo' THEN 'Networking' WHEN 'Spectrum' THEN 'Networking'
        WHEN 'Email' THEN 'Networking' WHEN 'Waiting Room' THEN 'Web'
        WHEN 'WAF' THEN 'Networking' WHEN 'Bot Management' THEN 'Security' WHEN 'Zero Trust' THEN 'Security'
        WHEN 'Logs' THEN 'Management and Governance'
        ELSE 'Other'
    END AS service_category,
    CASE x_product_family_name
        WHEN 'Workers' THEN 'Serverless Compute' WHEN 'Durable Objects' THEN 'Serverless Compute'
        WHEN 'Pages' THEN 'Application Platforms' WHEN 'R2' THEN 'Object Storage'
        WHEN 'Cache Reserve' THEN 'Object Storage' WHEN 'D1' THEN 'Relational Databases'
        WHEN 'KV' THEN 'NoSQL Databases' WHEN 'Hyperdrive' THEN 'Caching' WHEN 'Queues' THEN 'Messaging'
        WHEN 'Workers AI' THEN 'Generative AI' WHEN 'AI Gateway' THEN 'Generative AI'
        WHEN 'Vectorize' THEN 'Machine Learning' WHEN 'Stream' THEN 'Media Streaming'
        WHEN 'Load Balancing' THEN 'Application Networking' WHEN 'Argo' THEN 'Network Routing'
        WHEN 'Spectrum' THEN 'Application Networking' WHEN 'WAF' THEN 'Network Security'
        WHEN 'Bot Management' THEN 'Threat Detection and Response' WHEN 'Logs' THEN 'Observability'
        ELSE NULL
    END AS service_subcategory_known,
    coalesce(x_billable_metric_id, x_billable_metric_name) AS sku_id,
    -- the price sheet (and Cloudflare's billing) prices each billable metric: the metric is the SKU price
    coalesce(x_billable_metric_id, x_billable_metric_name) AS sku_price_id,
    coalesce(x_billable_metric_name, x_billable_metric_id) AS sku_meter,
    CASE WHEN billed_cost IS NULL AND estimated_cost IS NOT NULL THEN
        '{"x_PriceSource": "public price sheet", "x_PriceSheetMetricId": "' || x_billable_metric_id || '"}'
    END AS sku_price_details,
    coalesce(billing_currency, 'USD') AS pricing_currency,
    coalesce(list_unit_price, list_unit_price_usd, case when billed_cost is null then 0 end) AS pricing_currency_list_unit_price,
    coalesce(contracted_unit_price, list_unit_price, list_unit_price_usd, case when billed_cost is null then 0 end) AS pricing_currency_contracted_unit_price,
    coalesce(effective_cost, billed_cost, estimated_cost, 0)::decimal(38, 10) AS pricing_currency_effective_cost,
    CASE WHEN billed_cost IS NOT NULL THEN 'billed'
         WHEN estimated_cost IS NOT NULL THEN 'estimated'
         ELSE 'unpriced' END AS x_cost_status,
    x_billable_metric_id, x_billable_metric_name, x_product_family_name, x_zone_id, x_zone_name,
    cast(null as bigint) AS x_prompt_tokens, cast(null as bigint) AS x_completion_tokens,
    billing_currency AS x_original_currency, billed_cost AS x_original_amount,
    'cloudflare_billable_usage' AS x_source, coalesce(charge_key, record_key) AS x_source_key, _dlt_load_id AS x_load_id
FROM priced
