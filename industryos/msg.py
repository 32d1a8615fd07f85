"""The one currency between transports, the durable queue and the rule engine.

A :class:`Msg` is what ThingsBoard calls a TbMsg: a typed message about one originator
entity, with string metadata and a JSON text body. Transports build it after authenticating
and validating a device payload; the queue stores it as bytes (:meth:`Msg.to_bytes`); rule
nodes read and derive new ones. ``data`` stays JSON *text* so a message crosses the queue
without being parsed and re-serialised.

The queue form is binary (version byte, four ids as 16 raw bytes, the timestamp, then the
strings with their lengths): every message is encoded once and decoded once, so the cost
of building ``uuid.UUID`` objects (about 1.5 µs each through ``UUID.__init__``) showed in
the profile. Ids are rebuilt from their integer without ``__init__`` (:func:`uuid_from_int`)
and the few that repeat (originators, tenants, customers) come from a bounded cache. Records
written by older versions (a JSON array) are still read.

A producer that parsed ``data`` from a payload may leave what it parsed on the message
(:meth:`Msg.keep_parsed`) for a consumer in the same process: a device's telemetry is
parsed by the transport and again by the "save time series" node otherwise. It is not part
of the message: the queue form, equality and derived copies leave it out, so a consumer
must give the same result with it or without it (after a restart there is none).
"""

from __future__ import annotations

import itertools
import random
import struct
import threading
import time
import uuid
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

import orjson

from industryos.entities.ids import NULL_UUID, EntityType, now_ms


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
    id: uuid.UUID = field(default_factory=lambda: new_msg_id())
    parsed: Any = field(default=None, init=False, repr=False, compare=False)
    """What the producer parsed ``data`` into, or None (see the module doc)."""

    def keep_parsed(self, parsed: object) -> Msg:
        """Leave what ``data`` was parsed into on this message, once, before it is shared
        (a message is immutable to everyone else)."""
        _set(self, "parsed", parsed)
        return self

    def with_changes(self, **changes: Any) -> Msg:
        """A copy with some fields replaced (messages are immutable)."""
        return replace(self, **changes)

    def to_bytes(self) -> bytes:
        """Compact binary form for the durable queue (see the module docstring)."""
        etype = self.originator.entity_type.value.encode()
        mtype = self.type.encode()
        metadata = orjson.dumps(self.metadata) if self.metadata else b""
        return b"".join(
            (
                _HEADER_OUT.pack(
                    _VERSION,
                    self.id.int.to_bytes(16),
                    self.originator.id.int.to_bytes(16),
                    self.tenant_id.int.to_bytes(16),
                    self.customer_id.int.to_bytes(16),
                    self.ts,
                    len(etype),
                    len(mtype),
                    len(metadata),
                ),
                etype,
                mtype,
                metadata,
                self.data.encode(),
            )
        )

    @classmethod
    def from_bytes(cls, raw: bytes) -> Msg:
        """Inverse of :meth:`to_bytes` (also reads the JSON records of older versions)."""
        if raw[:1] != _VERSION_BYTE:
            return cls._from_json(raw)
        (_, id_hi, id_lo, o_hi, o_lo, t_hi, t_lo, c_hi, c_lo, ts, n_etype, n_type, n_meta) = (
            _HEADER.unpack_from(raw)
        )
        at = _HEADER.size
        etype = raw[at : at + n_etype].decode()
        at += n_etype
        msg_type = raw[at : at + n_type].decode()
        at += n_type
        metadata = orjson.loads(raw[at : at + n_meta]) if n_meta else {}
        data = raw[at + n_meta :].decode()
        originator = _ref(etype, (o_hi << 64) | o_lo)
        msg = _new_msg(cls)
        _set(msg, "type", msg_type)
        _set(msg, "originator", originator)
        _set(msg, "tenant_id", cached_uuid((t_hi << 64) | t_lo))
        _set(msg, "data", data)
        _set(msg, "metadata", metadata)
        _set(msg, "customer_id", cached_uuid((c_hi << 64) | c_lo))
        _set(msg, "ts", ts)
        _set(msg, "id", uuid_from_int((id_hi << 64) | id_lo))
        _set(msg, "parsed", None)
        return msg

    @classmethod
    def _from_json(cls, raw: bytes) -> Msg:
        """The JSON-array record of versions before the binary form."""
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


_VERSION = 1
_VERSION_BYTE = bytes([_VERSION])
_HEADER = struct.Struct(">B8QqHHI")
"""version, id, originator id, tenant, customer (each as two big-endian 64-bit halves), ts,
lengths of entity type, message type and metadata JSON; the data text is the rest."""
_HEADER_OUT = struct.Struct(">B16s16s16s16sqHHI")
"""The same bytes as :data:`_HEADER`, packed from each id's 16 big-endian bytes (cheaper)."""

_new_msg = object.__new__
_set = object.__setattr__
_SAFE_UNKNOWN = uuid.SafeUUID.unknown


def uuid_from_int(value: int) -> uuid.UUID:
    """A ``uuid.UUID`` for a 128-bit integer without ``UUID.__init__`` (its checks cost µs).

    Equal, hashable and printable like any other UUID: the object is the same class with
    the same two slots ``__init__`` would have set.
    """
    made = _new_msg(uuid.UUID)
    _set(made, "int", value)
    _set(made, "is_safe", _SAFE_UNKNOWN)
    return made


_CACHE_LIMIT = 65_536
_uuids: dict[int, uuid.UUID] = {}
_refs: dict[tuple[str, int], EntityRef] = {}


def cached_uuid(value: int) -> uuid.UUID:
    """The UUID for ``value``, shared for ids that repeat (tenants, customers, originators).

    Bounded: the cache starts over once it holds ``_CACHE_LIMIT`` ids, so a fleet larger
    than that only costs a rebuild now and then.
    """
    found = _uuids.get(value)
    if found is None:
        if len(_uuids) >= _CACHE_LIMIT:
            _uuids.clear()
        found = _uuids[value] = uuid_from_int(value)
    return found


def _ref(etype: str, value: int) -> EntityRef:
    """The (shared, immutable) originator reference for an entity type and id."""
    key = (etype, value)
    found = _refs.get(key)
    if found is None:
        if len(_refs) >= _CACHE_LIMIT:
            _refs.clear()
        found = _refs[key] = EntityRef(_ENTITY_TYPES[etype], cached_uuid(value))
    return found


_ENTITY_TYPES: dict[str, EntityType] = {member.value: member for member in EntityType}

_V1_EPOCH = 0x01B21DD213814000
"""100-ns intervals between the Gregorian reform (the v1 epoch) and the Unix epoch."""
_V1_NODE = random.getrandbits(48) | (1 << 40)
_v1_lock = threading.Lock()
_v1_last = 0
_v1_seq = itertools.count(random.getrandbits(14))


def new_msg_id() -> uuid.UUID:
    """A new time-based (v1) UUID for a message: ordered by creation as in ThingsBoard.

    The same layout as ``uuid.uuid1`` (random multicast node, as RFC 4122 asks for a node
    that is not a MAC) built straight from its integer: ``uuid1`` costs ~10 µs and the hot
    path makes one per message. Timestamps never repeat within the process (a clash takes
    the next 100-ns tick), so ids are unique even within one tick.
    """
    global _v1_last
    with _v1_lock:
        stamp = time.time_ns() // 100 + _V1_EPOCH
        if stamp <= _v1_last:
            stamp = _v1_last + 1
        _v1_last = stamp
    seq = next(_v1_seq) & 0x3FFF
    value = (
        ((stamp & 0xFFFFFFFF) << 96)
        | (((stamp >> 32) & 0xFFFF) << 80)
        | ((((stamp >> 48) & 0x0FFF) | 0x1000) << 64)
        | ((seq | 0x8000) << 48)
        | _V1_NODE
    )
    return uuid_from_int(value)
