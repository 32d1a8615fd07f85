"""Per-device and per-tenant message rate limits, configured in the tenant profile.

The limits use ThingsBoard's tenant-profile keys and format, so profiles carry over (see
``entities/models/rate_limit.py``). Each window is a token bucket refilled continuously
(capacity tokens per window). Checked limits:

=====================================  ==========================================
tenant profile key                     counts
=====================================  ==========================================
``transportTenantMsgRateLimit``        every uplink message of the tenant's devices
``transportTenantTelemetryMsgRateLimit``       telemetry messages of the tenant
``transportTenantTelemetryDataPointsRateLimit`` telemetry data points of the tenant
``transportDeviceMsgRateLimit``        every uplink message of one device
``transportDeviceTelemetryMsgRateLimit``       telemetry messages of one device
``transportDeviceTelemetryDataPointsRateLimit`` telemetry data points of one device
=====================================  ==========================================

A refused message consumes nothing. Limits are read from the tenant profile at most every
``refresh_s`` seconds per tenant, never once per message; :meth:`RateLimiter.forget_limits`
(called when a profile or a tenant's profile changes) makes the next message re-read them.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from industryos.cached_reads import CachedReads
from industryos.entities.models.rate_limit import LIMIT_KEYS, RateLimitSpec, TenantLimits

__all__ = ["RateLimitExceeded", "RateLimiter"]


class RateLimitExceeded(Exception):
    """A device or its tenant sent more than its profile allows."""


@dataclass(slots=True)
class _Bucket:
    """Token buckets of one spec for one subject (a device or a tenant)."""

    spec: RateLimitSpec
    tokens: list[float]
    stamp: float

    @classmethod
    def full(cls, spec: RateLimitSpec, now: float) -> _Bucket:
        return cls(spec, [float(capacity) for capacity, _ in spec.windows], now)

    def refill(self, now: float) -> None:
        elapsed = now - self.stamp
        self.stamp = now
        for index, (capacity, seconds) in enumerate(self.spec.windows):
            self.tokens[index] = min(capacity, self.tokens[index] + elapsed * capacity / seconds)

    def admits(self, amount: int) -> bool:
        return all(tokens >= amount for tokens in self.tokens)

    def take(self, amount: int) -> None:
        self.tokens = [tokens - amount for tokens in self.tokens]


LimitsSource = Callable[[uuid.UUID], Awaitable[TenantLimits]]


class RateLimiter:
    """Admits or refuses device uplinks against their tenant profile's limits."""

    def __init__(
        self,
        source: LimitsSource,
        *,
        refresh_s: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._clock = clock
        self._limits: CachedReads[uuid.UUID, TenantLimits] = CachedReads(
            source, ttl_s=refresh_s, clock=clock
        )
        self._buckets: dict[tuple[uuid.UUID, str], _Bucket] = {}

    async def limits(self, tenant_id: uuid.UUID) -> TenantLimits:
        """The tenant's limits, re-read at most every ``refresh_s`` seconds (one read at a
        time per tenant, whatever the number of messages waiting for it)."""
        return await self._limits.get(tenant_id)

    async def admit(
        self, tenant_id: uuid.UUID, device_id: uuid.UUID, *, telemetry_points: int | None
    ) -> None:
        """Count one uplink message (telemetry when ``telemetry_points`` is set) or refuse it."""
        limits = self._limits.peek(tenant_id)
        if limits is None:
            limits = await self._limits.get(tenant_id)
        if limits.unlimited:
            return  # nothing to count against
        checks: list[tuple[uuid.UUID, str, int]] = [
            (tenant_id, "transportTenantMsgRateLimit", 1),
            (device_id, "transportDeviceMsgRateLimit", 1),
        ]
        if telemetry_points is not None:
            checks += [
                (tenant_id, "transportTenantTelemetryMsgRateLimit", 1),
                (tenant_id, "transportTenantTelemetryDataPointsRateLimit", telemetry_points),
                (device_id, "transportDeviceTelemetryMsgRateLimit", 1),
                (device_id, "transportDeviceTelemetryDataPointsRateLimit", telemetry_points),
            ]
        now = self._clock()
        admitted: list[tuple[_Bucket, int]] = []
        for subject, key, amount in checks:
            spec = limits.get(key)
            if spec is None:
                continue
            bucket = self._bucket(subject, key, spec, now)
            if not bucket.admits(amount):
                raise RateLimitExceeded(f"{key} {spec} exceeded")
            admitted.append((bucket, amount))
        for bucket, amount in admitted:
            bucket.take(amount)

    async def close(self) -> None:
        """Wait for limit reads still running."""
        await self._limits.close()

    def forget_limits(self, tenant_id: uuid.UUID | None) -> None:
        """Re-read the limits of ``tenant_id`` (None: of every tenant) on the next message."""
        self._limits.forget(tenant_id)

    def forget_device(self, device_id: uuid.UUID) -> None:
        """Drop a device's buckets (it disconnected for good or was deleted)."""
        for key in LIMIT_KEYS:
            self._buckets.pop((device_id, key), None)

    def _bucket(self, subject: uuid.UUID, key: str, spec: RateLimitSpec, now: float) -> _Bucket:
        bucket = self._buckets.get((subject, key))
        if bucket is None or bucket.spec != spec:
            bucket = self._buckets[(subject, key)] = _Bucket.full(spec, now)
        else:
            bucket.refill(now)
        return bucket
