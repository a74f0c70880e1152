"""FOCUS export files: the table, the FOCUS columns by type, the mandatory set and the version markers.

Column lists are the Cost and Usage columns of the FOCUS specification (FOCUS_Spec tags v1.0, v1.1, v1.2
and the 1.3 release), in FOCUS spelling. Our table holds them snake_cased (dlt's naming).
"""

import pyarrow as pa

TABLE = "focus_files_cost_and_usage"
SOURCE = "focus_files"
CONFIG_KEY = "SOURCES__FOCUS_FILES__EXPORTS"
VERSIONS = ("1.0", "1.1", "1.2", "1.3")
CSV_BLOCK_BYTES = 8 << 20  # one Arrow CSV block; a page handed to dlt is one block's rows
PARQUET_BATCH_ROWS = 65_536

MONEY = pa.decimal128(38, 10)
UTC = pa.timestamp("us", tz="UTC")

# Decimal columns (costs, unit prices, quantities): DECIMAL(38,10), rounded half-even.
DECIMAL_COLUMNS = (
    "BilledCost", "EffectiveCost", "ListCost", "ContractedCost", "ListUnitPrice", "ContractedUnitPrice",
    "PricingQuantity", "ConsumedQuantity", "CommitmentDiscountQuantity", "PricingCurrencyContractedUnitPrice",
    "PricingCurrencyEffectiveCost", "PricingCurrencyListUnitPrice",
)
TIME_COLUMNS = ("BillingPeriodStart", "BillingPeriodEnd", "ChargePeriodStart", "ChargePeriodEnd")
# Key-value or structured columns: kept as JSON text, stored in a JSON column.
JSON_COLUMNS = ("Tags", "SkuPriceDetails", "ContractApplied", "AllocatedMethodDetails", "AllocatedTags")

# Mandatory in every FOCUS version 1.0-1.3 (ProviderName/ServiceProviderName checked apart: 1.3 may carry
# either, later versions drop ProviderName).
MANDATORY = (
    "BilledCost", "BillingAccountId", "BillingAccountName", "BillingCurrency", "BillingPeriodEnd",
    "BillingPeriodStart", "ChargeCategory", "ChargeClass", "ChargeDescription", "ChargePeriodEnd",
    "ChargePeriodStart", "ContractedCost", "EffectiveCost", "InvoiceIssuerName", "ListCost", "PricingQuantity",
    "PricingUnit", "ServiceCategory", "ServiceName",
)
PROVIDER_COLUMNS = ("ProviderName", "ServiceProviderName")

# The columns each version introduced (any one present tells the version is at least that one).
INTRODUCED = {
    "1.3": ("ServiceProviderName", "HostProviderName", "ContractApplied", "AllocatedMethodId",
            "AllocatedMethodDetails", "AllocatedResourceId", "AllocatedResourceName", "AllocatedTags"),
    "1.2": ("BillingAccountType", "SubAccountType", "InvoiceId", "PricingCurrency",
            "PricingCurrencyContractedUnitPrice", "PricingCurrencyEffectiveCost", "PricingCurrencyListUnitPrice"),
    "1.1": ("CapacityReservationId", "CapacityReservationStatus", "CommitmentDiscountQuantity",
            "CommitmentDiscountUnit", "ServiceSubcategory", "SkuMeter", "SkuPriceDetails"),
}

# FOCUS 1.3 Cost and Usage, in the specification's order: every one exists in our table, NULL when the
# file's version lacks it (ProviderName/PublisherName are deprecated in 1.3 but still delivered).
FOCUS_1_3_COLUMNS = (
    "ProviderName", "PublisherName", "ServiceProviderName", "HostProviderName", "InvoiceIssuerName", "InvoiceId",
    "BillingAccountId", "BillingAccountName", "BillingAccountType", "SubAccountId", "SubAccountName",
    "SubAccountType", "BillingPeriodStart", "BillingPeriodEnd", "ChargePeriodStart", "ChargePeriodEnd",
    "ChargeCategory", "ChargeClass", "ChargeDescription", "ChargeFrequency", "BilledCost", "EffectiveCost",
    "ListCost", "ContractedCost", "ListUnitPrice", "ContractedUnitPrice", "PricingCategory", "PricingQuantity",
    "PricingUnit", "PricingCurrency", "PricingCurrencyContractedUnitPrice", "PricingCurrencyEffectiveCost",
    "PricingCurrencyListUnitPrice", "BillingCurrency", "ConsumedQuantity", "ConsumedUnit", "ServiceName",
    "ServiceCategory", "ServiceSubcategory", "SkuId", "SkuMeter", "SkuPriceId", "SkuPriceDetails", "ResourceId",
    "ResourceName", "ResourceType", "RegionId", "RegionName", "AvailabilityZone", "CommitmentDiscountId",
    "CommitmentDiscountName", "CommitmentDiscountCategory", "CommitmentDiscountType", "CommitmentDiscountStatus",
    "CommitmentDiscountQuantity", "CommitmentDiscountUnit", "ContractApplied", "CapacityReservationId",
    "CapacityReservationStatus", "AllocatedMethodId", "AllocatedMethodDetails", "AllocatedResourceId",
    "AllocatedResourceName", "AllocatedTags", "Tags",
)

# What we add to every row: where it came from.
FILE_COLUMNS = {
    "x_export_provider": pa.string(), "x_focus_version": pa.string(), "x_file": pa.string(),
    "x_file_modified": UTC, "x_file_size": pa.int64(), "x_row": pa.int64(),
}
