"""The sandbox's network knobs: latency with seeded jitter, scalable rate limits with consistent headers."""

from __future__ import annotations

import time

import httpx
import pytest

from pipelines.sandbox import CLOUDFLARE_TOKEN, VENICE_ADMIN_KEY, Sandbox
from pipelines.sandbox.network import Latency, parse_rate
from tests.conftest import TODAY


def test_latency_jitter_is_seeded_and_within_its_band():
    draws = [Latency(7, 150, 0.2).next_seconds() for _ in range(1)]
    a, b = Latency(7, 150, 0.2), Latency(7, 150, 0.2)
    first, second = [a.next_seconds() for _ in range(200)], [b.next_seconds() for _ in range(200)]
    assert first == second and draws[0] == first[0]
    assert 0.12 <= min(first) < max(first) <= 0.18
    assert Latency(7, 0).next_seconds() == 0.0


def test_rate_limit_text_is_n_per_seconds():
    assert parse_rate("100/30") == (100, 30)
    for bad in ("100", "0/30", "a/b"):
        with pytest.raises(ValueError):
            parse_rate(bad)


def test_requests_take_the_latency_and_the_limits_answer_429_with_consistent_headers():
    with Sandbox(accounts=1, metrics=1, days=10, today=TODAY, latency_ms=100, rate_limit="3/20",
                 venice_rate_limit="2/20") as sb:
        cf = httpx.Client(base_url=sb.cloudflare_base_url, headers={"Authorization": f"Bearer {CLOUDFLARE_TOKEN}"})
        started = time.monotonic()
        answers = [cf.get(f"/accounts/{sb.account_ids[0]}/billable/usage") for _ in range(4)]
        assert time.monotonic() - started >= 4 * 0.08
        assert [r.status_code for r in answers] == [200, 200, 200, 429]
        assert [r.headers["Ratelimit"].split(";")[1] for r in answers] == ["r=2", "r=1", "r=0", "r=0"]
        assert answers[0].headers["Ratelimit-Policy"] == '"default";q=3;w=20'
        assert int(answers[3].headers["Retry-After"]) <= 20
        venice = httpx.Client(base_url=sb.venice_base_url, headers={"Authorization": f"Bearer {VENICE_ADMIN_KEY}"})
        replies = [venice.get("/billing/usage-history") for _ in range(3)]
        assert [r.status_code for r in replies] == [200, 200, 429]
        assert [r.headers["x-ratelimit-remaining-requests"] for r in replies] == ["1", "0", "0"]
        reset = int(replies[2].headers["x-ratelimit-reset-requests"])
        assert time.time() < reset <= time.time() + 21
