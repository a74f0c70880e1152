"""Synthetic Cloudflare billable usage v2 (FOCUS v1.3) records, exactly as the API serves them.

One record per (account, metric, day), charge period [day 00:00Z, day+1 00:00Z). What varies, so the ETL
meets every case the docs allow:
- metrics with `costs_present=False` carry no cost or pricing keys at all (absent, not null);
- about 1 in 15 priced account-metric-days has a second record, ChargeClass "Correction", a small credit;
- `late` metrics deliver a day's record only once the sandbox clock is two days past it;
- zone-scoped metrics name one of the account's zones; regional ones a Cloudflare region;
- contract-level usage (CONTRACT_METRICS) has no BillingAccountId/Name and no zone, and every account of the
  contract (all of the sandbox's) returns the very same record, as the SDK documents;
- about 1 priced series in 3 is float-encoded, as a float64 service writes it: products of floats printed
  shortest (`0.30000000000000004`, `1.5e-7`), up to 17 significant digits;
- RENAMED metrics change their display name (x_BillableMetricName) once the clock reaches `rename_day`,
  for every day served, old days included: a re-read of the look-back sees the new name;
- fields the ETL does not know (x_ProductCategoryName, x_ProductFamilyId: in the SDK, not in our types).
Speed: everything static about an (account, metric) is compiled once into a JSON text with %-slots for
the per-day values; serving a record is one hash, a few integer products and one string format.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from functools import lru_cache

import orjson

from pipelines.sandbox.accounts import REGIONS, Account
from pipelines.sandbox.catalog import Metric, _metric
from pipelines.sandbox.hashing import fixed, float_text, mix, round_div, splitmix, text_key, uuid_like

LATE_DAYS = 2
CORRECTION_ONE_IN = 15
MICRO = 1_000_000  # quantities are integers of 1e-6 units
MONEY_PLACES = 10  # costs are integers of 1e-10 USD
_PRICE_TO_MONEY = 10**10  # micro-units x 1e-14 USD/unit -> 1e-10 USD
WEEKDAY_PERCENT = (108, 112, 110, 109, 104, 78, 79)  # Monday..Sunday: weekends are quieter
# per-day values, in the order they appear in a record (Cloudflare's example order)
DATE_SLOTS = ("ChargePeriodEnd", "ChargePeriodStart", "BillingPeriodEnd", "BillingPeriodStart")
PRICED_SLOTS = ("ChargePeriodEnd", "ChargePeriodStart", "ConsumedQuantity", "BilledCost", "BillingPeriodEnd",
                "BillingPeriodStart", "ContractedCost", "EffectiveCost", "ListCost", "PricingQuantity")
UNPRICED_SLOTS = ("ChargePeriodEnd", "ChargePeriodStart", "ConsumedQuantity", "BillingPeriodEnd",
                  "BillingPeriodStart")
_SLOT = object()
FLOAT_ONE_IN = 3  # priced series written as float64 products
RENAMED = {"workers_standard_requests": "Workers Requests (Standard)"}  # metric id -> its later display name
# measured for the whole contract: served, identical, to every account of it, without account or zone
CONTRACT_METRICS = [
    _metric("zero_trust_seats", "Zero Trust Seats", "Zero Trust", "Seats", "0.23", "240"),
    _metric("enterprise_bandwidth_committed", "Enterprise Bandwidth (Committed)", "Network", "GB", "0.004",
            "5200.25", decimals=6, costs=False),
]
CATEGORY = {"Workers": "Developer Platform", "Zero Trust": "Cloudflare One", "Network": "Application Services"}


@lru_cache(maxsize=8192)
def _day_texts(ordinal: int) -> tuple[str, str, str, str, int]:
    """(ChargePeriodStart, ChargePeriodEnd, BillingPeriodStart, BillingPeriodEnd, weekday) of a day."""
    day = date.fromordinal(ordinal)
    month = day.replace(day=1)
    next_month = (month + timedelta(days=32)).replace(day=1)
    stamp = "{}T00:00:00Z".format
    return (stamp(day.isoformat()), stamp((day + timedelta(days=1)).isoformat()), stamp(month.isoformat()),
            stamp(next_month.isoformat()), day.weekday())


@dataclass(frozen=True)
class _Series:
    """One (account, metric): its template record and the integers its daily values derive from."""

    metric: Metric
    key: int
    typical: int  # micro-units per day for this account
    granularity: int  # quantities are multiples of this many micro-units
    list_price: int  # 1e-14 USD per consumed unit
    contracted_price: int
    free_daily: int  # micro-units included per day
    template: str  # the record's JSON with %s for each per-day value
    correction_template: str | None
    float_encoded: bool = False  # costs as float64 products, printed shortest
    contract_level: bool = False  # the same record for every account; never restated per account
    renamed: tuple[str, str | None] | None = None  # (template, correction template) after the rename


def _template(account: Account, metric: Metric, seed: int, contracted_price: int, correction: bool,
              name: str | None = None, contract_level: bool = False) -> str:
    """The record's JSON in the order of Cloudflare's example, with a %s slot for each per-day value."""
    h = mix(seed, account.index, text_key(metric.id))
    name = name or metric.name
    fields: list[tuple[str, object]] = [] if contract_level else [
        ("BillingAccountId", account.id), ("BillingAccountName", account.name)]
    fields += [
        ("ChargeCategory", "Usage"),
        ("ChargeDescription", f"{name} \u2014 daily usage"), ("ChargeFrequency", "Usage-Based"),
        ("ChargePeriodEnd", _SLOT), ("ChargePeriodStart", _SLOT), ("ConsumedQuantity", _SLOT),
        ("ConsumedUnit", metric.unit), ("HostProviderName", "Cloudflare"),
        ("InvoiceIssuerName", "Cloudflare"), ("ServiceProviderName", "Cloudflare"),
        ("x_BillableMetricName", name),
    ]
    if metric.costs_present:
        fields += [("BilledCost", _SLOT), ("BillingCurrency", "USD")]
    fields += [("BillingPeriodEnd", _SLOT), ("BillingPeriodStart", _SLOT)]
    if correction:
        fields.append(("ChargeClass", "Correction"))
    if metric.costs_present:
        fields += [("ContractedCost", _SLOT),
                   ("ContractedUnitPrice", orjson.Fragment(fixed(contracted_price * metric.block, 14))),
                   ("EffectiveCost", _SLOT), ("ListCost", _SLOT),
                   ("ListUnitPrice", orjson.Fragment(fixed(metric.unit_price * metric.block, 14))),
                   ("PricingQuantity", _SLOT), ("PricingUnit", metric.pricing_unit)]
    if metric.regional:
        region_id, region_name = REGIONS[h % len(REGIONS)]
        fields += [("RegionId", region_id), ("RegionName", region_name)]
    if account.sub_account:
        fields += [("SubAccountId", account.sub_account[0]), ("SubAccountName", account.sub_account[1])]
    fields += [("x_BillableMetricId", metric.id), ("x_ProductFamilyName", metric.family),
               ("x_ProductCategoryName", CATEGORY.get(metric.family, "Developer Platform")),
               ("x_ProductFamilyId", metric.family.lower().replace(" ", "_"))]
    if metric.zone_scoped and not contract_level:
        zone_id, zone_name = account.zones[(h >> 16) % len(account.zones)]
        fields += [("x_ZoneId", zone_id), ("x_ZoneName", zone_name)]
    return _compile(fields, PRICED_SLOTS if metric.costs_present else UNPRICED_SLOTS)


def _compile(fields: list[tuple[str, object]], slots: tuple[str, ...]) -> str:
    parts, seen = [], []
    for key, value in fields:
        if value is _SLOT:
            parts.append(f'"{key}":"%s"' if key in DATE_SLOTS else f'"{key}":%s')
            seen.append(key)
        else:
            # ASCII-only JSON (\u2014 for the dash): joining and encoding 1,000 ASCII records is a memcpy
            text = orjson.dumps(value).decode()
            parts.append(f'"{key}":' + (text if text.isascii() else json.dumps(value)).replace("%", "%%"))
    assert tuple(seen) == slots, f"slot order {seen} != {slots}"
    return "{" + ",".join(parts) + "}"


class CloudflareUsage:
    """Every account's billable usage, computed on demand (584,000 records never sit in memory)."""

    def __init__(self, seed: int, accounts: list[Account], catalog: list[Metric], first_day: date,
                 rename_day: date | None = None):
        self.first_day = first_day
        self.rename_day = rename_day  # from this day of the clock on, RENAMED metrics carry their new name
        self.contract_level = True  # serve CONTRACT_METRICS (a test control: False leaves them out)
        self.restated: dict[tuple[str, int], Decimal] = {}  # (account id, day ordinal) -> cost factor
        # records added verbatim (malformed ones, for quarantine tests): (account, day) -> [(metric, json)]
        self.raw: dict[tuple[str, int], list[tuple[object, str]]] = {}
        self._series: dict[str, list[_Series]] = {}
        contract = Account(index=-1, id="contract", name="", sub_account=(uuid_like(seed, "contract"),
                           "Enterprise Agreement"), zones=(), scale_percent=100, discount_percent=0)
        shared = [self._make_series(seed, contract, m, contract_level=True) for m in CONTRACT_METRICS]
        for account in accounts:
            self._series[account.id] = [self._make_series(seed, account, m) for m in catalog] + shared

    @staticmethod
    def _make_series(seed: int, account: Account, metric: Metric, contract_level: bool = False) -> _Series:
        # the discounted price, rounded so that ContractedUnitPrice (per pricing unit) keeps 10 decimals
        step = 10**4 // math.gcd(10**4, metric.block)
        contracted = round_div(metric.unit_price * (100 - account.discount_percent), 100 * step) * step
        typical = int(Decimal(metric.typical_daily) * MICRO) * account.scale_percent // 100
        key = mix(seed, account.key, text_key(metric.id))

        def templates(name: str | None) -> tuple[str, str | None]:
            return (_template(account, metric, seed, contracted, False, name, contract_level),
                    _template(account, metric, seed, contracted, True, name, contract_level)
                    if metric.costs_present else None)

        template, correction = templates(None)
        return _Series(
            metric=metric, key=key, typical=typical,
            granularity=MICRO if metric.decimals == 0 else 1, list_price=metric.unit_price,
            contracted_price=contracted, free_daily=metric.free_per_month * MICRO // 30,
            template=template, correction_template=correction,
            float_encoded=metric.costs_present and splitmix(key ^ 0xF10A7) % FLOAT_ONE_IN == 0,
            contract_level=contract_level,
            renamed=templates(RENAMED[metric.id]) if metric.id in RENAMED else None,
        )

    def metric_ids(self, account_id: str) -> list[str]:
        return [s.metric.id for s in self._series[account_id]]

    def records_json(self, account_id: str, start: date, end: date, today: date, metric: str | None = None
                     ) -> list[str]:
        """The records of [start, end] (inclusive) that exist as of `today`, as JSON texts, ordered by day
        then metric."""
        series = self._series[account_id]
        if metric is not None:
            series = [s for s in series if s.metric.id == metric]
        last_late = today.toordinal() - LATE_DAYS
        renamed = self.rename_day is not None and today >= self.rename_day
        out: list[str] = []
        for ordinal in range(max(start, self.first_day).toordinal(), min(end, today).toordinal() + 1):
            day = _day_texts(ordinal)
            factor = self.restated.get((account_id, ordinal)) if self.restated else None
            for s in series:
                if (s.metric.late and ordinal > last_late) or (s.contract_level and not self.contract_level):
                    continue
                _append_day(out, s, ordinal, day, None if s.contract_level else factor, renamed)
            if self.raw:
                out += [text for m, text in self.raw.get((account_id, ordinal), ()) if metric in (None, m)]
        return out

    def add_raw(self, account_id: str, day: date, record: dict) -> None:
        """Serve `record` exactly as given after that account-day's records (for malformed-record tests)."""
        key = (account_id, day.toordinal())
        self.raw.setdefault(key, []).append((record.get("x_BillableMetricId"), orjson.dumps(record).decode()))

    def result_json(self, account_id: str, start: date, end: date, today: date, metric: str | None = None
                    ) -> bytes:
        """The `result` array as the API serves it."""
        return ("[" + ",".join(self.records_json(account_id, start, end, today, metric)) + "]").encode()


def _append_day(out: list[str], s: _Series, ordinal: int, day: tuple, factor: Decimal | None,
                renamed: bool = False) -> None:
    h = splitmix(s.key ^ ordinal)
    template, correction_template = s.renamed if renamed and s.renamed else (s.template, s.correction_template)
    quantity = s.typical * WEEKDAY_PERCENT[day[4]] * (70 + h % 61) // 10_000
    if s.granularity == MICRO and (h >> 12) % 40 == 0:
        quantity = 0  # a quiet day: the record still exists, with zero usage
    quantity -= quantity % s.granularity
    quantity_text = str(quantity // MICRO) if s.granularity == MICRO else fixed(quantity, 6)
    if correction_template is None:
        out.append(template % (day[1], day[0], quantity_text, day[3], day[2]))
        return
    billable = max(0, quantity - s.free_daily)
    out.append(template % _priced_values(s, day, quantity_text, quantity, billable, factor))
    if (h >> 24) % CORRECTION_ONE_IN == 0:
        delta = max(s.granularity, quantity * (1 + (h >> 40) % 5) // 100)
        delta -= delta % s.granularity
        out.append(correction_template % _priced_values(s, day, fixed(-delta, 6), -delta, -delta, factor))


def _restated(cost: int, factor: Decimal) -> int:
    return int((Decimal(cost) * factor).to_integral_value(ROUND_HALF_EVEN))


def _priced_values(s: _Series, day: tuple, quantity_text: str, quantity: int, billable: int,
                   factor: Decimal | None) -> tuple[str, ...]:
    """PRICED_SLOTS: list and contracted cost of all the quantity; billed (= effective) cost of what the free
    tier leaves."""
    if s.float_encoded:
        return _float_values(s, day, quantity_text, quantity, billable, factor)
    if quantity >= 0:  # the hot path, rounding half up inline
        half = _PRICE_TO_MONEY // 2
        list_cost = (quantity * s.list_price + half) // _PRICE_TO_MONEY
        contracted = (quantity * s.contracted_price + half) // _PRICE_TO_MONEY
        billed = (billable * s.contracted_price + half) // _PRICE_TO_MONEY
    else:
        list_cost = round_div(quantity * s.list_price, _PRICE_TO_MONEY)
        contracted = round_div(quantity * s.contracted_price, _PRICE_TO_MONEY)
        # a correction is always a credit, however cheap the metric
        billed = min(round_div(billable * s.contracted_price, _PRICE_TO_MONEY), -1)
    if factor is not None:
        list_cost, contracted, billed = (_restated(c, factor) for c in (list_cost, contracted, billed))
    billed_text = fixed(billed, MONEY_PLACES)
    list_text = fixed(list_cost, MONEY_PLACES)
    contracted_text = list_text if contracted == list_cost else fixed(contracted, MONEY_PLACES)
    pricing_quantity = quantity_text if s.metric.block == 1 else fixed(quantity * 10_000 // s.metric.block,
                                                                         MONEY_PLACES)
    return (day[1], day[0], quantity_text, billed_text, day[3], day[2], contracted_text, billed_text,
            list_text, pricing_quantity)


def _float_values(s: _Series, day: tuple, quantity_text: str, quantity: int, billable: int,
                  factor: Decimal | None) -> tuple[str, ...]:
    """PRICED_SLOTS as a float64 service computes and prints them: products of floats, shortest repr."""
    units = quantity / MICRO
    list_price, contracted_price = s.list_price / 1e14, s.contracted_price / 1e14
    scale = 1.0 if factor is None else float(factor)
    list_cost, contracted = units * list_price * scale, units * contracted_price * scale
    billed = billable / MICRO * contracted_price * scale
    if quantity < 0:
        billed = min(billed, -1e-10)  # a correction is always a credit
    billed_text = float_text(billed)
    pricing_quantity = quantity_text if s.metric.block == 1 else float_text(units / s.metric.block)
    return (day[1], day[0], quantity_text, billed_text, day[3], day[2], float_text(contracted), billed_text,
            float_text(list_cost), pricing_quantity)
