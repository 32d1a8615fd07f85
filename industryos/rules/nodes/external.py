"""External nodes: REST calls (httpx), and the senders that deliver through ``notify/``.

Send email, send SMS, Slack and send notification use the notification layer's channels
and settings (declared as the NOTIFY service); a delivery failure goes to ``Failure`` with
its reason (a temporary one is the queue strategy's to retry, as for any node failure).
Every email and SMS the nodes send counts against the tenant profile's monthly
``maxEmails``/``maxSms``, in the same count as the notification center's deliveries; once
used up nothing is sent and the message goes to ``Failure`` with ThingsBoard's "Email
(SMS) sending is disabled due to API limits!".
"""

from __future__ import annotations

import asyncio
import base64
import uuid
from collections.abc import Mapping
from typing import Any

import httpx

from industryos.entities.errors import EntityError
from industryos.msg import Msg
from industryos.notify.catalog import TEMPLATES
from industryos.notify.center import SendSpec
from industryos.notify.channels.email import Mail, SmtpConfig, send_mail
from industryos.notify.channels.slack import post_message
from industryos.notify.channels.sms import send_sms
from industryos.notify.enums import DeliveryMethod, SettingsKey
from industryos.notify.errors import DeliveryFailed
from industryos.notify.targets import Audience, SlackRecipient
from industryos.rules.errors import NodeConfigError, NodeFailure
from industryos.rules.labels import Label
from industryos.rules.nodes.base import (
    ComponentType,
    Descriptor,
    Emit,
    NodeConfig,
    NodeContext,
    RuleNode,
    Service,
)
from industryos.rules.nodes.templates import body_of, fill, json_text

PREFIX = "org.thingsboard.rule.engine."
SEND_EMAIL = "SEND_EMAIL"
"""The message type "to email" produces and "send email" consumes."""
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


def _failure(exc: DeliveryFailed | EntityError) -> NodeFailure:
    return NodeFailure(str(exc))


class SendEmailNode(RuleNode):
    """Send a SEND_EMAIL message (``mail.TbSendEmailNode``) over the system or node SMTP."""

    clazz = PREFIX + "mail.TbSendEmailNode"
    descriptor = Descriptor(
        ComponentType.EXTERNAL,
        "send email",
        "Sends email message via SMTP server",
        default_configuration={
            "useSystemSmtpSettings": True,
            "smtpProtocol": "smtp",
            "smtpHost": "localhost",
            "smtpPort": 25,
            "timeout": 10000,
            "enableTls": False,
        },
    )
    requires = frozenset({Service.NOTIFY})

    def __init__(self, config: NodeConfig, ctx: NodeContext) -> None:
        super().__init__(config, ctx)
        self._system = config.flag("useSystemSmtpSettings", True)
        try:
            self._own = None if self._system else SmtpConfig.from_wire(config.raw)
        except EntityError as exc:
            raise NodeConfigError(f"send email: {exc}") from None

    async def on_msg(self, msg: Msg) -> list[Emit]:
        """Mail the message's ``{from, to, cc, bcc, subject, body, html}``."""
        if msg.type != SEND_EMAIL:
            raise NodeFailure(f"Invalid message type: {msg.type}, expected SEND_EMAIL")
        data = body_of(msg)
        if not isinstance(data, dict) or not data.get("to"):
            raise NodeFailure("SEND_EMAIL message needs 'to'")
        center = self.ctx.notify()
        mail = Mail(
            to=_addresses(data.get("to")),
            cc=_addresses(data.get("cc")),
            bcc=_addresses(data.get("bcc")),
            subject=str(data.get("subject") or ""),
            body=str(data.get("body") or ""),
            html=bool(data.get("html")),
            sender=str(data.get("from") or "") or None,
        )

        async def send() -> None:
            smtp = self._own or await center.email.config(msg.tenant_id)
            await send_mail(smtp, mail)

        try:  # one email, whatever its number of recipients (as ThingsBoard counts it)
            await center.send_counted(
                msg.tenant_id, DeliveryMethod.EMAIL, ", ".join(mail.to), send, reference_id=msg.id
            )
        except DeliveryFailed as exc:
            raise _failure(exc) from None
        return [Emit(Label.SUCCESS, msg)]


def _addresses(value: Any) -> list[str]:
    if not value:
        return []
    return [a.strip() for a in str(value).split(",") if a.strip()]


class SendSmsNode(RuleNode):
    """Send an SMS (``sms.TbSendSmsNode``) through the system or node SMS provider."""

    clazz = PREFIX + "sms.TbSendSmsNode"
    descriptor = Descriptor(
        ComponentType.EXTERNAL,
        "send sms",
        "Sends SMS message via SMS provider",
        default_configuration={
            "numbersToTemplate": "${userPhone}",
            "smsMessageTemplate": "Device ${deviceName} has high temperature $[temp]",
            "useSystemSmsSettings": True,
        },
    )
    requires = frozenset({Service.NOTIFY})

    def __init__(self, config: NodeConfig, ctx: NodeContext) -> None:
        super().__init__(config, ctx)
        self._numbers = config.text("numbersToTemplate")
        self._text = config.text("smsMessageTemplate")
        self._system = config.flag("useSystemSmsSettings", True)
        provider = config.raw.get("smsProviderConfiguration")
        self._provider = provider if isinstance(provider, dict) else None
        if not self._system and self._provider is None:
            raise NodeConfigError("send sms: smsProviderConfiguration is required")

    async def on_msg(self, msg: Msg) -> list[Emit]:
        """Send the templated text to every templated number."""
        center = self.ctx.notify()
        numbers = [n.strip() for n in fill(self._numbers, msg).split(",") if n.strip()]
        text = fill(self._text, msg)
        try:
            provider = self._provider
            if provider is None:
                provider = await center.settings.effective(msg.tenant_id, SettingsKey.SMS)
                if provider is None:
                    raise DeliveryFailed("SMS settings are not configured")
            for number in numbers:  # each number is one SMS, checked before it is sent

                async def send(to: str = number, cfg: Mapping[str, Any] = provider) -> None:
                    await send_sms(center.http, cfg, to, text)

                await center.send_counted(
                    msg.tenant_id, DeliveryMethod.SMS, number, send, reference_id=msg.id
                )
        except DeliveryFailed as exc:
            raise _failure(exc) from None
        return [Emit(Label.SUCCESS, msg)]


class SlackNode(RuleNode):
    """Post to Slack (``notification.TbSlackNode``) with the node's or the system bot token."""

    clazz = PREFIX + "notification.TbSlackNode"
    descriptor = Descriptor(
        ComponentType.EXTERNAL,
        "send to slack",
        "Send message via Slack",
        default_configuration={
            "botToken": "xoxb-",
            "useSystemSettings": False,
            "messageTemplate": "",
            "conversationType": "PUBLIC_CHANNEL",
            "conversation": None,
        },
    )
    requires = frozenset({Service.NOTIFY})

    def __init__(self, config: NodeConfig, ctx: NodeContext) -> None:
        super().__init__(config, ctx)
        self._template = config.text("messageTemplate")
        self._system = config.flag("useSystemSettings")
        self._token = config.text("botToken")
        conversation: Any = config.raw.get("conversation") or {}
        if not isinstance(conversation, dict):
            raise NodeConfigError("send to slack: conversation must be an object")
        self._recipient = SlackRecipient(
            conversation_id=conversation.get("id") or None,
            conversation_name=conversation.get("name") or None,
        )

    async def on_msg(self, msg: Msg) -> list[Emit]:
        """Post the templated message to the conversation."""
        center = self.ctx.notify()
        text = fill(self._template, msg)
        try:
            if self._system:
                await center.slack.send(msg.tenant_id, self._recipient, text)
            else:
                channel = self._recipient.conversation_id or self._recipient.conversation_name
                await post_message(center.http, self._token, channel or "", text)
        except DeliveryFailed as exc:
            raise _failure(exc) from None
        return [Emit(Label.SUCCESS, msg)]


class NotificationNode(RuleNode):
    """Send a notification (``notification.TbNotificationNode``): a RULE_NODE request."""

    clazz = PREFIX + "notification.TbNotificationNode"
    descriptor = Descriptor(
        ComponentType.EXTERNAL,
        "send notification",
        "Sends notification to targets using the template",
        default_configuration={"templateId": None, "targets": []},
    )
    requires = frozenset({Service.NOTIFY})

    def __init__(self, config: NodeConfig, ctx: NodeContext) -> None:
        super().__init__(config, ctx)
        try:
            self._template_id = uuid.UUID(config.text("templateId"))
            self._targets = [uuid.UUID(t) for t in config.str_list("targets")]
        except ValueError:
            raise NodeConfigError("send notification: templateId and targets must be ids") from None
        if not self._targets:
            raise NodeConfigError("send notification: targets must not be empty")

    async def on_msg(self, msg: Msg) -> list[Emit]:
        """Start the request; its id goes to metadata ``requestId``."""
        center = self.ctx.notify()
        data = body_of(msg)
        context = {**msg.metadata, "originatorType": msg.originator.entity_type.value}
        context["originatorId"] = str(msg.originator.id)
        context["msgType"] = msg.type
        if isinstance(data, dict):
            context.update({k: v if isinstance(v, str) else json_text(v) for k, v in data.items()})
        try:
            template = await center.catalog.get(TEMPLATES, msg.tenant_id, self._template_id)
            request = await center.send(
                SendSpec(
                    tenant_id=msg.tenant_id,
                    target_ids=self._targets,
                    template=template,
                    template_id=self._template_id,
                    context=context,
                    audience=Audience(msg.tenant_id, msg.customer_id),
                    originator=(msg.originator.entity_type, msg.originator.id),
                )
            )
        except EntityError as exc:
            raise _failure(exc) from None
        metadata = {**msg.metadata, "requestId": str(request["id"]["id"])}
        return [Emit(Label.SUCCESS, msg.with_changes(metadata=metadata))]


NODES: tuple[type[RuleNode], ...] = (
    RestApiCallNode,
    SendEmailNode,
    SendSmsNode,
    SlackNode,
    NotificationNode,
)
