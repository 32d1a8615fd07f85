"""Rows of the ``rpc`` table: the persistent RPC record and its queries.

Status changes are guarded (``UPDATE … WHERE status IN …``), so a row deleted, expired
or finished by someone else is never moved back: the caller learns it lost the race from
the returned flag and announces nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from industryos.devices.rpc_schema import rpc
from industryos.devices.rpc_status import RpcStatus
from industryos.entities.ids import EntityType, now_ms
from industryos.entities.paging import PageData, PageLink

__all__ = ["PersistedRpc", "RpcStore"]


@dataclass(slots=True)
class PersistedRpc:
    """One stored RPC; ``request`` is ThingsBoard's ToDeviceRpcRequest JSON."""

    id: uuid.UUID
    tenant_id: uuid.UUID
    device_id: uuid.UUID
    expiration_time: int
    request: dict[str, Any]
    status: RpcStatus = RpcStatus.QUEUED
    response: str | None = None
    additional_info: Any = None
    created_time: int = field(default_factory=now_ms)

    @property
    def method(self) -> str:
        return str(self.request["body"]["method"])

    @property
    def params(self) -> str:
        """The params as JSON text."""
        return str(self.request["body"]["params"])

    @property
    def oneway(self) -> bool:
        return bool(self.request.get("oneway"))

    @property
    def retries(self) -> int:
        return int(self.request.get("retries") or 0)

    @property
    def attempts(self) -> int:
        """Delivery attempts that failed so far."""
        return int(self.request.get("attempts") or 0)

    def to_wire(self) -> dict[str, Any]:
        """ThingsBoard's ``Rpc`` JSON."""
        return {
            "id": {"entityType": EntityType.RPC.value, "id": str(self.id)},
            "createdTime": self.created_time,
            "tenantId": {"entityType": EntityType.TENANT.value, "id": str(self.tenant_id)},
            "deviceId": {"entityType": EntityType.DEVICE.value, "id": str(self.device_id)},
            "expirationTime": self.expiration_time,
            "request": self.request,
            "response": _response_json(self.response),
            "status": self.status.value,
            "additionalInfo": self.additional_info,
        }


def _response_json(raw: str | None) -> Any:
    """The reply as JSON when it is JSON, else as the text the device sent."""
    if raw is None:
        return None
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        return raw


def _row(row: sa.RowMapping) -> PersistedRpc:
    return PersistedRpc(
        id=row["id"],
        tenant_id=row["tenant_id"],
        device_id=row["device_id"],
        expiration_time=row["expiration_time"],
        request=dict(row["request"]),
        status=RpcStatus(row["status"]),
        response=row["response"],
        additional_info=row["additional_info"],
        created_time=row["created_time"],
    )


class RpcStore:
    """Queries on the ``rpc`` table, each on a connection the caller owns."""

    async def insert(self, conn: AsyncConnection, record: PersistedRpc) -> None:
        await conn.execute(
            rpc.insert().values(
                id=record.id,
                created_time=record.created_time,
                tenant_id=record.tenant_id,
                device_id=record.device_id,
                expiration_time=record.expiration_time,
                request=record.request,
                response=record.response,
                additional_info=record.additional_info,
                status=record.status.value,
            )
        )

    async def get(self, conn: AsyncConnection, rpc_id: uuid.UUID) -> PersistedRpc | None:
        row = (await conn.execute(sa.select(rpc).where(rpc.c.id == rpc_id))).mappings().first()
        return None if row is None else _row(row)

    async def queued(self, conn: AsyncConnection, device_id: uuid.UUID) -> list[PersistedRpc]:
        """QUEUED calls of a device, oldest first."""
        query = (
            sa.select(rpc)
            .where(rpc.c.device_id == device_id, rpc.c.status == RpcStatus.QUEUED.value)
            .order_by(rpc.c.created_time, rpc.c.id)
        )
        return [_row(row) for row in (await conn.execute(query)).mappings()]

    async def devices_with_queued(self, conn: AsyncConnection) -> set[uuid.UUID]:
        """Every device that has a QUEUED call (loaded once at start)."""
        query = sa.select(rpc.c.device_id).where(rpc.c.status == RpcStatus.QUEUED.value)
        return {row[0] for row in await conn.execute(query.distinct())}

    async def expired(
        self, conn: AsyncConnection, now: int, statuses: Collection[RpcStatus]
    ) -> list[PersistedRpc]:
        """Calls in ``statuses`` whose expiration time has passed."""
        query = sa.select(rpc).where(
            rpc.c.expiration_time < now, rpc.c.status.in_([s.value for s in statuses])
        )
        return [_row(row) for row in (await conn.execute(query)).mappings()]

    async def set_status(
        self,
        conn: AsyncConnection,
        record: PersistedRpc,
        status: RpcStatus,
        expected: Collection[RpcStatus],
    ) -> bool:
        """Move ``record`` to ``status`` (saving its request and response) if it is still
        in one of ``expected``; False when it is not."""
        result = await conn.execute(
            rpc.update()
            .where(rpc.c.id == record.id, rpc.c.status.in_([s.value for s in expected]))
            .values(status=status.value, response=record.response, request=record.request)
        )
        if result.rowcount != 1:
            return False
        record.status = status
        return True

    async def delete(self, conn: AsyncConnection, rpc_id: uuid.UUID) -> bool:
        result = await conn.execute(rpc.delete().where(rpc.c.id == rpc_id))
        return result.rowcount == 1

    async def page(
        self,
        conn: AsyncConnection,
        tenant_id: uuid.UUID,
        device_id: uuid.UUID,
        status: RpcStatus | None,
        link: PageLink,
    ) -> PageData[PersistedRpc]:
        """One page of a device's calls, by ``createdTime`` unless sorted otherwise."""
        where = [rpc.c.tenant_id == tenant_id, rpc.c.device_id == device_id]
        if status is not None:
            where.append(rpc.c.status == status.value)
        total = (await conn.execute(sa.select(sa.func.count()).where(*where))).scalar_one()
        column = {
            "createdTime": rpc.c.created_time,
            "expirationTime": rpc.c.expiration_time,
            "status": rpc.c.status,
        }.get(link.sort_property or "createdTime", rpc.c.created_time)
        order = column.desc() if link.sort_order.value == "DESC" else column.asc()
        query = (
            sa.select(rpc)
            .where(*where)
            .order_by(order, rpc.c.id)
            .limit(link.page_size)
            .offset(link.offset)
        )
        rows = [_row(row) for row in (await conn.execute(query)).mappings()]
        return PageData(rows, int(total), link.page_size, link.page)
