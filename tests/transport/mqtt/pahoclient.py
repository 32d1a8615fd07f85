"""A thin, blocking wrapper around paho-mqtt 2 that records what the real client sees."""

from __future__ import annotations

import ssl
import threading
import time
from typing import Any, ClassVar

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.properties import Properties as PahoProperties
from paho.mqtt.reasoncodes import ReasonCode as PahoReasonCode

from tests.support.paho import close_paho

PROTOCOLS = {"3.1": mqtt.MQTTv31, "3.1.1": mqtt.MQTTv311, "5": mqtt.MQTTv5}


class Paho:
    """One paho client on its own network thread; no automatic reconnect."""

    opened: ClassVar[list[Paho]] = []

    def __init__(self, version: str, *, client_id: str = "", keepalive: int = 60) -> None:
        self.version = version
        self.keepalive = keepalive
        self.client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=client_id,
            protocol=PROTOCOLS[version],
            reconnect_on_failure=False,
        )
        self._cond = threading.Condition()
        self.connack: PahoReasonCode | None = None
        self.connack_properties: PahoProperties | None = None
        self.disconnect_reason: PahoReasonCode | None = None
        self.messages: list[mqtt.MQTTMessage] = []
        self.subacks: list[list[PahoReasonCode]] = []
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_message = self._on_message
        self.client.on_subscribe = self._on_subscribe
        Paho.opened.append(self)

    def _notify(self, **values: Any) -> None:
        with self._cond:
            for name, value in values.items():
                setattr(self, name, value)
            self._cond.notify_all()

    def _on_connect(self, client: Any, userdata: Any, flags: Any, rc: Any, props: Any) -> None:
        self._notify(connack=rc, connack_properties=props)

    def _on_disconnect(self, client: Any, userdata: Any, flags: Any, rc: Any, props: Any) -> None:
        self._notify(disconnect_reason=rc)

    def _on_message(self, client: Any, userdata: Any, message: mqtt.MQTTMessage) -> None:
        with self._cond:
            self.messages.append(message)
            self._cond.notify_all()

    def _on_subscribe(self, client: Any, userdata: Any, mid: int, codes: Any, props: Any) -> None:
        with self._cond:
            self.subacks.append(list(codes))
            self._cond.notify_all()

    def wait(self, predicate: Any, timeout: float = 5.0) -> Any:
        deadline = time.monotonic() + timeout
        with self._cond:
            while not (result := predicate()):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError("paho client: timed out waiting")
                self._cond.wait(remaining)
            return result

    def connect(
        self,
        port: int,
        username: str | None = "token-a",
        *,
        tls: ssl.SSLContext | None = None,
    ) -> PahoReasonCode:
        """Connect and return the CONNACK reason code paho reports."""
        if username is not None:
            self.client.username_pw_set(username)
        if tls is not None:
            self.client.tls_set_context(tls)
        self.client.connect("127.0.0.1", port, keepalive=self.keepalive)
        self.client.loop_start()
        connack: PahoReasonCode = self.wait(lambda: self.connack)
        return connack

    def publish(self, topic: str, payload: bytes, qos: int, **kwargs: Any) -> None:
        info = self.client.publish(topic, payload, qos, **kwargs)
        info.wait_for_publish(5)
        assert info.is_published()

    def subscribe(self, topic: str, qos: int) -> list[PahoReasonCode]:
        count = len(self.subacks)
        self.client.subscribe(topic, qos)
        codes: list[PahoReasonCode] = self.wait(
            lambda: self.subacks[count] if len(self.subacks) > count else None
        )
        return codes

    def close(self) -> None:
        close_paho(self.client)
