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

# What the SDK's schema requires to place a record (UsageGetAccountUsageV2ResponseItem): the metric and the
# charge period. BillingAccountId is optional: "always omitted for usage measured at contract level".
REQUIRED = ["charge_period_start", "x_billable_metric_id"]
# The charge's natural key, ids only: a display name (x_BillableMetricName) can be renamed between two reads of
# the same day, and a key holding it would load the record twice. A contract-level record has no account and
# is served to every account of the contract: `charge_key` is the same for all of them.
CHARGE_KEY_PARTS = ["billing_account_id", "charge_period_start", "x_billable_metric_id", "x_zone_id",
                    "sub_account_id", "region_id", "charge_class"]
# The merge key adds the account in the request URL, so each configured account's answer is kept as delivered.
RECORD_KEY_PARTS = ["queried_account_id", *CHARGE_KEY_PARTS]
