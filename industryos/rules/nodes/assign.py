"""Assign to / unassign from customer nodes (``action.TbAssignToCustomerNode``,
``action.TbUnassignFromCustomerNode``).

The originator (a device or an asset) is given to the customer titled
``customerNamePattern`` (templated; created when ``createCustomerIfNotExists``), or taken
back from its customer. Changes go through the entity services, so audit entries and the
ENTITY_ASSIGNED / ENTITY_UNASSIGNED messages are the same as for a REST call; they act as
the tenant's rule engine (a tenant-administrator caller with the nil user id).
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from industryos.entities.access import Caller
from industryos.entities.errors import EntityError
from industryos.entities.ids import EntityType
from industryos.entities.models import Customer
from industryos.msg import EntityRef, Msg
from industryos.rules.errors import NodeConfigError, NodeFailure
from industryos.rules.labels import Label
from industryos.rules.nodes.base import (
    ComponentType,
    Descriptor,
    Emit,
    NodeConfig,
    NodeContext,
    RuleNode,
    Service,
)
from industryos.rules.nodes.templates import fill

if TYPE_CHECKING:
    from industryos.entities.asset_service import AssetService
    from industryos.entities.customer_service import CustomerService
    from industryos.entities.device_service import DeviceService
    from industryos.rules.entities import EntityFields

__all__ = ["CustomerAssignments"]

PREFIX = "org.thingsboard.rule.engine."
_OWNED = (EntityType.DEVICE, EntityType.ASSET)


class CustomerAssignments:
    """Ownership changes on behalf of a tenant's rule engine."""

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

    async def customer(self, tenant_id: uuid.UUID, title: str, create: bool) -> uuid.UUID | None:
        """The tenant's customer titled ``title`` (created if asked)."""
        found = await self._entities.find_by_name(tenant_id, EntityType.CUSTOMER, title)
        if found is not None:
            return found.id
        if not create:
            return None
        saved = await self._customers.save(Caller.rule_engine(tenant_id), Customer(title=title))
        return saved.id

    async def assign(self, tenant_id: uuid.UUID, ref: EntityRef, customer_id: uuid.UUID) -> None:
        """Give a device or an asset to a customer of the tenant."""
        caller = Caller.rule_engine(tenant_id)
        if ref.entity_type is EntityType.DEVICE:
            await self._devices.assign_to_customer(caller, ref.id, customer_id)
        else:
            await self._assets.assign_to_customer(caller, ref.id, customer_id)

    async def unassign(self, tenant_id: uuid.UUID, ref: EntityRef) -> None:
        """Take a device or an asset back from its customer."""
        caller = Caller.rule_engine(tenant_id)
        if ref.entity_type is EntityType.DEVICE:
            await self._devices.unassign_from_customer(caller, ref.id)
        else:
            await self._assets.unassign_from_customer(caller, ref.id)


def _check_originator(msg: Msg) -> None:
    if msg.originator.entity_type not in _OWNED:
        raise NodeFailure(
            f"Unsupported originator type '{msg.originator.entity_type.value}'! "
            "Only 'DEVICE' and 'ASSET' are supported."
        )


class AssignToCustomerNode(RuleNode):
    """Give the originator to the named customer."""

    clazz = PREFIX + "action.TbAssignToCustomerNode"
    requires = frozenset({Service.ASSIGNMENTS})
    descriptor = Descriptor(
        ComponentType.ACTION,
        "assign to customer",
        "Assign message originator entity to customer",
        default_configuration={"customerNamePattern": "", "createCustomerIfNotExists": False},
    )

    def __init__(self, config: NodeConfig, ctx: NodeContext) -> None:
        super().__init__(config, ctx)
        self._assignments = ctx.assignments()
        self._pattern = config.text("customerNamePattern")
        if not self._pattern:
            raise NodeConfigError(f"{self.clazz}: customerNamePattern should be specified")
        self._create = config.flag("createCustomerIfNotExists")

    async def on_msg(self, msg: Msg) -> list[Emit]:
        """Resolve the customer, then assign (already assigned to it: nothing to do)."""
        _check_originator(msg)
        title = fill(self._pattern, msg)
        customer_id = await self._assignments.customer(msg.tenant_id, title, self._create)
        if customer_id is None:
            raise NodeFailure(f"Customer with title '{title}' doesn't exist!")
        try:
            await self._assignments.assign(msg.tenant_id, msg.originator, customer_id)
        except EntityError as exc:
            raise NodeFailure(str(exc) or type(exc).__name__) from None
        return [Emit(Label.SUCCESS, msg)]


class UnassignFromCustomerNode(RuleNode):
    """Take the originator back from its customer."""

    clazz = PREFIX + "action.TbUnassignFromCustomerNode"
    requires = frozenset({Service.ASSIGNMENTS})
    descriptor = Descriptor(
        ComponentType.ACTION,
        "unassign from customer",
        "Unassign message originator entity from customer",
        default_configuration={"customerNamePattern": ""},
    )

    def __init__(self, config: NodeConfig, ctx: NodeContext) -> None:
        super().__init__(config, ctx)
        self._assignments = ctx.assignments()

    async def on_msg(self, msg: Msg) -> list[Emit]:
        """Unassign; an unassigned originator fails, as in ThingsBoard."""
        _check_originator(msg)
        try:
            await self._assignments.unassign(msg.tenant_id, msg.originator)
        except EntityError as exc:
            raise NodeFailure(str(exc) or type(exc).__name__) from None
        return [Emit(Label.SUCCESS, msg)]


NODES: tuple[type[RuleNode], ...] = (AssignToCustomerNode, UnassignFromCustomerNode)
