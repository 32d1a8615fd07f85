"""Rate limits: the tenant-profile format and the token buckets behind it."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from industryos.entities.models.rate_limit import RateLimitSpec, TenantLimits
from industryos.transport.rate_limits import RateLimiter, RateLimitExceeded


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_spec_parses_thingsboard_format() -> None:
    spec = RateLimitSpec.parse("100:1, 3000:60")
    assert spec is not None
    assert spec.windows == ((100, 1.0), (3000, 60.0))
    assert str(spec) == "100:1,3000:60"
    assert RateLimitSpec.parse("") is None
    assert RateLimitSpec.parse(None) is None


@pytest.mark.parametrize("text", ["100", "a:1", "10:0", "-1:5", "10:1,"])
def test_unreadable_spec_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="rate limit"):
        RateLimitSpec.parse(text)


def _limiter(configuration: dict[str, str], clock: Clock) -> RateLimiter:
    limits = TenantLimits.from_configuration(configuration)

    async def source(tenant_id: uuid.UUID) -> TenantLimits:
        return limits

    return RateLimiter(source, clock=clock)


async def test_device_messages_refill_over_time() -> None:
    clock = Clock()
    limiter = _limiter({"transportDeviceMsgRateLimit": "2:10"}, clock)
    tenant, device, other = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    await limiter.admit(tenant, device, telemetry_points=None)
    await limiter.admit(tenant, device, telemetry_points=None)
    with pytest.raises(RateLimitExceeded, match="transportDeviceMsgRateLimit"):
        await limiter.admit(tenant, device, telemetry_points=None)
    await limiter.admit(tenant, other, telemetry_points=None)  # another device: own bucket
    clock.now += 5.0  # half the window gives back one message
    await limiter.admit(tenant, device, telemetry_points=None)
    with pytest.raises(RateLimitExceeded):
        await limiter.admit(tenant, device, telemetry_points=None)


async def test_tenant_limit_spans_devices_and_refusal_consumes_nothing() -> None:
    clock = Clock()
    limiter = _limiter(
        {
            "transportTenantMsgRateLimit": "3:60",
            "transportDeviceTelemetryDataPointsRateLimit": "5:60",
        },
        clock,
    )
    tenant = uuid.uuid4()
    device = uuid.uuid4()
    with pytest.raises(RateLimitExceeded, match="DataPoints"):
        await limiter.admit(tenant, device, telemetry_points=6)
    await limiter.admit(tenant, device, telemetry_points=5)  # the refused 6 cost nothing
    await limiter.admit(tenant, uuid.uuid4(), telemetry_points=None)
    await limiter.admit(tenant, uuid.uuid4(), telemetry_points=None)
    with pytest.raises(RateLimitExceeded, match="transportTenantMsgRateLimit"):
        await limiter.admit(tenant, uuid.uuid4(), telemetry_points=None)


async def test_session_limits_report_the_profile() -> None:
    limits = TenantLimits.from_configuration(
        {"transportDeviceMsgRateLimit": "10:1,300:60", "transportDeviceTelemetryMsgRateLimit": None}
    )
    assert limits.as_session_limits() == {
        "messages": "10:1,300:60",
        "telemetryMessages": None,
        "telemetryDataPoints": None,
    }


async def test_forgotten_limits_are_read_again_on_the_next_message() -> None:
    clock = Clock()
    configurations = [{"transportTenantMsgRateLimit": "1:60"}]
    reads: list[uuid.UUID] = []

    async def source(tenant_id: uuid.UUID) -> TenantLimits:
        reads.append(tenant_id)
        return TenantLimits.from_configuration(configurations[-1])

    limiter = RateLimiter(source, clock=clock)
    tenant, other, device = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    await limiter.admit(tenant, device, telemetry_points=None)
    await limiter.admit(other, device, telemetry_points=None)
    with pytest.raises(RateLimitExceeded):
        await limiter.admit(tenant, device, telemetry_points=None)  # cached: still 1:60
    configurations.append({})  # the profile lost its limit
    limiter.forget_limits(other)
    with pytest.raises(RateLimitExceeded):
        await limiter.admit(tenant, device, telemetry_points=None)  # this tenant not forgotten
    limiter.forget_limits(None)
    await limiter.admit(tenant, device, telemetry_points=None)
    assert reads == [tenant, other, tenant]


async def test_an_unlimited_tenant_counts_nothing_until_its_profile_gets_a_limit() -> None:
    clock = Clock()
    configurations: list[dict[str, str]] = [{}]

    async def source(tenant_id: uuid.UUID) -> TenantLimits:
        return TenantLimits.from_configuration(configurations[-1])

    limiter = RateLimiter(source, clock=clock)
    tenant, device = uuid.uuid4(), uuid.uuid4()
    for _ in range(100):
        await limiter.admit(tenant, device, telemetry_points=3)
    configurations.append({"transportDeviceTelemetryMsgRateLimit": "1:60"})
    await limiter.admit(tenant, device, telemetry_points=3)  # still the cached profile
    limiter.forget_limits(tenant)  # the profile was saved
    await limiter.admit(tenant, device, telemetry_points=3)
    with pytest.raises(RateLimitExceeded):
        await limiter.admit(tenant, device, telemetry_points=3)
    configurations.append({})
    clock.now += 3600  # the cached profile expires: read again, unlimited again
    for _ in range(10):
        await limiter.admit(tenant, device, telemetry_points=3)


async def test_a_fleet_of_first_messages_reads_the_limits_once() -> None:
    """After a restart every device's first message needs the tenant's limits at once."""
    reads: list[uuid.UUID] = []
    release = asyncio.Event()

    async def source(tenant_id: uuid.UUID) -> TenantLimits:
        reads.append(tenant_id)
        await release.wait()
        return TenantLimits.from_configuration({"transportTenantMsgRateLimit": "100:60"})

    limiter = RateLimiter(source, clock=Clock())
    tenant = uuid.uuid4()
    admits = [
        asyncio.create_task(limiter.admit(tenant, uuid.uuid4(), telemetry_points=3))
        for _ in range(100)
    ]
    await asyncio.sleep(0.01)
    release.set()
    await asyncio.gather(*admits)
    assert reads == [tenant]
    with pytest.raises(RateLimitExceeded):  # all hundred were counted
        await limiter.admit(tenant, uuid.uuid4(), telemetry_points=None)
