"""WEB notifications: stored per recipient, listed and counted over REST, pushed over WS.

Listeners are per user and synchronous (a WebSocket subscription schedules its own push);
they are told *after* the change committed, so a listener that re-reads sees it. Every
query is by recipient: a user only ever reaches their own notifications. Catch-all
listeners (:meth:`Inbox.listen_all`) hear every user's changes: the cluster relay sends
them to the other nodes, which :meth:`Inbox.publish` them to their own listeners.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from industryos.entities.errors import NotFound
from industryos.entities.ids import EntityType, entity_id_json, now_ms
from industryos.entities.paging import PageData, PageLink, SortOrder
from industryos.notify import schema
from industryos.notify.enums import DeliveryMethod, NotificationStatus
from industryos.notify.templates import Rendered
from industryos.storage.database import Database

__all__ = ["Inbox", "InboxChange", "InboxListener"]

log = logging.getLogger(__name__)

Json = dict[str, Any]


@dataclass(frozen=True, slots=True)
class InboxChange:
    """What changed in a user's inbox: a new notification, or reads/deletes."""

    user_id: uuid.UUID
    added: Json | None = None


InboxListener = Callable[[InboxChange], None]


def _wire(row: Any) -> Json:
    return {
        "id": entity_id_json(EntityType.NOTIFICATION, row.id),
        "createdTime": row.created_time,
        "requestId": entity_id_json(EntityType.NOTIFICATION_REQUEST, row.request_id),
        "recipientId": entity_id_json(EntityType.USER, row.recipient_id),
        "type": row.type,
        "deliveryMethod": DeliveryMethod.WEB.value,
        "subject": row.subject,
        "text": row.text,
        "additionalConfig": row.additional_config,
        "info": row.info,
        "status": row.status,
    }


class Inbox:
    """The ``notification`` table and its listeners."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._listeners: dict[uuid.UUID, list[InboxListener]] = {}
        self._all: list[InboxListener] = []

    def listen(self, user_id: uuid.UUID, listener: InboxListener) -> Callable[[], None]:
        """Call ``listener`` on every change of ``user_id``'s inbox; returns the remover."""
        self._listeners.setdefault(user_id, []).append(listener)

        def remove() -> None:
            listeners = self._listeners.get(user_id, [])
            if listener in listeners:
                listeners.remove(listener)
            if not listeners:
                self._listeners.pop(user_id, None)

        return remove

    def listen_all(self, listener: InboxListener) -> Callable[[], None]:
        """Call ``listener`` on every user's changes (the cluster relay); returns the remover."""
        self._all.append(listener)

        def remove() -> None:
            if listener in self._all:
                self._all.remove(listener)

        return remove

    def publish(self, change: InboxChange) -> None:
        """Tell the listeners of ``change.user_id`` (and the catch-all ones) about a change
        committed elsewhere (on another cluster node), exactly as about a local one."""
        self._tell(change)

    def _tell(self, change: InboxChange) -> None:
        for listener in (*self._listeners.get(change.user_id, ()), *self._all):
            try:
                listener(change)
            except Exception:
                log.exception("notification listener failed")

    async def add(
        self,
        request_id: uuid.UUID,
        recipient_id: uuid.UUID,
        notification_type: str,
        content: Rendered,
        info: Mapping[str, Any] | None,
    ) -> Json:
        """Store a WEB notification for one user and tell their listeners."""
        values = {
            "id": uuid.uuid4(),
            "created_time": now_ms(),
            "request_id": request_id,
            "recipient_id": recipient_id,
            "type": notification_type,
            "subject": content.subject,
            "text": content.body,
            "additional_config": dict(content.additional_config or {}) or None,
            "info": dict(info) if info else None,
            "status": NotificationStatus.SENT.value,
        }
        async with self._db.transaction() as conn:
            await conn.execute(schema.notification.insert().values(**values))
        wire = _wire(SimpleNamespace(**values))
        self._tell(InboxChange(recipient_id, wire))
        return wire

    async def page(
        self, user_id: uuid.UUID, link: PageLink, *, unread_only: bool = False
    ) -> PageData[Json]:
        """A page of the user's notifications, newest first unless asked otherwise."""
        t = schema.notification
        where = [t.c.recipient_id == user_id]
        if unread_only:
            where.append(t.c.status != NotificationStatus.READ.value)
        if link.text_search:
            pattern = f"%{link.text_search.lower()}%"
            where.append(
                sa.or_(
                    sa.func.lower(t.c.subject).like(pattern), sa.func.lower(t.c.text).like(pattern)
                )
            )
        ascending = link.sort_property == "createdTime" and link.sort_order is SortOrder.ASC
        order = t.c.created_time.asc() if ascending else t.c.created_time.desc()
        async with self._db.read() as conn:
            total = (await conn.execute(sa.select(sa.func.count()).where(*where))).scalar_one()
            rows = await conn.execute(
                sa.select(t).where(*where).order_by(order).limit(link.page_size).offset(link.offset)
            )
            data = [_wire(r) for r in rows]
        return PageData(data, int(total), link.page_size, link.page)

    async def latest_unread(
        self, user_id: uuid.UUID, limit: int, types: Collection[str] = ()
    ) -> list[Json]:
        """The newest unread notifications (WS NOTIFICATIONS snapshot)."""
        t = schema.notification
        where = [t.c.recipient_id == user_id, t.c.status != NotificationStatus.READ.value]
        if types:
            where.append(t.c.type.in_(list(types)))
        async with self._db.read() as conn:
            rows = await conn.execute(
                sa.select(t).where(*where).order_by(t.c.created_time.desc()).limit(limit)
            )
            return [_wire(r) for r in rows]

    async def unread_count(self, user_id: uuid.UUID) -> int:
        """How many of the user's notifications are unread."""
        t = schema.notification
        async with self._db.read() as conn:
            count = (
                await conn.execute(
                    sa.select(sa.func.count()).where(
                        t.c.recipient_id == user_id, t.c.status != NotificationStatus.READ.value
                    )
                )
            ).scalar_one()
        return int(count)

    async def mark_read(self, user_id: uuid.UUID, ids: Collection[uuid.UUID] | None) -> int:
        """Mark ``ids`` (None = all) of the user read; returns how many changed."""
        t = schema.notification
        where = [t.c.recipient_id == user_id, t.c.status != NotificationStatus.READ.value]
        if ids is not None:
            where.append(t.c.id.in_(list(ids)))
        async with self._db.transaction() as conn:
            result = await conn.execute(
                t.update().where(*where).values(status=NotificationStatus.READ.value)
            )
        changed = int(result.rowcount or 0)
        if changed:
            self._tell(InboxChange(user_id))
        return changed

    async def mark_one_read(self, user_id: uuid.UUID, notification_id: uuid.UUID) -> None:
        """Mark one of the user's notifications read; another user's is not found."""
        if await self.mark_read(user_id, [notification_id]):
            return
        t = schema.notification
        query = sa.select(t.c.id).where(t.c.id == notification_id, t.c.recipient_id == user_id)
        async with self._db.read() as conn:
            if (await conn.execute(query)).first() is None:
                raise NotFound(f"Notification with id [{notification_id}] is not found")

    async def delete(self, user_id: uuid.UUID, notification_id: uuid.UUID) -> None:
        """Delete one of the user's notifications."""
        t = schema.notification
        async with self._db.transaction() as conn:
            result = await conn.execute(
                t.delete().where(t.c.id == notification_id, t.c.recipient_id == user_id)
            )
        if not result.rowcount:
            raise NotFound(f"Notification with id [{notification_id}] is not found")
        self._tell(InboxChange(user_id))

    async def delete_of_request(
        self, conn: AsyncConnection, request_id: uuid.UUID
    ) -> set[uuid.UUID]:
        """Delete a request's notifications in the caller's transaction; returns their
        recipients, for :meth:`tell_deleted` once that transaction committed."""
        t = schema.notification
        rows = await conn.execute(
            t.delete().where(t.c.request_id == request_id).returning(t.c.recipient_id)
        )
        # asyncpg hands out its own UUID type: listeners are keyed by uuid.UUID
        return {uuid.UUID(str(recipient)) for recipient in rows.scalars()}

    def tell_deleted(self, user_ids: Iterable[uuid.UUID]) -> None:
        """Tell each user's listeners (once) that notifications of theirs were deleted."""
        for user_id in dict.fromkeys(user_ids):
            self._tell(InboxChange(user_id))
