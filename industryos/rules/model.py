"""Rule chains as data: the spec §5.3 JSON, read and written without loss.

A chain is a header (:class:`RuleChain`) plus metadata (:class:`ChainMetadata`): nodes by
ThingsBoard class name with free-form ``configuration``, connections by node *index*, the
index of the first node, legacy rule-chain connections and the editor's notes. Fields the
engine does not interpret (``additionalInfo``, ``debugSettings``, ``notes``…) are carried
through unchanged, so an exported ThingsBoard chain imports and exports back as it was.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from industryos.entities.ids import EntityType, entity_id_json
from industryos.rules.errors import ChainDefinitionError

__all__ = ["ChainMetadata", "Connection", "NodeDef", "RuleChain", "chain_id_of"]

Json = dict[str, Any]


def _id_json(entity_type: EntityType, value: uuid.UUID | None) -> Json | None:
    return None if value is None else entity_id_json(entity_type, value)


def chain_id_of(value: Any) -> uuid.UUID | None:
    """A UUID from an id object ``{"id": ...}``, a bare string, or None."""
    if value is None:
        return None
    raw = value.get("id") if isinstance(value, dict) else value
    if raw is None:
        return None
    try:
        return uuid.UUID(str(raw))
    except ValueError:
        raise ChainDefinitionError(f"Invalid id: {raw!r}") from None


def _int(body: Json, key: str, default: int | None = None) -> int | None:
    value = body.get(key, default)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ChainDefinitionError(f"'{key}' must be an integer")
    return value


@dataclass(slots=True)
class RuleChain:
    """The header of a rule chain (``RuleChain`` on the wire)."""

    name: str
    tenant_id: uuid.UUID | None = None
    id: uuid.UUID | None = None
    created_time: int = 0
    type: str = "CORE"
    root: bool = False
    debug_mode: bool = False
    first_rule_node_id: uuid.UUID | None = None
    configuration: Any = None
    additional_info: Any = None
    external_id: uuid.UUID | None = None
    version: int | None = None

    @classmethod
    def from_wire(cls, body: Json) -> RuleChain:
        """Parse a ``RuleChain`` body (create/update, export files)."""
        name = body.get("name")
        if not isinstance(name, str) or not name.strip():
            raise ChainDefinitionError("Rule chain name should be specified!")
        chain_type = body.get("type") or "CORE"
        if chain_type not in ("CORE", "EDGE"):
            raise ChainDefinitionError(f"Unsupported rule chain type: {chain_type}")
        return cls(
            name=name,
            id=chain_id_of(body.get("id")),
            type=chain_type,
            root=bool(body.get("root", False)),
            debug_mode=bool(body.get("debugMode", False)),
            first_rule_node_id=chain_id_of(body.get("firstRuleNodeId")),
            configuration=body.get("configuration"),
            additional_info=body.get("additionalInfo"),
            external_id=chain_id_of(body.get("externalId")),
            version=_int(body, "version"),
        )

    def to_wire(self) -> Json:
        """The ``RuleChain`` JSON."""
        return {
            "id": _id_json(EntityType.RULE_CHAIN, self.id),
            "createdTime": self.created_time,
            "tenantId": _id_json(EntityType.TENANT, self.tenant_id),
            "name": self.name,
            "type": self.type,
            "firstRuleNodeId": _id_json(EntityType.RULE_NODE, self.first_rule_node_id),
            "root": self.root,
            "debugMode": self.debug_mode,
            "configuration": self.configuration,
            "additionalInfo": self.additional_info,
            "externalId": _id_json(EntityType.RULE_CHAIN, self.external_id),
            "version": self.version,
        }


@dataclass(slots=True)
class NodeDef:
    """One node of a chain as stored: class name, name and configuration."""

    type: str
    name: str
    configuration: Json = field(default_factory=dict)
    id: uuid.UUID | None = None
    created_time: int = 0
    debug_mode: bool = False
    debug_settings: Any = None
    singleton_mode: bool = False
    queue_name: str | None = None
    configuration_version: int = 0
    additional_info: Any = None
    external_id: uuid.UUID | None = None

    @classmethod
    def from_wire(cls, body: Any) -> NodeDef:
        """Parse a ``RuleNode`` of a metadata body."""
        if not isinstance(body, dict):
            raise ChainDefinitionError("Rule node must be a JSON object")
        node_type = body.get("type")
        if not isinstance(node_type, str) or not node_type:
            raise ChainDefinitionError("Rule node type should be specified!")
        configuration = body.get("configuration")
        if configuration is None:
            configuration = {}
        if not isinstance(configuration, dict):
            raise ChainDefinitionError(f"Configuration of rule node {node_type} must be an object")
        queue_name = body.get("queueName")
        return cls(
            type=node_type,
            name=str(body.get("name") or ""),
            configuration=configuration,
            id=chain_id_of(body.get("id")),
            debug_mode=bool(body.get("debugMode", False)),
            debug_settings=body.get("debugSettings"),
            singleton_mode=bool(body.get("singletonMode", False)),
            queue_name=queue_name if isinstance(queue_name, str) else None,
            configuration_version=_int(body, "configurationVersion", 0) or 0,
            additional_info=body.get("additionalInfo"),
            external_id=chain_id_of(body.get("externalId")),
        )

    def to_wire(self, chain_id: uuid.UUID | None) -> Json:
        """The ``RuleNode`` JSON."""
        return {
            "id": _id_json(EntityType.RULE_NODE, self.id),
            "createdTime": self.created_time,
            "ruleChainId": _id_json(EntityType.RULE_CHAIN, chain_id),
            "type": self.type,
            "name": self.name,
            "debugMode": self.debug_mode,
            "debugSettings": self.debug_settings,
            "singletonMode": self.singleton_mode,
            "queueName": self.queue_name,
            "configurationVersion": self.configuration_version,
            "configuration": self.configuration,
            "additionalInfo": self.additional_info,
            "externalId": _id_json(EntityType.RULE_NODE, self.external_id),
        }


@dataclass(frozen=True, slots=True)
class Connection:
    """An edge: messages that ``from_index`` emits on ``type`` go to ``to_index``."""

    from_index: int
    to_index: int
    type: str

    def to_wire(self) -> Json:
        """The ``NodeConnectionInfo`` JSON."""
        return {"fromIndex": self.from_index, "toIndex": self.to_index, "type": self.type}


@dataclass(slots=True)
class ChainMetadata:
    """Nodes and connections of one chain (``RuleChainMetaData`` on the wire)."""

    nodes: list[NodeDef] = field(default_factory=list)
    connections: list[Connection] = field(default_factory=list)
    first_node_index: int | None = None
    rule_chain_connections: list[Json] | None = None
    notes: Any = None
    rule_chain_id: uuid.UUID | None = None
    version: int | None = None

    @classmethod
    def from_wire(cls, body: Any) -> ChainMetadata:
        """Parse and check a metadata body: indices must point at nodes."""
        if not isinstance(body, dict):
            raise ChainDefinitionError("Rule chain metadata must be a JSON object")
        nodes = [NodeDef.from_wire(n) for n in body.get("nodes") or []]
        connections = []
        for raw in body.get("connections") or []:
            if not isinstance(raw, dict):
                raise ChainDefinitionError("Connection must be a JSON object")
            source, target = _int(raw, "fromIndex"), _int(raw, "toIndex")
            label = raw.get("type")
            if source is None or target is None or not isinstance(label, str):
                raise ChainDefinitionError("Connection needs fromIndex, toIndex and type")
            for index in (source, target):
                if not 0 <= index < len(nodes):
                    raise ChainDefinitionError(f"Connection index {index} is out of range")
            connections.append(Connection(source, target, label))
        first = _int(body, "firstNodeIndex")
        if first is not None and first >= 0 and first >= len(nodes):
            raise ChainDefinitionError(f"firstNodeIndex {first} is out of range")
        legacy = body.get("ruleChainConnections")
        return cls(
            nodes=nodes,
            connections=connections,
            first_node_index=first if first is not None and first >= 0 else None,
            rule_chain_connections=legacy if isinstance(legacy, list) else None,
            notes=body.get("notes"),
            rule_chain_id=chain_id_of(body.get("ruleChainId")),
            version=_int(body, "version"),
        )

    def to_wire(self) -> Json:
        """The ``RuleChainMetaData`` JSON (node ids included once stored)."""
        body: Json = {
            "ruleChainId": _id_json(EntityType.RULE_CHAIN, self.rule_chain_id),
            "version": self.version,
            "firstNodeIndex": self.first_node_index,
            "nodes": [n.to_wire(self.rule_chain_id) for n in self.nodes],
            "connections": [c.to_wire() for c in self.connections],
            "ruleChainConnections": self.rule_chain_connections,
        }
        if self.notes is not None:
            body["notes"] = self.notes
        return body
