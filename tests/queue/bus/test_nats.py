"""The NATS bus over a slow link: ``subscribe`` and ``serve`` return only once the NATS
server has the subscription, even when the server reads the SUB late (a PING sent after it
must not be taken as proof; nats-py writes its PINGs ahead of the pending SUB)."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator

from industryos.queue.bus import NatsBus

NATS_HOST, NATS_PORT = "127.0.0.1", 4222
HOLD_S = 0.5


async def _pump(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    with contextlib.suppress(ConnectionError):
        while chunk := await reader.read(65536):
            writer.write(chunk)
            await writer.drain()
    writer.close()


async def _pump_holding(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, marker: bytes
) -> None:
    """Pass bytes on, but hold everything from ``marker`` on for :data:`HOLD_S` once."""
    pending = b""
    with contextlib.suppress(ConnectionError):
        while chunk := await reader.read(65536):
            pending += chunk
            at = pending.find(marker)
            if at < 0:
                # keep back a tail that may be the start of a marker split across two reads
                keep = next(
                    (n for n in range(len(marker) - 1, 0, -1) if pending.endswith(marker[:n])), 0
                )
                writer.write(pending[: len(pending) - keep])
                pending = pending[len(pending) - keep :]
                await writer.drain()
                continue
            writer.write(pending[:at])
            await writer.drain()
            await asyncio.sleep(HOLD_S)
            writer.write(pending[at:])
            await writer.drain()
            await _pump(reader, writer)
            return
        writer.write(pending)
    writer.close()


@contextlib.asynccontextmanager
async def slow_link(subject: str) -> AsyncIterator[str]:
    """A relay to the NATS server that delays the client's SUB of ``subject``; yields its URL."""
    relays: set[asyncio.Task[None]] = set()

    async def relay(client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        relays.add(task)
        server_r, server_w = await asyncio.open_connection(NATS_HOST, NATS_PORT)
        marker = b"SUB " + subject.encode() + b" "
        try:
            await asyncio.gather(
                _pump_holding(client_r, server_w, marker), _pump(server_r, client_w)
            )
        finally:
            for writer in (server_w, client_w):
                writer.close()
                with contextlib.suppress(ConnectionError):
                    await writer.wait_closed()
            relays.discard(task)

    server = await asyncio.start_server(relay, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"nats://127.0.0.1:{port}"
    finally:
        server.close()
        for task in list(relays):
            task.cancel()
        await asyncio.gather(*relays, return_exceptions=True)
        await server.wait_closed()


def _subject() -> str:
    return f"industryos.test.{uuid.uuid4().hex}"


async def test_serve_returns_once_the_server_has_the_subscription() -> None:
    subject = _subject()
    async with slow_link(subject) as url:
        slow = await NatsBus.connect(url)
        direct = await NatsBus.connect(f"nats://{NATS_HOST}:{NATS_PORT}")
        try:

            async def echo(payload: bytes) -> bytes:
                return b"slow:" + payload

            await slow.serve(subject, echo)
            assert await direct.request(subject, b"x", 5.0) == b"slow:x"
        finally:
            await direct.close()
            await slow.close()


async def test_subscribe_returns_once_the_server_has_the_subscription() -> None:
    subject = _subject()
    async with slow_link(subject) as url:
        slow = await NatsBus.connect(url)
        direct = await NatsBus.connect(f"nats://{NATS_HOST}:{NATS_PORT}")
        got: asyncio.Queue[bytes] = asyncio.Queue()
        try:

            async def collect(payload: bytes) -> None:
                await got.put(payload)

            await slow.subscribe(subject, collect)
            await direct.publish(subject, b"first")
            async with asyncio.timeout(5):
                assert await got.get() == b"first"  # the bus delivers nothing from before
        finally:
            await direct.close()
            await slow.close()
