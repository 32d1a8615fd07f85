"""Child devices of gateways: found by name in the tenant, created on first mention (§5.4).

A child that exists is used as it is (type and profile unchanged, even when another
gateway created it); only ``additionalInfo.lastConnectedGateway`` is moved to the gateway
that mentions it. A new child gets the name and type the gateway gave, the gateway's
customer, the profile named after the type (created with defaults when missing, by the
device service) and a ``Created`` relation from the gateway. Creation goes through the
entity services, so it is audited and announced (ENTITY_CREATED) like any other device.

This module is only reached on a cache miss: the gateway session keeps every child it
resolved (``session.py``), so a message costs no database round-trip.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from industryos.entities.access import Caller
from industryos.entities.device_service import DeviceService
from industryos.entities.errors import InvalidArgument, NotFound
from industryos.entities.ids import NULL_UUID, EntityType
from industryos.entities.models import Authority, Device, EntityRelation
from industryos.entities.models.relation import EntityRef
from industryos.entities.relation_service import RelationService
from industryos.storage.relations import Direction
from industryos.transport.auth import DeviceIdentity
from industryos.transport.mqtt.gateway.topics import CREATED_RELATION

__all__ = ["LAST_CONNECTED_GATEWAY", "ChildDirectory", "child_identity"]

log = logging.getLogger(__name__)

LAST_CONNECTED_GATEWAY = "lastConnectedGateway"


def child_identity(device: Device) -> DeviceIdentity:
    """What the device API needs to act as ``device`` (children have no credentials)."""
    assert device.id is not None and device.tenant_id is not None
    assert device.device_profile_id is not None
    return DeviceIdentity(
        device_id=device.id,
        tenant_id=device.tenant_id,
        customer_id=device.customer_id,
        device_name=device.name,
        device_type=device.type or "default",
        device_profile_id=device.device_profile_id,
        is_gateway=device.is_gateway,
        credentials_id="",
    )


def _acting_as(gateway: DeviceIdentity) -> Caller:
    """The caller the entity services see: the gateway, with tenant-admin rights."""
    return Caller(
        NULL_UUID, f"gateway:{gateway.device_name}", Authority.TENANT_ADMIN, gateway.tenant_id
    )


def _info(device: Device) -> dict[str, Any]:
    return dict(device.additional_info) if isinstance(device.additional_info, dict) else {}


class ChildDirectory:
    """Finds and creates gateways' child devices through the entity services."""

    def __init__(self, devices: DeviceService, relations: RelationService) -> None:
        self._devices = devices
        self._relations = relations

    async def get_or_create(
        self, gateway: DeviceIdentity, name: str, device_type: str
    ) -> DeviceIdentity:
        """The child called ``name`` in the gateway's tenant, created when missing."""
        caller = _acting_as(gateway)
        try:
            device = await self._devices.find_by_name(caller, name)
        except NotFound:
            try:
                device = await self._create(caller, gateway, name, device_type)
            except InvalidArgument:
                # Another gateway created it between our lookup and our insert.
                device = await self._devices.find_by_name(caller, name)
            else:
                return child_identity(device)
        if _info(device).get(LAST_CONNECTED_GATEWAY) != str(gateway.device_id):
            info = _info(device)
            info[LAST_CONNECTED_GATEWAY] = str(gateway.device_id)
            device = await self._devices.save(
                caller, device.model_copy(update={"additional_info": info})
            )
        return child_identity(device)

    async def _create(
        self, caller: Caller, gateway: DeviceIdentity, name: str, device_type: str
    ) -> Device:
        device = await self._devices.save(
            caller,
            Device(
                name=name,
                type=device_type,
                additional_info={LAST_CONNECTED_GATEWAY: str(gateway.device_id)},
            ),
        )
        assert device.id is not None
        if gateway.customer_id != NULL_UUID:
            device = await self._devices.assign_to_customer(caller, device.id, gateway.customer_id)
        await self._relations.save(
            caller,
            EntityRelation.model_validate(
                {
                    "from": EntityRef(entity_type=EntityType.DEVICE, id=gateway.device_id),
                    "to": EntityRef(entity_type=EntityType.DEVICE, id=device.id),
                    "type": CREATED_RELATION,
                }
            ),
        )
        log.debug("gateway %s created child %r", gateway.device_id, name)
        return device

    async def created_children(self, gateway: DeviceIdentity) -> list[DeviceIdentity]:
        """Children the gateway created and was the last to connect (restored at connect).

        Gateway 3.8.5 does not re-send ``connect`` for children it already knows (§5.6
        item 9), also after a server restart; this is where a restarted node finds them.
        """
        caller = _acting_as(gateway)
        relations = await self._relations.find(
            caller,
            EntityRef(entity_type=EntityType.DEVICE, id=gateway.device_id),
            Direction.FROM,
            relation_type=CREATED_RELATION,
        )
        ids = [r.to.id for r in relations if r.to.entity_type is EntityType.DEVICE]
        if not ids:
            return []
        devices = await self._devices.find_by_ids(caller, ids)
        mine = str(gateway.device_id)
        return [child_identity(d) for d in devices if _info(d).get(LAST_CONNECTED_GATEWAY) == mine]

    @staticmethod
    def gateway_of(device: Device) -> uuid.UUID | None:
        """The gateway that last connected ``device``, if any."""
        value = _info(device).get(LAST_CONNECTED_GATEWAY)
        try:
            return uuid.UUID(str(value)) if value else None
        except ValueError:
            return None
