"""The MQTT settings of device profiles (spec device-api §2.15, §8.1), cached.

A session reads its profile's settings once, at CONNECT; publishes never touch the
database. The cache keeps each profile for ``ttl`` seconds, so an edited profile reaches
new sessions within that time.

Design limit: a live session keeps the settings it connected with (ThingsBoard recomputes
them at once); profile-change events would let the cache be invalidated and the sessions
updated.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from industryos.cached_reads import CachedReads
from industryos.entities.models.device_profile import DeviceProfile
from industryos.transport.mqtt.device.topics import V1_ATTRIBUTES, V1_TELEMETRY

__all__ = ["DEFAULT_PROFILE", "MqttProfile", "ProfileCache", "ProfileLoader"]

ProfileLoader = Callable[[uuid.UUID], Awaitable[DeviceProfile | None]]


@dataclass(frozen=True, slots=True)
class MqttProfile:
    """What the MQTT adapter needs of a device profile; ``None`` filters mean the default."""

    telemetry_filter: str | None = None
    attributes_filter: str | None = None
    attributes_subscribe_filter: str | None = None
    send_ack_on_validation_exception: bool = False
    protobuf: bool = False

    @classmethod
    def from_profile(cls, profile: DeviceProfile) -> MqttProfile:
        """Read ``profileData.transportConfiguration`` of an MQTT-typed profile."""
        config: Any = (profile.profile_data or {}).get("transportConfiguration") or {}
        if not isinstance(config, dict) or config.get("type") != "MQTT":
            return DEFAULT_PROFILE
        payload = config.get("transportPayloadTypeConfiguration") or {}
        return cls(
            telemetry_filter=_custom(config.get("deviceTelemetryTopic"), V1_TELEMETRY),
            attributes_filter=_custom(config.get("deviceAttributesTopic"), V1_ATTRIBUTES),
            attributes_subscribe_filter=_custom(
                config.get("deviceAttributesSubscribeTopic"), V1_ATTRIBUTES
            ),
            send_ack_on_validation_exception=bool(config.get("sendAckOnValidationException")),
            protobuf=isinstance(payload, dict)
            and payload.get("transportPayloadType") == "PROTOBUF",
        )


DEFAULT_PROFILE = MqttProfile()


def _custom(value: Any, default: str) -> str | None:
    """A custom filter, or None when blank or equal to the default topic."""
    if not isinstance(value, str) or not value.strip() or value.strip() == default:
        return None
    return value.strip()


class ProfileCache:
    """Profile id → :class:`MqttProfile`, loaded through ``loader`` and kept ``ttl`` s (one
    load per profile in flight: a fleet of one profile connecting at once reads it once)."""

    def __init__(self, loader: ProfileLoader, ttl: float = 30.0) -> None:
        self._loader = loader
        self._reads: CachedReads[uuid.UUID, MqttProfile] = CachedReads(self._load, ttl_s=ttl)

    async def get(self, profile_id: uuid.UUID) -> MqttProfile:
        """The MQTT settings of a profile (the defaults when it is gone)."""
        return await self._reads.get(profile_id)

    async def _load(self, profile_id: uuid.UUID) -> MqttProfile:
        profile = await self._loader(profile_id)
        return DEFAULT_PROFILE if profile is None else MqttProfile.from_profile(profile)

    async def close(self) -> None:
        """Wait for profile reads still running."""
        await self._reads.close()

    def invalidate(self, profile_id: uuid.UUID) -> None:
        """Forget a profile (it changed)."""
        self._reads.forget(profile_id)
