"""RPC nodes (action category): call a device, and answer a device's call."""

from __future__ import annotations

from industryos.devices.rpc import RpcOutcome
from industryos.devices.rpc_request import BadRpcMessage, ToDeviceRpc
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

PREFIX = "org.thingsboard.rule.engine."


class SendRpcRequestNode(RuleNode):
    """Send ``{method, params}`` to the device; its reply becomes the body on ``Success``.

    The call's ``requestUUID``, ``expirationTime``, ``oneway`` and ``persistent`` come from
    the metadata REST sets (spec platform-api §3.7); without them the call gets a new id
    and ``timeoutInSeconds``. The outcome also goes back to the REST request waiting for
    it. A persistent call is handed over and passes on ``Success`` at once.
    """

    clazz = PREFIX + "rpc.TbSendRPCRequestNode"
    requires = frozenset({Service.DEVICE_RPC})
    descriptor = Descriptor(
        ComponentType.ACTION,
        "rpc call request",
        "Sends one-way RPC call to device",
        default_configuration={"timeoutInSeconds": 60},
    )

    def __init__(self, config: NodeConfig, ctx: NodeContext) -> None:
        super().__init__(config, ctx)
        self._rpc = ctx.device_rpc()
        self._timeout_ms = max(1, config.integer("timeoutInSeconds", 60)) * 1000

    async def on_msg(self, msg: Msg) -> list[Emit]:
        """Only devices take RPC; the outcome decides the label."""
        try:
            request = ToDeviceRpc.from_msg(msg, self._timeout_ms)
        except BadRpcMessage as exc:
            raise NodeFailure(str(exc)) from None
        result = await self._rpc.execute(request)
        if result is None:
            return [Emit(Label.SUCCESS, msg)]
        if result.response is not None:
            return [Emit(Label.SUCCESS, msg.with_changes(data=result.response))]
        if result.outcome is RpcOutcome.DELIVERED:
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
