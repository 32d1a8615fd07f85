"""``/api/owner/...``: change an entity's owner (tb-rest-client 4.4 assigns through it).

ThingsBoard's newer clients assign a device or asset to a customer with
``POST /api/owner/CUSTOMER/{customerId}/{entityType}/{entityId}`` and give it back with
``POST /api/owner/TENANT/{tenantId}/{entityType}/{entityId}``. Both map onto the same
assignment rules as the classic ``/api/customer/...`` paths; other entity types are 400.
"""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Response

from industryos.api.deps import Context, CurrentCaller
from industryos.entities.errors import InvalidArgument
from industryos.entities.ids import NULL_UUID, EntityType

router = APIRouter(prefix="/api", tags=["owner"])

_OWNED = (EntityType.DEVICE.value, EntityType.ASSET.value)


def _entity_type(value: str) -> str:
    if value not in _OWNED:
        raise InvalidArgument(f"Unsupported entity type for owner change: {value}")
    return value


@router.post("/owner/CUSTOMER/{owner_id}/{entity_type}/{entity_id}")
async def change_owner_to_customer(
    owner_id: uuid.UUID,
    entity_type: str,
    entity_id: uuid.UUID,
    caller: CurrentCaller,
    context: Context,
) -> Response:
    """Assign a device or asset to a customer of the caller's tenant."""
    if _entity_type(entity_type) == EntityType.DEVICE.value:
        await context.devices.assign_to_customer(caller, entity_id, owner_id)
    else:
        await context.assets.assign_to_customer(caller, entity_id, owner_id)
    return Response(status_code=200)


@router.post("/owner/TENANT/{owner_id}/{entity_type}/{entity_id}")
async def change_owner_to_tenant(
    owner_id: uuid.UUID,
    entity_type: str,
    entity_id: uuid.UUID,
    caller: CurrentCaller,
    context: Context,
) -> Response:
    """Give a device or asset back to the caller's tenant (a no-op if it already is)."""
    kind = _entity_type(entity_type)
    caller.check_tenant(owner_id)
    service = context.devices if kind == EntityType.DEVICE.value else context.assets
    entity = await service.get(caller, entity_id)
    if entity.customer_id != NULL_UUID:
        await service.unassign_from_customer(caller, entity_id)
    return Response(status_code=200)
