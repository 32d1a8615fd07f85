"""Device claiming, the device half: a device announces a secret a user can claim it with.

Spec device-api §2.11: the device sends ``{"secretKey", "durationMs"}`` (both optional).
The claim is recorded only when the device has no customer and, when claiming is not
allowed by default, its SERVER_SCOPE attribute ``claimingAllowed`` is true. It is stored
as the SERVER_SCOPE attribute ``claimingData`` = ``{"secretKey", "expirationTime"}``
(ThingsBoard's key and shape), which the REST claim endpoint reads later. A refusal is
not reported to the device: it still gets its acknowledgement.
"""

from __future__ import annotations

import logging
import time
import uuid
from typing import Any, Protocol

import orjson

from industryos.entities.ids import NULL_UUID
from industryos.telemetry.kv import AttributeKvEntry, AttributeScope, DataType, KvEntry

__all__ = ["CLAIM_DATA_KEY", "ClaimData", "DeviceClaims"]

log = logging.getLogger(__name__)

CLAIM_DATA_KEY = "claimingData"
CLAIMING_ALLOWED_KEY = "claimingAllowed"
DEFAULT_CLAIM_DURATION_MS = 86_400_000


class ClaimAttributes(Protocol):
    """What claiming needs from the telemetry service."""

    async def save_attributes(
        self,
        tenant_id: uuid.UUID,
        entity_id: uuid.UUID,
        scope: AttributeScope,
        entries: list[KvEntry],
        ts: int | None = None,
    ) -> object:
        """Upsert attributes of one scope."""
        ...

    async def get_attributes(
        self,
        tenant_id: uuid.UUID,
        entity_id: uuid.UUID,
        scope: AttributeScope | None = None,
        keys: list[str] | None = None,
    ) -> dict[AttributeScope, list[AttributeKvEntry]]:
        """Attributes per scope."""
        ...


class ClaimData(dict[str, Any]):
    """``{"secretKey": str, "expirationTime": epoch ms}``."""


class DeviceClaims:
    """Records device claims as server attributes."""

    def __init__(
        self,
        attributes: ClaimAttributes,
        *,
        default_duration_ms: int = DEFAULT_CLAIM_DURATION_MS,
        allow_by_default: bool = True,
    ) -> None:
        self._attributes = attributes
        self._default_duration_ms = default_duration_ms
        self._allow_by_default = allow_by_default

    async def record(
        self,
        tenant_id: uuid.UUID,
        device_id: uuid.UUID,
        customer_id: uuid.UUID,
        secret_key: str,
        duration_ms: int,
    ) -> bool:
        """Record a claim; False (and nothing stored) when the device may not be claimed."""
        if customer_id != NULL_UUID:
            log.debug("claim of %s refused: it belongs to a customer", device_id)
            return False
        if not self._allow_by_default and not await self._claiming_allowed(tenant_id, device_id):
            log.debug("claim of %s refused: claimingAllowed is not set", device_id)
            return False
        duration = duration_ms if duration_ms > 0 else self._default_duration_ms
        data = {"secretKey": secret_key, "expirationTime": _now_ms() + duration}
        entry = KvEntry(CLAIM_DATA_KEY, orjson.dumps(data).decode(), DataType.JSON)
        await self._attributes.save_attributes(
            tenant_id, device_id, AttributeScope.SERVER_SCOPE, [entry]
        )
        return True

    async def current(self, tenant_id: uuid.UUID, device_id: uuid.UUID) -> ClaimData | None:
        """The recorded claim if it has not expired (for the REST claim endpoint)."""
        found = await self._attributes.get_attributes(
            tenant_id, device_id, AttributeScope.SERVER_SCOPE, [CLAIM_DATA_KEY]
        )
        for entry in found.get(AttributeScope.SERVER_SCOPE, []):
            data = ClaimData(entry.native_value())
            if int(data.get("expirationTime", 0)) > _now_ms():
                return data
        return None

    async def _claiming_allowed(self, tenant_id: uuid.UUID, device_id: uuid.UUID) -> bool:
        found = await self._attributes.get_attributes(
            tenant_id, device_id, AttributeScope.SERVER_SCOPE, [CLAIMING_ALLOWED_KEY]
        )
        return any(
            entry.value is True or entry.value == "true"
            for entry in found.get(AttributeScope.SERVER_SCOPE, [])
        )


def _now_ms() -> int:
    return time.time_ns() // 1_000_000
