"""paho-mqtt as a test's device: one acknowledged publish, and a close that leaves nothing
of the client for the garbage collector."""

from __future__ import annotations

import json
import uuid
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion


def close_paho(client: mqtt.Client) -> None:
    """Disconnect, stop the network thread and close every socket the client opened.

    paho 2 closes neither its connection socket nor its wake-up socket pair (two loopback
    TCP sockets made by ``loop_start``) on ``disconnect``/``loop_stop``; only its
    ``__del__`` does. A client in a reference cycle (any client whose callbacks are bound
    methods) reaches that ``__del__`` through the collector, which may finalise the
    sockets first: "unclosed socket" then fails whichever test happens to collect them.
    """
    if client.is_connected():
        client.disconnect()
    client.loop_stop()
    client._reset_sockets()


def publish_telemetry(port: int, token: str, values: dict[str, Any]) -> None:
    """Connect as the device of ``token``, publish one QoS 1 telemetry message, and return
    once the node has acknowledged it."""
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"dev-{uuid.uuid4().hex[:8]}")
    client.username_pw_set(token)
    client.connect("127.0.0.1", port)
    client.loop_start()
    try:
        info = client.publish("v1/devices/me/telemetry", json.dumps(values), qos=1)
        info.wait_for_publish(10)
        assert info.is_published()
    finally:
        close_paho(client)
