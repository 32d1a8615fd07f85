"""Session state in process, through a fake link: QoS flows, limits, aliases, keep-alive."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from industryos.transport.mqtt.codec import StreamDecoder
from industryos.transport.mqtt.errors import (
    DeliveryRefused,
    DeliveryTimeout,
    MqttProtocolError,
    PacketTooLarge,
    SessionClosed,
)
from industryos.transport.mqtt.packet_types import ProtocolLevel
from industryos.transport.mqtt.packets import (
    Connect,
    Packet,
    Properties,
    Puback,
    Pubcomp,
    Publish,
    Pubrec,
    Pubrel,
)
from industryos.transport.mqtt.reason_codes import ReasonCode
from industryos.transport.mqtt.session import Session, SessionState


class FakeLink:
    """Decodes what the session writes, as a client would, and records closes."""

    def __init__(self, v5: bool) -> None:
        self._decoder = StreamDecoder(server=False)
        self._decoder.v5 = v5
        self.sent: list[Packet] = []
        self.closed_with: ReasonCode | None = None
        self.session: Session[str] | None = None

    def write(self, data: bytes) -> None:
        self.sent += self._decoder.feed(data)

    def close(self, reason: ReasonCode) -> None:
        self.closed_with = reason
        assert self.session is not None
        self.session.closing(reason)

    async def write_stream(self, head: bytes, pieces: AsyncIterator[bytes], length: int) -> None:
        data = bytearray(head)
        async for piece in pieces:
            data += piece
        self.write(bytes(data))


def make_session(
    v5: bool = True,
    *,
    keep_alive: int = 0,
    receive_maximum: int = 10,
    topic_alias_maximum: int = 4,
    client_properties: Properties | None = None,
) -> tuple[Session[str], FakeLink]:
    link = FakeLink(v5)
    connect = Connect(
        "dev",
        ProtocolLevel.MQTT_5 if v5 else ProtocolLevel.MQTT_3_1_1,
        keep_alive=keep_alive,
        properties=client_properties or Properties(),
    )
    session = Session(
        link,
        connect,
        "ctx",
        session_key="dev",
        receive_maximum=receive_maximum,
        topic_alias_maximum=topic_alias_maximum,
        delivery_timeout=5.0,
    )
    link.session = session
    return session, link


async def sent_publish(link: FakeLink) -> Publish:
    for _ in range(10):
        await asyncio.sleep(0)
        publishes = [p for p in link.sent if isinstance(p, Publish)]
        if publishes:
            return publishes[-1]
    raise AssertionError(f"no PUBLISH written: {link.sent}")


async def test_qos1_publish_completes_on_puback() -> None:
    session, link = make_session()
    task = asyncio.create_task(session.publish("rpc/request/1", b"{}", 1))
    packet = await sent_publish(link)
    assert (packet.qos, packet.packet_id) == (1, 1)
    assert session.inflight_out == 1
    session.on_puback(Puback(packet.packet_id))
    await task
    assert session.inflight_out == 0


async def test_qos2_publish_releases_on_pubrec_and_completes_on_pubcomp() -> None:
    session, link = make_session()
    task = asyncio.create_task(session.publish("t", b"x", 2))
    packet = await sent_publish(link)
    session.on_pubrec(Pubrec(packet.packet_id))
    assert link.sent[-1] == Pubrel(packet.packet_id)
    assert not task.done()
    session.on_pubcomp(Pubcomp(packet.packet_id))
    await task


async def test_a_refused_publish_raises_delivery_refused() -> None:
    session, link = make_session()
    task = asyncio.create_task(session.publish("t", b"x", 1))
    packet = await sent_publish(link)
    session.on_puback(Puback(packet.packet_id, ReasonCode.NOT_AUTHORIZED))
    with pytest.raises(DeliveryRefused) as caught:
        await task
    assert caught.value.reason_code == ReasonCode.NOT_AUTHORIZED


async def test_unacknowledged_publish_times_out_and_frees_its_slot() -> None:
    session, _ = make_session(client_properties=Properties(receive_maximum=1))
    with pytest.raises(DeliveryTimeout):
        await session.publish("t", b"x", 1, delivery_timeout=0.05)
    assert session.inflight_out == 0
    with pytest.raises(DeliveryTimeout):
        await session.publish("t", b"x", 1, delivery_timeout=0.05)


async def test_client_receive_maximum_limits_publishes_in_flight() -> None:
    session, link = make_session(client_properties=Properties(receive_maximum=1))
    first = asyncio.create_task(session.publish("t", b"1", 1))
    second = asyncio.create_task(session.publish("t", b"2", 1))
    packet = await sent_publish(link)
    await asyncio.sleep(0.01)
    assert [p.payload for p in link.sent if isinstance(p, Publish)] == [b"1"]
    session.on_puback(Puback(packet.packet_id))
    await first
    packet = await sent_publish(link)
    assert packet.payload == b"2"
    session.on_puback(Puback(packet.packet_id))
    await second


async def test_closing_fails_pending_and_waiting_publishes() -> None:
    session, link = make_session(client_properties=Properties(receive_maximum=1))
    inflight = asyncio.create_task(session.publish("t", b"1", 1))
    waiting = asyncio.create_task(session.publish("t", b"2", 2))
    await sent_publish(link)
    session.disconnect(ReasonCode.ADMINISTRATIVE_ACTION)
    assert link.closed_with == ReasonCode.ADMINISTRATIVE_ACTION
    for task in (inflight, waiting):
        with pytest.raises(SessionClosed):
            await task
    assert session.state is SessionState.CLOSING
    with pytest.raises(SessionClosed):
        await session.publish("t", b"3", 0)


async def test_packet_ids_wrap_and_skip_ids_in_use() -> None:
    session, link = make_session()
    held = asyncio.create_task(session.publish("t", b"held", 1))
    assert (await sent_publish(link)).packet_id == 1
    session._next_packet_id = 65_535
    last = asyncio.create_task(session.publish("t", b"last", 1))
    assert (await sent_publish(link)).packet_id == 65_535
    wrapped = asyncio.create_task(session.publish("t", b"wrapped", 1))
    assert (await sent_publish(link)).packet_id == 2  # 1 is still in flight
    for packet_id in (1, 65_535, 2):
        session.on_puback(Puback(packet_id))
    await asyncio.gather(held, last, wrapped)


async def test_publish_above_the_client_maximum_packet_size_is_refused() -> None:
    session, link = make_session(client_properties=Properties(maximum_packet_size=50))
    with pytest.raises(PacketTooLarge):
        await session.publish("t", b"x" * 100, 1)
    assert session.inflight_out == 0
    await session.publish("t", b"small", 0)
    assert isinstance(link.sent[-1], Publish)


async def test_inbound_receive_maximum_is_enforced_on_v5_only() -> None:
    session, _ = make_session(receive_maximum=2)
    session.accept_publish(Publish("t", qos=1, packet_id=1))
    session.accept_publish(Publish("t", qos=2, packet_id=2))
    with pytest.raises(MqttProtocolError) as caught:
        session.accept_publish(Publish("t", qos=1, packet_id=3))
    assert caught.value.reason_code == ReasonCode.RECEIVE_MAXIMUM_EXCEEDED

    v3_session, _ = make_session(v5=False, receive_maximum=2)
    for packet_id in (1, 2, 3):
        assert v3_session.accept_publish(Publish("t", qos=1, packet_id=packet_id))


async def test_acknowledging_frees_receive_maximum() -> None:
    session, link = make_session(receive_maximum=1)
    first = Publish("t", qos=1, packet_id=1)
    session.accept_publish(first)
    session.acknowledge(first, ReasonCode.TOPIC_NAME_INVALID)
    assert link.sent == [Puback(1, ReasonCode.TOPIC_NAME_INVALID)]
    assert session.accept_publish(Publish("t", qos=1, packet_id=2))


async def test_v3_acks_carry_no_reason_code() -> None:
    session, link = make_session(v5=False)
    publish = Publish("t", qos=1, packet_id=9)
    session.accept_publish(publish)
    session.acknowledge(publish, ReasonCode.PAYLOAD_FORMAT_INVALID)
    assert link.sent == [Puback(9)]


async def test_inbound_qos2_is_delivered_once_and_completed_on_pubrel() -> None:
    session, link = make_session()
    publish = Publish("t", b"x", 2, packet_id=5)
    assert session.accept_publish(publish)
    duplicate = Publish("t", b"x", 2, dup=True, packet_id=5)
    assert not session.accept_publish(duplicate)
    assert link.sent == []  # PUBREC is sent once the application has the message
    session.acknowledge(publish, ReasonCode.SUCCESS)
    assert not session.accept_publish(duplicate)
    assert link.sent == [Pubrec(5), Pubrec(5)]
    session.on_pubrel(Pubrel(5))
    assert link.sent[-1] == Pubcomp(5)
    assert session.inflight_in == 0


async def test_pubrel_for_an_unknown_id_gets_0x92() -> None:
    session, link = make_session()
    session.on_pubrel(Pubrel(77))
    assert link.sent == [Pubcomp(77, ReasonCode.PACKET_IDENTIFIER_NOT_FOUND)]


async def test_pubrel_before_pubrec_is_a_protocol_error() -> None:
    session, _ = make_session()
    session.accept_publish(Publish("t", b"x", 2, packet_id=5))
    with pytest.raises(MqttProtocolError):
        session.on_pubrel(Pubrel(5))


async def test_topic_aliases_are_defined_then_resolved() -> None:
    session, _ = make_session(topic_alias_maximum=4)
    define = Publish("v1/devices/me/telemetry", b"1", properties=Properties(topic_alias=3))
    session.accept_publish(define)
    use = Publish("", b"2", properties=Properties(topic_alias=3))
    session.accept_publish(use)
    assert use.topic == "v1/devices/me/telemetry"


@pytest.mark.parametrize(
    ("publish", "reason"),
    [
        (Publish("", properties=Properties(topic_alias=2)), ReasonCode.PROTOCOL_ERROR),
        (Publish("t", properties=Properties(topic_alias=5)), ReasonCode.TOPIC_ALIAS_INVALID),
        (Publish(""), ReasonCode.PROTOCOL_ERROR),
    ],
    ids=["undefined alias", "alias above maximum", "empty topic without alias"],
)
async def test_bad_topic_alias_use(publish: Publish, reason: ReasonCode) -> None:
    session, _ = make_session(topic_alias_maximum=4)
    with pytest.raises(MqttProtocolError) as caught:
        session.accept_publish(publish)
    assert caught.value.reason_code == reason


async def test_keep_alive_closes_after_one_and_a_half_intervals_of_silence() -> None:
    session, link = make_session(keep_alive=1)
    for _ in range(4):
        await asyncio.sleep(0.5)
        session.received()
    assert link.closed_with is None
    await asyncio.sleep(1.6)
    assert link.closed_with == ReasonCode.KEEP_ALIVE_TIMEOUT
