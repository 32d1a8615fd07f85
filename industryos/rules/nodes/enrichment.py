"""Enrichment nodes: add the originator's attributes, latest values or fields to a message."""

from __future__ import annotations

import uuid
from typing import Any

from industryos.msg import Msg
from industryos.rules.errors import NodeFailure
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
from industryos.rules.nodes.templates import body_of, fill, json_text
from industryos.telemetry.kv import AttributeScope

PREFIX = "org.thingsboard.rule.engine."
FETCH_TO = ("DATA", "METADATA")


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    return json_text(value)


def put_all(msg: Msg, values: dict[str, Any], fetch_to: str) -> Msg:
    """Add ``values`` to the body (JSON values) or to the metadata (strings)."""
    if not values:
        return msg
    if fetch_to == "METADATA":
        return msg.with_changes(
            metadata={**msg.metadata, **{k: _text(v) for k, v in values.items()}}
        )
    body = body_of(msg)
    if not isinstance(body, dict):
        raise NodeFailure("Message body is not a JSON object; cannot add fields to it")
    return msg.with_changes(data=json_text({**body, **values}))


_SCOPES: tuple[tuple[str, AttributeScope, str], ...] = (
    ("clientAttributeNames", AttributeScope.CLIENT_SCOPE, "cs_"),
    ("sharedAttributeNames", AttributeScope.SHARED_SCOPE, "shared_"),
    ("serverAttributeNames", AttributeScope.SERVER_SCOPE, "ss_"),
)


class GetAttributesNode(RuleNode):
    """Originator attributes (``cs_``/``shared_``/``ss_`` prefixes) and latest values."""

    clazz = PREFIX + "metadata.TbGetAttributesNode"
    requires = frozenset({Service.TELEMETRY})
    descriptor = Descriptor(
        ComponentType.ENRICHMENT,
        "originator attributes",
        "Adds message originator attributes and/or latest time series values",
        default_configuration={
            "clientAttributeNames": [],
            "sharedAttributeNames": [],
            "serverAttributeNames": [],
            "latestTsKeyNames": [],
            "tellFailureIfAbsent": True,
            "getLatestValueWithTs": False,
            "fetchTo": "METADATA",
        },
        configuration_version=1,
    )

    def __init__(self, config: NodeConfig, ctx: NodeContext) -> None:
        super().__init__(config, ctx)
        self._telemetry = ctx.telemetry()
        self._keys = {field: config.str_list(field) for field, _, _ in _SCOPES}
        self._latest = config.str_list("latestTsKeyNames")
        self._fail_if_absent = config.flag("tellFailureIfAbsent", True)
        self._with_ts = config.flag("getLatestValueWithTs")
        self._fetch_to = config.choice("fetchTo", FETCH_TO, "METADATA")

    async def on_msg(self, msg: Msg) -> list[Emit]:
        """Read each scope's keys, then the latest values; all-or-failure when asked."""
        return await self.fetch(msg, msg.originator.id)

    async def fetch(self, msg: Msg, entity: uuid.UUID) -> list[Emit]:
        """Add ``entity``'s attributes and latest values to ``msg``."""
        found: dict[str, Any] = {}
        missing: list[str] = []
        for field, scope, prefix in _SCOPES:
            keys = [fill(k, msg) for k in self._keys[field]]
            if not keys:
                continue
            got = await self._telemetry.get_attributes(msg.tenant_id, entity, scope, keys)
            entries = {e.key: e for e in got.get(scope, [])}
            for key in keys:
                if key in entries:
                    found[prefix + key] = entries[key].native_value()
                else:
                    missing.append(prefix + key)
        if self._latest:
            keys = [fill(k, msg) for k in self._latest]
            latest = {
                e.key: e for e in await self._telemetry.get_latest(msg.tenant_id, entity, keys)
            }
            for key in keys:
                entry = latest.get(key)
                if entry is None:
                    missing.append(key)
                elif self._with_ts:
                    found[key] = {"ts": entry.ts, "value": entry.native_value()}
                else:
                    found[key] = entry.native_value()
        if missing and self._fail_if_absent:
            raise NodeFailure(
                "The following attribute/telemetry keys were not found: " + ", ".join(missing)
            )
        return [Emit(Label.SUCCESS, put_all(msg, found, self._fetch_to))]


class GetOriginatorFieldsNode(RuleNode):
    """Originator fields (``name``, ``type``, ``label``…) mapped to target keys."""

    clazz = PREFIX + "metadata.TbGetOriginatorFieldsNode"
    requires = frozenset({Service.ENTITIES})
    descriptor = Descriptor(
        ComponentType.ENRICHMENT,
        "originator fields",
        "Adds message originator fields values into message or message metadata",
        default_configuration={
            "dataMapping": {"name": "originatorName", "type": "originatorType"},
            "ignoreNullStrings": False,
            "fetchTo": "METADATA",
        },
        configuration_version=1,
    )

    def __init__(self, config: NodeConfig, ctx: NodeContext) -> None:
        super().__init__(config, ctx)
        self._entities = ctx.entities()
        self._mapping = config.str_map("dataMapping")
        self._ignore_null = config.flag("ignoreNullStrings")
        self._fetch_to = config.choice("fetchTo", FETCH_TO, "METADATA")

    async def on_msg(self, msg: Msg) -> list[Emit]:
        """One read of the originator, then the mapping."""
        fields = await self._entities.fields(msg.tenant_id, msg.originator)
        if fields is None:
            raise NodeFailure(
                f"Originator {msg.originator.entity_type} {msg.originator.id} not found"
            )
        values: dict[str, Any] = {}
        for source, target in self._mapping.items():
            value = fields.get(source)
            if value is None and self._ignore_null:
                continue
            values[fill(target, msg)] = "" if value is None else value
        return [Emit(Label.SUCCESS, put_all(msg, values, self._fetch_to))]


NODES: tuple[type[RuleNode], ...] = (GetAttributesNode, GetOriginatorFieldsNode)
