"""Runs the ASGI app on uvicorn inside the node's event loop, without uvicorn's signal handling.

The node owns signals and the start/stop order, so this drives uvicorn's server phases
(startup, main loop, shutdown) itself instead of calling ``Server.serve``.
"""

from __future__ import annotations

import asyncio
import logging
import socket

import uvicorn
from fastapi import FastAPI

from industryos.transport.binding import port_unavailable

log = logging.getLogger(__name__)


class HttpServer:
    """One HTTP listener serving the REST and WebSocket API."""

    def __init__(
        self,
        app: FastAPI,
        host: str,
        port: int,
        sock: socket.socket | None = None,
        *,
        backlog: int = 2048,
    ) -> None:
        self._sockets = None if sock is None else [sock]
        """A listening socket to serve on instead of binding ``host:port`` (a node's worker
        processes share the port: :mod:`industryos.workers`)."""
        self._config = uvicorn.Config(
            app,
            host=host,
            port=port,
            lifespan="off",
            log_config=None,
            access_log=False,
            loop="none",
            http="httptools",
            ws="websockets-sansio",
            # Compression costs CPU on every pushed update and hides a slow reader (frames
            # shrink in the socket buffer); telemetry updates are small anyway.
            ws_per_message_deflate=False,
            backlog=backlog,
        )
        self._server = uvicorn.Server(self._config)
        self._task: asyncio.Task[None] | None = None

    @property
    def port(self) -> int:
        """The bound port (useful when configured as 0)."""
        for server in self._server.servers:
            for sock in server.sockets:
                return int(sock.getsockname()[1])
        return self._config.port

    async def start(self) -> None:
        """Bind and start serving."""
        if not self._config.loaded:
            self._config.load()
        self._server.lifespan = self._config.lifespan_class(self._config)
        try:
            await self._server.startup(sockets=self._sockets)
        except SystemExit as exiting:  # uvicorn exits when it cannot bind; the node stops
            bind_error = exiting.__context__
            if not isinstance(bind_error, OSError):
                raise
            raise port_unavailable(bind_error, (self._config.host, self._config.port)) from None
        self._task = asyncio.create_task(self._server.main_loop(), name="http-main-loop")
        log.info("HTTP API listening on %s:%d", self._config.host, self.port)

    async def stop(self) -> None:
        """Stop accepting, finish open requests and close connections."""
        self._server.should_exit = True
        if self._task is not None:
            await self._task
            self._task = None
        if self._server.started:
            await self._server.shutdown()
