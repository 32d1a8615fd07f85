"""The one currency between transports, the durable queue and the rule engine.

A :class:`Msg` is what ThingsBoard calls a TbMsg: a typed message about one originator
entity, with string metadata and a JSON text body. Transports build it after authenticating
and validating a device payload; the queue stores it as bytes (:meth:`Msg.to_bytes`); rule
nodes read and derive new ones. ``data`` stays JSON *text* so a message crosses the queue
without being parsed and re-serialised.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

import orjson

from industryos.entities.ids import NULL_UUID, EntityType, new_id, now_ms


class MsgType(StrEnum):
    """Message types of the rule engine (ThingsBoard's names, unchanged on the wire)."""

    POST_TELEMETRY_REQUEST = "POST_TELEMETRY_REQUEST"
    POST_ATTRIBUTES_REQUEST = "POST_ATTRIBUTES_REQUEST"
    ATTRIBUTES_UPDATED = "ATTRIBUTES_UPDATED"
    ATTRIBUTES_DELETED = "ATTRIBUTES_DELETED"
    TIMESERIES_UPDATED = "TIMESERIES_UPDATED"
    TIMESERIES_DELETED = "TIMESERIES_DELETED"
    RPC_CALL_FROM_SERVER_TO_DEVICE = "RPC_CALL_FROM_SERVER_TO_DEVICE"
    TO_SERVER_RPC_REQUEST = "TO_SERVER_RPC_REQUEST"
    ACTIVITY_EVENT = "ACTIVITY_EVENT"
    INACTIVITY_EVENT = "INACTIVITY_EVENT"
    CONNECT_EVENT = "CONNECT_EVENT"
    DISCONNECT_EVENT = "DISCONNECT_EVENT"
    ENTITY_CREATED = "ENTITY_CREATED"
    ENTITY_UPDATED = "ENTITY_UPDATED"
    ENTITY_DELETED = "ENTITY_DELETED"
    ENTITY_ASSIGNED = "ENTITY_ASSIGNED"
    ENTITY_UNASSIGNED = "ENTITY_UNASSIGNED"
    RELATION_ADD_OR_UPDATE = "RELATION_ADD_OR_UPDATE"
    RELATION_DELETED = "RELATION_DELETED"
    ALARM = "ALARM"
    ALARM_ACK = "ALARM_ACK"
    ALARM_CLEAR = "ALARM_CLEAR"
    ALARM_DELETE = "ALARM_DELETE"
    REST_API_REQUEST = "REST_API_REQUEST"


@dataclass(frozen=True, slots=True)
class EntityRef:
    """An originator: entity type plus id."""

    entity_type: EntityType
    id: uuid.UUID


@dataclass(frozen=True, slots=True)
class Msg:
    """One message about one originator, as it travels through queue and rule chains."""

    type: str
    originator: EntityRef
    tenant_id: uuid.UUID
    data: str = "{}"
    metadata: dict[str, str] = field(default_factory=dict)
    customer_id: uuid.UUID = NULL_UUID
    ts: int = field(default_factory=now_ms)
    id: uuid.UUID = field(default_factory=new_id)

    def with_changes(self, **changes: Any) -> Msg:
        """A copy with some fields replaced (messages are immutable)."""
        return replace(self, **changes)

    def to_bytes(self) -> bytes:
        """Compact binary form for the durable queue."""
        return orjson.dumps(
            [
                self.id,
                self.type,
                self.originator.entity_type.value,
                self.originator.id,
                self.tenant_id,
                self.customer_id,
                self.metadata,
                self.data,
                self.ts,
            ],
            default=str,  # UUID subclasses (asyncpg's) that orjson does not know natively
        )

    @classmethod
    def from_bytes(cls, raw: bytes) -> Msg:
        """Inverse of :meth:`to_bytes`."""
        msg_id, msg_type, etype, eid, tenant, customer, metadata, data, ts = orjson.loads(raw)
        return cls(
            id=uuid.UUID(msg_id),
            type=msg_type,
            originator=EntityRef(EntityType(etype), uuid.UUID(eid)),
            tenant_id=uuid.UUID(tenant),
            customer_id=uuid.UUID(customer),
            metadata=metadata,
            data=data,
            ts=ts,
        )
