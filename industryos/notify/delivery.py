"""Deliveries with retries and backoff, recorded per recipient in the delivery log.

Each (request, method, recipient) gets a ``notification_delivery`` row: PENDING when
created, then SENT, FAILED (with the last error and the attempt count) or SKIPPED (rate
limit, or the tenant profile's monthly ``maxEmails``/``maxSms`` used up: SENT rows of the
method this month count). The rule engine's send email/SMS nodes go through
:func:`send_counted`: the same check before, a SENT row (request id = the message id) for
each email or SMS that went out, so both paths share one monthly count. A
:class:`RetryableFailure` is retried after
``base_delay_s * 2**attempt`` up to ``attempts`` times; a plain :class:`DeliveryFailed`
ends at once. Delivery errors are the far end's fault (WARNING); an unexpected exception
is ours (ERROR) and fails the row.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from industryos.entities.errors import ApiUsageLimitExceeded
from industryos.entities.ids import now_ms
from industryos.entities.models.entity_limits import UsageKey
from industryos.entities.tenant_limits import TenantLimitsService
from industryos.notify import schema
from industryos.notify.enums import DeliveryMethod, DeliveryStatus
from industryos.notify.errors import DeliveryFailed, RetryableFailure, UsageLimitReached
from industryos.notify.ratelimit import TenantRateLimits
from industryos.storage.database import Database

__all__ = ["DeliveryLog", "RetryPolicy", "deliver", "send_counted"]

log = logging.getLogger(__name__)

_MONTHLY: dict[DeliveryMethod, UsageKey] = {
    DeliveryMethod.EMAIL: UsageKey.EMAILS,
    DeliveryMethod.SMS: UsageKey.SMS,
}
"""Methods a tenant profile caps per month, with the profile key."""


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How often and how patiently a temporary failure is retried."""

    attempts: int = 3
    base_delay_s: float = 1.0
    max_delay_s: float = 60.0

    def delay(self, attempt: int) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1-based)."""
        return float(min(self.max_delay_s, self.base_delay_s * 2 ** (attempt - 1)))


class DeliveryLog:
    """Rows of ``notification_delivery``."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def open(
        self,
        tenant_id: uuid.UUID,
        request_id: uuid.UUID,
        method: DeliveryMethod,
        recipient: str,
        status: DeliveryStatus = DeliveryStatus.PENDING,
    ) -> uuid.UUID:
        """A row for one recipient: PENDING, or an outcome already known (``status``)."""
        row_id = uuid.uuid4()
        now = now_ms()
        async with self._db.transaction() as conn:
            await conn.execute(
                schema.notification_delivery.insert().values(
                    id=row_id,
                    created_time=now,
                    updated_time=now,
                    tenant_id=tenant_id,
                    request_id=request_id,
                    method=method.value,
                    recipient=recipient[:512],
                    status=status.value,
                    attempts=0 if status is DeliveryStatus.PENDING else 1,
                )
            )
        return row_id

    async def close(
        self, row_id: uuid.UUID, status: DeliveryStatus, attempts: int, error: str | None
    ) -> None:
        """Record the outcome of a row."""
        t = schema.notification_delivery
        async with self._db.transaction() as conn:
            await conn.execute(
                t.update()
                .where(t.c.id == row_id)
                .values(status=status.value, attempts=attempts, error=error, updated_time=now_ms())
            )

    async def used_up(
        self, usage: TenantLimitsService, tenant_id: uuid.UUID, method: DeliveryMethod
    ) -> str | None:
        """Why the tenant may send no more ``method`` this month, or None."""
        key = _MONTHLY.get(method)
        if key is None:
            return None
        t = schema.notification_delivery
        sent = (t.c.method == method.value, t.c.status == DeliveryStatus.SENT.value)
        async with self._db.read() as conn:
            try:
                await usage.check_monthly(conn, tenant_id, key, t, *sent)
            except ApiUsageLimitExceeded as exc:
                return exc.message
        return None

    async def of_request(self, tenant_id: uuid.UUID, request_id: uuid.UUID) -> list[dict[str, Any]]:
        """The rows of one request, as JSON."""
        t = schema.notification_delivery
        async with self._db.read() as conn:
            rows = await conn.execute(
                sa.select(t)
                .where(t.c.request_id == request_id, t.c.tenant_id == tenant_id)
                .order_by(t.c.created_time, t.c.recipient)
            )
            return [
                {
                    "id": str(r.id),
                    "createdTime": r.created_time,
                    "updatedTime": r.updated_time,
                    "requestId": str(r.request_id),
                    "method": r.method,
                    "recipient": r.recipient,
                    "status": r.status,
                    "attempts": r.attempts,
                    "error": r.error,
                }
                for r in rows
            ]


async def deliver(
    deliveries: DeliveryLog,
    limits: TenantRateLimits,
    policy: RetryPolicy,
    *,
    tenant_id: uuid.UUID,
    request_id: uuid.UUID,
    method: DeliveryMethod,
    recipient: str,
    send: Callable[[], Awaitable[None]],
    usage: TenantLimitsService | None = None,
) -> DeliveryStatus:
    """Send once through ``send``, retrying temporary failures; the log keeps the outcome."""
    row = await deliveries.open(tenant_id, request_id, method, recipient)
    if not limits.admit(tenant_id):
        log.warning("notification rate limit of tenant %s reached", tenant_id)
        await deliveries.close(row, DeliveryStatus.SKIPPED, 0, "Rate limit exceeded")
        return DeliveryStatus.SKIPPED
    used_up = None if usage is None else await deliveries.used_up(usage, tenant_id, method)
    if used_up is not None:
        log.warning("tenant %s: %s", tenant_id, used_up)
        await deliveries.close(row, DeliveryStatus.SKIPPED, 0, used_up)
        return DeliveryStatus.SKIPPED
    attempt = 0
    while True:
        attempt += 1
        try:
            await send()
        except RetryableFailure as exc:
            if attempt < policy.attempts:
                log.warning("%s delivery attempt %d failed: %s (retrying)", method, attempt, exc)
                await asyncio.sleep(policy.delay(attempt))
                continue
            error = str(exc)
        except DeliveryFailed as exc:
            error = str(exc)
        except Exception as exc:
            log.exception("%s delivery failed unexpectedly", method)
            error = f"Internal error: {type(exc).__name__}"
        else:
            log.debug("%s delivered to %s (attempt %d)", method, recipient, attempt)
            await deliveries.close(row, DeliveryStatus.SENT, attempt, None)
            return DeliveryStatus.SENT
        log.warning("%s delivery failed after %d attempt(s): %s", method, attempt, error)
        await deliveries.close(row, DeliveryStatus.FAILED, attempt, error)
        return DeliveryStatus.FAILED


async def send_counted(
    deliveries: DeliveryLog,
    usage: TenantLimitsService,
    *,
    tenant_id: uuid.UUID,
    request_id: uuid.UUID,
    method: DeliveryMethod,
    recipient: str,
    send: Callable[[], Awaitable[None]],
) -> None:
    """Send one email or SMS outside a notification request, counted like a delivery.

    Refused with :class:`UsageLimitReached` (nothing sent) once the tenant's monthly limit
    of ``method`` is used up; a failed send raises and counts nothing; a sent one leaves a
    SENT row. No retries: the caller (a rule node) has its own failure path.
    """
    used_up = await deliveries.used_up(usage, tenant_id, method)
    if used_up is not None:
        log.warning("tenant %s: %s", tenant_id, used_up)
        raise UsageLimitReached(used_up)
    await send()
    try:
        await deliveries.open(tenant_id, request_id, method, recipient, DeliveryStatus.SENT)
    except Exception:  # sent already: failing the message would send it again on retry
        log.exception("%s to %s was sent but could not be counted", method, recipient)
