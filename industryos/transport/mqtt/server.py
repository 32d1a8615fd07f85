"""The MQTT listeners: plain TCP and TLS on the running (uvloop) event loop.

The server owns the sockets, the session-key registry that implements takeover (a
second session for the same device closes the first with 0x8E, spec §2.1) and the one
keep-alive wheel of all its sessions; everything per connection lives in
``connection.py`` (an ``asyncio.Protocol`` per socket, no task while idle). ``close()``
stops the listeners, tells every MQTT 5 client the server is shutting down (0x8B) and
waits for the sessions' last hooks.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import Hashable
from typing import Any, Generic

from industryos.open_files import open_file_limit
from industryos.transport.binding import port_unavailable
from industryos.transport.mqtt.application import ContextT, MqttApplication
from industryos.transport.mqtt.config import MqttConfig
from industryos.transport.mqtt.connection import Connection
from industryos.transport.mqtt.keepalive import KeepAliveWheel
from industryos.transport.mqtt.reason_codes import ReasonCode
from industryos.transport.mqtt.tls import server_context

log = logging.getLogger(__name__)

CROWDED = 0.9
"""Connections, as a share of the open-file limit, from which the server warns: uvloop stops
accepting at the limit without a word, and the connections past it wait unanswered."""
_CROWDED_WARNING_EVERY_S = 60.0


class MqttServer(Generic[ContextT]):
    """Accepts MQTT connections and hands each one to a :class:`Connection`."""

    def __init__(self, config: MqttConfig, app: MqttApplication[ContextT]) -> None:
        self._config = config
        self._app = app
        self._listeners: list[asyncio.Server] = []
        self._connections: set[Connection[ContextT]] = set()
        self._by_key: dict[Hashable, Connection[Any]] = {}
        self._wheel: KeepAliveWheel | None = None
        self._open_files: int | None = None
        self._next_crowded_warning = 0.0
        self.port: int | None = None
        """The bound plain port (useful when configured as 0)."""
        self.tls_port: int | None = None
        """The bound TLS port."""

    async def start(
        self, plain: socket.socket | None = None, tls: socket.socket | None = None
    ) -> None:
        """Open the configured listeners, on ``plain`` and ``tls`` where a listening socket
        is given (a node's worker processes share the ports: :mod:`industryos.workers`)."""
        config = self._config
        loop = asyncio.get_running_loop()
        self._wheel = KeepAliveWheel(loop)
        self._open_files = open_file_limit()
        if config.port is not None:
            if plain is not None:
                server = await loop.create_server(self._accept, sock=plain, backlog=config.backlog)
            else:
                try:
                    server = await loop.create_server(
                        self._accept, config.host, config.port, backlog=config.backlog
                    )
                except OSError as exc:
                    raise port_unavailable(exc, (config.host, config.port)) from exc
            self._listeners.append(server)
            self.port = server.sockets[0].getsockname()[1]
        if config.tls_port is not None:
            context = await asyncio.to_thread(
                server_context, config.tls_cert_file, config.tls_key_file, config.data_dir
            )
            if tls is not None:
                server = await loop.create_server(
                    self._accept,
                    sock=tls,
                    ssl=context,
                    ssl_handshake_timeout=config.connect_timeout,
                    backlog=config.backlog,
                )
            else:
                try:
                    server = await loop.create_server(
                        self._accept,
                        config.host,
                        config.tls_port,
                        ssl=context,
                        ssl_handshake_timeout=config.connect_timeout,
                        backlog=config.backlog,
                    )
                except OSError as exc:
                    raise port_unavailable(exc, (config.host, config.tls_port)) from exc
            self._listeners.append(server)
            self.tls_port = server.sockets[0].getsockname()[1]
        log.info("MQTT listening on %s port %s, TLS port %s", config.host, self.port, self.tls_port)

    async def close(self) -> None:
        """Stop accepting, disconnect every session (0x8B on MQTT 5) and wait for them."""
        for listener in self._listeners:
            listener.close()
        connections = list(self._connections)
        for connection in connections:
            connection.close(ReasonCode.SERVER_SHUTTING_DOWN)
        if connections:
            try:
                async with asyncio.timeout(self._config.close_timeout * 2):
                    await asyncio.gather(*(c.wait_closed() for c in connections))
            except TimeoutError:
                log.warning("MQTT sessions still closing at shutdown")
        # some loops' wait_closed also waits for accepted sockets that never became a
        # Connection (a TLS handshake in progress): bounded, since a peer must not hold it
        try:
            async with asyncio.timeout(self._config.close_timeout):
                for listener in self._listeners:
                    await listener.wait_closed()
        except TimeoutError:
            log.warning("MQTT listener sockets still open at shutdown; leaving them")
        self._listeners.clear()

    @property
    def connection_count(self) -> int:
        """Open connections, authenticated or not."""
        return len(self._connections)

    # --- Registry, used by connections -------------------------------------------------

    async def take_over(self, key: Hashable, connection: Connection[Any]) -> None:
        """Register ``connection`` for ``key``; an older one is closed and awaited."""
        previous = self._by_key.get(key)
        self._by_key[key] = connection
        if previous is None or previous is connection:
            return
        log.info("%r takes over from %r", connection, previous)
        previous.close(ReasonCode.SESSION_TAKEN_OVER)
        try:
            async with asyncio.timeout(self._config.close_timeout):
                await previous.wait_closed()
        except TimeoutError:
            log.warning("%r did not finish closing in time", previous)

    def release(self, key: Hashable, connection: Connection[Any]) -> None:
        """Forget ``connection`` if it is still the one registered for ``key``."""
        if self._by_key.get(key) is connection:
            del self._by_key[key]

    def opened(self, connection: Connection[Any]) -> None:
        """``connection`` is established (TLS: handshake done); ``close()`` will end it."""
        self._connections.add(connection)
        limit = self._open_files
        if limit is not None and len(self._connections) >= limit * CROWDED:
            self._warn_crowded(limit)

    def _warn_crowded(self, limit: int) -> None:
        now = asyncio.get_running_loop().time()
        if now < self._next_crowded_warning:
            return
        self._next_crowded_warning = now + _CROWDED_WARNING_EVERY_S
        log.warning(
            "%d MQTT connections: close to this process's open-file limit of %d, past which "
            "new connections are not accepted (raise it: ulimit -n, LimitNOFILE=)",
            len(self._connections),
            limit,
        )

    def finished(self, connection: Connection[Any]) -> None:
        """``connection`` is closed and its hooks have run."""
        self._connections.discard(connection)

    # --- accepting ---------------------------------------------------------------------

    def _accept(self) -> Connection[ContextT]:
        """The protocol for one accepted socket (TLS: once the handshake is done)."""
        assert self._wheel is not None
        return Connection(self._app, self._config, self, self._wheel)
