"""Opening a long-lived NATS connection: the cluster bus and the JetStream queue use one."""

from __future__ import annotations

import logging
from collections.abc import Callable

import nats
from nats.aio.client import Client

__all__ = ["connect_nats"]


async def connect_nats(
    url: str,
    *,
    name: str | None,
    log: logging.Logger,
    what: str,
    reconnected: Callable[[], None] | None = None,
) -> Client:
    """A connection to ``url`` that reconnects by itself for ever; its errors are logged as
    one warning line about ``what`` (nats-py's default logs a traceback each time), and
    ``reconnected`` is called after each reconnection.

    nats-py retries even a first connection up to ``max_reconnect_attempts`` (for ever here),
    so a probe allowed one retry first makes an unreachable server a start-up error: the
    caller gets the nats or OS error.
    """

    async def report(exc: Exception) -> None:
        log.warning("%s: %s", what, exc)

    async def back() -> None:
        log.info("%s: reconnected to %s", what, url)
        if reconnected is not None:
            reconnected()

    probe = await nats.connect(
        servers=[url],
        allow_reconnect=False,
        max_reconnect_attempts=1,
        reconnect_time_wait=0.1,
        connect_timeout=5,
        error_cb=report,
    )
    await probe.close()
    return await nats.connect(
        servers=[url],
        name=name,
        error_cb=report,
        reconnected_cb=back,
        allow_reconnect=True,
        max_reconnect_attempts=-1,
        connect_timeout=5,
    )
