"""Notification commands (platform-api §4.4, checklist 40): NOTIFICATIONS,
NOTIFICATIONS_COUNT, MARK_(ALL_)NOTIFICATIONS_AS_READ and NOTIFICATIONS_UNSUBSCRIBE.

A NOTIFICATIONS subscription answers with the newest unread notifications and
``totalUnreadCount``; then a new notification is pushed alone in ``update``, and a read or
delete re-sends the list. NOTIFICATIONS_COUNT follows only the count. Pushes of one
subscription are serialised, and numbered by ``sequenceNumber``. In a cluster, changes
committed on other nodes reach the same inbox listener (:mod:`.cluster` publishes them).
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from typing import TYPE_CHECKING, Any

import orjson

from industryos.api.ws.codes import CmdUpdateType
from industryos.api.ws.errors import BadCommand
from industryos.notify.inbox import Inbox, InboxChange

if TYPE_CHECKING:
    from industryos.api.ws.commands import Command
    from industryos.api.ws.session import WsSession

__all__ = [
    "mark_all_read",
    "mark_read",
    "notifications",
    "notifications_count",
    "unsubscribe",
]

log = logging.getLogger(__name__)

DEFAULT_LIMIT = 10


def _inbox(session: WsSession) -> Inbox:
    inbox = session.services.notifications
    if inbox is None:
        raise BadCommand("Notifications are not available on this node")
    return inbox


class NotificationsSubscription:
    """Follows one user's inbox for one command."""

    def __init__(
        self, session: WsSession, cmd_id: int, limit: int, types: list[str], count_only: bool
    ) -> None:
        self.session = session
        self.cmd_id = cmd_id
        self.limit = limit
        self.types = types
        self.count_only = count_only
        self.sequence = 0
        self._lock = asyncio.Lock()
        self._tasks: set[asyncio.Task[None]] = set()
        inbox = _inbox(session)
        self._inbox = inbox
        self._remove = inbox.listen(session.caller.user_id, self._changed)

    def _changed(self, change: InboxChange) -> None:
        task = asyncio.create_task(self.push(change.added))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def push(self, added: dict[str, Any] | None = None, first: bool = False) -> None:
        """Send the snapshot (first, or after reads) or one new notification."""
        async with self._lock:
            try:
                user_id = self.session.caller.user_id
                count = await self._inbox.unread_count(user_id)
                if self.count_only:
                    message: dict[str, Any] = {
                        "cmdUpdateType": CmdUpdateType.NOTIFICATIONS_COUNT.value
                    }
                elif added is not None and not first:
                    if self.types and added.get("type") not in self.types:
                        return
                    message = {
                        "cmdUpdateType": CmdUpdateType.NOTIFICATIONS.value,
                        "notifications": None,
                        "update": added,
                    }
                else:
                    listed = await self._inbox.latest_unread(user_id, self.limit, self.types)
                    message = {
                        "cmdUpdateType": CmdUpdateType.NOTIFICATIONS.value,
                        "notifications": listed,
                        "update": None,
                    }
                self.session.send(
                    orjson.dumps(
                        {
                            "cmdId": self.cmd_id,
                            **message,
                            "errorCode": 0,
                            "errorMsg": None,
                            "totalUnreadCount": count,
                            "sequenceNumber": self.sequence,
                        }
                    ).decode()
                )
                self.sequence += 1
            except Exception:
                log.exception("notification push failed")

    def close(self) -> None:
        """Stop following the inbox."""
        self._remove()
        for task in list(self._tasks):
            task.cancel()


def _limit(command: Command) -> int:
    limit = command.body.get("limit", DEFAULT_LIMIT)
    if type(limit) is not int or limit <= 0:
        raise BadCommand("limit must be a positive integer")
    return limit


async def notifications(session: WsSession, command: Command) -> None:
    """NOTIFICATIONS ``{cmdId, limit, types}``."""
    types = command.body.get("types") or []
    if not isinstance(types, list):
        raise BadCommand("types must be a list")
    sub = NotificationsSubscription(
        session, command.cmd_id, _limit(command), [str(t) for t in types], count_only=False
    )
    session.add(command.cmd_id, sub)
    await sub.push(first=True)


async def notifications_count(session: WsSession, command: Command) -> None:
    """NOTIFICATIONS_COUNT ``{cmdId}``."""
    sub = NotificationsSubscription(session, command.cmd_id, 1, [], count_only=True)
    session.add(command.cmd_id, sub)
    await sub.push(first=True)


async def mark_read(session: WsSession, command: Command) -> None:
    """MARK_NOTIFICATIONS_AS_READ ``{cmdId, notifications: [uuid]}`` (subscriptions push)."""
    raw = command.body.get("notifications") or []
    try:
        ids = [uuid.UUID(str(v)) for v in raw]
    except (TypeError, ValueError):
        raise BadCommand("notifications must be a list of ids") from None
    await _inbox(session).mark_read(session.caller.user_id, ids)


async def mark_all_read(session: WsSession, command: Command) -> None:
    """MARK_ALL_NOTIFICATIONS_AS_READ ``{cmdId}``."""
    await _inbox(session).mark_read(session.caller.user_id, None)


async def unsubscribe(session: WsSession, command: Command) -> None:
    """NOTIFICATIONS_UNSUBSCRIBE ``{cmdId}``."""
    session.remove(command.cmd_id)
