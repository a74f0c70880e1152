"""The sandbox's Cloudflare billable-metric catalog: real product families, units and public list prices.

The order is deliberate: any first 10 metrics already hold every case the ETL must handle (cost fields
absent, a late metric, zone-scoped and regional metrics, a pricing unit that differs from the consumed
unit, decimal quantities), because tests run with few metrics.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal

PRICE_SCALE = 10**14  # list prices per consumed unit are kept as integers of 1e-14 USD


@dataclass(frozen=True)
class Metric:
    id: str
    name: str
    family: str
    unit: str  # ConsumedUnit
    list_price: str  # USD per pricing unit, Cloudflare's public price
    pricing_unit: str
    block: int  # consumed units per pricing unit (1,000,000 for "1M Operations")
    decimals: int  # 0: whole units (requests, rows); 6: fractional (GB-Months, GB-Seconds)
    typical_daily: str  # a mid-size account's daily consumption, in consumed units
    free_per_month: int  # included allowance, in consumed units
    zone_scoped: bool  # x_ZoneId/x_ZoneName present
    regional: bool  # RegionId/RegionName present
    costs_present: bool  # False: every cost and pricing field is absent ("not yet populated")
    late: bool  # a day's record appears only two days after the day

    @property
    def unit_price(self) -> int:
        """List price per consumed unit in 1e-14 USD, exact."""
        scaled = Decimal(self.list_price) * PRICE_SCALE / self.block
        if scaled != scaled.to_integral_value():
            raise ValueError(f"{self.id}: price {self.list_price} per {self.block} is not exact at 1e-14")
        return int(scaled)


def _metric(id: str, name: str, family: str, unit: str, list_price: str, daily: str, *,
            per: tuple[str, int] | None = None, decimals: int = 0, free: int = 0, zone: bool = False,
            region: bool = False, costs: bool = True, late: bool = False) -> Metric:
    pricing_unit, block = per or (unit, 1)
    return Metric(id, name, family, unit, list_price, pricing_unit, block, decimals, daily, free, zone,
                  region, costs, late)


CATALOG: list[Metric] = [
    _metric("workers_standard_requests", "Workers Standard Requests", "Workers", "Requests", "0.0000003",
            "150000", free=10_000_000),
    _metric("r2_storage_standard", "R2 Storage (Standard)", "R2", "GB-Month", "0.015", "41.5", decimals=6,
            free=10, region=True),
    _metric("workers_kv_read_operations", "Workers KV Read Operations", "KV", "Operations", "0.0000005",
            "900000", free=10_000_000, costs=False),
    _metric("d1_rows_read", "D1 Rows Read", "D1", "Rows", "0.000000001", "40000000", free=25_000_000_000,
            late=True),
    _metric("argo_smart_routing_data_transfer", "Argo Smart Routing Data Transfer", "Argo", "GB", "0.1",
            "85.25", decimals=6, zone=True),
    _metric("durable_objects_requests", "Durable Objects Requests", "Durable Objects", "Requests",
            "0.00000015", "300000", free=1_000_000, costs=False),
    _metric("workers_ai_neurons", "Workers AI Neurons", "Workers AI", "Neurons", "0.011", "250000",
            per=("1K Neurons", 1_000), free=300_000),
    _metric("queues_standard_operations", "Queues Standard Operations", "Queues", "Operations", "0.0000004",
            "120000", free=1_000_000),
    _metric("images_unique_transformations", "Images Unique Transformations", "Images", "Transformations",
            "0.0005", "1800", free=5_000, costs=False),
    _metric("cache_reserve_class_a_operations", "Cache Reserve Class A Operations", "Cache Reserve",
            "Operations", "4.5", "60000", per=("1M Operations", 1_000_000), zone=True),
    _metric("stream_minutes_delivered", "Stream Minutes Delivered", "Stream", "Minutes", "0.001", "5400.5",
            decimals=6),
    _metric("load_balancing_dns_queries", "Load Balancing DNS Queries", "Load Balancing", "Queries",
            "0.000001", "400000", zone=True, costs=False, late=True),
    _metric("workers_standard_cpu_time", "Workers Standard CPU Time", "Workers", "CPU-ms",
            "0.00000002", "2500000", free=30_000_000),
    _metric("r2_class_a_operations", "R2 Class A Operations", "R2", "Operations", "0.0000045", "50000",
            free=1_000_000, region=True),
    _metric("workers_kv_write_operations", "Workers KV Write Operations", "KV", "Operations", "0.000005",
            "20000", free=1_000_000, costs=False),
    _metric("d1_rows_written", "D1 Rows Written", "D1", "Rows", "0.000001", "200000", free=50_000_000),
    _metric("durable_objects_duration", "Durable Objects Duration", "Durable Objects", "GB-Seconds",
            "0.0000125", "25000.5", decimals=6, free=400_000, region=True),
    _metric("pages_functions_requests", "Pages Functions Requests", "Pages", "Requests", "0.0000003", "80000",
            costs=False),
    _metric("images_stored", "Images Stored", "Images", "Images", "5", "25000", per=("100K Images", 100_000)),
    _metric("vectorize_queried_dimensions", "Vectorize Queried Vector Dimensions", "Vectorize", "Dimensions",
            "0.01", "30000000", per=("1M Dimensions", 1_000_000), free=50_000_000, late=True),
    _metric("zaraz_events", "Zaraz Events", "Zaraz", "Events", "0.000005", "45000", free=1_000_000, zone=True,
            costs=False),
    _metric("stream_minutes_stored", "Stream Minutes Stored", "Stream", "Minutes", "0.005", "3000.25",
            decimals=6),
    _metric("r2_class_b_operations", "R2 Class B Operations", "R2", "Operations", "0.00000036", "400000",
            free=10_000_000, region=True),
    _metric("workers_kv_storage", "Workers KV Storage", "KV", "GB-Months", "0.5", "0.35", decimals=6, free=1,
            costs=False),
    _metric("d1_storage", "D1 Storage", "D1", "GB-Months", "0.75", "0.9", decimals=6, free=5),
    _metric("durable_objects_stored_data", "Durable Objects Stored Data", "Durable Objects", "GB-Months",
            "0.2", "0.5", decimals=6, free=1),
    _metric("browser_rendering_duration", "Browser Rendering Duration", "Browser Rendering", "Hours", "0.09",
            "6.75", decimals=6, free=10, costs=False),
    _metric("containers_memory", "Containers Memory", "Containers", "GiB-Seconds", "0.0000025", "900000.5",
            decimals=6, free=90_000, late=True),
    _metric("containers_cpu", "Containers CPU", "Containers", "vCPU-Seconds", "0.00002", "120000.25",
            decimals=6, free=22_500),
    _metric("spectrum_data_transfer", "Spectrum Data Transfer", "Spectrum", "GB", "1", "12.5", decimals=6,
            zone=True, costs=False),
    _metric("workers_logs_events", "Workers Logs Events", "Workers", "Events", "0.0000006", "250000",
            free=20_000_000),
    _metric("r2_storage_infrequent_access", "R2 Storage (Infrequent Access)", "R2", "GB-Months", "0.01", "20",
            decimals=6, region=True),
    _metric("r2_data_retrieval_infrequent_access", "R2 Data Retrieval (Infrequent Access)", "R2", "GB",
            "0.01", "15.75", decimals=6, region=True, costs=False),
    _metric("workers_builds_minutes", "Workers Builds Build Minutes", "Workers", "Minutes", "0.005", "120.5",
            decimals=6, free=6_000),
    _metric("rate_limiting_good_requests", "Rate Limiting Good Requests", "Rate Limiting", "Requests",
            "0.000005", "2000000", zone=True),
    _metric("realtime_sfu_egress", "Realtime SFU Egress", "Realtime", "GB", "0.05", "75.5", decimals=6,
            free=1_000, costs=False, late=True),
    _metric("logpush_workers_trace_events", "Logpush Workers Trace Events", "Logpush", "Requests",
            "0.00000005", "500000", free=10_000_000),
    _metric("vectorize_stored_dimensions", "Vectorize Stored Vector Dimensions", "Vectorize", "Dimensions",
            "0.05", "5000000", per=("100M Dimensions", 100_000_000), free=10_000_000),
    _metric("images_delivered", "Images Delivered", "Images", "Images", "1", "60000",
            per=("100K Images", 100_000), costs=False),
    _metric("cache_reserve_storage", "Cache Reserve Storage", "Cache Reserve", "GB-Months", "0.015", "30.5",
            decimals=6, zone=True),
    _metric("cache_reserve_class_b_operations", "Cache Reserve Class B Operations", "Cache Reserve",
            "Operations", "0.36", "500000", per=("1M Operations", 1_000_000), zone=True),
    _metric("durable_objects_rows_read", "Durable Objects Rows Read", "Durable Objects", "Rows",
            "0.000000001", "5000000", free=5_000_000_000, costs=False),
    _metric("containers_disk", "Containers Disk", "Containers", "GB-Seconds", "0.00000007", "2000000.5",
            decimals=6, free=720_000),
    _metric("durable_objects_rows_written", "Durable Objects Rows Written", "Durable Objects", "Rows",
            "0.000001", "80000", free=50_000_000, late=True),
]


def metrics(n: int) -> list[Metric]:
    """The first n metrics; past the end of the catalog it repeats with a numeric suffix on the id."""
    chosen = []
    for i in range(n):
        base = CATALOG[i % len(CATALOG)]
        cycle = i // len(CATALOG)
        chosen.append(base if cycle == 0 else replace(base, id=f"{base.id}_{cycle + 1}",
                                                      name=f"{base.name} {cycle + 1}"))
    return chosen
