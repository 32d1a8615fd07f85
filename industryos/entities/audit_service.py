"""Writes the audit log: every REST write records who did what to which entity."""

from __future__ import annotations

import logging
import uuid
from typing import Any

import sqlalchemy as sa

from industryos.entities.access import Caller
from industryos.entities.ids import EntityType
from industryos.entities.models import ActionStatus, ActionType, AuditLog
from industryos.entities.paging import PageData, PageLink
from industryos.storage import schema
from industryos.storage.database import Database
from industryos.storage.repositories import Repositories

log = logging.getLogger(__name__)


class AuditService:
    """Appends and pages audit log entries, always scoped to one tenant."""

    def __init__(self, db: Database, repos: Repositories) -> None:
        self._db = db
        self._logs = repos.audit_logs

    async def record(
        self,
        caller: Caller,
        action: ActionType,
        *,
        entity_type: EntityType | None = None,
        entity_id: uuid.UUID | None = None,
        entity_name: str | None = None,
        customer_id: uuid.UUID | None = None,
        data: Any = None,
        failure: str | None = None,
    ) -> None:
        """Append one entry in the caller's tenant."""
        entry = AuditLog(
            tenant_id=caller.tenant_id,
            customer_id=customer_id if customer_id is not None else caller.customer_id,
            entity_type=entity_type,
            entity_id=entity_id,
            entity_name=entity_name,
            user_id=caller.user_id,
            user_name=caller.email,
            action_type=action,
            action_data=data,
            action_status=ActionStatus.FAILURE if failure else ActionStatus.SUCCESS,
            action_failure_details=failure,
        )
        async with self._db.transaction() as conn:
            await self._logs.insert(conn, entry)

    async def page(
        self,
        caller: Caller,
        link: PageLink,
        *,
        entity_id: uuid.UUID | None = None,
        customer_id: uuid.UUID | None = None,
        user_id: uuid.UUID | None = None,
        action_types: list[ActionType] | None = None,
    ) -> PageData[AuditLog]:
        """Entries of the caller's tenant, optionally narrowed to an entity, customer or user."""
        table = schema.audit_log
        where: list[sa.ColumnElement[bool]] = [table.c.tenant_id == caller.tenant_id]
        if caller.is_customer_user:
            where.append(table.c.customer_id == caller.customer_id)
        if entity_id is not None:
            where.append(table.c.entity_id == entity_id)
        if customer_id is not None:
            where.append(table.c.customer_id == customer_id)
        if user_id is not None:
            where.append(table.c.user_id == user_id)
        if action_types:
            where.append(table.c.action_type.in_([a.value for a in action_types]))
        async with self._db.read() as conn:
            return await self._logs.page(conn, link, *where)
