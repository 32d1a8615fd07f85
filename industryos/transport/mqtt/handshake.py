"""The CONNECT handshake: authenticate, take the session key over, CONNACK or a refusal.

The first packet of a connection goes to :func:`begin` instead of the packet table: it
must be a CONNECT, which stops the CONNECT timer and starts the connection's one
short-lived task, :func:`_open` (packets that arrived behind the CONNECT wait, reading
paused). That task asks the application to ``authenticate``, creates the
:class:`~industryos.transport.mqtt.session.Session` with the limits granted, closes an
older connection holding the same session key, sends CONNACK, queues ``on_connect`` and
lets the connection handle what waited. A CONNECT that is refused, or cannot be decoded
at a level we know, gets a CONNACK in the format its level understands, then the
connection closes.

These are the connection's own steps kept in their own module: they read and set the
connection's handshake state (peer certificate, protocol level, ``session``, whether
``on_disconnect`` is owed).
"""

from __future__ import annotations

import logging
import secrets
from functools import partial
from typing import TYPE_CHECKING

from industryos.outages import log_failure
from industryos.transport.mqtt.application import Accepted, ContextT, Refused
from industryos.transport.mqtt.codec import packet_size
from industryos.transport.mqtt.errors import MqttProtocolError
from industryos.transport.mqtt.packet_types import ProtocolLevel
from industryos.transport.mqtt.packets import NO_PROPERTIES, Connack, Connect, Packet, Properties
from industryos.transport.mqtt.reason_codes import ReasonCode, v3_connack_code
from industryos.transport.mqtt.session import Session
from industryos.transport.mqtt.worker import Worker

if TYPE_CHECKING:
    from industryos.transport.mqtt.connection import Connection

__all__ = ["begin", "refuse_malformed"]

log = logging.getLogger(__name__)


def begin(connection: Connection[ContextT], packet: Packet) -> None:
    """The first packet: a CONNECT starts the handshake task, anything else is an error."""
    if not isinstance(packet, Connect):
        raise MqttProtocolError(ReasonCode.PROTOCOL_ERROR, "first packet is not CONNECT")
    if connection._timer is not None:
        connection._timer.cancel()
        connection._timer = None
    connection._v5 = packet.protocol_level == ProtocolLevel.MQTT_5
    connection._opening = connection.loop.create_task(_open(connection, packet))


async def _open(connection: Connection[ContextT], connect: Connect) -> None:
    """Authenticate, CONNACK, then handle what arrived behind the CONNECT."""
    try:
        session = await _authenticate(connection, connect)
    except Exception:
        log.exception("%r: internal fault", connection)
        connection.close(ReasonCode.IMPLEMENTATION_SPECIFIC_ERROR)
        return
    finally:
        connection._opening = None
    if session is None:
        return
    connection._started = True
    Worker.enqueue(connection, session, partial(connection.app.on_connect, session))
    connection.unpark()


def refuse_malformed(connection: Connection[ContextT], exc: MqttProtocolError) -> None:
    """CONNACK for a CONNECT we cannot accept, in the format its level understands."""
    level = exc.protocol_level
    if exc.reason_code == ReasonCode.UNSUPPORTED_PROTOCOL_VERSION and level is not None:
        connection._v5 = level > ProtocolLevel.MQTT_5
        _refuse(connection, ReasonCode.UNSUPPORTED_PROTOCOL_VERSION)
    elif level == ProtocolLevel.MQTT_5:
        connection._v5 = True
        _refuse(connection, exc.reason_code)


def _refuse(connection: Connection[ContextT], reason: ReasonCode) -> None:
    code = reason if connection.v5 else v3_connack_code(reason)
    connection.send(Connack(False, code))
    connection.close(reason, notify=False)


async def _authenticate(
    connection: Connection[ContextT], connect: Connect
) -> Session[ContextT] | None:
    if connect.properties.authentication_method is not None:
        log.warning("%r: enhanced authentication is not supported", connection)
        _refuse(connection, ReasonCode.BAD_AUTHENTICATION_METHOD)
        return None
    certificate, connection._peer_certificate = connection._peer_certificate, None
    try:
        result = await connection.app.authenticate(connect, certificate)
    except Exception as exc:
        log_failure(log, exc, "%r: authenticate failed", connection)
        _refuse(connection, ReasonCode.SERVER_UNAVAILABLE)
        return None
    if isinstance(result, Refused):
        log.warning("%r: CONNECT refused: %s", connection, result.reason_code.name)
        _refuse(connection, result.reason_code)
        return None
    return await _accept(connection, connect, result)


async def _accept(
    connection: Connection[ContextT], connect: Connect, accepted: Accepted[ContextT]
) -> Session[ContextT] | None:
    if connection._closing:
        return None
    config = connection.config
    max_payload = min(accepted.max_payload_size or config.max_payload_size, config.max_payload_size)
    receive_maximum = min(accepted.receive_maximum or config.receive_maximum, 65_535)
    connection._decoder.max_remaining_length = max_payload
    assigned = None
    if connection.v5 and not connect.client_id:
        assigned = connect.client_id = f"ios-{secrets.token_hex(8)}"
    session = Session(
        connection,
        connect,
        accepted.context,
        session_key=accepted.session_key,
        receive_maximum=receive_maximum,
        topic_alias_maximum=config.topic_alias_maximum,
        delivery_timeout=config.delivery_timeout,
        keep_alive_wheel=connection._wheel,
    )
    connection.session = session
    if accepted.session_key is not None:
        await connection._registry.take_over(accepted.session_key, connection)
    if connection._closing:
        return None
    properties = NO_PROPERTIES
    if connection.v5:
        asked_expiry = connect.properties.session_expiry_interval
        properties = Properties(
            session_expiry_interval=0 if asked_expiry else None,
            assigned_client_identifier=assigned,
            receive_maximum=receive_maximum,
            topic_alias_maximum=config.topic_alias_maximum or None,
            maximum_packet_size=packet_size(max_payload),
        )
    connection.send(Connack(False, ReasonCode.SUCCESS, properties))
    log.debug("%r: connected", connection)
    return session
