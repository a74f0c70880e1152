"""Cloudflare billable usage v2 (FOCUS v1.3): endpoint, limits and the record's declared types."""

import pyarrow as pa

USAGE_PATH = "/accounts/{account_id}/billable/usage"
MAX_WINDOW_DAYS = 31  # `to` is inclusive; Cloudflare refuses more than 31 days per request
DEFAULT_LOOKBACK_DAYS = 3
TABLE = "cloudflare_billable_usage"
PERMISSION = "Billing Read"

_MONEY = pa.decimal128(38, 10)
_TIME = pa.timestamp("us", tz="UTC")

# Every documented field with its type, as Cloudflare spells it. Fields Cloudflare adds later are
# kept too (with an inferred type): nothing in a record is dropped.
RECORD_TYPE = pa.struct([
    ("BillingAccountId", pa.string()),
    ("BillingAccountName", pa.string()),
    ("ChargeCategory", pa.string()),
    ("ChargeClass", pa.string()),
    ("ChargeDescription", pa.string()),
    ("ChargeFrequency", pa.string()),
    ("ChargePeriodStart", _TIME),
    ("ChargePeriodEnd", _TIME),
    ("BillingPeriodStart", _TIME),
    ("BillingPeriodEnd", _TIME),
    ("ConsumedQuantity", _MONEY),
    ("ConsumedUnit", pa.string()),
    ("PricingQuantity", _MONEY),
    ("PricingUnit", pa.string()),
    ("BilledCost", _MONEY),
    ("EffectiveCost", _MONEY),
    ("ListCost", _MONEY),
    ("ContractedCost", _MONEY),
    ("ListUnitPrice", _MONEY),
    ("ContractedUnitPrice", _MONEY),
    ("BillingCurrency", pa.string()),
    ("HostProviderName", pa.string()),
    ("InvoiceIssuerName", pa.string()),
    ("ServiceProviderName", pa.string()),
    ("RegionId", pa.string()),
    ("RegionName", pa.string()),
    ("SubAccountId", pa.string()),
    ("SubAccountName", pa.string()),
    ("x_BillableMetricId", pa.string()),
    ("x_BillableMetricName", pa.string()),
    ("x_ProductFamilyName", pa.string()),
    ("x_ZoneId", pa.string()),
    ("x_ZoneName", pa.string()),
])

# Without these a record cannot be placed (whose, when, what) and would merge onto the wrong row.
REQUIRED = ["billing_account_id", "charge_period_start", "x_billable_metric_name"]
# The natural key: account, charge period, metric, zone, sub-account, region, charge class.
KEY_PARTS = ["billing_account_id", "charge_period_start", "x_billable_metric_id", "x_billable_metric_name",
             "x_zone_id", "sub_account_id", "region_id", "charge_class"]
