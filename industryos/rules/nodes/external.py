"""External nodes: REST calls (httpx), and the notification senders that wait for notify/.

The email, SMS, Slack and notification nodes import and validate like any other node, so
ThingsBoard chains that use them load unchanged; until the notification layer exists,
every message they get goes to ``Failure`` with an error that says so.
"""

from __future__ import annotations

import asyncio
import base64
from typing import Any

import httpx

from industryos.msg import Msg
from industryos.rules.errors import NodeFailure, NotAvailable
from industryos.rules.labels import Label
from industryos.rules.nodes.base import (
    ComponentType,
    Descriptor,
    Emit,
    NodeConfig,
    NodeContext,
    RuleNode,
)
from industryos.rules.nodes.templates import fill

PREFIX = "org.thingsboard.rule.engine."
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
_NO_BODY = frozenset({"GET", "DELETE"})


class RestApiCallNode(RuleNode):
    """Call a REST endpoint; the response body replaces the message body."""

    clazz = PREFIX + "rest.TbRestApiCallNode"
    descriptor = Descriptor(
        ComponentType.EXTERNAL,
        "rest api call",
        "Invoke REST API calls to external REST server",
        default_configuration={
            "restEndpointUrlPattern": "http://localhost/api",
            "requestMethod": "POST",
            "headers": {"Content-Type": "application/json"},
            "readTimeoutMs": 0,
            "maxParallelRequestsCount": 0,
            "parseToPlainText": False,
            "credentials": {"type": "anonymous"},
        },
        configuration_version=3,
    )

    def __init__(self, config: NodeConfig, ctx: NodeContext) -> None:
        super().__init__(config, ctx)
        self._url = config.text("restEndpointUrlPattern")
        self._method = config.choice("requestMethod", METHODS, "POST")
        self._headers = config.str_map("headers")
        timeout_ms = config.integer("readTimeoutMs")
        parallel = config.integer("maxParallelRequestsCount")
        self._limit = asyncio.Semaphore(parallel) if parallel > 0 else None
        self._client = httpx.AsyncClient(timeout=timeout_ms / 1000 if timeout_ms > 0 else 60.0)
        credentials: Any = config.raw.get("credentials") or {}
        if isinstance(credentials, dict) and credentials.get("type") == "basic":
            pair = f"{credentials.get('username', '')}:{credentials.get('password', '')}"
            self._headers.setdefault(
                "Authorization", "Basic " + base64.b64encode(pair.encode()).decode()
            )

    async def on_msg(self, msg: Msg) -> list[Emit]:
        """2xx → Success with the response; anything else → Failure with its status."""
        url = fill(self._url, msg)
        headers = {fill(k, msg): fill(v, msg) for k, v in self._headers.items()}
        content = None if self._method in _NO_BODY else msg.data.encode()
        try:
            if self._limit is None:
                response = await self._client.request(
                    self._method, url, headers=headers, content=content
                )
            else:
                async with self._limit:
                    response = await self._client.request(
                        self._method, url, headers=headers, content=content
                    )
        except httpx.HTTPError as exc:
            raise NodeFailure(f"{type(exc).__name__}: {exc}") from None
        metadata = {
            **msg.metadata,
            "status": response.reason_phrase.upper().replace(" ", "_"),
            "statusCode": str(response.status_code),
            "statusReason": response.reason_phrase,
        }
        result = msg.with_changes(data=response.text, metadata=metadata)
        if response.is_success:
            return [Emit(Label.SUCCESS, result)]
        raise NodeFailure(f"{response.status_code} {response.reason_phrase}", result)

    async def destroy(self) -> None:
        """Close pooled connections."""
        await self._client.aclose()


class _NotificationNode(RuleNode):
    """A sender whose delivery layer (``industryos.notify``) does not exist yet."""

    async def on_msg(self, msg: Msg) -> list[Emit]:
        """Always a Failure, naming what is missing."""
        raise NotAvailable(f"{self.descriptor.name}: the notification layer is not available yet")


class SendEmailNode(_NotificationNode):
    """Send a SEND_EMAIL message (``mail.TbSendEmailNode``)."""

    clazz = PREFIX + "mail.TbSendEmailNode"
    descriptor = Descriptor(
        ComponentType.EXTERNAL,
        "send email",
        "Sends email message via SMTP server",
        default_configuration={"useSystemSmtpSettings": True},
    )


class SendSmsNode(_NotificationNode):
    """Send an SMS (``sms.TbSendSmsNode``)."""

    clazz = PREFIX + "sms.TbSendSmsNode"
    descriptor = Descriptor(
        ComponentType.EXTERNAL,
        "send sms",
        "Sends SMS message via SMS provider",
        default_configuration={"numbersToTemplate": "${userPhone}", "smsMessageTemplate": ""},
    )


class SlackNode(_NotificationNode):
    """Post to Slack (``notification.TbSlackNode``)."""

    clazz = PREFIX + "notification.TbSlackNode"
    descriptor = Descriptor(
        ComponentType.EXTERNAL,
        "send to slack",
        "Send message via Slack",
        default_configuration={"messageTemplate": "", "conversationType": "PUBLIC_CHANNEL"},
    )


class NotificationNode(_NotificationNode):
    """Send a notification (``notification.TbNotificationNode``)."""

    clazz = PREFIX + "notification.TbNotificationNode"
    descriptor = Descriptor(
        ComponentType.EXTERNAL,
        "send notification",
        "Sends notification to targets using the template",
        default_configuration={"templateId": None, "targets": []},
    )


NODES: tuple[type[RuleNode], ...] = (
    RestApiCallNode,
    SendEmailNode,
    SendSmsNode,
    SlackNode,
    NotificationNode,
)
