-- cost_restatements: each time a later load changed the cost of a Cloudflare record we already had
-- key: record_key, new_load_id
-- depends_on: stg_cloudflare_usage
-- Runs after every load (transforms end every `run`), before cost_and_usage takes in the new loads: each
-- Cloudflare row of a load that cost_and_usage has not seen yet is compared with the row cost_and_usage still
-- holds for the same record; a different billed or effective cost is kept with both values and both load
-- ids. Costs are compared as cost_and_usage shows them, so a price-sheet estimate replaced by Cloudflare's
-- billed cost is a restatement too (x_cost_status old and new tell which).
CREATE TABLE IF NOT EXISTS cost_restatements (
    record_key VARCHAR, billing_account_id VARCHAR, charge_period_start TIMESTAMPTZ, x_billable_metric_id VARCHAR,
    old_billed_cost DECIMAL(38, 10), new_billed_cost DECIMAL(38, 10),
    old_effective_cost DECIMAL(38, 10), new_effective_cost DECIMAL(38, 10),
    old_load_id VARCHAR, new_load_id VARCHAR, detected_at TIMESTAMPTZ
);
ALTER TABLE cost_restatements ADD COLUMN IF NOT EXISTS old_cost_status VARCHAR;
ALTER TABLE cost_restatements ADD COLUMN IF NOT EXISTS new_cost_status VARCHAR;
DROP TABLE IF EXISTS _cost_snapshot;  -- what an earlier version compared against
INSERT INTO cost_restatements BY NAME
SELECT n.x_source_key AS record_key, n.billing_account_id, n.charge_period_start, n.x_billable_metric_id,
       o.billed_cost AS old_billed_cost, n.billed_cost AS new_billed_cost,
       o.effective_cost AS old_effective_cost, n.effective_cost AS new_effective_cost,
       o.x_load_id AS old_load_id, n.x_load_id AS new_load_id, now() AS detected_at,
       o.x_cost_status AS old_cost_status, n.x_cost_status AS new_cost_status
FROM stg_cloudflare_usage AS n
JOIN {{ previous('cost_and_usage') }} AS o
  ON o.x_source = 'cloudflare_billable_usage' AND o.x_source_key = n.x_source_key
WHERE NOT EXISTS (SELECT 1 FROM _model_loads AS b WHERE b.model = 'cost_and_usage' AND b.load_id = n.x_load_id)
  AND n.x_load_id IS DISTINCT FROM o.x_load_id
  AND (n.billed_cost IS DISTINCT FROM o.billed_cost OR n.effective_cost IS DISTINCT FROM o.effective_cost);
