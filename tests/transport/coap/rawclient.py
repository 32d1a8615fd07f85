"""A bare CoAP-over-UDP client for the exchanges aiocoap's client cannot be told to do.

It chooses tokens and message ids itself, so a test can deregister an observation with
Observe=1 on the same token, register twice from one port, or answer a notification with
a reset. Messages are encoded and decoded by aiocoap's ``Message``; nothing is retried.
"""

from __future__ import annotations

import asyncio
import itertools
from typing import Any

from aiocoap import Message
from aiocoap.numbers.codes import Code
from aiocoap.numbers.types import Type


class _Protocol(asyncio.DatagramProtocol):
    def __init__(self, inbox: asyncio.Queue[Message]) -> None:
        self.inbox = inbox

    def datagram_received(self, data: bytes, addr: Any) -> None:
        self.inbox.put_nowait(Message.decode(data))


class RawCoapClient:
    """One UDP socket talking to ``127.0.0.1:port``."""

    def __init__(self, transport: asyncio.DatagramTransport, inbox: asyncio.Queue[Message]):
        self._transport = transport
        self._inbox = inbox
        self._mids = itertools.count(0x1000)

    @classmethod
    async def connect(cls, port: int) -> RawCoapClient:
        inbox: asyncio.Queue[Message] = asyncio.Queue()
        transport, _ = await asyncio.get_running_loop().create_datagram_endpoint(
            lambda: _Protocol(inbox), remote_addr=("127.0.0.1", port)
        )
        return cls(transport, inbox)

    def close(self) -> None:
        self._transport.close()

    def send(self, message: Message) -> None:
        self._transport.sendto(message.encode())

    def request(self, code: Code, path: str, token: bytes, *, observe: int | None = None) -> int:
        """Send a CON request; returns its message id."""
        mid = next(self._mids)
        message = Message(
            code=code, _mtype=Type.CON, _mid=mid, _token=token, uri_path=path.split("/")
        )
        if observe is not None:
            message.opt.observe = observe
        self.send(message)
        return mid

    async def receive(self, within_s: float = 5.0) -> Message:
        """The next message that is not an empty ACK; CON messages are acknowledged."""
        async with asyncio.timeout(within_s):
            while True:
                message = await self._inbox.get()
                if message.code == Code.EMPTY:
                    continue
                if message.mtype == Type.CON:
                    self.send(Message(code=Code.EMPTY, _mtype=Type.ACK, _mid=message.mid))
                return message

    async def receive_raw(self, within_s: float = 5.0) -> Message:
        """The next non-empty message, not acknowledged (to answer it with a reset)."""
        async with asyncio.timeout(within_s):
            while True:
                message = await self._inbox.get()
                if message.code != Code.EMPTY:
                    return message

    def reset(self, mid: int) -> None:
        """Refuse a CON message (the peer lost interest)."""
        self.send(Message(code=Code.EMPTY, _mtype=Type.RST, _mid=mid))
