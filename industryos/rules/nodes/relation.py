"""Relation nodes: check, create and delete relations between the originator and an entity.

Direction follows ThingsBoard's configuration version 1: ``FROM`` means the relation goes
*from the originator* to the other entity, ``TO`` the other way round. Version-0
configurations had it reversed; :meth:`upgrade` flips them (as ThingsBoard's upgrade does).
The other entity is named by ``entityType`` + ``entityNamePattern`` (templated with
``${metadata}`` and ``$[data]``) and looked up within the message's tenant (``TENANT`` means
the tenant itself). With ``createEntityIfNotExists`` a missing DEVICE, ASSET or CUSTOMER is
created in that tenant through the entity services (``nodes/entity_creation.py``): a device
or an asset with the profile named by ``entityTypePattern`` (templated; created if missing,
the default profile when empty), a customer by title; the relation is then created. As in
ThingsBoard 3.6+, target lookups are not cached: the v0 upgrade drops
``entityCacheExpiration`` along with flipping the direction.
"""

from __future__ import annotations

import uuid
from typing import Any

from industryos.entities.errors import EntityError
from industryos.entities.ids import EntityType
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
from industryos.rules.nodes.entity_creation import CREATABLE, EntityCreation
from industryos.rules.nodes.templates import fill, unresolved
from industryos.storage.relations import Direction

PREFIX = "org.thingsboard.rule.engine."
DIRECTIONS = ("FROM", "TO")
_NAMED_TYPES = frozenset(
    {
        EntityType.DEVICE,
        EntityType.ASSET,
        EntityType.CUSTOMER,
        EntityType.DASHBOARD,
        EntityType.USER,
    }
)
"""Targets found by name (customer and dashboard by title, user by email)."""


def _flip_direction(configuration: dict[str, Any]) -> dict[str, Any]:
    direction = configuration.get("direction")
    flipped = {"FROM": "TO", "TO": "FROM"}.get(str(direction))
    return configuration if flipped is None else {**configuration, "direction": flipped}


def _upgrade_v0(configuration: dict[str, Any]) -> dict[str, Any]:
    """v0 → v1: the direction's meaning was reversed and the entity cache is gone."""
    upgraded = _flip_direction(configuration)
    return {k: v for k, v in upgraded.items() if k != "entityCacheExpiration"}


def _ends(direction: str, originator: EntityRef, other: EntityRef) -> tuple[EntityRef, EntityRef]:
    return (originator, other) if direction == "FROM" else (other, originator)


def _entity_type(config: NodeConfig, clazz: str) -> EntityType:
    raw = config.text("entityType")
    try:
        entity_type = EntityType(raw)
    except ValueError:
        raise NodeConfigError(f"{clazz}: unsupported entityType {raw!r}") from None
    if entity_type not in _NAMED_TYPES and entity_type is not EntityType.TENANT:
        raise NodeConfigError(f"{clazz}: entityType {raw} is not supported")
    return entity_type


class _TargetNode(RuleNode):
    """Shared target lookup of the create/delete relation nodes."""

    requires = frozenset({Service.ENTITIES, Service.RELATIONS})

    def __init__(self, config: NodeConfig, ctx: NodeContext) -> None:
        super().__init__(config, ctx)
        self._entities = ctx.entities()
        self._relations = ctx.relations()
        self._direction = config.choice("direction", DIRECTIONS, "FROM")
        self._relation_type = config.text("relationType", "Contains") or "Contains"

    async def find(self, msg: Msg, entity_type: EntityType, name: str) -> EntityRef | None:
        """The named entity of the tenant, if there is one."""
        if entity_type is EntityType.TENANT:
            return EntityRef(EntityType.TENANT, msg.tenant_id)
        return await self._entities.find_by_name(msg.tenant_id, entity_type, name)

    async def target(self, msg: Msg, entity_type: EntityType, pattern: str) -> EntityRef:
        """The named entity of the tenant; Failure when there is none."""
        name = fill(pattern, msg)
        found = await self.find(msg, entity_type, name)
        if found is None:
            raise _not_found(entity_type, name)
        return found

    @classmethod
    def upgrade(cls, from_version: int, configuration: dict[str, Any]) -> dict[str, Any]:
        """v0 → v1: the direction's meaning was reversed; no more entity cache."""
        return _upgrade_v0(configuration) if from_version < 1 else configuration


def _not_found(entity_type: EntityType, name: str) -> NodeFailure:
    return NodeFailure(f"{entity_type.value.title()} with name '{name}' was not found")


class CreateRelationNode(_TargetNode):
    """Relate the originator and a named entity (optionally replacing current relations)."""

    clazz = PREFIX + "action.TbCreateRelationNode"
    requires = frozenset({Service.ENTITIES, Service.RELATIONS, Service.ENTITY_CREATION})
    descriptor = Descriptor(
        ComponentType.ACTION,
        "create relation",
        "Finds target entity specified in the configuration and creates a relation",
        default_configuration={
            "direction": "FROM",
            "entityType": "ASSET",
            "entityNamePattern": "",
            "entityTypePattern": None,
            "relationType": "Contains",
            "createEntityIfNotExists": False,
            "removeCurrentRelations": False,
            "changeOriginatorToRelatedEntity": False,
        },
        configuration_version=1,
    )

    def __init__(self, config: NodeConfig, ctx: NodeContext) -> None:
        super().__init__(config, ctx)
        self._type = _entity_type(config, self.clazz)
        self._pattern = config.text("entityNamePattern")
        if self._type is not EntityType.TENANT and not self._pattern:
            raise NodeConfigError(f"{self.clazz}: entityNamePattern should be specified")
        self._profile_pattern = config.text("entityTypePattern")
        self._creation: EntityCreation | None = None
        if config.flag("createEntityIfNotExists") and self._type in CREATABLE:
            self._creation = ctx.entity_creation()
        self._remove_current = config.flag("removeCurrentRelations")
        self._change_originator = config.flag("changeOriginatorToRelatedEntity")

    async def _target_or_new(self, msg: Msg) -> EntityRef:
        """The named target; created first when missing and the node may create it."""
        name = fill(self._pattern, msg)
        found = await self.find(msg, self._type, name)
        if found is not None:
            return found
        if self._creation is None:
            raise _not_found(self._type, name)
        profile = fill(self._profile_pattern, msg) if self._profile_pattern else ""
        if not name.strip() or unresolved(name) or unresolved(profile):
            raise NodeFailure(  # never create an entity named after a missing key
                f"{self._type.value.title()} not created: the name '{name}' or type "
                f"'{profile}' has a placeholder the message does not resolve"
            )
        try:
            return await self._creation.create(msg.tenant_id, self._type, name, profile)
        except EntityError as exc:
            raise NodeFailure(
                f"{self._type.value.title()} '{name}' could not be created: {exc}"
            ) from None

    async def on_msg(self, msg: Msg) -> list[Emit]:
        """Create the relation if absent (``Success`` either way)."""
        target = await self._target_or_new(msg)
        relation_type = fill(self._relation_type, msg)
        if self._remove_current:
            await self._remove(msg, relation_type, target)
        from_, to = _ends(self._direction, msg.originator, target)
        await self._relations.create(msg.tenant_id, from_, to, relation_type)
        out = msg.with_changes(originator=target) if self._change_originator else msg
        return [Emit(Label.SUCCESS, out)]

    async def _remove(self, msg: Msg, relation_type: str, keep: EntityRef) -> None:
        direction = Direction.FROM if self._direction == "FROM" else Direction.TO
        for other in await self._relations.of(
            msg.tenant_id, msg.originator, direction, relation_type
        ):
            if other != keep:
                from_, to = _ends(self._direction, msg.originator, other)
                await self._relations.delete(msg.tenant_id, from_, to, relation_type)


class DeleteRelationNode(_TargetNode):
    """Delete the relation with a named entity, or every relation of a type."""

    clazz = PREFIX + "action.TbDeleteRelationNode"
    descriptor = Descriptor(
        ComponentType.ACTION,
        "delete relation",
        "Finds target entity specified in the configuration and deletes the relation",
        default_configuration={
            "deleteForSingleEntity": False,
            "direction": "FROM",
            "entityType": None,
            "entityNamePattern": None,
            "relationType": "Contains",
        },
        configuration_version=1,
    )

    def __init__(self, config: NodeConfig, ctx: NodeContext) -> None:
        super().__init__(config, ctx)
        self._single = config.flag("deleteForSingleEntity")
        self._type = _entity_type(config, self.clazz) if self._single else EntityType.TENANT
        self._pattern = config.text("entityNamePattern")

    async def on_msg(self, msg: Msg) -> list[Emit]:
        """Delete; ``Success`` whether or not there was something to delete."""
        relation_type = fill(self._relation_type, msg)
        if self._single:
            target = await self.target(msg, self._type, self._pattern)
            others = [target]
        else:
            direction = Direction.FROM if self._direction == "FROM" else Direction.TO
            others = await self._relations.of(
                msg.tenant_id, msg.originator, direction, relation_type
            )
        for other in others:
            from_, to = _ends(self._direction, msg.originator, other)
            await self._relations.delete(msg.tenant_id, from_, to, relation_type)
        return [Emit(Label.SUCCESS, msg)]


class CheckRelationNode(RuleNode):
    """``True`` when the originator has the relation (with one entity, or with any)."""

    clazz = PREFIX + "filter.TbCheckRelationNode"
    requires = frozenset({Service.RELATIONS})
    descriptor = Descriptor(
        ComponentType.FILTER,
        "check relation presence",
        "Checks the relation from the selected entity to the originator of the message",
        relation_types=(Label.TRUE, Label.FALSE, Label.FAILURE),
        default_configuration={
            "checkForSingleEntity": True,
            "direction": "FROM",
            "entityType": None,
            "entityId": None,
            "relationType": "Contains",
        },
        configuration_version=1,
    )

    def __init__(self, config: NodeConfig, ctx: NodeContext) -> None:
        super().__init__(config, ctx)
        self._relations = ctx.relations()
        self._direction = config.choice("direction", DIRECTIONS, "FROM")
        self._relation_type = config.text("relationType", "Contains") or "Contains"
        self._single: EntityRef | None = None
        if config.flag("checkForSingleEntity", True):
            try:
                self._single = EntityRef(
                    EntityType(config.text("entityType")), uuid.UUID(config.text("entityId"))
                )
            except ValueError:
                raise NodeConfigError(f"{self.clazz}: Entity should be specified!") from None

    async def on_msg(self, msg: Msg) -> list[Emit]:
        """Relation lookup within the tenant."""
        if self._single is not None:
            from_, to = _ends(self._direction, msg.originator, self._single)
            found = await self._relations.exists(msg.tenant_id, from_, to, self._relation_type)
        else:
            direction = Direction.FROM if self._direction == "FROM" else Direction.TO
            found = bool(
                await self._relations.of(
                    msg.tenant_id, msg.originator, direction, self._relation_type
                )
            )
        return [Emit(Label.TRUE if found else Label.FALSE, msg)]

    @classmethod
    def upgrade(cls, from_version: int, configuration: dict[str, Any]) -> dict[str, Any]:
        """v0 → v1: the direction's meaning was reversed."""
        return _flip_direction(configuration) if from_version < 1 else configuration


NODES: tuple[type[RuleNode], ...] = (CreateRelationNode, DeleteRelationNode, CheckRelationNode)
