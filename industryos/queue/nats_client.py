"""Opening a long-lived NATS connection: the cluster bus and the JetStream queue use one."""

from __future__ import annotations

import logging
from collections.abc import Callable

import nats
from nats.aio.client import Client
from nats.errors import Error as NatsError

__all__ = ["close_nats", "connect_nats"]


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


async def close_nats(client: Client, *, log: logging.Logger, what: str) -> None:
    """Flush what was published, then close. A connection that is down is closed without
    flushing (nats-py's drain refuses one that is reconnecting, and its close may raise the
    lost connection's error): what was not sent is lost either way."""
    if client.is_closed:
        return
    if client.is_connected:
        try:
            await client.drain()
            return
        except NatsError as exc:
            log.debug("%s: drain failed: %r", what, exc)
    try:
        await client.close()
    except (NatsError, OSError) as exc:
        log.debug("%s: closed with %r", what, exc)
