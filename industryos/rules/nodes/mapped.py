"""Enrichment from another entity: related entity, customer and tenant data (``dataMapping``).

The three nodes share one shape (ThingsBoard's ``TbAbstractGetMappedDataNode``): find the
source entity, read the ``dataMapping`` source keys from it — server-scope attributes,
latest time series, or (related entity only) entity fields — and add them under the target
keys to the body or metadata (``fetchTo``). Keys may use ``${…}``/``$[…]`` templates. Keys
the source lacks are left out; no source entity is a ``Failure``. Version-0 configurations
(``attrMapping`` + ``telemetry``) are upgraded.
"""

from __future__ import annotations

from typing import Any, ClassVar

from industryos.entities.ids import NULL_UUID, EntityType
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
from industryos.rules.nodes.enrichment import FETCH_TO, GetAttributesNode, put_all
from industryos.rules.nodes.relation_access import RelationsQuery
from industryos.rules.nodes.templates import fill
from industryos.telemetry.kv import AttributeScope

PREFIX = "org.thingsboard.rule.engine."
ATTRIBUTES, LATEST_TELEMETRY, FIELDS = "ATTRIBUTES", "LATEST_TELEMETRY", "FIELDS"


class _MappedDataNode(RuleNode):
    """Reads ``dataMapping`` keys of a source entity; subclasses say which entity."""

    fetchable: ClassVar[tuple[str, ...]] = (ATTRIBUTES, LATEST_TELEMETRY)
    requires = frozenset({Service.TELEMETRY, Service.ENTITIES})
    not_found: ClassVar[str] = "Failed to find the source entity"

    def __init__(self, config: NodeConfig, ctx: NodeContext) -> None:
        super().__init__(config, ctx)
        self._telemetry = ctx.telemetry()
        self._entities = ctx.entities()
        self._what = config.choice("dataToFetch", self.fetchable, ATTRIBUTES)
        self._mapping = config.str_map("dataMapping")
        if not self._mapping:
            raise NodeConfigError(f"{self.clazz}: dataMapping should be specified")
        self._fetch_to = config.choice("fetchTo", FETCH_TO, "METADATA")

    async def source(self, msg: Msg) -> EntityRef | None:
        """The entity to read from."""
        raise NotImplementedError

    async def on_msg(self, msg: Msg) -> list[Emit]:
        """Source entity → mapped values → message."""
        target = await self.source(msg)
        if target is None:
            raise NodeFailure(self.not_found)
        mapping = {fill(k, msg): fill(v, msg) for k, v in self._mapping.items()}
        values = await self._read(msg, target, list(mapping))
        found = {mapping[key]: value for key, value in values.items()}
        return [Emit(Label.SUCCESS, put_all(msg, found, self._fetch_to))]

    async def _read(self, msg: Msg, target: EntityRef, keys: list[str]) -> dict[str, Any]:
        if self._what == ATTRIBUTES:
            got = await self._telemetry.get_attributes(
                msg.tenant_id, target.id, AttributeScope.SERVER_SCOPE, keys
            )
            return {e.key: e.native_value() for e in got.get(AttributeScope.SERVER_SCOPE, [])}
        if self._what == LATEST_TELEMETRY:
            latest = await self._telemetry.get_latest(msg.tenant_id, target.id, keys)
            return {e.key: e.native_value() for e in latest}
        fields = await self._entities.fields(msg.tenant_id, target) or {}
        return {k: fields[k] for k in keys if fields.get(k) is not None}

    @classmethod
    def upgrade(cls, from_version: int, configuration: dict[str, Any]) -> dict[str, Any]:
        """v0 ``attrMapping`` + ``telemetry`` → v1 ``dataMapping`` + ``dataToFetch``."""
        if from_version >= 1 or "dataMapping" in configuration:
            return configuration
        upgraded = {k: v for k, v in configuration.items() if k not in ("attrMapping", "telemetry")}
        upgraded["dataMapping"] = configuration.get("attrMapping") or {}
        telemetry = configuration.get("telemetry") is True
        upgraded["dataToFetch"] = LATEST_TELEMETRY if telemetry else ATTRIBUTES
        upgraded.setdefault("fetchTo", "METADATA")
        return upgraded


class GetRelatedAttributeNode(_MappedDataNode):
    """Data of the first entity a ``relationsQuery`` reaches from the originator."""

    clazz = PREFIX + "metadata.TbGetRelatedAttributeNode"
    fetchable = (ATTRIBUTES, LATEST_TELEMETRY, FIELDS)
    requires = frozenset({Service.TELEMETRY, Service.ENTITIES, Service.RELATIONS})
    not_found = (
        "Failed to find related entity to message originator using relation query "
        "specified in the configuration!"
    )
    descriptor = Descriptor(
        ComponentType.ENRICHMENT,
        "related entity data",
        "Adds related entity attributes, latest telemetry or fields into message or metadata",
        default_configuration={
            "relationsQuery": {
                "direction": "FROM",
                "maxLevel": 1,
                "filters": [{"relationType": "Contains", "entityTypes": []}],
                "fetchLastLevelOnly": False,
            },
            "dataToFetch": ATTRIBUTES,
            "dataMapping": {"serialNumber": "sn"},
            "fetchTo": "METADATA",
        },
        configuration_version=1,
    )

    def __init__(self, config: NodeConfig, ctx: NodeContext) -> None:
        super().__init__(config, ctx)
        self._relations = ctx.relations()
        self._query = RelationsQuery.parse(config.raw.get("relationsQuery"), self.clazz)

    async def source(self, msg: Msg) -> EntityRef | None:
        """The nearest related entity."""
        found = await self._relations.related(msg.tenant_id, msg.originator, self._query)
        return found[0] if found else None


class GetCustomerAttributeNode(_MappedDataNode):
    """Data of the originator's customer."""

    clazz = PREFIX + "metadata.TbGetCustomerAttributeNode"
    not_found = "Message originator is not assigned to a customer"
    descriptor = Descriptor(
        ComponentType.ENRICHMENT,
        "customer attributes",
        "Adds message originator customer attributes or latest telemetry",
        default_configuration={
            "dataToFetch": ATTRIBUTES,
            "dataMapping": {"alarmThreshold": "threshold"},
            "fetchTo": "METADATA",
        },
        configuration_version=1,
    )

    async def source(self, msg: Msg) -> EntityRef | None:
        """The customer the message carries (or the originator, when it is a customer)."""
        if msg.originator.entity_type is EntityType.CUSTOMER:
            return msg.originator
        if msg.customer_id == NULL_UUID:
            return None
        return EntityRef(EntityType.CUSTOMER, msg.customer_id)


class GetTenantAttributeNode(_MappedDataNode):
    """Data of the message's tenant."""

    clazz = PREFIX + "metadata.TbGetTenantAttributeNode"
    descriptor = Descriptor(
        ComponentType.ENRICHMENT,
        "tenant attributes",
        "Adds message originator tenant attributes or latest telemetry",
        default_configuration={
            "dataToFetch": ATTRIBUTES,
            "dataMapping": {"alarmThreshold": "threshold"},
            "fetchTo": "METADATA",
        },
        configuration_version=1,
    )

    async def source(self, msg: Msg) -> EntityRef | None:
        """Always the tenant."""
        return EntityRef(EntityType.TENANT, msg.tenant_id)


class GetDeviceAttrNode(GetAttributesNode):
    """Attributes and latest values of a device related to the originator
    (``metadata.TbGetDeviceAttrNode``): the first device ``deviceRelationsQuery`` reaches."""

    clazz = PREFIX + "metadata.TbGetDeviceAttrNode"
    requires = frozenset({Service.TELEMETRY, Service.RELATIONS, Service.ENTITIES})
    descriptor = Descriptor(
        ComponentType.ENRICHMENT,
        "related device attributes",
        "Adds attributes and latest telemetry of a related device into message or metadata",
        default_configuration={
            "deviceRelationsQuery": {
                "direction": "FROM",
                "maxLevel": 1,
                "relationType": "Contains",
                "deviceTypes": ["default"],
                "fetchLastLevelOnly": False,
            },
            "tellFailureIfAbsent": True,
            "clientAttributeNames": [],
            "sharedAttributeNames": [],
            "serverAttributeNames": [],
            "latestTsKeyNames": [],
            "getLatestValueWithTs": False,
            "fetchTo": "METADATA",
        },
        configuration_version=1,
    )

    def __init__(self, config: NodeConfig, ctx: NodeContext) -> None:
        super().__init__(config, ctx)
        self._relations = ctx.relations()
        self._fields = ctx.entities()
        raw = config.raw.get("deviceRelationsQuery") or {}
        if not isinstance(raw, dict):
            raise NodeConfigError(f"{self.clazz}: 'deviceRelationsQuery' must be an object")
        relation_type = raw.get("relationType")
        query = {
            "direction": raw.get("direction") or "FROM",
            "maxLevel": raw.get("maxLevel") or 1,
            "fetchLastLevelOnly": bool(raw.get("fetchLastLevelOnly", False)),
            "filters": [{"relationType": relation_type, "entityTypes": ["DEVICE"]}],
        }
        self._query = RelationsQuery.parse(query, self.clazz)
        self._profiles = frozenset(str(t) for t in raw.get("deviceTypes") or [])

    async def on_msg(self, msg: Msg) -> list[Emit]:
        """The first related device (of ``deviceTypes`` when given) → its data."""
        for device in await self._relations.related(msg.tenant_id, msg.originator, self._query):
            if self._profiles and not await self._profile_matches(msg, device):
                continue
            return await self.fetch(msg, device.id)
        raise NodeFailure("Failed to find related device to message originator!")

    async def _profile_matches(self, msg: Msg, device: EntityRef) -> bool:
        fields = await self._fields.fields(msg.tenant_id, device)
        return fields is not None and str(fields.get("type")) in self._profiles


NODES: tuple[type[RuleNode], ...] = (
    GetRelatedAttributeNode,
    GetCustomerAttributeNode,
    GetTenantAttributeNode,
    GetDeviceAttrNode,
)
