"""Alarm and comment rows: the SQL the alarm service and queries share, without access checks."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from industryos.alarms.model import Alarm, AlarmComment
from industryos.alarms.schema import alarm, alarm_comment, alarm_entity
from industryos.storage.in_lists import in_lists

__all__ = [
    "delete_alarm",
    "find_active",
    "find_active_many",
    "get_alarm",
    "get_comment",
    "insert_alarm",
    "insert_comment",
    "update_alarm",
]


async def get_alarm(conn: AsyncConnection, alarm_id: uuid.UUID) -> Alarm | None:
    """One alarm by id."""
    row = (await conn.execute(sa.select(alarm).where(alarm.c.id == alarm_id))).mappings().first()
    return None if row is None else Alarm.from_row(row)


async def find_active(
    conn: AsyncConnection, tenant_id: uuid.UUID, originator_id: uuid.UUID, alarm_type: str
) -> Alarm | None:
    """The active (not cleared) alarm of an originator and type, if any."""
    query = (
        sa.select(alarm)
        .where(
            alarm.c.tenant_id == tenant_id,
            alarm.c.originator_id == originator_id,
            alarm.c.type == alarm_type,
            alarm.c.cleared == sa.false(),
        )
        .order_by(alarm.c.created_time.desc())
        .limit(1)
    )
    row = (await conn.execute(query)).mappings().first()
    return None if row is None else Alarm.from_row(row)


async def find_active_many(
    conn: AsyncConnection,
    tenant_id: uuid.UUID,
    originator_ids: Sequence[uuid.UUID],
    alarm_types: Collection[str],
) -> dict[tuple[uuid.UUID, str], Alarm]:
    """The active alarms of many originators and types, by ``(originator, type)``: the same
    newest-uncleared choice as :func:`find_active`, one query per ``IN (…)`` list."""
    found: dict[tuple[uuid.UUID, str], Alarm] = {}
    if not alarm_types:
        return found
    for chunk in in_lists(originator_ids):
        query = (
            sa.select(alarm)
            .where(
                alarm.c.tenant_id == tenant_id,
                alarm.c.originator_id.in_(chunk),
                alarm.c.type.in_(sorted(alarm_types)),
                alarm.c.cleared == sa.false(),
            )
            .order_by(alarm.c.created_time.desc())
        )
        for row in (await conn.execute(query)).mappings():
            found.setdefault((row["originator_id"], row["type"]), Alarm.from_row(row))
    return found


async def insert_alarm(conn: AsyncConnection, value: Alarm) -> None:
    """Insert a new alarm row."""
    await conn.execute(sa.insert(alarm).values(value.to_row()))


async def update_alarm(conn: AsyncConnection, value: Alarm) -> None:
    """Overwrite an alarm row."""
    row = value.to_row()
    del row["id"]
    await conn.execute(sa.update(alarm).where(alarm.c.id == value.id).values(row))


async def delete_alarm(conn: AsyncConnection, alarm_id: uuid.UUID) -> None:
    """Delete an alarm with its propagation rows and comments."""
    await conn.execute(sa.delete(alarm_entity).where(alarm_entity.c.alarm_id == alarm_id))
    await conn.execute(sa.delete(alarm_comment).where(alarm_comment.c.alarm_id == alarm_id))
    await conn.execute(sa.delete(alarm).where(alarm.c.id == alarm_id))


async def insert_comment(conn: AsyncConnection, comment: AlarmComment) -> None:
    """Insert or replace a comment row."""
    await conn.execute(sa.delete(alarm_comment).where(alarm_comment.c.id == comment.id))
    await conn.execute(sa.insert(alarm_comment).values(comment.to_row()))


async def get_comment(conn: AsyncConnection, comment_id: uuid.UUID) -> AlarmComment | None:
    """One comment by id."""
    query = sa.select(alarm_comment).where(alarm_comment.c.id == comment_id)
    row = (await conn.execute(query)).mappings().first()
    return None if row is None else AlarmComment.from_row(row)
