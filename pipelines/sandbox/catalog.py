"""The sandbox's Cloudflare metric catalog: realistic ids, families, units and public list prices."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Metric:
    id: str
    name: str
    family: str
    unit: str
    unit_price: float  # USD per unit, Cloudflare's public list price (rounded)
    zoned: bool = False
    regional: bool = False


CATALOG = [
    Metric("workers_standard_requests", "Workers Standard Requests", "Workers", "Requests", 0.0000003),
    Metric("workers_standard_cpu_ms", "Workers Standard CPU Time", "Workers", "CPU Milliseconds", 0.00000002),
    Metric("workers_kv_reads", "Workers KV Reads", "KV", "Reads", 0.0000005),
    Metric("workers_kv_writes", "Workers KV Writes", "KV", "Writes", 0.000005),
    Metric("workers_kv_storage_gb", "Workers KV Storage", "KV", "GB-Months", 0.5),
    Metric("r2_class_a_operations", "R2 Class A Operations", "R2", "Operations", 0.0000045, regional=True),
    Metric("r2_class_b_operations", "R2 Class B Operations", "R2", "Operations", 0.00000036, regional=True),
    Metric("r2_storage_gb", "R2 Storage", "R2", "GB-Months", 0.015, regional=True),
    Metric("d1_rows_read", "D1 Rows Read", "D1", "Rows", 0.000000001),
    Metric("d1_rows_written", "D1 Rows Written", "D1", "Rows", 0.000001),
    Metric("d1_storage_gb", "D1 Storage", "D1", "GB-Months", 0.75),
    Metric("durable_objects_requests", "Durable Objects Requests", "Durable Objects", "Requests", 0.00000015),
    Metric("durable_objects_duration_gbs", "Durable Objects Duration", "Durable Objects", "GB-Seconds", 0.0000125),
    Metric("queues_operations", "Queues Operations", "Queues", "Operations", 0.0000004),
    Metric("images_transformations", "Images Transformations", "Images", "Transformations", 0.0005, zoned=True),
    Metric("images_stored", "Images Stored", "Images", "Images", 0.00005),
    Metric("stream_minutes_stored", "Stream Minutes Stored", "Stream", "Minutes", 0.00005),
    Metric("stream_minutes_delivered", "Stream Minutes Delivered", "Stream", "Minutes", 0.001),
    Metric("workers_ai_neurons", "Workers AI Neurons", "Workers AI", "Neurons", 0.000011),
    Metric("vectorize_queried_dimensions", "Vectorize Queried Dimensions", "Vectorize", "Dimensions", 0.00000001),
    Metric("vectorize_stored_dimensions", "Vectorize Stored Dimensions", "Vectorize", "Dimensions", 0.00000005),
    Metric("pages_functions_requests", "Pages Functions Requests", "Pages", "Requests", 0.0000003),
    Metric("load_balancing_origins", "Load Balancing Origins", "Load Balancing", "Origins", 0.1666667, zoned=True),
    Metric("load_balancing_dns_queries", "Load Balancing DNS Queries", "Load Balancing", "Queries", 0.0000005,
           zoned=True),
    Metric("argo_smart_routing_gb", "Argo Smart Routing", "Argo", "GB", 0.1, zoned=True),
    Metric("spectrum_gb", "Spectrum Data Transfer", "Spectrum", "GB", 1.0, zoned=True),
    Metric("rate_limiting_requests", "Rate Limiting Good Requests", "WAF", "Requests", 0.00000005, zoned=True),
    Metric("bot_management_requests", "Bot Management Requests", "Bot Management", "Requests", 0.0000002,
           zoned=True),
    Metric("zero_trust_seats", "Zero Trust Seats", "Zero Trust", "Seats", 0.2333333),
    Metric("access_requests", "Access Requests", "Zero Trust", "Requests", 0.0000001),
    Metric("gateway_dns_queries", "Gateway DNS Queries", "Zero Trust", "Queries", 0.0000001),
    Metric("browser_rendering_hours", "Browser Rendering Hours", "Browser Rendering", "Hours", 0.09),
    Metric("hyperdrive_queries", "Hyperdrive Queries", "Hyperdrive", "Queries", 0.0),
    Metric("email_routing_messages", "Email Routing Messages", "Email", "Messages", 0.0, zoned=True),
    Metric("ai_gateway_logs", "AI Gateway Logs", "AI Gateway", "Logs", 0.000008),
    Metric("calls_sfu_gb", "Calls SFU Egress", "Calls", "GB", 0.05),
    Metric("waiting_room_users", "Waiting Room Users", "Waiting Room", "Users", 0.000001, zoned=True),
    Metric("cache_reserve_storage_gb", "Cache Reserve Storage", "Cache Reserve", "GB-Months", 0.015, zoned=True),
    Metric("cache_reserve_reads", "Cache Reserve Reads", "Cache Reserve", "Operations", 0.00000036, zoned=True),
    Metric("logpush_jobs_gb", "Logpush Data", "Logs", "GB", 0.05, zoned=True),
]


def metrics(n: int) -> list[Metric]:
    """The first n metrics; beyond the catalog, repeat it with a numeric suffix on the id."""
    out = []
    for i in range(n):
        base = CATALOG[i % len(CATALOG)]
        if i < len(CATALOG):
            out.append(base)
        else:
            k = i // len(CATALOG)
            out.append(Metric(f"{base.id}_{k}", f"{base.name} {k}", base.family, base.unit, base.unit_price,
                              base.zoned, base.regional))
    return out
