"""To email node: templates rendered into ThingsBoard's EmailPojo, SEND_EMAIL type."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from industryos.rules.errors import NodeConfigError, NodeFailure
from industryos.rules.nodes.mail import MsgToEmailNode
from tests.rules.nodes.pure import build, msg

TEMPLATES: dict[str, Any] = {
    "fromTemplate": "plant@acme.test",
    "toTemplate": "${userEmail}",
    "ccTemplate": "$[ops]",
    "bccTemplate": "",
    "subjectTemplate": "Device ${deviceName} temperature high",
    "bodyTemplate": "Temperature is $[temperature] C",
}


async def test_templates_are_rendered_into_send_email() -> None:
    node = build(MsgToEmailNode, mailBodyType="false", **TEMPLATES)
    incoming = msg(
        {"temperature": 81.5, "ops": "ops@acme.test"}, userEmail="boss@acme.test", deviceName="P1"
    )
    (emit,) = await node.on_msg(incoming)
    assert emit.label == "Success"
    assert emit.msg.type == "SEND_EMAIL"
    assert emit.msg.metadata == incoming.metadata
    assert orjson.loads(emit.msg.data) == {
        "from": "plant@acme.test",
        "to": "boss@acme.test",
        "cc": "ops@acme.test",
        "bcc": None,
        "subject": "Device P1 temperature high",
        "body": "Temperature is 81.5 C",
        "html": False,
        "images": None,
    }


async def test_html_modes_and_missing_recipient() -> None:
    dynamic = build(MsgToEmailNode, mailBodyType="dynamic", isHtmlTemplate="${isHtml}", **TEMPLATES)
    on = await dynamic.on_msg(msg({}, userEmail="a@b.test", isHtml="true"))
    assert orjson.loads(on[0].msg.data)["html"] is True
    legacy = build(MsgToEmailNode, isHtml=True, **TEMPLATES)
    assert orjson.loads((await legacy.on_msg(msg({}, userEmail="a@b.test")))[0].msg.data)["html"]
    with pytest.raises(NodeFailure, match="recipient"):
        await build(MsgToEmailNode, **TEMPLATES).on_msg(msg({}, userEmail=""))
    with pytest.raises(NodeConfigError):
        build(MsgToEmailNode, **{**TEMPLATES, "toTemplate": ""})
