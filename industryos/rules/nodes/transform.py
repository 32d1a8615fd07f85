"""Transformation nodes: rewrite a message's body, metadata, type or originator."""

from __future__ import annotations

import re
from typing import Any

from industryos.entities.ids import NULL_UUID, EntityType, new_id
from industryos.msg import EntityRef, Msg
from industryos.rules.errors import NodeConfigError, NodeFailure, ScriptError
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
from industryos.rules.nodes.filter import js_type, script_body
from industryos.rules.nodes.relation_access import RelationsQuery
from industryos.rules.nodes.templates import body_of, fill, json_text

PREFIX = "org.thingsboard.rule.engine."
FROM_TO = ("DATA", "METADATA")


class TransformMsgNode(RuleNode):
    """Script returning ``{msg, metadata, msgType}`` or an array of them (fan-out)."""

    clazz = PREFIX + "transform.TbTransformMsgNode"
    requires = frozenset({Service.SCRIPTS})
    descriptor = Descriptor(
        ComponentType.TRANSFORMATION,
        "script",
        "Change Message payload, Metadata or Message type using a script",
        default_configuration={
            "scriptLang": "TBEL",
            "jsScript": "return {msg: msg, metadata: metadata, msgType: msgType};",
            "tbelScript": "return {msg: msg, metadata: metadata, msgType: msgType};",
        },
    )

    def __init__(self, config: NodeConfig, ctx: NodeContext) -> None:
        super().__init__(config, ctx)
        self._script = ctx.scripts().compile(script_body(config))

    async def on_msg(self, msg: Msg) -> list[Emit]:
        """One output message per returned object."""
        result = await self._script.invoke(msg.data, msg.metadata, msg.type)
        items = result if isinstance(result, list) else [result]
        if not items or not all(isinstance(item, dict) for item in items):
            reason = f"Wrong result type: {js_type(result)} (expected object or array of objects)"
            self._script.failed(reason)
            raise ScriptError(reason)
        return [Emit(Label.SUCCESS, apply_result(msg, item)) for item in items]


def apply_result(msg: Msg, result: dict[str, Any]) -> Msg:
    """A message with the ``msg``/``metadata``/``msgType`` of a script result applied."""
    changes: dict[str, Any] = {}
    if "msg" in result:
        changes["data"] = json_text(result["msg"])
    metadata = result.get("metadata")
    if isinstance(metadata, dict):
        changes["metadata"] = {
            str(k): v if isinstance(v, str) else json_text(v)
            for k, v in metadata.items()
            if v is not None
        }
    msg_type = result.get("msgType")
    if isinstance(msg_type, str) and msg_type:
        changes["type"] = msg_type
    if len(changes) == 0:
        return msg
    return msg.with_changes(**changes)


_ORIGINATOR_SOURCES = ("CUSTOMER", "TENANT", "RELATED", "ALARM_ORIGINATOR", "ENTITY")


class ChangeOriginatorNode(RuleNode):
    """Switch the originator to the customer, tenant, a related or a named entity."""

    clazz = PREFIX + "transform.TbChangeOriginatorNode"
    requires = frozenset({Service.ENTITIES, Service.RELATIONS})
    descriptor = Descriptor(
        ComponentType.TRANSFORMATION,
        "change originator",
        "Change message originator to Tenant/Customer/Related Entity/Alarm Originator/Entity",
        default_configuration={
            "originatorSource": "CUSTOMER",
            "entityType": None,
            "entityNamePattern": None,
            "relationsQuery": {
                "direction": "FROM",
                "maxLevel": 1,
                "filters": [{"relationType": "Contains", "entityTypes": []}],
                "fetchLastLevelOnly": False,
            },
        },
        configuration_version=1,
    )

    def __init__(self, config: NodeConfig, ctx: NodeContext) -> None:
        super().__init__(config, ctx)
        self._entities = ctx.entities()
        self._source = config.choice("originatorSource", _ORIGINATOR_SOURCES, "CUSTOMER")
        self._entity_type = config.optional_str("entityType")
        self._name_pattern = config.optional_str("entityNamePattern") or ""
        self._query = RelationsQuery()
        if self._source == "RELATED":
            self._relations = ctx.relations()
            self._query = RelationsQuery.parse(config.raw.get("relationsQuery"), self.clazz)
        if self._source == "ENTITY" and (not self._entity_type or not self._name_pattern):
            raise NodeConfigError(
                f"{self.clazz}: entityType and entityNamePattern are required for ENTITY"
            )

    async def on_msg(self, msg: Msg) -> list[Emit]:
        """Resolve the new originator; not found → Failure."""
        target = await self._target(msg)
        if target is None:
            raise NodeFailure(f"Failed to find new originator ({self._source})")
        return [Emit(Label.SUCCESS, msg.with_changes(originator=target))]

    async def _target(self, msg: Msg) -> EntityRef | None:
        if self._source == "TENANT":
            return EntityRef(EntityType.TENANT, msg.tenant_id)
        if self._source == "CUSTOMER":
            if msg.customer_id == NULL_UUID:
                return None
            return EntityRef(EntityType.CUSTOMER, msg.customer_id)
        if self._source == "RELATED":  # the first entity the relations query reaches
            found = await self._relations.related(msg.tenant_id, msg.originator, self._query)
            return found[0] if found else None
        if self._source == "ENTITY":
            assert self._entity_type is not None
            name = fill(self._name_pattern, msg)
            return await self._entities.find_by_name(
                msg.tenant_id, EntityType(self._entity_type), name
            )
        # ALARM_ORIGINATOR: only an alarm has one
        if msg.originator.entity_type is not EntityType.ALARM:
            return None
        return await self._entities.alarm_originator(msg.tenant_id, msg.originator.id)


def _key_matcher(patterns: list[str]) -> re.Pattern[str]:
    try:
        return re.compile("|".join(f"(?:{p})" for p in patterns) or "(?!)")
    except re.error as exc:
        raise NodeFailure(f"Invalid key pattern: {exc}") from None


class CopyKeysNode(RuleNode):
    """Copy keys matching ``keys`` (regexes) between body and metadata."""

    clazz = PREFIX + "transform.TbCopyKeysNode"
    descriptor = Descriptor(
        ComponentType.TRANSFORMATION,
        "copy key-value pairs",
        "Copies key-value pairs from message to message metadata, or vice-versa",
        default_configuration={"copyFrom": "METADATA", "keys": []},
        configuration_version=1,
    )

    def __init__(self, config: NodeConfig, ctx: NodeContext) -> None:
        super().__init__(config, ctx)
        self._from = config.choice("copyFrom", FROM_TO, "METADATA")
        self._keys = _key_matcher(config.str_list("keys"))

    async def on_msg(self, msg: Msg) -> list[Emit]:
        """Full-match each key against the patterns."""
        body = body_of(msg)
        if not isinstance(body, dict):
            raise NodeFailure("Message body is not a JSON object")
        if self._from == "METADATA":
            picked = {k: v for k, v in msg.metadata.items() if self._keys.fullmatch(k)}
            return [Emit(Label.SUCCESS, msg.with_changes(data=json_text({**body, **picked})))]
        copied = {
            k: v if isinstance(v, str) else json_text(v)
            for k, v in body.items()
            if self._keys.fullmatch(k)
        }
        return [Emit(Label.SUCCESS, msg.with_changes(metadata={**msg.metadata, **copied}))]


class RenameKeysNode(RuleNode):
    """Rename keys of the body or the metadata (``renameKeysMapping``)."""

    clazz = PREFIX + "transform.TbRenameKeysNode"
    descriptor = Descriptor(
        ComponentType.TRANSFORMATION,
        "rename keys",
        "Renames message or message metadata keys",
        default_configuration={
            "renameIn": "DATA",
            "renameKeysMapping": {"temperatureCelsius": "temperature"},
        },
        configuration_version=1,
    )

    def __init__(self, config: NodeConfig, ctx: NodeContext) -> None:
        super().__init__(config, ctx)
        self._in = config.choice("renameIn", FROM_TO, "DATA")
        self._mapping = config.str_map("renameKeysMapping")

    async def on_msg(self, msg: Msg) -> list[Emit]:
        """Rename what is present, leave the rest."""
        if self._in == "METADATA":
            meta = {self._mapping.get(k, k): v for k, v in msg.metadata.items()}
            return [Emit(Label.SUCCESS, msg.with_changes(metadata=meta))]
        body = body_of(msg)
        if not isinstance(body, dict):
            raise NodeFailure("Message body is not a JSON object")
        renamed = {self._mapping.get(k, k): v for k, v in body.items()}
        return [Emit(Label.SUCCESS, msg.with_changes(data=json_text(renamed)))]


class DeleteKeysNode(RuleNode):
    """Delete keys matching ``keys`` (regexes) from the body or the metadata."""

    clazz = PREFIX + "transform.TbDeleteKeysNode"
    descriptor = Descriptor(
        ComponentType.TRANSFORMATION,
        "delete key-value pairs",
        "Deletes key-value pairs from message or message metadata",
        default_configuration={"deleteFrom": "DATA", "keys": []},
        configuration_version=1,
    )

    def __init__(self, config: NodeConfig, ctx: NodeContext) -> None:
        super().__init__(config, ctx)
        self._from = config.choice("deleteFrom", FROM_TO, "DATA")
        self._keys = _key_matcher(config.str_list("keys"))

    async def on_msg(self, msg: Msg) -> list[Emit]:
        """Drop matching keys."""
        if self._from == "METADATA":
            meta = {k: v for k, v in msg.metadata.items() if not self._keys.fullmatch(k)}
            return [Emit(Label.SUCCESS, msg.with_changes(metadata=meta))]
        body = body_of(msg)
        if not isinstance(body, dict):
            raise NodeFailure("Message body is not a JSON object")
        kept = {k: v for k, v in body.items() if not self._keys.fullmatch(k)}
        return [Emit(Label.SUCCESS, msg.with_changes(data=json_text(kept)))]


class SplitArrayMsgNode(RuleNode):
    """A JSON array body becomes one message per element (anything else passes through)."""

    clazz = PREFIX + "transform.TbSplitArrayMsgNode"
    descriptor = Descriptor(
        ComponentType.TRANSFORMATION,
        "split array msg",
        "Split array message into several messages",
    )

    async def on_msg(self, msg: Msg) -> list[Emit]:
        """Fan out, each element with a fresh message id."""
        body = body_of(msg)
        if not isinstance(body, list):
            return [Emit(Label.SUCCESS, msg)]
        return [
            Emit(Label.SUCCESS, msg.with_changes(data=json_text(item), id=new_id()))
            for item in body
        ]


NODES: tuple[type[RuleNode], ...] = (
    TransformMsgNode,
    ChangeOriginatorNode,
    CopyKeysNode,
    RenameKeysNode,
    DeleteKeysNode,
    SplitArrayMsgNode,
)
