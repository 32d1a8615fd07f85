"""Rule events as ThingsBoard shows them (``EventInfo``), and the wire names they use.

An :class:`Event` is one row of ``rule_event``. :meth:`Event.to_wire` renders ThingsBoard's
``EventInfo``: ``id``, ``tenantId``, ``entityId``, ``type`` (the event type's wire name),
``uid``, ``createdTime`` and a ``body`` whose keys depend on the type (``Event.toInfo`` of
``RuleNodeDebugEvent``, ``LifecycleEvent``, ``ErrorEvent`` and ``StatisticsEvent``): keys
with no value are left out, as ThingsBoard's ``putNotNull`` does.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from industryos.entities.ids import EntityType, entity_id_json

__all__ = ["DebugDirection", "Event", "EventType", "event_type"]

Json = dict[str, Any]


class EventType(StrEnum):
    """``EventType`` (its wire name: what ``type`` and the REST path say)."""

    ERROR = "ERROR"
    LC_EVENT = "LC_EVENT"
    STATS = "STATS"
    DEBUG_RULE_NODE = "DEBUG_RULE_NODE"
    DEBUG_RULE_CHAIN = "DEBUG_RULE_CHAIN"


class DebugDirection(StrEnum):
    """``msgDirectionType`` of a debug event: the message entered or left the node."""

    IN = "IN"
    OUT = "OUT"


def event_type(value: str) -> EventType | None:
    """The event type named ``value`` (case-insensitive, as ``resolveEventType``)."""
    try:
        return EventType(value.upper())
    except ValueError:
        return None


@dataclass(slots=True)
class Event:
    """One stored event (a ``rule_event`` row)."""

    id: uuid.UUID
    created_time: int
    tenant_id: uuid.UUID
    entity_type: str
    entity_id: uuid.UUID
    event_type: str
    server: str | None = None
    kind: str | None = None
    msg_id: uuid.UUID | None = None
    msg_type: str | None = None
    data_type: str | None = None
    relation_type: str | None = None
    originator_type: str | None = None
    originator_id: uuid.UUID | None = None
    data: str | None = None
    metadata: str | None = None
    error: str | None = None
    success: bool | None = None
    messages_processed: int | None = None
    errors_occurred: int | None = None

    def to_row(self) -> Json:
        """The row to insert."""
        return {name: getattr(self, name) for name in self.__slots__}

    @classmethod
    def from_row(cls, row: Any) -> Event:
        """An event from a selected row mapping."""
        return cls(**{name: row[name] for name in cls.__slots__})

    def to_wire(self) -> Json:
        """ThingsBoard's ``EventInfo`` JSON."""
        body: Json = {"server": self.server}
        _BODIES.get(self.event_type, _no_body)(self, body)
        return {
            "id": {"id": str(self.id)},
            "createdTime": self.created_time,
            "tenantId": entity_id_json(EntityType.TENANT, self.tenant_id),
            "entityId": {"entityType": self.entity_type, "id": str(self.entity_id)},
            "type": self.event_type,
            "uid": str(self.id),
            "body": body,
        }


def _put(body: Json, key: str, value: Any) -> None:
    if value is not None:
        body[key] = value


def _debug_body(event: Event, body: Json) -> None:
    body["type"] = event.kind
    if event.originator_id is not None:
        body["entityId"] = str(event.originator_id)
        body["entityType"] = event.originator_type
    if event.msg_id is not None:
        body["msgId"] = str(event.msg_id)
    _put(body, "msgType", event.msg_type)
    _put(body, "dataType", event.data_type)
    _put(body, "relationType", event.relation_type)
    _put(body, "data", event.data)
    _put(body, "metadata", event.metadata)
    _put(body, "error", event.error)


def _lc_body(event: Event, body: Json) -> None:
    body["event"] = event.kind
    body["success"] = bool(event.success)
    _put(body, "error", event.error)


def _error_body(event: Event, body: Json) -> None:
    body["method"] = event.kind
    _put(body, "error", event.error)


def _stats_body(event: Event, body: Json) -> None:
    body["messagesProcessed"] = event.messages_processed or 0
    body["errorsOccurred"] = event.errors_occurred or 0


def _no_body(event: Event, body: Json) -> None:
    """Unknown stored type: only ``server``."""


_BODIES: dict[str, Callable[[Event, Json], None]] = {
    EventType.DEBUG_RULE_NODE: _debug_body,
    EventType.DEBUG_RULE_CHAIN: _debug_body,
    EventType.LC_EVENT: _lc_body,
    EventType.ERROR: _error_body,
    EventType.STATS: _stats_body,
}
"""Event type → what its ``body`` holds besides ``server``."""
