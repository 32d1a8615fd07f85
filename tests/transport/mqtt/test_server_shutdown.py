"""Shutdown never waits on a peer: silent sockets, pending TLS handshakes, idle sessions.

A node stops on SIGTERM within a bound whatever its clients do. These tests give every
client-side timeout a value far beyond the bound, so a close that waits for a peer shows
up as a failure instead of a slow pass.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable

from tests.transport.mqtt.conftest import ServerThread
from tests.transport.mqtt.rawclient import RawClient

PEER_TIMEOUT = 60.0
"""Handshake and CONNECT timeout: far longer than any shutdown may take."""


def _silent_socket(port: int) -> socket.socket:
    return socket.create_connection(("127.0.0.1", port), timeout=5)


def test_close_does_not_wait_for_silent_peers(
    make_server: Callable[..., ServerThread],
) -> None:
    server = make_server(tls_port=0, connect_timeout=PEER_TIMEOUT, close_timeout=1.0)
    silent_plain = _silent_socket(server.port)
    silent_tls = _silent_socket(server.tls_port)  # the TLS handshake never starts
    connected = RawClient(server.port)
    connected.connect(client_id="idle")
    server.app.wait(lambda: server.server.connection_count == 2 or None)
    time.sleep(0.3)  # the TLS socket is accepted and waits for its handshake
    try:
        # raises TimeoutError if close waits for a peer (it would wait PEER_TIMEOUT)
        server.call(server.server.close(), timeout=PEER_TIMEOUT / 4)
        assert server.server.connection_count == 0
    finally:
        silent_plain.close()
        silent_tls.close()
