"""Msg: the queue's binary form round-trips, old JSON records still read, ids stay valid."""

from __future__ import annotations

import uuid

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from industryos import msg as msg_module
from industryos.entities.ids import NULL_UUID, EntityType
from industryos.msg import EntityRef, Msg, MsgType, cached_uuid, new_msg_id, uuid_from_int

_texts = st.text(max_size=40)


@given(
    msg_type=_texts,
    etype=st.sampled_from(list(EntityType)),
    ids=st.lists(st.uuids(), min_size=4, max_size=4),
    metadata=st.dictionaries(_texts, _texts, max_size=5),
    data=st.text(max_size=200),
    ts=st.integers(min_value=-(2**63), max_value=2**63 - 1),
)
def test_binary_form_round_trips(
    msg_type: str,
    etype: EntityType,
    ids: list[uuid.UUID],
    metadata: dict[str, str],
    data: str,
    ts: int,
) -> None:
    msg = Msg(
        type=msg_type,
        originator=EntityRef(etype, ids[0]),
        tenant_id=ids[1],
        customer_id=ids[2],
        id=ids[3],
        metadata=metadata,
        data=data,
        ts=ts,
    )
    back = Msg.from_bytes(msg.to_bytes())
    assert back == msg
    assert back.originator.entity_type is etype
    assert isinstance(back.id, uuid.UUID) and str(back.id) == str(ids[3])
    assert hash(back.tenant_id) == hash(ids[1])


def test_records_of_older_versions_are_read() -> None:
    """A log written before the binary form holds JSON arrays: they still decode."""
    msg_id, device, tenant = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    raw = orjson.dumps(
        [msg_id, "POST_TELEMETRY_REQUEST", "DEVICE", device, tenant, NULL_UUID, {"a": "b"}, "{}", 7]
    )
    msg = Msg.from_bytes(raw)
    assert msg == Msg(
        type=MsgType.POST_TELEMETRY_REQUEST,
        originator=EntityRef(EntityType.DEVICE, device),
        tenant_id=tenant,
        customer_id=NULL_UUID,
        id=msg_id,
        metadata={"a": "b"},
        data="{}",
        ts=7,
    )


def test_uuid_from_int_is_an_ordinary_uuid() -> None:
    value = uuid.uuid4()
    made = uuid_from_int(value.int)
    assert made == value and hash(made) == hash(value)
    assert str(made) == str(value) and made.version == 4
    assert made.is_safe is uuid.SafeUUID.unknown
    assert {made: 1}[value] == 1


def test_new_message_ids_are_unique_ordered_v1() -> None:
    ids = [new_msg_id() for _ in range(5000)]
    assert len(set(ids)) == len(ids)
    assert all(made.version == 1 and made.variant == uuid.RFC_4122 for made in ids)
    times = [made.time for made in ids]
    assert times == sorted(times) and len(set(times)) == len(times)


def test_message_default_id_is_v1() -> None:
    msg = Msg(type="X", originator=EntityRef(EntityType.DEVICE, uuid.uuid4()), tenant_id=NULL_UUID)
    assert msg.id.version == 1


def test_uuid_cache_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(msg_module, "_CACHE_LIMIT", 8)
    for value in range(50):
        assert cached_uuid(value).int == value
    assert len(msg_module._uuids) <= 8
    assert cached_uuid(49) is cached_uuid(49)


def test_what_the_producer_parsed_stays_in_this_process_only() -> None:
    """Kept parse results never reach the queue, equality or a derived message."""
    msg = Msg(
        type=MsgType.POST_TELEMETRY_REQUEST,
        originator=EntityRef(EntityType.DEVICE, uuid.uuid4()),
        tenant_id=uuid.uuid4(),
        data='{"t":1}',
    )
    assert msg.parsed is None
    parsed = object()
    assert msg.keep_parsed(parsed) is msg
    assert msg.parsed is parsed
    assert Msg.from_bytes(msg.to_bytes()).parsed is None
    assert Msg.from_bytes(msg.to_bytes()) == msg
    assert msg.with_changes(data='{"t":2}').parsed is None
    assert msg.with_changes(metadata={"a": "b"}).parsed is None
    assert "parsed" not in repr(msg)
