"""An aiosmtpd server for the email tests: keeps every message it accepts."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from typing import Any, cast

from aiosmtpd.controller import Controller


@dataclass
class Inbox:
    """Messages received, with their envelope recipients."""

    messages: list[tuple[list[str], Message]] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append((list(envelope.rcpt_tos), message_from_bytes(envelope.content)))
        return "250 Message accepted for delivery"


class _AnyPortController(Controller):
    """Listens on port 0 and learns the port it got before ``start`` connects to it to check
    that it serves (a port picked in advance could be taken by another test first)."""

    def _trigger_server(self) -> None:
        assert self.server is not None
        # loop.create_server returned it: an asyncio.Server (or uvloop's), which has sockets.
        server = cast(asyncio.Server, self.server)
        self.port = server.sockets[0].getsockname()[1]
        super()._trigger_server()  # type: ignore[no-untyped-call]  # unannotated in aiosmtpd


@contextmanager
def smtp_server() -> Iterator[tuple[Inbox, int]]:
    """A plain SMTP server on a loopback port of its own choosing."""
    inbox = Inbox()
    controller = _AnyPortController(inbox, hostname="127.0.0.1", port=0)
    controller.start()
    try:
        yield inbox, int(controller.port)
    finally:
        controller.stop()
