"""Per-tenant rate limit of deliveries: a token bucket per tenant, in memory.

A noisy tenant (an alarm storm, a rule misfiring every message) must not flood mail
servers and Slack workspaces nor starve other tenants' deliveries. Deliveries over the
limit are not sent and show as SKIPPED in the delivery log. Design limit: the buckets are
per node; a cluster's effective limit is N times the configured one.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["RateLimit", "TenantRateLimits"]


@dataclass(frozen=True, slots=True)
class RateLimit:
    """``capacity`` deliveries per ``period_s`` seconds (0 capacity = unlimited)."""

    capacity: int = 1000
    period_s: float = 60.0


class _Bucket:
    __slots__ = ("tokens", "updated")

    def __init__(self, tokens: float, now: float) -> None:
        self.tokens = tokens
        self.updated = now


class TenantRateLimits:
    """One bucket per tenant, refilled continuously."""

    def __init__(self, limit: RateLimit, clock: Callable[[], float] = time.monotonic) -> None:
        self._limit = limit
        self._clock = clock
        self._buckets: dict[uuid.UUID, _Bucket] = {}

    def admit(self, tenant_id: uuid.UUID) -> bool:
        """Take one token of ``tenant_id``; False when its bucket is empty."""
        limit = self._limit
        if limit.capacity <= 0:
            return True
        now = self._clock()
        bucket = self._buckets.get(tenant_id)
        if bucket is None:
            bucket = self._buckets[tenant_id] = _Bucket(float(limit.capacity), now)
        rate = limit.capacity / limit.period_s
        bucket.tokens = min(float(limit.capacity), bucket.tokens + (now - bucket.updated) * rate)
        bucket.updated = now
        if bucket.tokens < 1.0:
            return False
        bucket.tokens -= 1.0
        return True
