"""The listening sockets the workers of one node share: one per worker and port.

Every worker gets its own socket on the same port (SO_REUSEPORT), bound here, in worker 0,
before any worker starts: the kernel spreads new connections over the sockets by their
addresses, and a worker that dies and is restarted finds its socket (with the connections
waiting in its backlog) where it left it, because worker 0 keeps every socket open. A port
configured as 0 is picked once, by the first socket, and the others bind that port.

CoAP is not shared: it is UDP, whose exchanges (block transfers, observations, duplicate
detection) belong to one process, so worker 0 alone serves it.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass

from industryos.config import Settings
from industryos.transport.binding import port_unavailable, refuse_taken_port

__all__ = ["Listeners", "bind_listeners"]

_NAMES = ("http", "mqtt", "mqtt_tls")


@dataclass(frozen=True)
class Listeners:
    """One worker's bound, listening sockets: the REST/WebSocket API and MQTT (plain, TLS)."""

    http: socket.socket
    mqtt: socket.socket
    mqtt_tls: socket.socket

    def sockets(self) -> tuple[socket.socket, ...]:
        """Every socket, in a fixed order."""
        return (self.http, self.mqtt, self.mqtt_tls)

    def to_arg(self) -> str:
        """The file descriptors as a command-line value (``http=5,mqtt=6,mqtt_tls=7``)."""
        return ",".join(
            f"{name}={sock.fileno()}" for name, sock in zip(_NAMES, self.sockets(), strict=True)
        )

    @classmethod
    def from_arg(cls, value: str) -> Listeners:
        """The sockets a parent passed under the descriptors :meth:`to_arg` named."""
        fds = dict(item.split("=", 1) for item in value.split(","))
        if set(fds) != set(_NAMES):
            raise ValueError(f"listeners must name {', '.join(_NAMES)}: {value!r}")
        return cls(*(socket.socket(fileno=int(fds[name])) for name in _NAMES))

    def close(self) -> None:
        """Close every socket."""
        for sock in self.sockets():
            sock.close()


def bind_listeners(settings: Settings, count: int) -> list[Listeners]:
    """``count`` workers' sockets on the node's HTTP, MQTT and MQTT TLS ports."""
    per_port: list[list[socket.socket]] = []
    try:
        for port in (settings.http_port, settings.mqtt_port, settings.mqtt_tls_port):
            per_port.append(_bind_group(settings.http_host, port, count, settings.listen_backlog))
    except BaseException:  # (a refused port among them)
        for group in per_port:
            for sock in group:
                sock.close()
        raise
    return [Listeners(*sockets) for sockets in zip(*per_port, strict=True)]


def _bind_group(host: str, port: int, count: int, backlog: int) -> list[socket.socket]:
    """``count`` sockets listening on ``host:port`` (port 0: one picked for all), each
    queueing up to ``backlog`` connections while its worker is busy or restarting."""
    refuse_taken_port(host, port, socket.SOCK_STREAM)  # SO_REUSEPORT would share it
    family, kind, proto, _, address = socket.getaddrinfo(
        host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
    )[0]
    group: list[socket.socket] = []
    try:
        for _ in range(count):
            sock = socket.socket(family, kind, proto)
            group.append(sock)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
            try:
                sock.bind(address)
            except OSError as exc:
                raise port_unavailable(exc, address) from exc
            sock.listen(backlog)
            address = sock.getsockname()  # the picked port, for the rest of the group
    except BaseException:
        for sock in group:
            sock.close()
        raise
    return group
