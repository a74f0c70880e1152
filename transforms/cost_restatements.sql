-- cost_restatements: each time a later load changed the cost of a Cloudflare record we already had
-- key: record_key, new_load_id
-- depends_on:
-- Runs after every load (transforms end every `run`): compares the raw table with the snapshot taken by the
-- previous transform, appends what moved (old and new value, both load ids), then takes a new snapshot.
CREATE TABLE IF NOT EXISTS cost_restatements (
    record_key VARCHAR, billing_account_id VARCHAR, charge_period_start TIMESTAMPTZ, x_billable_metric_id VARCHAR,
    old_billed_cost DECIMAL(38, 10), new_billed_cost DECIMAL(38, 10),
    old_effective_cost DECIMAL(38, 10), new_effective_cost DECIMAL(38, 10),
    old_load_id VARCHAR, new_load_id VARCHAR, detected_at TIMESTAMPTZ
);
CREATE TABLE IF NOT EXISTS _cost_snapshot (
    record_key VARCHAR, billed_cost DECIMAL(38, 10), effective_cost DECIMAL(38, 10), load_id VARCHAR
);
INSERT INTO cost_restatements
SELECT u.record_key, u.billing_account_id, u.charge_period_start, u.x_billable_metric_id,
       s.billed_cost, u.billed_cost, s.effective_cost, u.effective_cost, s.load_id, u._dlt_load_id, now()
FROM {{ source('cloudflare_billable_usage') }} AS u
JOIN _cost_snapshot AS s USING (record_key)
WHERE u.billed_cost IS DISTINCT FROM s.billed_cost OR u.effective_cost IS DISTINCT FROM s.effective_cost;
CREATE OR REPLACE TABLE _cost_snapshot AS
SELECT record_key, billed_cost, effective_cost, _dlt_load_id AS load_id
FROM {{ source('cloudflare_billable_usage') }};
