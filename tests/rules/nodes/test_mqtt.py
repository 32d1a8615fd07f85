"""MQTT node against the real Mosquitto broker on 127.0.0.1:1883."""

from __future__ import annotations

import queue
import socket
import uuid
from collections.abc import Iterator

import paho.mqtt.client as paho
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from industryos.rules.errors import NodeConfigError, NodeFailure
from industryos.rules.nodes.mqtt import MqttNode
from tests.rules.nodes.pure import build, msg
from tests.support.paho import close_paho

BROKER = ("127.0.0.1", 1883)


@pytest.fixture
def subscriber() -> Iterator[tuple[str, queue.Queue[paho.MQTTMessage]]]:
    prefix = f"industryos-test/{uuid.uuid4().hex}"
    received: queue.Queue[paho.MQTTMessage] = queue.Queue()
    client = paho.Client(CallbackAPIVersion.VERSION2)
    subscribed = queue.Queue[bool]()
    client.on_message = lambda _c, _u, message: received.put(message)
    client.on_subscribe = lambda *_args: subscribed.put(True)
    client.connect(*BROKER)
    client.loop_start()
    client.subscribe(prefix + "/#", qos=1)
    assert subscribed.get(timeout=10)
    yield prefix, received
    close_paho(client)


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


async def test_publishes_body_to_templated_topic(
    subscriber: tuple[str, queue.Queue[paho.MQTTMessage]],
) -> None:
    prefix, received = subscriber
    node = build(
        MqttNode,
        host=BROKER[0],
        port=BROKER[1],
        topicPattern=prefix + "/${deviceName}/telemetry",
        clientId="rule-node-test",
        appendClientIdSuffix=True,
        credentials={"type": "anonymous"},
    )
    try:
        for value in (1, 2):
            incoming = msg({"temperature": value}, deviceName="pump-7")
            (emit,) = await node.on_msg(incoming)
            assert emit.label == "Success" and emit.msg is incoming
        first = received.get(timeout=10)
        second = received.get(timeout=10)
        assert first.topic == prefix + "/pump-7/telemetry"
        assert (first.payload, second.payload) == (b'{"temperature":1}', b'{"temperature":2}')
        assert first.retain is False
    finally:
        await node.destroy()
    # a destroyed node's successor connects again
    again = build(MqttNode, host=BROKER[0], topicPattern=prefix + "/again", retainedMessage=True)
    try:
        await again.on_msg(msg({"k": "v"}))
        assert received.get(timeout=10).payload == b'{"k":"v"}'
        await again.on_msg(msg({}).with_changes(data=""))  # clears the retained message
    finally:
        await again.destroy()


async def test_unreachable_broker_is_a_failure_and_bad_config_is_refused() -> None:
    node = build(
        MqttNode, host="127.0.0.1", port=_closed_port(), topicPattern="t", connectTimeoutSec=2
    )
    with pytest.raises(NodeFailure, match="cannot connect"):
        await node.on_msg(msg({}))
    await node.destroy()
    with pytest.raises(NodeConfigError):
        build(MqttNode, host="", topicPattern="t")
    with pytest.raises(NodeConfigError):
        build(MqttNode, host="h", topicPattern="t", credentials={"type": "kerberos"})
