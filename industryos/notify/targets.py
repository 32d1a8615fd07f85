"""Targets: who a notification goes to, and the query that finds the platform users.

A PLATFORM_USERS target names users by a filter (a list, a customer's users, the tenant's
administrators, …) and is resolved at send time, so a user added later is included. A
SLACK target names a channel (posted with the bot token of the settings) or carries an
incoming-webhook URL; a WEBHOOK target is a URL with headers. Every user query is scoped
by the tenant of the request (design contract "Tenant isolation").
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from industryos.entities.errors import InvalidArgument
from industryos.entities.ids import NULL_UUID
from industryos.entities.models import Authority
from industryos.notify.enums import TargetType, UsersFilterType
from industryos.storage import schema

__all__ = [
    "Audience",
    "SlackRecipient",
    "Target",
    "UserRecipient",
    "WebhookRecipient",
    "parse_target",
    "resolve_users",
]


@dataclass(frozen=True, slots=True)
class UserRecipient:
    """A platform user (WEB, EMAIL and SMS go to users)."""

    id: uuid.UUID
    email: str
    first_name: str | None = None
    last_name: str | None = None
    phone: str | None = None

    def context(self) -> dict[str, str]:
        """Placeholders about the recipient."""
        return {
            "recipientEmail": self.email,
            "recipientFirstName": self.first_name or "",
            "recipientLastName": self.last_name or "",
        }


@dataclass(frozen=True, slots=True)
class SlackRecipient:
    """A Slack conversation (bot token) or an incoming webhook."""

    conversation_id: str | None = None
    conversation_name: str | None = None
    webhook_url: str | None = None

    @property
    def label(self) -> str:
        """How the delivery log names it (a webhook URL is a secret: never logged)."""
        if self.webhook_url is not None:
            return "slack-webhook"
        return self.conversation_name or self.conversation_id or ""


@dataclass(frozen=True, slots=True)
class WebhookRecipient:
    """An HTTP endpoint receiving the notification as JSON."""

    url: str
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Audience:
    """What the users filter may refer to besides the target: the trigger's entities."""

    tenant_id: uuid.UUID
    customer_id: uuid.UUID = NULL_UUID
    """Owner of the originator (ORIGINATOR_ENTITY_OWNER_USERS)."""
    affected_user_id: uuid.UUID | None = None


@dataclass(frozen=True, slots=True)
class Target:
    """A parsed target configuration."""

    type: TargetType
    users_filter: UsersFilterType | None = None
    user_ids: tuple[uuid.UUID, ...] = ()
    customer_id: uuid.UUID | None = None
    slack: SlackRecipient | None = None
    webhook: WebhookRecipient | None = None


def _uuid(value: Any, what: str) -> uuid.UUID:
    if isinstance(value, Mapping):
        value = value.get("id")
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise InvalidArgument(f"Invalid {what}: {value}") from None


def _users(raw: Mapping[str, Any]) -> Target:
    users = raw.get("usersFilter")
    if not isinstance(users, Mapping):
        raise InvalidArgument("PLATFORM_USERS target needs usersFilter")
    try:
        kind = UsersFilterType(str(users.get("type")))
    except ValueError:
        raise InvalidArgument(f"Unknown users filter: {users.get('type')}") from None
    ids = tuple(_uuid(v, "user id") for v in users.get("usersIds") or ())
    customer = users.get("customerId")
    if kind is UsersFilterType.CUSTOMER_USERS and customer is None:
        raise InvalidArgument("CUSTOMER_USERS filter needs customerId")
    return Target(
        TargetType.PLATFORM_USERS,
        users_filter=kind,
        user_ids=ids,
        customer_id=None if customer is None else _uuid(customer, "customer id"),
    )


def _slack(raw: Mapping[str, Any]) -> Target:
    conversation = raw.get("conversation") or {}
    webhook = raw.get("webhookUrl")
    if not isinstance(conversation, Mapping):
        raise InvalidArgument("SLACK target conversation must be an object")
    if not conversation.get("id") and not conversation.get("name") and not webhook:
        raise InvalidArgument("SLACK target needs a conversation or a webhookUrl")
    recipient = SlackRecipient(
        conversation_id=str(conversation["id"]) if conversation.get("id") else None,
        conversation_name=str(conversation["name"]) if conversation.get("name") else None,
        webhook_url=str(webhook) if webhook else None,
    )
    return Target(TargetType.SLACK, slack=recipient)


def _webhook(raw: Mapping[str, Any]) -> Target:
    url = raw.get("url")
    headers = raw.get("headers") or {}
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        raise InvalidArgument("WEBHOOK target needs an http(s) url")
    if not isinstance(headers, Mapping):
        raise InvalidArgument("WEBHOOK target headers must be an object")
    return Target(
        TargetType.WEBHOOK,
        webhook=WebhookRecipient(url, {str(k): str(v) for k, v in headers.items()}),
    )


_PARSERS = {
    TargetType.PLATFORM_USERS: _users,
    TargetType.SLACK: _slack,
    TargetType.WEBHOOK: _webhook,
}


def parse_target(configuration: Any) -> Target:
    """A target from its ``configuration`` JSON."""
    if not isinstance(configuration, Mapping):
        raise InvalidArgument("Target needs a configuration object")
    try:
        kind = TargetType(str(configuration.get("type")))
    except ValueError:
        raise InvalidArgument(f"Unknown target type: {configuration.get('type')}") from None
    parser = _PARSERS.get(kind)
    if parser is None:
        raise InvalidArgument(f"Target type {kind} is not supported")
    return parser(configuration)


def _where(target: Target, audience: Audience) -> list[sa.ColumnElement[bool]] | None:
    u = schema.user
    in_tenant = u.c.tenant_id == audience.tenant_id
    kind = target.users_filter
    if kind is UsersFilterType.USER_LIST:
        return [in_tenant, u.c.id.in_(target.user_ids)]
    if kind is UsersFilterType.CUSTOMER_USERS:
        return [in_tenant, u.c.customer_id == target.customer_id]
    if kind in (
        UsersFilterType.TENANT_ADMINISTRATORS,
        UsersFilterType.AFFECTED_TENANT_ADMINISTRATORS,
    ):
        return [in_tenant, u.c.authority == Authority.TENANT_ADMIN.value]
    if kind is UsersFilterType.SYSTEM_ADMINISTRATORS:
        if audience.tenant_id != NULL_UUID:
            return None  # a tenant never reaches the platform's administrators
        return [u.c.authority == Authority.SYS_ADMIN.value]
    if kind is UsersFilterType.ALL_USERS:
        return [in_tenant]
    if kind is UsersFilterType.ORIGINATOR_ENTITY_OWNER_USERS:
        if audience.customer_id == NULL_UUID:
            return [in_tenant, u.c.authority == Authority.TENANT_ADMIN.value]
        return [in_tenant, u.c.customer_id == audience.customer_id]
    if kind is UsersFilterType.AFFECTED_USER and audience.affected_user_id is not None:
        return [in_tenant, u.c.id == audience.affected_user_id]
    return None


async def resolve_users(
    conn: AsyncConnection, targets: Sequence[Target], audience: Audience
) -> list[UserRecipient]:
    """The distinct users the PLATFORM_USERS targets name, in the audience's tenant."""
    u = schema.user
    found: dict[uuid.UUID, UserRecipient] = {}
    for target in targets:
        if target.type is not TargetType.PLATFORM_USERS:
            continue
        where = _where(target, audience)
        if where is None:
            continue
        rows = await conn.execute(
            sa.select(u.c.id, u.c.email, u.c.first_name, u.c.last_name, u.c.phone).where(*where)
        )
        for row in rows:
            found.setdefault(row.id, UserRecipient(row.id, row.email, *row[2:]))
    return list(found.values())
