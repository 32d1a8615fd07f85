"""RPC nodes (action category): call a device, and answer a device's call."""

from __future__ import annotations

from industryos.entities.ids import EntityType
from industryos.msg import Msg
from industryos.rules.errors import NodeFailure
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
from industryos.rules.nodes.templates import json_text
from industryos.telemetry.parse import loads

PREFIX = "org.thingsboard.rule.engine."


class SendRpcRequestNode(RuleNode):
    """Send ``{method, params}`` to the device; its reply becomes the body on ``Success``."""

    clazz = PREFIX + "rpc.TbSendRPCRequestNode"
    requires = frozenset({Service.SERVER_RPC})
    descriptor = Descriptor(
        ComponentType.ACTION,
        "rpc call request",
        "Sends one-way RPC call to device",
        default_configuration={"timeoutInSeconds": 60},
    )

    def __init__(self, config: NodeConfig, ctx: NodeContext) -> None:
        super().__init__(config, ctx)
        self._rpc = ctx.server_rpc()
        self._timeout = max(1, config.integer("timeoutInSeconds", 60))

    async def on_msg(self, msg: Msg) -> list[Emit]:
        """Only devices take RPC; the outcome decides the label."""
        if msg.originator.entity_type is not EntityType.DEVICE:
            raise NodeFailure("RPC call request is only supported for DEVICE originators")
        body = loads(msg.data) if msg.data else None
        if not isinstance(body, dict) or not isinstance(body.get("method"), str):
            raise NodeFailure('Message body must be {"method": ..., "params": ...}')
        params = body.get("params", {})
        result = await self._rpc.call(
            msg.originator.id,
            body["method"],
            params if isinstance(params, str) else json_text(params),
            oneway=msg.metadata.get("oneway") == "true",
            timeout_s=float(self._timeout),
        )
        if result.response is not None:
            return [Emit(Label.SUCCESS, msg.with_changes(data=result.response))]
        if result.outcome.value == "DELIVERED":
            return [Emit(Label.SUCCESS, msg)]
        raise NodeFailure(result.outcome.value)


class SendRpcReplyNode(RuleNode):
    """Answer a device's RPC: the body goes to the session and request in the metadata."""

    clazz = PREFIX + "rpc.TbSendRPCReplyNode"
    requires = frozenset({Service.CLIENT_RPC})
    descriptor = Descriptor(
        ComponentType.ACTION,
        "rpc call reply",
        "Sends reply to RPC call from device",
        default_configuration={
            "serviceIdMetaDataAttribute": "serviceId",
            "sessionIdMetaDataAttribute": "sessionId",
            "requestIdMetaDataAttribute": "requestId",
        },
    )

    def __init__(self, config: NodeConfig, ctx: NodeContext) -> None:
        super().__init__(config, ctx)
        self._replies = ctx.client_rpc()
        self._session_key = config.text("sessionIdMetaDataAttribute", "sessionId") or "sessionId"
        self._request_key = config.text("requestIdMetaDataAttribute", "requestId") or "requestId"

    async def on_msg(self, msg: Msg) -> list[Emit]:
        """Refuse what cannot be an answer; a caller that stopped waiting is a Failure."""
        if msg.originator.entity_type is not EntityType.DEVICE:
            raise NodeFailure("Message originator is not a device entity!")
        session_id = msg.metadata.get(self._session_key)
        request_id = msg.metadata.get(self._request_key)
        if not session_id:
            raise NodeFailure("Session id is not present in the metadata!")
        if not request_id or not request_id.isdigit():
            raise NodeFailure("Request id is not present in the metadata!")
        if not msg.data:
            raise NodeFailure("Request body is empty!")
        if not self._replies.reply(session_id, int(request_id), msg.data):
            raise NodeFailure(f"No pending RPC {request_id} for session {session_id}")
        return [Emit(Label.SUCCESS, msg)]


NODES: tuple[type[RuleNode], ...] = (SendRpcRequestNode, SendRpcReplyNode)
