"""Binding a listener's address: one wording for a bind that fails, and no silent sharing.

asyncio's and uvloop's TCP servers name the address in a bind error; a plain
``socket.bind`` (the workers' shared sockets) or aiocoap's UDP endpoint do not, and "Address
already in use" alone does not say which of the node's four ports to change.

The workers' sockets and aiocoap's set SO_REUSEPORT, which lets any process of the same user
bind the same port too: the kernel then splits connections (or datagrams) between the two
silently. A second node started on this node's ports would take a share of its devices
(and break CoAP exchanges, which belong to one process). So a port bound that way is first
bound once without it, which fails while any process holds the port.
"""

from __future__ import annotations

import socket
from typing import Any

__all__ = ["naming_address", "refuse_taken_port"]


def naming_address(exc: OSError, address: Any) -> OSError:
    """``exc`` as the event loop words it: same errno, the address in the message."""
    reason = (exc.strerror or str(exc)).lower()
    return OSError(exc.errno, f"error while attempting to bind on address {address!r}: {reason}")


def refuse_taken_port(host: str, port: int, kind: socket.SocketKind) -> None:
    """Raise the bind error when any process holds ``host:port`` (TCP or UDP), before it is
    bound with SO_REUSEPORT. Port 0 picks a free port, which no one holds."""
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
            raise naming_address(exc, address) from exc
