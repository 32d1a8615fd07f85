"""Rule nodes built alone over a real database (both engines): a tenant, its entities, and
the services nodes declare; messages a node sends on its own are collected."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from industryos.entities.ids import EntityType
from industryos.entities.models import Asset, Customer, Device
from industryos.msg import EntityRef, Msg, MsgType
from industryos.rules.entities import EntityFields
from industryos.rules.nodes.assign import CustomerAssignments
from industryos.rules.nodes.base import Emit, NodeConfig, NodeContext, RuleNode, ServiceSet
from industryos.rules.nodes.details import EntityDetails
from industryos.rules.nodes.entity_creation import EntityCreation
from industryos.rules.nodes.relation_access import RuleRelations
from tests.support.core import CoreWithTenant, core_with_tenant


@dataclass
class NodeEnv:
    """A tenant with core services, and a factory for nodes wired to them."""

    base: CoreWithTenant
    services: ServiceSet
    later: list[Emit] = field(default_factory=list)

    @property
    def tenant_id(self) -> uuid.UUID:
        """The test tenant."""
        return self.base.admin.tenant_id

    @property
    def relations(self) -> RuleRelations:
        """The relation facade the nodes use."""
        assert self.services.relations is not None
        return self.services.relations

    def build(
        self,
        cls: type[RuleNode],
        configuration_version: int = 0,
        *,
        node_id: uuid.UUID | None = None,
        **config: Any,
    ) -> RuleNode:
        """A node of ``cls`` with ``config`` (upgraded from ``configuration_version``)."""

        async def emit_later(emits: Sequence[Emit]) -> None:
            self.later.extend(emits)

        ctx = NodeContext(
            node_id or uuid.uuid4(),
            "n",
            self.tenant_id,
            uuid.uuid4(),
            cls.requires,
            self.services,
            emit_later,
        )
        upgraded = cls.upgrade(configuration_version, dict(config))
        return cls(NodeConfig(cls.clazz, upgraded), ctx)

    def msg(
        self,
        data: Any,
        originator: EntityRef | None = None,
        msg_type: str = MsgType.POST_TELEMETRY_REQUEST,
        customer_id: uuid.UUID | None = None,
        **metadata: str,
    ) -> Msg:
        """A message of the test tenant."""
        extra: dict[str, Any] = {} if customer_id is None else {"customer_id": customer_id}
        return Msg(
            type=msg_type,
            originator=originator or EntityRef(EntityType.DEVICE, uuid.uuid4()),
            tenant_id=self.tenant_id,
            data=orjson.dumps(data).decode(),
            metadata=metadata,
            **extra,
        )

    async def device(self, name: str, profile: str | None = None) -> EntityRef:
        """A stored device."""
        saved = await self.base.core.devices.save(self.base.admin, Device(name=name, type=profile))
        assert saved.id is not None
        return EntityRef(EntityType.DEVICE, saved.id)

    async def asset(self, name: str, asset_type: str = "building") -> EntityRef:
        """A stored asset."""
        saved = await self.base.core.assets.save(self.base.admin, Asset(name=name, type=asset_type))
        assert saved.id is not None
        return EntityRef(EntityType.ASSET, saved.id)

    async def customer(self, title: str) -> EntityRef:
        """A stored customer."""
        saved = await self.base.core.customers.save(self.base.admin, Customer(title=title))
        assert saved.id is not None
        return EntityRef(EntityType.CUSTOMER, saved.id)


@pytest.fixture
async def node_env(engine: AsyncEngine, tmp_path: Path) -> AsyncIterator[NodeEnv]:
    base = await core_with_tenant(engine, tmp_path)
    db = base.core.db
    entities = EntityFields(db)
    core = base.core
    services = ServiceSet(
        telemetry=core.telemetry,
        entities=entities,
        relations=RuleRelations(db),
        assignments=CustomerAssignments(core.devices, core.assets, core.customers, entities),
        details=EntityDetails(db),
        entity_creation=EntityCreation(core.devices, core.assets, core.customers, entities),
    )
    yield NodeEnv(base, services)
    await base.close()
