"""paho-mqtt playing a ThingsBoard gateway: what gateway 3.8.5 sends, recorded answers."""

from __future__ import annotations

import itertools
import threading
import time
from typing import Any, ClassVar

import orjson
import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from tests.support.paho import close_paho

GATEWAY_FILTERS = (
    "v1/devices/me/attributes",
    "v1/devices/me/attributes/response/+",
    "v1/devices/me/rpc/request/+",
    "v1/devices/me/rpc/response/+",
    "v1/gateway/attributes",
    "v1/gateway/attributes/response",
    "v1/gateway/rpc",
)
"""What gateway 3.8.5 subscribes to, in its order (spec §5.6 item 2)."""


class GatewayClient:
    """One paho client (MQTT 5 or 3.1.1) with the PUBACK codes and messages it got."""

    opened: ClassVar[list[GatewayClient]] = []

    def __init__(self, port: int, token: str, *, v5: bool = True) -> None:
        self.port = port
        self.token = token
        self.v5 = v5
        self._cond = threading.Condition()
        self._ids = itertools.count(1)
        self.acks: dict[int, int] = {}
        self.messages: list[mqtt.MQTTMessage] = []
        self.connected = False
        self.disconnects: list[int] = []
        self.client = self._new_client()
        GatewayClient.opened.append(self)

    def _new_client(self) -> mqtt.Client:
        client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id="",
            protocol=mqtt.MQTTv5 if self.v5 else mqtt.MQTTv311,
            reconnect_on_failure=False,
        )
        client.username_pw_set(self.token)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_publish = self._on_publish
        client.on_message = self._on_message
        return client

    # --- paho callbacks (network thread) -----------------------------------------------------

    def _on_connect(self, client: Any, userdata: Any, flags: Any, rc: Any, props: Any) -> None:
        with self._cond:
            self.connected = rc == 0
            self._cond.notify_all()

    def _on_disconnect(self, client: Any, userdata: Any, flags: Any, rc: Any, props: Any) -> None:
        with self._cond:
            self.connected = False
            self.disconnects.append(int(rc.value) if hasattr(rc, "value") else int(rc))
            self._cond.notify_all()

    def _on_publish(self, client: Any, userdata: Any, mid: int, rc: Any, props: Any) -> None:
        with self._cond:
            self.acks[mid] = int(rc.value) if hasattr(rc, "value") else int(rc)
            self._cond.notify_all()

    def _on_message(self, client: Any, userdata: Any, message: mqtt.MQTTMessage) -> None:
        with self._cond:
            self.messages.append(message)
            self._cond.notify_all()

    # --- test side ---------------------------------------------------------------------------

    def wait(self, predicate: Any, timeout: float = 10.0, what: str = "condition") -> Any:
        deadline = time.monotonic() + timeout
        with self._cond:
            while not (result := predicate()):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"gateway client: no {what} within {timeout} s")
                self._cond.wait(remaining)
            return result

    def start(self, *, subscribe: bool = True, limits: bool = True) -> None:
        """Connect as 3.8.5 does: subscribe the 7 filters, then ask for session limits."""
        self.client.connect("127.0.0.1", self.port, keepalive=120)
        self.client.loop_start()
        self.wait(lambda: self.connected, what="CONNACK")
        if subscribe:
            for topic_filter in GATEWAY_FILTERS:
                self.client.subscribe(topic_filter, 1)
        if limits:
            request_id = next(self._ids)
            body = {"method": "getSessionLimits", "params": {"timeout": 5000}}
            self.publish(f"v1/devices/me/rpc/request/{request_id}", body)
            self.next_message(f"v1/devices/me/rpc/response/{request_id}")

    def reconnect(self) -> None:
        """Drop the connection and connect again with a fresh client (same token)."""
        self.close()
        self.client = self._new_client()
        self.messages.clear()
        GatewayClient.opened.append(self)
        self.start()

    def publish(self, topic: str, body: Any, qos: int = 1) -> int | None:
        """Publish JSON (or raw bytes); returns the PUBACK reason code for QoS 1."""
        payload = body if isinstance(body, bytes) else orjson.dumps(body)
        info = self.client.publish(topic, payload, qos)
        if not qos:
            return None
        self.wait(lambda: info.mid in self.acks, what=f"PUBACK for {topic}")
        return self.acks[info.mid]

    def publish_unacked(self, topic: str, body: Any) -> None:
        """Publish QoS 1 without waiting (the server may close instead of acking)."""
        payload = body if isinstance(body, bytes) else orjson.dumps(body)
        self.client.publish(topic, payload, 1)

    def next_message(self, topic: str, timeout: float = 10.0) -> Any:
        """The first not yet taken message on ``topic``, as parsed JSON."""

        def find() -> mqtt.MQTTMessage | None:
            for message in self.messages:
                if message.topic == topic:
                    return message
            return None

        message = self.wait(find, timeout, what=f"message on {topic}")
        with self._cond:
            self.messages.remove(message)
        return orjson.loads(message.payload)

    def next_message_prefix(self, prefix: str, timeout: float = 10.0) -> Any:
        """The first not yet taken message whose topic starts with ``prefix``, as JSON."""

        def find() -> mqtt.MQTTMessage | None:
            return next((m for m in self.messages if m.topic.startswith(prefix)), None)

        message = self.wait(find, timeout, what=f"message on {prefix}...")
        with self._cond:
            self.messages.remove(message)
        return orjson.loads(message.payload)

    def wait_closed(self, timeout: float = 10.0) -> None:
        self.wait(lambda: not self.connected and self.disconnects, timeout, what="close")

    def close(self) -> None:
        close_paho(self.client)
