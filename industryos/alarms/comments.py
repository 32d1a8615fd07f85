"""Alarm comments (``AlarmCommentController``): users' OTHER comments next to SYSTEM ones."""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa

from industryos.alarms import store
from industryos.alarms.enums import CommentType
from industryos.alarms.model import AlarmComment
from industryos.alarms.schema import alarm_comment
from industryos.alarms.service import AlarmService
from industryos.entities.access import Caller
from industryos.entities.errors import InvalidArgument, NotFound, PermissionDenied
from industryos.entities.ids import now_ms
from industryos.entities.paging import PageData, PageLink, SortOrder
from industryos.storage import schema

__all__ = ["AlarmComments"]

Json = dict[str, Any]


class AlarmComments:
    """Comments of alarms the caller may see."""

    def __init__(self, alarms: AlarmService) -> None:
        self._alarms = alarms
        self._db = alarms.db

    async def save(self, caller: Caller, alarm_id: uuid.UUID, body: Json) -> AlarmComment:
        """Add a comment, or edit one of the caller's own (body has ``id``)."""
        await self._alarms.get(caller, alarm_id)
        text = body.get("comment")
        if not isinstance(text, dict) or not isinstance(text.get("text"), str):
            raise InvalidArgument("Comment should be specified!")
        raw_id = body.get("id")
        if raw_id:
            comment_id = uuid.UUID(str(raw_id.get("id") if isinstance(raw_id, dict) else raw_id))
            async with self._db.read() as conn:
                existing = await store.get_comment(conn, comment_id)
            if existing is None or existing.alarm_id != alarm_id:
                raise NotFound()
            if existing.type is CommentType.SYSTEM or existing.user_id != caller.user_id:
                raise PermissionDenied()
            comment = AlarmComment(
                id=existing.id,
                created_time=existing.created_time,
                alarm_id=alarm_id,
                type=CommentType.OTHER,
                user_id=caller.user_id,
                comment={**text, "edited": True, "editedOn": now_ms()},
            )
        else:
            comment = AlarmComment(
                alarm_id=alarm_id, type=CommentType.OTHER, user_id=caller.user_id, comment=text
            )
        async with self._db.transaction() as conn:
            await store.insert_comment(conn, comment)
        return comment

    async def delete(self, caller: Caller, alarm_id: uuid.UUID, comment_id: uuid.UUID) -> None:
        """Delete one of the caller's own comments."""
        await self._alarms.get(caller, alarm_id)
        async with self._db.transaction() as conn:
            existing = await store.get_comment(conn, comment_id)
            if existing is None or existing.alarm_id != alarm_id:
                raise NotFound()
            if existing.type is CommentType.SYSTEM or existing.user_id != caller.user_id:
                raise PermissionDenied()
            await conn.execute(sa.delete(alarm_comment).where(alarm_comment.c.id == comment_id))

    async def page(self, caller: Caller, alarm_id: uuid.UUID, link: PageLink) -> PageData[Json]:
        """``AlarmCommentInfo`` JSON of one alarm, oldest first unless DESC."""
        await self._alarms.get(caller, alarm_id)
        user = schema.user
        where = alarm_comment.c.alarm_id == alarm_id
        order = (
            alarm_comment.c.created_time.desc()
            if link.sort_order is SortOrder.DESC
            else alarm_comment.c.created_time.asc()
        )
        query = (
            sa.select(alarm_comment, user.c.first_name, user.c.last_name, user.c.email)
            .select_from(alarm_comment.outerjoin(user, user.c.id == alarm_comment.c.user_id))
            .where(where)
            .order_by(order, alarm_comment.c.id)
            .limit(link.page_size)
            .offset(link.offset)
        )
        count = sa.select(sa.func.count()).select_from(alarm_comment).where(where)
        async with self._db.read() as conn:
            rows = (await conn.execute(query)).mappings().all()
            total = (await conn.execute(count)).scalar_one()
        data = [
            {
                **AlarmComment.from_row(r).to_wire(),
                "firstName": r["first_name"],
                "lastName": r["last_name"],
                "email": r["email"],
            }
            for r in rows
        ]
        return PageData(data, total, link.page_size, link.page)
