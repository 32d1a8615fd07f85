"""Entities a tenant's rule engine creates: the create relation node's ``createEntityIfNotExists``.

A device, an asset or a customer named by a node is created in the message's tenant through
the entity services, exactly as a REST call would create it, so everything that hears about
new entities hears about this one too (audit, ENTITY_CREATED rule-engine message, the
WebSocket change feeds, OTA attribute assignment, caches). A device or an asset gets the
profile named by its type (created when missing, as the services do for REST), or the
tenant's default when no type is given; a customer is created by title. The services act
for the tenant's rule engine: a tenant-administrator caller with the nil user id.

Two messages racing to create the same name: the loser's save is refused as a duplicate and
the winner's entity is returned.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from industryos.entities.access import Caller
from industryos.entities.errors import EntityError
from industryos.entities.ids import EntityType
from industryos.entities.models import Asset, Customer, Device
from industryos.msg import EntityRef

if TYPE_CHECKING:
    from industryos.entities.asset_service import AssetService
    from industryos.entities.customer_service import CustomerService
    from industryos.entities.device_service import DeviceService
    from industryos.rules.entities import EntityFields

__all__ = ["CREATABLE", "EntityCreation"]

CREATABLE = frozenset({EntityType.DEVICE, EntityType.ASSET, EntityType.CUSTOMER})
"""The entity types a rule node may create (as in ThingsBoard)."""


class EntityCreation:
    """Creates named devices, assets and customers on behalf of a tenant's rule engine."""

    def __init__(
        self,
        devices: DeviceService,
        assets: AssetService,
        customers: CustomerService,
        entities: EntityFields,
    ) -> None:
        self._devices = devices
        self._assets = assets
        self._customers = customers
        self._entities = entities
        self._creators: dict[EntityType, Callable[[Caller, str, str], Awaitable[uuid.UUID]]] = {
            EntityType.DEVICE: self._device,
            EntityType.ASSET: self._asset,
            EntityType.CUSTOMER: self._customer,
        }

    async def create(
        self, tenant_id: uuid.UUID, entity_type: EntityType, name: str, profile: str = ""
    ) -> EntityRef:
        """Create the entity (or return the one a concurrent message just created)."""
        creator = self._creators.get(entity_type)
        if creator is None:
            raise ValueError(f"entities of type {entity_type.value} are not created by rules")
        caller = Caller.rule_engine(tenant_id)
        try:
            return EntityRef(entity_type, await creator(caller, name, profile))
        except EntityError:
            found = await self._entities.find_by_name(tenant_id, entity_type, name)
            if found is None:
                raise
            return found

    async def _device(self, caller: Caller, name: str, profile: str) -> uuid.UUID:
        saved = await self._devices.save(caller, Device(name=name, type=profile or None))
        assert saved.id is not None
        return saved.id

    async def _asset(self, caller: Caller, name: str, profile: str) -> uuid.UUID:
        saved = await self._assets.save(caller, Asset(name=name, type=profile or None))
        assert saved.id is not None
        return saved.id

    async def _customer(self, caller: Caller, name: str, profile: str) -> uuid.UUID:
        saved = await self._customers.save(caller, Customer(title=name))
        assert saved.id is not None
        return saved.id
