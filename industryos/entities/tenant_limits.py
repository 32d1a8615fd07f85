"""Tenant-profile entity limits, enforced in one place for every creation path.

The entity services call :meth:`TenantLimitsService.check_create` inside the transaction
that inserts the entity (REST, bulk import, provisioning, gateway children, rule nodes and
first-start data all go through them), so no route needs its own check. As in ThingsBoard,
the check is an indexed ``COUNT(*) ... WHERE tenant_id = ?`` against the profile's
``maxDevices``/``maxAssets``/... (0 = unlimited): creation is not hot enough to be worth a
maintained counter, and a count cannot drift. ``maxOtaPackagesInBytes`` is a ``SUM`` of the
tenant's stored package sizes. Monthly usage limits (``maxCreatedAlarms``, ``maxEmails``,
``maxSms``) count the rows the owning layer keeps, created since the start of the UTC month
(:meth:`TenantLimitsService.check_monthly`); the caller names its table, so this module
needs no import of the alarm or notification layers.

The profile limits are cached per tenant. A profile save drops every tenant on it, a
tenant save (profile reassignment) or delete drops that tenant, so a change applies to the
next request without a restart. Design limit: in a cluster, the other nodes learn of a
change only when their entry expires (``ttl_s``, a minute by default); there is no
cross-node invalidation message yet.

Concurrency: for a tenant with a limit, the check locks the tenant's row
(``SELECT ... FOR UPDATE`` on PostgreSQL; SQLite write transactions are serialised by
``BEGIN IMMEDIATE`` already), so concurrent creations of one tenant count one after the
other and never overshoot the limit (ThingsBoard's check has that window). Tenants without
a limit pay nothing: no lock, no count.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from industryos.devices.ota.schema import ota_package
from industryos.entities.dashboard_schema import dashboard
from industryos.entities.errors import ApiUsageLimitExceeded, EntitiesLimitExceeded, InvalidArgument
from industryos.entities.ids import EntityType
from industryos.entities.models.entity_limits import EntityLimits, UsageKey
from industryos.rules.schema import rule_chain
from industryos.storage import schema
from industryos.storage.database import Database

__all__ = ["LimitsListener", "TenantLimitsService", "month_start_ms"]

log = logging.getLogger(__name__)

LimitsListener = Callable[[uuid.UUID | None], None]
"""Called with a tenant id whose limits changed, or None when a whole profile changed."""

_COUNTED: Mapping[EntityType, sa.Table] = {
    EntityType.DEVICE: schema.device,
    EntityType.ASSET: schema.asset,
    EntityType.CUSTOMER: schema.customer,
    EntityType.USER: schema.user,
    EntityType.DASHBOARD: dashboard,
    EntityType.RULE_CHAIN: rule_chain,
}
"""The table each counted entity type lives in; every one has an index led by tenant_id."""


_USED_UP: Mapping[UsageKey, str] = {
    UsageKey.CREATED_ALARMS: "Alarms creation is disabled",
    UsageKey.EMAILS: "Email sending is disabled due to API limits!",
    UsageKey.SMS: "SMS sending is disabled due to API limits!",
}
"""ThingsBoard's messages once a monthly usage limit is used up."""


def month_start_ms(now: datetime | None = None) -> int:
    """Epoch milliseconds of the start of the current UTC month (monthly limits reset)."""
    now = now or datetime.now(UTC)
    start = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    return int(start.timestamp() * 1000)


async def _lock_tenant(conn: AsyncConnection, tenant_id: uuid.UUID) -> None:
    """Serialise the tenant's limited writes until commit (SQLite omits the clause)."""
    await conn.execute(
        sa.select(schema.tenant.c.id).where(schema.tenant.c.id == tenant_id).with_for_update()
    )


@dataclass(frozen=True, slots=True)
class _Entry:
    expires: float
    profile_id: uuid.UUID | None
    limits: EntityLimits


class TenantLimitsService:
    """Reads each tenant's profile limits (cached) and refuses what would exceed them."""

    def __init__(
        self,
        db: Database,
        *,
        ttl_s: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._db = db
        self._ttl_s = ttl_s
        self._clock = clock
        self._cache: dict[uuid.UUID, _Entry] = {}
        self._listeners: list[LimitsListener] = []

    # --- cache ---------------------------------------------------------------------------

    def on_changed(self, listener: LimitsListener) -> None:
        """Hear about limit changes (other caches of profile data, e.g. the rate limiter)."""
        self._listeners.append(listener)

    def forget_tenant(self, tenant_id: uuid.UUID) -> None:
        """The tenant was saved (maybe onto another profile) or deleted."""
        self._cache.pop(tenant_id, None)
        self._tell(tenant_id)

    def changed_elsewhere(self, tenant_id: uuid.UUID | None) -> None:
        """Another cluster node saved this tenant (or a tenant profile: None, which drops
        every tenant's limits, since the notice does not say which tenants use it)."""
        if tenant_id is not None:
            self.forget_tenant(tenant_id)
            return
        self._cache.clear()
        self._tell(None)

    def forget_profile(self, profile_id: uuid.UUID) -> None:
        """The profile was saved: every tenant on it reads it again."""
        stale = [t for t, entry in self._cache.items() if entry.profile_id == profile_id]
        for tenant_id in stale:
            del self._cache[tenant_id]
        self._tell(None)

    def _tell(self, tenant_id: uuid.UUID | None) -> None:
        """Hand a change to the listeners (None: any tenant's limits may have changed)."""
        for listener in self._listeners:
            listener(tenant_id)

    async def limits(
        self, tenant_id: uuid.UUID, conn: AsyncConnection | None = None
    ) -> EntityLimits:
        """The tenant's limits, from the cache or read on ``conn`` (a new read otherwise)."""
        entry = self._cache.get(tenant_id)
        now = self._clock()
        if entry is not None and entry.expires > now:
            return entry.limits
        query = (
            sa.select(schema.tenant.c.tenant_profile_id, schema.tenant_profile.c.profile_data)
            .select_from(schema.tenant)
            .join(
                schema.tenant_profile,
                schema.tenant_profile.c.id == schema.tenant.c.tenant_profile_id,
            )
            .where(schema.tenant.c.id == tenant_id)
        )
        if conn is None:
            async with self._db.read() as reader:
                row = (await reader.execute(query)).first()
        else:
            row = (await conn.execute(query)).first()
        if row is None:  # no such tenant (yet): nothing to enforce, nothing to cache
            return EntityLimits()
        profile_id, profile_data = row
        configuration = (profile_data or {}).get("configuration")
        limits = EntityLimits.from_configuration(configuration)
        self._cache[tenant_id] = _Entry(now + self._ttl_s, profile_id, limits)
        return limits

    # --- checks --------------------------------------------------------------------------

    async def remaining(
        self, conn: AsyncConnection, tenant_id: uuid.UUID, entity_type: EntityType
    ) -> int | None:
        """How many more entities of ``entity_type`` the tenant may create (None: no cap)."""
        limit = (await self.limits(tenant_id, conn)).max_count(entity_type)
        if limit <= 0:
            return None
        await _lock_tenant(conn, tenant_id)
        table = _COUNTED[entity_type]
        count = await conn.scalar(
            sa.select(sa.func.count()).select_from(table).where(table.c.tenant_id == tenant_id)
        )
        return max(0, limit - int(count or 0))

    async def check_create(
        self, conn: AsyncConnection, tenant_id: uuid.UUID, entity_type: EntityType
    ) -> None:
        """Refuse one more ``entity_type`` when the tenant is at its profile's limit."""
        remaining = await self.remaining(conn, tenant_id, entity_type)
        if remaining is not None and remaining <= 0:
            limit = (await self.limits(tenant_id, conn)).max_count(entity_type)
            log.debug("tenant %s is at its %s limit (%d)", tenant_id, entity_type, limit)
            raise EntitiesLimitExceeded(entity_type, limit)

    async def check_ota_bytes(
        self, conn: AsyncConnection, tenant_id: uuid.UUID, adding: int
    ) -> None:
        """Refuse ``adding`` bytes of OTA content past ``maxOtaPackagesInBytes``."""
        limit = (await self.limits(tenant_id, conn)).max_usage(UsageKey.OTA_BYTES)
        if limit <= 0:
            return
        await _lock_tenant(conn, tenant_id)
        stored = await conn.scalar(
            sa.select(sa.func.coalesce(sa.func.sum(ota_package.c.data_size), 0)).where(
                ota_package.c.tenant_id == tenant_id
            )
        )
        if int(stored or 0) + adding > limit:
            raise InvalidArgument(
                f"Failed to create the ota package, files size limit is exhausted {limit} bytes!"
            )

    async def check_monthly(
        self,
        conn: AsyncConnection,
        tenant_id: uuid.UUID,
        key: UsageKey,
        table: sa.Table,
        *where: sa.ColumnElement[bool],
    ) -> None:
        """Refuse one more use of ``key`` when the rows of ``table`` this month reach it.

        ``table`` needs ``tenant_id`` and ``created_time`` (epoch ms) columns; ``where``
        narrows the rows that count (e.g. only sent emails).
        """
        limit = (await self.limits(tenant_id, conn)).max_usage(key)
        if limit <= 0:
            return
        used = await conn.scalar(
            sa.select(sa.func.count())
            .select_from(table)
            .where(
                table.c.tenant_id == tenant_id,
                table.c.created_time >= month_start_ms(),
                *where,
            )
        )
        if int(used or 0) >= limit:
            log.debug("tenant %s used up %s (%d this month)", tenant_id, key, limit)
            raise ApiUsageLimitExceeded(_USED_UP[key])
