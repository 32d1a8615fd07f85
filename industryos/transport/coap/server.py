"""The CoAP listener: an aiocoap server context on UDP serving :class:`CoapDeviceResource`.

Only the plain UDP transport is started (no TCP, WebSocket or DTLS: DTLS 5684 with X.509
is not implemented yet). aiocoap's UDP socket sets SO_REUSEPORT, so the port is first
checked to be held by no one (``transport/binding.py``); port 0 binds a free port, which
:attr:`CoapServer.port` reports.
"""

from __future__ import annotations

import logging
import socket
from typing import Any

from aiocoap import Context

from industryos.transport.binding import port_unavailable, refuse_taken_port
from industryos.transport.coap.resource import CoapDeviceResource

__all__ = ["CoapServer"]

log = logging.getLogger(__name__)


class CoapServer:
    """Binds ``host:port`` and serves the device resource until closed."""

    def __init__(self, resource: CoapDeviceResource, host: str, port: int) -> None:
        self.resource = resource
        self._host = host
        self._port = port
        self._context: Any = None

    @property
    def port(self) -> int | None:
        """The bound UDP port, None when not listening."""
        if self._context is None:
            return None
        for interface in self._context.request_interfaces:
            transport = getattr(
                getattr(getattr(interface, "token_interface", None), "message_interface", None),
                "transport",
                None,
            )
            if transport is not None:
                return int(transport.get_extra_info("socket").getsockname()[1])
        return self._port

    async def start(self) -> None:
        """Bind and start answering."""
        refuse_taken_port(self._host, self._port, socket.SOCK_DGRAM)  # aiocoap would share it
        try:
            self._context = await Context.create_server_context(
                self.resource, bind=(self._host, self._port), transports=["udp6"]
            )
        except OSError as exc:
            raise port_unavailable(exc, (self._host, self._port)) from exc
        log.info("CoAP device API listening on %s:%s (UDP)", self._host, self.port)

    async def close(self) -> None:
        """End the observations, then release the socket."""
        self.resource.close()
        if self._context is not None:
            await self._context.shutdown()
            self._context = None
