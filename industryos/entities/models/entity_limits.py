"""Count and size limits of a tenant profile: ThingsBoard's ``DefaultTenantProfileConfiguration``.

Every limit is a non-negative integer and 0 (or absent / null) means unlimited, as in
ThingsBoard. ``tenant_limits.py`` enforces them; this module only says what a profile's
``profileData.configuration`` means, so a profile with an unreadable limit is refused when it
is saved (:meth:`EntityLimits.check_configuration`) and a stored one is read leniently.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from industryos.entities.ids import EntityType

__all__ = ["COUNT_KEYS", "EntityLimits", "UsageKey", "normal_name"]

COUNT_KEYS: Mapping[EntityType, str] = {
    EntityType.DEVICE: "maxDevices",
    EntityType.ASSET: "maxAssets",
    EntityType.CUSTOMER: "maxCustomers",
    EntityType.USER: "maxUsers",
    EntityType.DASHBOARD: "maxDashboards",
    EntityType.RULE_CHAIN: "maxRuleChains",
}
"""Entity types whose number per tenant a profile caps, with the configuration key."""


class UsageKey(StrEnum):
    """Size and monthly-usage limits of a profile (configuration keys)."""

    OTA_BYTES = "maxOtaPackagesInBytes"
    RESOURCE_BYTES = "maxResourcesInBytes"
    CREATED_ALARMS = "maxCreatedAlarms"
    EMAILS = "maxEmails"
    SMS = "maxSms"


def normal_name(entity_type: EntityType) -> str:
    """ThingsBoard's ``EntityType.getNormalName()``: ``RULE_CHAIN`` -> ``Rule chain``."""
    return entity_type.value.removeprefix("TB_").lower().replace("_", " ").capitalize()


def _limit(configuration: Mapping[str, Any], key: str) -> int:
    """The limit under ``key`` (0 when absent); ValueError when it is no count."""
    value = configuration.get(key)
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int | float) or value != int(value):
        raise ValueError(f"{key}: expected a whole number, got {value!r}")
    if value < 0:
        raise ValueError(f"{key}: must not be negative (0 means unlimited)")
    return int(value)


@dataclass(frozen=True, slots=True)
class EntityLimits:
    """The count and size limits of one tenant profile (0 = unlimited)."""

    counts: Mapping[EntityType, int] = field(default_factory=dict)
    usage: Mapping[UsageKey, int] = field(default_factory=dict)

    @classmethod
    def check_configuration(cls, configuration: Mapping[str, Any] | None) -> None:
        """Refuse a configuration whose limits are not whole non-negative numbers."""
        configuration = configuration or {}
        for key in (*COUNT_KEYS.values(), *UsageKey):
            _limit(configuration, key)

    @classmethod
    def from_configuration(cls, configuration: Mapping[str, Any] | None) -> EntityLimits:
        """Read a stored configuration; an unreadable limit counts as unlimited."""
        configuration = configuration or {}

        def lenient(key: str) -> int:
            try:
                return _limit(configuration, key)
            except ValueError:
                return 0

        return cls(
            counts={kind: lenient(key) for kind, key in COUNT_KEYS.items()},
            usage={key: lenient(key) for key in UsageKey},
        )

    def max_count(self, entity_type: EntityType) -> int:
        """How many entities of ``entity_type`` a tenant may have (0 = unlimited)."""
        return self.counts.get(entity_type, 0)

    def max_usage(self, key: UsageKey) -> int:
        """The size or monthly limit under ``key`` (0 = unlimited)."""
        return self.usage.get(key, 0)
