"""Device claiming, the customer half: a user takes an announced device with its secret.

The device half (``claims.py``) stores ``claimingData`` = ``{"secretKey", "expirationTime"}``
as a SERVER_SCOPE attribute. A customer user then claims the device by name (spec
platform-api §3.2, ThingsBoard's ``ClaimDevicesService``):

============================================  ===========  ==============================
situation                                     outcome      REST
============================================  ===========  ==============================
claim recorded, not expired, secret matches,  SUCCESS      200 ``{"device", "response"}``
device has no customer
same, but the device already has a customer   CLAIMED      400 ``"CLAIMED"``
no claim recorded, device has a customer      CLAIMED      400 ``"CLAIMED"``
no claim recorded, device has no customer     FAILURE      400 ``"FAILURE"``
claim expired, or the secret differs          FAILURE      400 ``"FAILURE"``
============================================  ===========  ==============================

A secret matches when both are empty or they are equal. On success the device is
assigned to the user's customer and ``claimingData`` / ``claimingAllowed`` are removed.
Reclaiming takes a device back from its customer; when claiming is not allowed by
default, the device's ``claimingAllowed`` becomes true so it can be claimed again.

Rights: the secret is the proof, so the assignment runs with tenant rights inside the
caller's tenant, audited under the claiming user's name. Unlike ThingsBoard, a customer
user may reclaim only devices of its own customer (ThingsBoard lets any customer user of
the tenant unassign any device by name).
"""

from __future__ import annotations

import asyncio
import dataclasses
import hmac
import logging
import time
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from industryos.devices.claims import CLAIM_DATA_KEY, CLAIMING_ALLOWED_KEY
from industryos.entities.access import Caller
from industryos.entities.device_service import DeviceService
from industryos.entities.errors import PermissionDenied
from industryos.entities.ids import NULL_UUID, EntityType
from industryos.entities.models import Authority, Device
from industryos.entities.telemetry_access import TelemetryAccess
from industryos.telemetry.kv import AttributeScope, DataType, KvEntry

__all__ = ["ClaimResponse", "ClaimResult", "CustomerClaims"]

log = logging.getLogger(__name__)


class ClaimResponse(StrEnum):
    """ThingsBoard's ``ClaimResponse`` (wire names)."""

    SUCCESS = "SUCCESS"
    FAILURE = "FAILURE"
    CLAIMED = "CLAIMED"


@dataclass(frozen=True, slots=True)
class ClaimResult:
    """The outcome, with the claimed device on SUCCESS."""

    response: ClaimResponse
    device: Device | None = None

    def to_wire(self) -> dict[str, Any]:
        """``{"device": {...}, "response": "SUCCESS"}``."""
        return {
            "device": self.device.to_wire() if self.device is not None else None,
            "response": self.response.value,
        }


class CustomerClaims:
    """Claims and reclaims devices by name for the users of a tenant."""

    def __init__(
        self,
        devices: DeviceService,
        attributes: TelemetryAccess,
        *,
        allow_by_default: bool = True,
    ) -> None:
        self._devices = devices
        self._attributes = attributes
        self._allow_by_default = allow_by_default
        self._lock = asyncio.Lock()
        """Two users racing for one device: the first wins, the second sees CLAIMED."""

    async def claim(self, caller: Caller, device_name: str, secret_key: str) -> ClaimResult:
        """Give the device to the caller's customer if its claim and secret allow it."""
        caller.require(Authority.CUSTOMER_USER)
        acting = _with_tenant_rights(caller)
        async with self._lock:
            device = await self._devices.find_by_name(acting, device_name)
            assert device.id is not None
            claim = await self._claim_data(acting, device)
            owned = device.customer_id != NULL_UUID
            if claim is None:
                log.warning("claim of %s: no claim recorded", device.id)
                return ClaimResult(ClaimResponse.CLAIMED if owned else ClaimResponse.FAILURE)
            expired = int(claim.get("expirationTime", 0)) < _now_ms()
            if expired or not _secret_matches(secret_key, str(claim.get("secretKey") or "")):
                log.warning("claim of %s: expired or wrong secret", device.id)
                return ClaimResult(ClaimResponse.FAILURE)
            if owned:
                await self._forget_claim(acting, device)
                return ClaimResult(ClaimResponse.CLAIMED)
            saved = await self._devices.assign_to_customer(acting, device.id, caller.customer_id)
            await self._forget_claim(acting, device)
        log.debug("device %s claimed by customer %s", device.id, caller.customer_id)
        return ClaimResult(ClaimResponse.SUCCESS, saved)

    async def reclaim(self, caller: Caller, device_name: str) -> None:
        """Take the device back from its customer so that it can be claimed again."""
        caller.require(Authority.TENANT_ADMIN, Authority.CUSTOMER_USER)
        acting = _with_tenant_rights(caller)
        async with self._lock:
            device = await self._devices.find_by_name(acting, device_name)
            assert device.id is not None
            if caller.is_customer_user and device.customer_id != caller.customer_id:
                raise PermissionDenied()
            if device.customer_id == NULL_UUID:
                return
            await self._devices.unassign_from_customer(acting, device.id)
            if not self._allow_by_default:
                entry = KvEntry(CLAIMING_ALLOWED_KEY, True, DataType.BOOLEAN)
                await self._attributes.save_attributes(
                    acting, EntityType.DEVICE, device.id, AttributeScope.SERVER_SCOPE, [entry]
                )
        log.debug("device %s reclaimed", device.id)

    async def _claim_data(self, acting: Caller, device: Device) -> dict[str, Any] | None:
        assert device.id is not None
        found = await self._attributes.attributes(
            acting, EntityType.DEVICE, device.id, AttributeScope.SERVER_SCOPE, [CLAIM_DATA_KEY]
        )
        for entry in found:
            value = entry.native_value()
            if isinstance(value, dict):
                return value
        return None

    async def _forget_claim(self, acting: Caller, device: Device) -> None:
        assert device.id is not None
        await self._attributes.delete_attributes(
            acting,
            EntityType.DEVICE,
            device.id,
            AttributeScope.SERVER_SCOPE,
            [CLAIM_DATA_KEY, CLAIMING_ALLOWED_KEY],
        )


def _with_tenant_rights(caller: Caller) -> Caller:
    """The caller with tenant-admin rights in its own tenant (audit keeps its name)."""
    return dataclasses.replace(caller, authority=Authority.TENANT_ADMIN)


def _secret_matches(given: str, expected: str) -> bool:
    """Both empty, or equal (constant time)."""
    return hmac.compare_digest(given.encode(), expected.encode())


def _now_ms() -> int:
    return time.time_ns() // 1_000_000
