"""Rate limits of a tenant profile: ThingsBoard's keys and ``capacity:seconds`` format.

``"100:1,3000:60"`` means at most 100 per second *and* 3,000 per minute. The transports
enforce them (``transport/rate_limits.py``); this module only says what they mean, so a
tenant profile with an unreadable limit is refused when it is saved.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["LIMIT_KEYS", "RateLimitSpec", "TenantLimits"]

LIMIT_KEYS = (
    "transportTenantMsgRateLimit",
    "transportTenantTelemetryMsgRateLimit",
    "transportTenantTelemetryDataPointsRateLimit",
    "transportDeviceMsgRateLimit",
    "transportDeviceTelemetryMsgRateLimit",
    "transportDeviceTelemetryDataPointsRateLimit",
)


@dataclass(frozen=True, slots=True)
class RateLimitSpec:
    """``capacity:seconds`` windows, all of which must admit a message."""

    windows: tuple[tuple[int, float], ...]

    @classmethod
    def parse(cls, text: str | None) -> RateLimitSpec | None:
        """Parse ``"100:1,3000:60"``; None or empty means unlimited; bad text is refused."""
        if not text or not text.strip():
            return None
        windows = []
        for part in text.split(","):
            capacity, _, seconds = part.strip().partition(":")
            try:
                window = (int(capacity), float(seconds))
            except ValueError:
                raise ValueError(f"rate limit {text!r}: expected capacity:seconds pairs") from None
            if window[0] <= 0 or window[1] <= 0:
                raise ValueError(f"rate limit {text!r}: capacity and seconds must be positive")
            windows.append(window)
        return cls(tuple(windows))

    def __str__(self) -> str:
        return ",".join(f"{capacity}:{seconds:g}" for capacity, seconds in self.windows)


@dataclass(frozen=True, slots=True)
class TenantLimits:
    """The six limits of one tenant profile (None = unlimited)."""

    specs: Mapping[str, RateLimitSpec | None] = field(default_factory=dict)
    unlimited: bool = field(init=False, compare=False)
    """No limit is set (a tenant profile's default): every uplink checks this first."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "unlimited", not any(self.specs.values()))

    @classmethod
    def from_configuration(cls, configuration: Mapping[str, Any] | None) -> TenantLimits:
        """Read the limits of a tenant profile's ``profileData.configuration``."""
        configuration = configuration or {}
        return cls({key: RateLimitSpec.parse(configuration.get(key)) for key in LIMIT_KEYS})

    def get(self, key: str) -> RateLimitSpec | None:
        """The limit of ``key`` or None."""
        return self.specs.get(key)

    def as_session_limits(self) -> dict[str, str | None]:
        """The ``rateLimits`` object of getSessionLimits (device-api §2.10)."""

        def text(key: str) -> str | None:
            spec = self.get(key)
            return None if spec is None else str(spec)

        return {
            "messages": text("transportDeviceMsgRateLimit"),
            "telemetryMessages": text("transportDeviceTelemetryMsgRateLimit"),
            "telemetryDataPoints": text("transportDeviceTelemetryDataPointsRateLimit"),
        }
