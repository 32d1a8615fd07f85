"""Per-tenant token buckets, driven by a fake clock."""

from __future__ import annotations

import uuid

from industryos.notify.ratelimit import RateLimit, TenantRateLimits


def test_bucket_empties_refills_and_is_per_tenant() -> None:
    now = [0.0]
    limits = TenantRateLimits(RateLimit(capacity=2, period_s=10.0), clock=lambda: now[0])
    a, b = uuid.uuid4(), uuid.uuid4()
    assert [limits.admit(a) for _ in range(3)] == [True, True, False]
    assert limits.admit(b)
    now[0] = 5.0  # half the period: one token back
    assert [limits.admit(a), limits.admit(a)] == [True, False]


def test_zero_capacity_is_unlimited() -> None:
    limits = TenantRateLimits(RateLimit(capacity=0))
    assert all(limits.admit(uuid.uuid4()) for _ in range(100))
