"""Synthetic Cloudflare billable usage v2 (FOCUS v1.3) records, as the API would serve them.

Deterministic per (seed, account, metric, day). A third of the metrics carry no cost fields (the docs
say they may be absent), about 1 in 15 account-metric-days has an extra Correction row, and 1 in 8
metrics arrives two days late.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from pipelines.sandbox.catalog import Metric
from pipelines.sandbox.hashing import hex_id, mix

LATE_DAYS = 2
_EPOCH = date(2000, 1, 1)


def has_costs(metric_index: int) -> bool:
    return metric_index % 3 != 0


def is_late(metric_index: int) -> bool:
    return metric_index % 8 == 5


class UsageGenerator:
    def __init__(self, seed: int, account_ids: list[str], catalog: list[Metric]):
        self.seed = seed
        self.account_ids = account_ids
        self.catalog = catalog
        self.restated: dict[tuple[str, date], Decimal] = {}
        self._static = {(a, m.id): self._static_fields(ai, a, mi, m)
                        for ai, a in enumerate(account_ids) for mi, m in enumerate(catalog)}

    def _static_fields(self, ai: int, account: str, mi: int, m: Metric) -> dict:
        fields = {
            "BillingAccountId": account,
            "BillingAccountName": f"Sandbox Account {ai + 1}",
            "ChargeCategory": "Usage",
            "ChargeDescription": f"{m.name} \u2014 daily usage",
            "ChargeFrequency": "Usage-Based",
            "ConsumedUnit": m.unit,
            "HostProviderName": "Cloudflare",
            "InvoiceIssuerName": "Cloudflare",
            "ServiceProviderName": "Cloudflare",
            "x_BillableMetricName": m.name,
            "x_BillableMetricId": m.id,
            "x_ProductFamilyName": m.family,
        }
        if ai % 3 != 2:
            fields["SubAccountId"] = f"{hex_id(self.seed, account, 'sub', length=8)}-9ca8-411d-b804-be44a758057f"
            fields["SubAccountName"] = "Pay-as-you-go"
        if m.zoned:
            zone = mix(self.seed, ai, mi) % 3
            fields["x_ZoneId"] = hex_id(self.seed, account, "zone", zone)
            fields["x_ZoneName"] = f"zone{zone}.sandbox-{ai + 1}.example"
        if m.regional:
            fields["RegionId"], fields["RegionName"] = (("WNAM", "Western North America"), ("EEUR", "Eastern Europe"))[
                mix(self.seed, ai, mi, 7) % 2]
        return fields

    def records(self, account: str, start: date, end: date, today: date, first_day: date,
                metric: str | None = None) -> list[dict]:
        """Every record of [start, end] (inclusive) that exists as of `today`, ordered by day then metric."""
        if account not in self.account_ids:
            return []
        ai = self.account_ids.index(account)
        out = []
        day = max(start, first_day)
        last = min(end, today)
        while day <= last:
            for mi, m in enumerate(self.catalog):
                if metric and m.id != metric:
                    continue
                if is_late(mi) and today < day + timedelta(days=LATE_DAYS):
                    continue
                out.extend(self._day_records(ai, account, mi, m, day))
            day += timedelta(days=1)
        return out

    def _day_records(self, ai: int, account: str, mi: int, m: Metric, day: date) -> list[dict]:
        d = (day - _EPOCH).days
        x = mix(self.seed, ai, mi, d)
        quantity = 1000 + x % 2_000_000 if m.unit not in ("GB-Months", "GB", "Hours", "Seats", "Origins") \
            else round((x % 500_000) / 1000, 3)
        start = day.isoformat() + "T00:00:00Z"
        record = dict(self._static[(account, m.id)])
        record["ChargePeriodStart"] = start
        record["ChargePeriodEnd"] = (day + timedelta(days=1)).isoformat() + "T00:00:00Z"
        record["ConsumedQuantity"] = quantity
        records = [record]
        if has_costs(mi):
            month = day.replace(day=1)
            next_month = (month + timedelta(days=32)).replace(day=1)
            factor = self.restated.get((account, day), Decimal(1))
            cost = float((Decimal(str(quantity)) * Decimal(str(m.unit_price)) * factor).quantize(Decimal("1e-6")))
            record.update({
                "BilledCost": cost, "EffectiveCost": cost, "ListCost": cost, "ContractedCost": cost,
                "ListUnitPrice": m.unit_price, "ContractedUnitPrice": m.unit_price,
                "PricingQuantity": quantity, "PricingUnit": m.unit, "BillingCurrency": "USD",
                "BillingPeriodStart": month.isoformat() + "T00:00:00Z",
                "BillingPeriodEnd": next_month.isoformat() + "T00:00:00Z",
            })
            if x % 15 == 0:
                correction = dict(record)
                correction["ChargeClass"] = "Correction"
                correction["ChargeDescription"] = f"{m.name} \u2014 correction"
                adjust = -float((Decimal(str(cost)) / 10).quantize(Decimal("1e-6")))
                correction.update({"BilledCost": adjust, "EffectiveCost": adjust, "ListCost": adjust,
                                   "ContractedCost": adjust})
                records.append(correction)
        return records
