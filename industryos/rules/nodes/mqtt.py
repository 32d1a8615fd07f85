"""MQTT node (``mqtt.TbMqttNode``): publish each message body to an external broker.

The body is published to ``topicPattern`` (templated per message) with QoS 1 and
``retainedMessage``; the node emits ``Success`` once the broker's PUBACK arrives, else
``Failure`` with the error. The client speaks MQTT 3.1.1 through the platform's own sans-IO
codec (``transport/mqtt/codec.py``, which encodes both directions): one connection per node,
opened on the first message, re-opened after a loss, kept alive with PINGREQ, closed when
the node is destroyed. Credentials: ``anonymous``, ``basic`` (username/password) and
``cert.PEM`` (CA, client certificate and key as PEM text) over TLS when ``ssl`` is set.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
import tempfile
import uuid
from pathlib import Path
from typing import Any

from industryos.msg import Msg
from industryos.rules.errors import NodeConfigError, NodeFailure
from industryos.rules.labels import Label
from industryos.rules.nodes.base import (
    ComponentType,
    Descriptor,
    Emit,
    NodeConfig,
    NodeContext,
    RuleNode,
)
from industryos.rules.nodes.templates import fill
from industryos.transport.mqtt.codec import StreamDecoder, encode
from industryos.transport.mqtt.errors import MqttProtocolError
from industryos.transport.mqtt.packets import (
    Connack,
    Connect,
    Disconnect,
    Pingreq,
    Puback,
    Publish,
)

PREFIX = "org.thingsboard.rule.engine."
KEEP_ALIVE_S = 60

log = logging.getLogger(__name__)


class MqttClientError(Exception):
    """The broker refused, did not answer in time, or the connection broke."""


class _Connection:
    """One MQTT 3.1.1 client connection: CONNECT, QoS 1 publishes, pings, DISCONNECT."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._reader = reader
        self._writer = writer
        self._decoder = StreamDecoder(server=False)
        self._acks: dict[int, asyncio.Future[None]] = {}
        self._next_id = 0
        self._tasks: list[asyncio.Task[None]] = []
        self.closed = False

    async def handshake(self, connect: Connect, timeout_s: float) -> None:
        """Send CONNECT and wait for an accepting CONNACK."""
        self._writer.write(encode(connect, False))
        await self._writer.drain()
        async with asyncio.timeout(timeout_s):
            while True:
                data = await self._reader.read(65536)
                if not data:
                    raise MqttClientError("connection closed before CONNACK")
                for packet in self._decoder.feed(data):
                    if isinstance(packet, Connack):
                        if packet.reason_code != 0:
                            raise MqttClientError(
                                f"broker refused: return code {packet.reason_code}"
                            )
                        loop = asyncio.get_running_loop()
                        self._tasks = [
                            loop.create_task(self._read()),
                            loop.create_task(self._ping()),
                        ]
                        return

    async def _read(self) -> None:
        try:
            while data := await self._reader.read(65536):
                for packet in self._decoder.feed(data):
                    if isinstance(packet, Puback):
                        waiter = self._acks.pop(packet.packet_id, None)
                        if waiter is not None and not waiter.done():
                            waiter.set_result(None)
        except (OSError, MqttProtocolError) as exc:
            log.warning("MQTT node connection failed: %s", exc)
        finally:
            self._lost("connection closed by the broker")

    async def _ping(self) -> None:
        while not self.closed:
            await asyncio.sleep(KEEP_ALIVE_S / 2)
            with contextlib.suppress(OSError):
                self._writer.write(encode(Pingreq(), False))

    def _lost(self, reason: str) -> None:
        self.closed = True
        for waiter in self._acks.values():
            if not waiter.done():
                waiter.set_exception(MqttClientError(reason))
        self._acks.clear()

    async def publish(self, topic: str, payload: bytes, retain: bool, timeout_s: float) -> None:
        """QoS 1 publish; returns on PUBACK."""
        if self.closed:
            raise MqttClientError("not connected")
        self._next_id = self._next_id % 65535 + 1
        packet_id = self._next_id
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._acks[packet_id] = waiter
        self._writer.write(
            encode(Publish(topic, payload, qos=1, retain=retain, packet_id=packet_id), False)
        )
        await self._writer.drain()
        try:
            async with asyncio.timeout(timeout_s):
                await waiter
        except TimeoutError:
            self._acks.pop(packet_id, None)
            raise MqttClientError("no PUBACK in time") from None

    async def close(self) -> None:
        """DISCONNECT and close the socket."""
        if not self.closed:
            with contextlib.suppress(OSError):
                self._writer.write(encode(Disconnect(), False))
                await self._writer.drain()
        self._lost("node stopped")
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._writer.close()
        with contextlib.suppress(OSError):
            await self._writer.wait_closed()


def _tls(config: dict[str, Any], credentials: dict[str, Any]) -> ssl.SSLContext:
    context = ssl.create_default_context()
    ca = credentials.get("caCert")
    if isinstance(ca, str) and ca.strip():
        context.load_verify_locations(cadata=ca)
    cert, key = credentials.get("cert"), credentials.get("privateKey")
    if isinstance(cert, str) and isinstance(key, str) and cert.strip():
        with tempfile.TemporaryDirectory() as folder:
            cert_path, key_path = Path(folder) / "cert.pem", Path(folder) / "key.pem"
            cert_path.write_text(cert)
            key_path.write_text(key)
            context.load_cert_chain(cert_path, key_path, credentials.get("password") or None)
    return context


class MqttNode(RuleNode):
    """Publish the message body to an external MQTT broker."""

    clazz = PREFIX + "mqtt.TbMqttNode"
    descriptor = Descriptor(
        ComponentType.EXTERNAL,
        "mqtt",
        "Publish messages to the MQTT broker",
        default_configuration={
            "topicPattern": "my-topic",
            "host": None,
            "port": 1883,
            "connectTimeoutSec": 10,
            "clientId": None,
            "appendClientIdSuffix": False,
            "cleanSession": True,
            "retainedMessage": False,
            "ssl": False,
            "protocolVersion": "MQTT_3_1_1",
            "credentials": {"type": "anonymous"},
        },
        configuration_version=1,
    )

    def __init__(self, config: NodeConfig, ctx: NodeContext) -> None:
        super().__init__(config, ctx)
        self._topic = config.text("topicPattern")
        self._host = config.text("host")
        if not self._topic or not self._host:
            raise NodeConfigError(f"{self.clazz}: host and topicPattern should be specified")
        self._port = config.integer("port", 1883)
        self._timeout_s = float(max(1, config.integer("connectTimeoutSec", 10)))
        client_id = config.text("clientId") or f"industryos-{uuid.uuid4().hex[:12]}"
        if config.flag("appendClientIdSuffix") and config.text("clientId"):
            client_id += f"_{ctx.node_id.hex[:8]}"
        self._client_id = client_id
        self._clean = config.flag("cleanSession", True)
        self._retain = config.flag("retainedMessage")
        credentials = config.raw.get("credentials") or {"type": "anonymous"}
        if not isinstance(credentials, dict):
            raise NodeConfigError(f"{self.clazz}: credentials must be an object")
        kind = str(credentials.get("type") or "anonymous")
        if kind not in ("anonymous", "basic", "cert.PEM"):
            raise NodeConfigError(f"{self.clazz}: unsupported credentials type {kind}")
        self._username = str(credentials.get("username") or "") or None if kind == "basic" else None
        password = credentials.get("password") if kind == "basic" else None
        self._password = str(password).encode() if password else None
        self._ssl: ssl.SSLContext | None = None
        if config.flag("ssl") or kind == "cert.PEM":
            try:
                self._ssl = _tls(dict(config.raw), credentials)
            except (ssl.SSLError, OSError, ValueError) as exc:
                raise NodeConfigError(f"{self.clazz}: TLS settings are invalid: {exc}") from None
        self._connection: _Connection | None = None
        self._connecting = asyncio.Lock()

    async def _connected(self) -> _Connection:
        async with self._connecting:
            if self._connection is not None and not self._connection.closed:
                return self._connection
            try:
                async with asyncio.timeout(self._timeout_s):
                    reader, writer = await asyncio.open_connection(
                        self._host, self._port, ssl=self._ssl
                    )
            except (OSError, TimeoutError) as exc:
                raise MqttClientError(
                    f"cannot connect to {self._host}:{self._port}: {exc}"
                ) from None
            connection = _Connection(reader, writer)
            connect = Connect(
                client_id=self._client_id,
                clean_start=self._clean,
                keep_alive=KEEP_ALIVE_S,
                username=self._username,
                password=self._password,
            )
            try:
                await connection.handshake(connect, self._timeout_s)
            except (MqttClientError, TimeoutError, OSError, MqttProtocolError) as exc:
                await connection.close()
                raise MqttClientError(f"MQTT connect failed: {exc}") from None
            self._connection = connection
            return connection

    async def on_msg(self, msg: Msg) -> list[Emit]:
        """Publish; ``Success`` after the PUBACK."""
        topic = fill(self._topic, msg)
        try:
            connection = await self._connected()
            await connection.publish(topic, msg.data.encode(), self._retain, self._timeout_s)
        except (MqttClientError, OSError) as exc:
            raise NodeFailure(str(exc) or type(exc).__name__) from None
        return [Emit(Label.SUCCESS, msg)]

    async def destroy(self) -> None:
        """Disconnect from the broker."""
        if self._connection is not None:
            await self._connection.close()
            self._connection = None


NODES: tuple[type[RuleNode], ...] = (MqttNode,)
