"""To email node (``mail.TbMsgToEmailNode``): a message becomes a SEND_EMAIL message.

Every field is a template (``${metadataKey}``, ``$[body.path]``). The output body is
ThingsBoard's ``EmailPojo`` JSON — ``from``, ``to``, ``cc``, ``bcc``, ``subject``, ``body``,
``html``, ``images`` — which the send email node consumes. ``mailBodyType`` is ``"false"``
(plain text), ``"true"`` (HTML) or ``"dynamic"`` (``isHtmlTemplate`` decides per message);
version-0 configurations with a boolean ``isHtml`` are read the same way.
"""

from __future__ import annotations

from industryos.msg import Msg
from industryos.rules.errors import NodeConfigError, NodeFailure
from industryos.rules.labels import Label
from industryos.rules.nodes.base import (
    ComponentType,
    Descriptor,
    Emit,
    NodeConfig,
    NodeContext,
    RuleNode,
)
from industryos.rules.nodes.templates import body_of, fill, json_text

PREFIX = "org.thingsboard.rule.engine."
SEND_EMAIL = "SEND_EMAIL"


class MsgToEmailNode(RuleNode):
    """Render the email templates against the message."""

    clazz = PREFIX + "mail.TbMsgToEmailNode"
    descriptor = Descriptor(
        ComponentType.TRANSFORMATION,
        "to email",
        "Transforms message to email message",
        default_configuration={
            "fromTemplate": "info@testmail.org",
            "toTemplate": "${userEmail}",
            "ccTemplate": None,
            "bccTemplate": None,
            "subjectTemplate": "Device ${deviceType} temperature high",
            "mailBodyType": "false",
            "isHtmlTemplate": None,
            "bodyTemplate": "Device ${deviceName} has high temperature $[temp]",
        },
    )

    def __init__(self, config: NodeConfig, ctx: NodeContext) -> None:
        super().__init__(config, ctx)
        self._templates = {
            key: config.text(field)
            for key, field in (
                ("from", "fromTemplate"),
                ("to", "toTemplate"),
                ("cc", "ccTemplate"),
                ("bcc", "bccTemplate"),
                ("subject", "subjectTemplate"),
                ("body", "bodyTemplate"),
            )
        }
        if not self._templates["to"]:
            raise NodeConfigError(f"{self.clazz}: toTemplate should be specified")
        legacy = config.raw.get("isHtml")
        body_type = config.raw.get("mailBodyType")
        if body_type is None and isinstance(legacy, bool):
            body_type = "true" if legacy else "false"
        self._body_type = str(body_type or "false")
        if self._body_type not in ("true", "false", "dynamic"):
            raise NodeConfigError(f"{self.clazz}: mailBodyType must be true, false or dynamic")
        self._html_template = config.text("isHtmlTemplate")

    async def on_msg(self, msg: Msg) -> list[Emit]:
        """SEND_EMAIL with the rendered fields; no recipient after rendering is a Failure."""
        body = body_of(msg)
        rendered = {k: fill(t, msg, body) if t else None for k, t in self._templates.items()}
        if not rendered["to"]:
            raise NodeFailure("Email recipient ('to') is empty")
        if self._body_type == "dynamic":
            html = fill(self._html_template, msg, body).strip().lower() == "true"
        else:
            html = self._body_type == "true"
        email = {**rendered, "html": html, "images": None}
        return [Emit(Label.SUCCESS, msg.with_changes(type=SEND_EMAIL, data=json_text(email)))]


NODES: tuple[type[RuleNode], ...] = (MsgToEmailNode,)
