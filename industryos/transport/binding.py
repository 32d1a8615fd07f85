"""Binding a listener's address: one refusal for a bind that fails, and no silent sharing.

Every listener (HTTP, MQTT, MQTT TLS, CoAP, and the workers' shared sockets) turns a failed
bind into :class:`PortUnavailable`: a :class:`~industryos.start_refused.StartRefused`
naming the address, which ``industryos run`` prints as one line. Only these binds are
refusals: a permission error elsewhere (a data dir, a file) stays what it is.

The workers' sockets and aiocoap's set SO_REUSEPORT, which lets any process of the same user
bind the same port too: the kernel then splits connections (or datagrams) between the two
silently. A second node started on this node's ports would take a share of its devices
(and break CoAP exchanges, which belong to one process). So a port bound that way is first
bound once without it, which fails while any process holds the port.
"""

from __future__ import annotations

import errno
import os
import socket
from typing import Any

from industryos.start_refused import StartRefused

__all__ = ["PortUnavailable", "port_unavailable", "refuse_taken_port"]


class PortUnavailable(StartRefused):
    """A listener cannot bind its address: another program holds the port, or this user
    may not bind it (ports below 1024 without the capability)."""

    def __init__(self, message: str, errno: int | None) -> None:
        super().__init__(message)
        self.errno = errno


def port_unavailable(exc: OSError, address: Any) -> PortUnavailable:
    """The refusal for ``exc``, raised when binding ``address`` (host, port)."""
    reason = os.strerror(exc.errno).lower() if exc.errno else str(exc)
    if exc.errno == errno.EADDRINUSE:
        remedy = "stop the program that holds the port, or choose another"
    elif exc.errno == errno.EACCES:
        remedy = "a port below 1024 needs root or CAP_NET_BIND_SERVICE; or choose another"
    else:
        remedy = "choose another address"
    return PortUnavailable(
        f"cannot listen on {address!r}: {reason}; {remedy} (http_host, http_port, "
        "mqtt_port, mqtt_tls_port, coap_port; INDUSTRYOS_HTTP_PORT and so on)",
        exc.errno,
    )


def refuse_taken_port(host: str, port: int, kind: socket.SocketKind) -> None:
    """Raise :class:`PortUnavailable` when any process holds ``host:port`` (TCP or UDP),
    before it is bound with SO_REUSEPORT. Port 0 picks a free port, which no one holds."""
    if port == 0:
        return
    family, _, proto, _, address = socket.getaddrinfo(
        host, port, type=kind, flags=socket.AI_PASSIVE
    )[0]
    with socket.socket(family, kind, proto) as probe:
        if kind == socket.SOCK_STREAM:  # connections of an earlier run in TIME_WAIT are no one's
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as exc:
            raise port_unavailable(exc, address) from exc
