"""REST calls into the rule engine and their replies (``rest.TbSendRestApiCallReplyNode``).

``POST /api/rule-engine/...`` (``api/routes/rule_engine.py``) turns a request body into a
REST_API_REQUEST message with metadata ``requestUUID`` and ``serviceId`` and waits in
:class:`RestApiCalls`; the reply node, reached by that message (or one derived from it),
hands its body back under the request id named by ``requestIdMetaDataAttribute``. A reply
for a request this node does not know (timed out, or made on another node) is a Failure.
Design limit: a waiting request lives in the memory of the node that accepted it.
"""

from __future__ import annotations

import asyncio
import socket
import uuid

from industryos.entities.ids import now_ms
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

__all__ = ["REST_API_REQUEST", "RestApiCalls", "SendRestApiCallReplyNode"]

PREFIX = "org.thingsboard.rule.engine."
REST_API_REQUEST = "REST_API_REQUEST"


class RestApiCalls:
    """Requests waiting for their rule-engine reply, by request id."""

    def __init__(self, service_id: str | None = None) -> None:
        self.service_id = service_id or socket.gethostname()
        self._waiting: dict[str, asyncio.Future[str]] = {}

    def open(self, timeout_ms: int) -> tuple[str, dict[str, str]]:
        """A new request id and the metadata its message must carry."""
        request_id = str(uuid.uuid4())
        self._waiting[request_id] = asyncio.get_running_loop().create_future()
        metadata = {
            "requestUUID": request_id,
            "serviceId": self.service_id,
            "expirationTime": str(now_ms() + timeout_ms),
        }
        return request_id, metadata

    async def wait(self, request_id: str, timeout_s: float) -> str | None:
        """The reply body, or None when none came in time."""
        waiter = self._waiting[request_id]
        try:
            async with asyncio.timeout(timeout_s):
                return await waiter
        except TimeoutError:
            return None
        finally:
            self._waiting.pop(request_id, None)

    def cancel(self, request_id: str) -> None:
        """Forget a request (its message could not be queued)."""
        self._waiting.pop(request_id, None)

    def reply(self, request_id: str, body: str) -> bool:
        """Deliver a reply; False when nobody waits for ``request_id``."""
        waiter = self._waiting.get(request_id)
        if waiter is None or waiter.done():
            return False
        waiter.set_result(body)
        return True


class SendRestApiCallReplyNode(RuleNode):
    """The message body becomes the REST response of the waiting request."""

    clazz = PREFIX + "rest.TbSendRestApiCallReplyNode"
    requires = frozenset({Service.REST_CALLS})
    descriptor = Descriptor(
        ComponentType.ACTION,
        "rest call reply",
        "Sends reply to REST API call to rule engine",
        default_configuration={
            "requestIdMetaDataAttribute": "requestUUID",
            "serviceIdMetaDataAttribute": "serviceId",
        },
    )

    def __init__(self, config: NodeConfig, ctx: NodeContext) -> None:
        super().__init__(config, ctx)
        self._calls = ctx.rest_calls()
        self._request_key = config.text("requestIdMetaDataAttribute") or "requestUUID"
        self._service_key = config.text("serviceIdMetaDataAttribute") or "serviceId"

    async def on_msg(self, msg: Msg) -> list[Emit]:
        """Reply, then pass the message on."""
        request_id = msg.metadata.get(self._request_key)
        if not request_id:
            raise NodeFailure("Request id is not present in the metadata!")
        service_id = msg.metadata.get(self._service_key)
        if not service_id:
            raise NodeFailure("Service id is not present in the metadata!")
        if service_id != self._calls.service_id or not self._calls.reply(request_id, msg.data):
            raise NodeFailure(f"No REST API call is waiting for request {request_id}")
        return [Emit(Label.SUCCESS, msg)]


NODES: tuple[type[RuleNode], ...] = (SendRestApiCallReplyNode,)
