"""The notification center: one send (a *request*) fanned out to recipients and methods.

``send`` stores the request (PROCESSING, or SCHEDULED with a sending delay) and returns;
the fan-out runs in a background task: the targets are resolved (users at send time),
each enabled method of the template is rendered per recipient and handed to its channel
through :func:`~industryos.notify.delivery.deliver` (retries, rate limit, delivery log).
The request ends SENT with per-method counts in ``stats``. Design limit: scheduled and
in-flight requests live in memory; a node stopped meanwhile does not resume them.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import httpx
import sqlalchemy as sa

from industryos.entities.errors import InvalidArgument, NotFound
from industryos.entities.ids import EntityType, entity_id_json, now_ms
from industryos.entities.paging import PageData, PageLink, SortOrder
from industryos.entities.tenant_limits import TenantLimitsService
from industryos.notify import schema
from industryos.notify.catalog import TARGETS, TEMPLATES, Catalog
from industryos.notify.channels.email import EmailChannel
from industryos.notify.channels.slack import SlackChannel
from industryos.notify.channels.sms import SmsChannel
from industryos.notify.channels.webhook import WebhookChannel
from industryos.notify.delivery import DeliveryLog, RetryPolicy, deliver, send_counted
from industryos.notify.enums import DeliveryMethod, DeliveryStatus, RequestStatus, TargetType
from industryos.notify.errors import DeliveryFailed
from industryos.notify.inbox import Inbox
from industryos.notify.ratelimit import RateLimit, TenantRateLimits
from industryos.notify.settings import SettingsStore
from industryos.notify.targets import Audience, Target, UserRecipient, parse_target, resolve_users
from industryos.notify.templates import MethodTemplate, Template, parse_template
from industryos.storage.database import Database

__all__ = ["NotificationCenter", "SendSpec"]

log = logging.getLogger(__name__)

Json = dict[str, Any]


@dataclass(frozen=True, slots=True)
class SendSpec:
    """What one send needs: targets, a template and the placeholders' values."""

    tenant_id: uuid.UUID
    target_ids: Sequence[uuid.UUID]
    template: Mapping[str, Any]
    """Template JSON (a stored one, or given inline)."""
    template_id: uuid.UUID | None = None
    context: Mapping[str, str] = field(default_factory=dict)
    audience: Audience | None = None
    rule_id: uuid.UUID | None = None
    originator: tuple[EntityType, uuid.UUID] | None = None
    delay_s: int = 0


def _request_wire(row: Any) -> Json:
    body = dict(row.body)
    return {
        **body,
        "id": entity_id_json(EntityType.NOTIFICATION_REQUEST, row.id),
        "createdTime": row.created_time,
        "tenantId": entity_id_json(EntityType.TENANT, row.tenant_id),
        "ruleId": None
        if row.rule_id is None
        else entity_id_json(EntityType.NOTIFICATION_RULE, row.rule_id),
        "status": row.status,
    }


class NotificationCenter:
    """Stores, resolves, renders and delivers notifications of every tenant."""

    def __init__(
        self,
        db: Database,
        *,
        retry: RetryPolicy | None = None,
        rate_limit: RateLimit | None = None,
        http_timeout_s: float = 10.0,
        usage: TenantLimitsService | None = None,
    ) -> None:
        self._db = db
        self.usage = usage or TenantLimitsService(db)
        """Tenant-profile limits: monthly ``maxEmails`` and ``maxSms``."""
        self.catalog = Catalog(db)
        self.inbox = Inbox(db)
        self.settings = SettingsStore(db)
        self.deliveries = DeliveryLog(db)
        self.retry = retry or RetryPolicy()
        self.limits = TenantRateLimits(rate_limit or RateLimit())
        self._http_timeout_s = http_timeout_s
        self._http: httpx.AsyncClient | None = None
        self.email = EmailChannel(self.settings)
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def http(self) -> httpx.AsyncClient:
        """The HTTP client of SMS, Slack and webhooks, made on first use.

        Making one loads the CA certificates (20-45 ms), which a node that never sends
        through HTTP should not pay at start; the channels below are made with it.
        """
        if self._http is None:
            self._http = httpx.AsyncClient(timeout=self._http_timeout_s)
        return self._http

    @functools.cached_property
    def sms(self) -> SmsChannel:
        """SMS through an HTTP gateway."""
        return SmsChannel(self.settings, self.http)

    @functools.cached_property
    def slack(self) -> SlackChannel:
        """Slack bot or incoming webhook."""
        return SlackChannel(self.settings, self.http)

    @functools.cached_property
    def webhook(self) -> WebhookChannel:
        """Webhook POSTs."""
        return WebhookChannel(self.http)

    # Requests

    async def send(self, spec: SendSpec) -> Json:
        """Store a request and start delivering it; returns the request JSON."""
        template = parse_template(spec.template)
        targets = await self._targets(spec.tenant_id, spec.target_ids)
        status = RequestStatus.SCHEDULED if spec.delay_s > 0 else RequestStatus.PROCESSING
        body: Json = {
            "targets": [str(t) for t in spec.target_ids],
            "templateId": None
            if spec.template_id is None
            else entity_id_json(EntityType.NOTIFICATION_TEMPLATE, spec.template_id),
            "template": None if spec.template_id is not None else dict(spec.template),
            "info": dict(spec.context),
            "deliveryMethods": [m.value for m in template.methods],
            "additionalConfig": {"sendingDelayInSec": spec.delay_s},
            "originatorEntityId": None
            if spec.originator is None
            else entity_id_json(*spec.originator),
            "stats": None,
        }
        request_id = uuid.uuid4()
        row = {
            "id": request_id,
            "created_time": now_ms(),
            "tenant_id": spec.tenant_id,
            "rule_id": spec.rule_id,
            "status": status.value,
            "body": body,
        }
        async with self._db.transaction() as conn:
            await conn.execute(schema.notification_request.insert().values(**row))
        self._spawn(self._run(request_id, spec, template, targets))
        return _request_wire(SimpleNamespace(**row))

    def _spawn(self, work: Awaitable[None]) -> None:
        async def run() -> None:
            await work

        task = asyncio.create_task(run(), name="notification-request")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _targets(self, tenant_id: uuid.UUID, ids: Sequence[uuid.UUID]) -> list[Target]:
        found = await self.catalog.many(TARGETS, tenant_id, list(ids))
        if len(found) != len(set(ids)):
            raise NotFound("Notification target is not found")
        return [parse_target(t.get("configuration")) for t in found]

    async def _run(
        self, request_id: uuid.UUID, spec: SendSpec, template: Template, targets: list[Target]
    ) -> None:
        try:
            if spec.delay_s > 0:
                await asyncio.sleep(spec.delay_s)
                await self._set_status(request_id, RequestStatus.PROCESSING, None)
            stats = await self._fan_out(request_id, spec, template, targets)
            await self._set_status(request_id, RequestStatus.SENT, stats)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("notification request %s failed", request_id)

    async def _fan_out(
        self, request_id: uuid.UUID, spec: SendSpec, template: Template, targets: list[Target]
    ) -> Json:
        audience = spec.audience or Audience(spec.tenant_id)
        async with self._db.read() as conn:
            users = await resolve_users(conn, targets, audience)
        jobs: list[Awaitable[DeliveryStatus]] = []
        for method, content in template.methods.items():
            for label, send in self._sends(
                request_id, spec, template, method, content, users, targets
            ):
                jobs.append(
                    deliver(
                        self.deliveries,
                        self.limits,
                        self.retry,
                        tenant_id=spec.tenant_id,
                        request_id=request_id,
                        method=method,
                        recipient=label,
                        send=send,
                        usage=self.usage,
                    )
                )
        await asyncio.gather(*jobs)
        stats: Json = {"sent": {m.value: 0 for m in template.methods}, "errors": {}}
        rows = await self.deliveries.of_request(spec.tenant_id, request_id)
        for row in rows:
            bucket = "sent" if row["status"] == DeliveryStatus.SENT.value else "errors"
            stats[bucket][row["method"]] = stats[bucket].get(row["method"], 0) + 1
        stats["totalRecipients"] = len(rows)
        return stats

    def _sends(
        self,
        request_id: uuid.UUID,
        spec: SendSpec,
        template: Template,
        method: DeliveryMethod,
        content: MethodTemplate,
        users: list[UserRecipient],
        targets: list[Target],
    ) -> list[tuple[str, Callable[[], Awaitable[None]]]]:
        tenant = spec.tenant_id
        kind = template.notification_type.value

        def with_user(user: UserRecipient) -> dict[str, str]:
            return {**spec.context, **user.context()}

        sends: list[tuple[str, Callable[[], Awaitable[None]]]] = []
        if method is DeliveryMethod.WEB:
            for user in users:

                async def web(u: UserRecipient = user) -> None:
                    await self.inbox.add(
                        request_id, u.id, kind, content.render(with_user(u)), spec.context
                    )

                sends.append((user.email, web))
        elif method is DeliveryMethod.EMAIL:
            for user in users:

                async def mail(u: UserRecipient = user) -> None:
                    await self.email.send(tenant, u.email, content.render(with_user(u)))

                sends.append((user.email, mail))
        elif method is DeliveryMethod.SMS:
            for user in users:
                if not user.phone:
                    continue

                async def sms(u: UserRecipient = user) -> None:
                    assert u.phone is not None
                    await self.sms.send(tenant, u.phone, content.render(with_user(u)).body)

                sends.append((user.phone, sms))
        elif method is DeliveryMethod.SLACK:
            for target in targets:
                if target.type is TargetType.SLACK and target.slack is not None:
                    recipient = target.slack

                    async def slack(r: Any = recipient) -> None:
                        await self.slack.send(tenant, r, content.render(spec.context).body)

                    sends.append((recipient.label, slack))
        elif method is DeliveryMethod.WEBHOOK:
            for target in targets:
                if target.type is TargetType.WEBHOOK and target.webhook is not None:
                    hook = target.webhook

                    async def webhook(h: Any = hook) -> None:
                        await self.webhook.send(
                            h,
                            content.render(spec.context),
                            tenant_id=tenant,
                            request_id=request_id,
                            notification_type=kind,
                            info=spec.context,
                        )

                    sends.append(("webhook", webhook))
        else:

            async def unsupported() -> None:
                raise DeliveryFailed(f"Delivery method {method} is not supported")

            sends.append((method.value, unsupported))
        return sends

    async def _set_status(
        self, request_id: uuid.UUID, status: RequestStatus, stats: Json | None
    ) -> None:
        t = schema.notification_request
        async with self._db.transaction() as conn:
            body = (
                await conn.execute(sa.select(t.c.body).where(t.c.id == request_id))
            ).scalar_one_or_none()
            if body is None:
                return  # deleted meanwhile
            await conn.execute(
                t.update()
                .where(t.c.id == request_id)
                .values(status=status.value, body={**body, "stats": stats})
            )

    async def request(self, tenant_id: uuid.UUID, request_id: uuid.UUID) -> Json:
        """One request of ``tenant_id`` with its delivery log."""
        t = schema.notification_request
        async with self._db.read() as conn:
            row = (
                await conn.execute(
                    sa.select(t).where(t.c.id == request_id, t.c.tenant_id == tenant_id)
                )
            ).first()
        if row is None:
            raise NotFound(f"Notification request with id [{request_id}] is not found")
        return {
            **_request_wire(row),
            "deliveries": await self.deliveries.of_request(tenant_id, request_id),
        }

    async def requests(self, tenant_id: uuid.UUID, link: PageLink) -> PageData[Json]:
        """A page of ``tenant_id``'s requests, newest first."""
        t = schema.notification_request
        where = [t.c.tenant_id == tenant_id]
        order = (
            t.c.created_time.asc()
            if link.sort_order is SortOrder.ASC and link.sort_property
            else t.c.created_time.desc()
        )
        async with self._db.read() as conn:
            total = (await conn.execute(sa.select(sa.func.count()).where(*where))).scalar_one()
            rows = await conn.execute(
                sa.select(t).where(*where).order_by(order).limit(link.page_size).offset(link.offset)
            )
            data = [_request_wire(r) for r in rows]
        return PageData(data, int(total), link.page_size, link.page)

    async def delete_request(self, tenant_id: uuid.UUID, request_id: uuid.UUID) -> None:
        """Delete a request, its delivery log and its WEB notifications."""
        t = schema.notification_request
        async with self._db.transaction() as conn:
            result = await conn.execute(
                t.delete().where(t.c.id == request_id, t.c.tenant_id == tenant_id)
            )
            if not result.rowcount:
                raise NotFound(f"Notification request with id [{request_id}] is not found")
            d = schema.notification_delivery
            await conn.execute(d.delete().where(d.c.request_id == request_id))
            recipients = await self.inbox.delete_of_request(conn, request_id)
        self.inbox.tell_deleted(recipients)  # their bells re-read what committed

    async def send_counted(
        self,
        tenant_id: uuid.UUID,
        method: DeliveryMethod,
        recipient: str,
        send: Callable[[], Awaitable[None]],
        *,
        reference_id: uuid.UUID,
    ) -> None:
        """Send one email/SMS of a rule node against the tenant's monthly limit.

        The same count as the requests' deliveries (``UsageLimitReached`` once used up);
        ``reference_id`` (the rule-engine message) is the delivery log's request id.
        """
        await send_counted(
            self.deliveries,
            self.usage,
            tenant_id=tenant_id,
            request_id=reference_id,
            method=method,
            recipient=recipient,
            send=send,
        )

    async def template_of(
        self, tenant_id: uuid.UUID, template_id: uuid.UUID | None, inline: Any
    ) -> Mapping[str, Any]:
        """A stored template by id, else the inline one."""
        if template_id is not None:
            return await self.catalog.get(TEMPLATES, tenant_id, template_id)
        if not isinstance(inline, Mapping):
            raise InvalidArgument("Request needs templateId or template")
        return inline

    async def wait_idle(self) -> None:
        """Wait until every started request finished (tests, graceful stop)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def stop(self) -> None:
        """Cancel requests in flight and close connections."""
        tasks, self._tasks = list(self._tasks), set()
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._http is not None:  # never made: nothing was sent through HTTP
            await self._http.aclose()
