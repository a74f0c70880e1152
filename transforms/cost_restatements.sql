-- cost_restatements: each time a later load changed the cost of a Cloudflare record we already had
-- key: record_key, new_load_id
-- depends_on: cost_and_usage
-- Runs after every load (transforms end every `run`): cost_and_usage takes in the rows of new loads by key,
-- and each Cloudflare row it replaced is compared with the row that replaced it; a different billed or
-- effective cost is kept with both values and both load ids. Costs are compared as cost_and_usage shows
-- them, so a price-sheet estimate replaced by Cloudflare's billed cost is a restatement too (old and new
-- x_cost_status tell which).
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
FROM {{ replaced('cost_and_usage') }} AS o
JOIN {{ taken_in('cost_and_usage') }} AS n USING (x_source, x_source_key)
WHERE o.x_source = 'cloudflare_billable_usage'
  AND (n.billed_cost IS DISTINCT FROM o.billed_cost OR n.effective_cost IS DISTINCT FROM o.effective_cost);
