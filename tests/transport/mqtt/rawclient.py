"""A blocking raw-socket MQTT client for tests that must send exactly the bytes they want."""

from __future__ import annotations

import socket
import ssl
import time
from typing import ClassVar

from industryos.transport.mqtt.codec import StreamDecoder, encode
from industryos.transport.mqtt.packet_types import ProtocolLevel
from industryos.transport.mqtt.packets import Connack, Connect, Packet


class RawClient:
    """Sends bytes or packets, decodes what comes back, notices when the server hangs up.

    Every client is closed at the end of its test (the autouse fixture in conftest.py).
    """

    opened: ClassVar[list[RawClient]] = []

    def __init__(
        self, port: int, *, v5: bool = True, context: ssl.SSLContext | None = None
    ) -> None:
        sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        self.sock: socket.socket = (
            context.wrap_socket(sock, server_hostname="localhost") if context else sock
        )
        self.v5 = v5
        self._decoder = StreamDecoder(server=False)
        self._decoder.v5 = v5
        self.received: list[Packet] = []
        self.closed = False
        RawClient.opened.append(self)

    def send(self, data: bytes | Packet) -> None:
        if not isinstance(data, bytes):
            data = encode(data, self.v5)
        self.sock.sendall(data)

    def connect(self, username: str = "token-a", client_id: str = "raw") -> Connack:
        level = ProtocolLevel.MQTT_5 if self.v5 else ProtocolLevel.MQTT_3_1_1
        self.send(Connect(client_id, level, username=username))
        connack = self.next_packet()
        assert isinstance(connack, Connack), connack
        return connack

    def _read(self, timeout: float) -> None:
        self.sock.settimeout(timeout)
        try:
            data = self.sock.recv(65536)
        except TimeoutError:
            return
        except (ConnectionResetError, ssl.SSLError):
            data = b""
        if not data:
            self.closed = True
            return
        self.received += self._decoder.feed(data)

    def next_packet(self, timeout: float = 5.0) -> Packet:
        deadline = time.monotonic() + timeout
        while not self.received:
            if self.closed or time.monotonic() > deadline:
                raise AssertionError("connection closed or silent, no packet")
            self._read(max(deadline - time.monotonic(), 0.01))
        return self.received.pop(0)

    def wait_closed(self, timeout: float = 5.0) -> list[Packet]:
        """Read until the server closes the connection; return what arrived meanwhile."""
        deadline = time.monotonic() + timeout
        while not self.closed:
            if time.monotonic() > deadline:
                raise AssertionError("server did not close the connection")
            self._read(max(deadline - time.monotonic(), 0.01))
        packets, self.received = self.received, []
        return packets

    def drain(self, timeout: float) -> None:
        """Read whatever arrives for ``timeout`` seconds or until the server hangs up."""
        deadline = time.monotonic() + timeout
        while not self.closed and time.monotonic() < deadline:
            self._read(max(deadline - time.monotonic(), 0.01))

    def close(self) -> None:
        self.sock.close()
