"""REST calls into the rule engine and their replies (``rest.TbSendRestApiCallReplyNode``).

``POST /api/rule-engine/...`` (``api/routes/rule_engine.py``) turns a request body into a
REST_API_REQUEST message with metadata ``requestUUID`` and ``serviceId`` and waits in
:class:`RestApiCalls`; the reply node, reached by that message (or one derived from it),
hands its body back under the request id named by ``requestIdMetaDataAttribute`` to the
service named by ``serviceIdMetaDataAttribute``.

A waiting request lives in the memory of the node that accepted it, but in a cluster the
chain may run on another node (whichever consumes the queue partition). So each node's
:class:`RestApiCalls` has a unique service id and listens on the cluster bus
(``queue/bus``) on subject ``industryos.rule-engine.rest-reply.<service id>``: a reply for
this node resolves the waiter directly, a reply for another node is published there. A
local reply nobody waits for (timed out) is a Failure; a published one is a Success (as in
ThingsBoard, the sender cannot know whether the remote call is still waiting, and a late
reply is dropped by the receiver). Without a bus, a reply for another node is a Failure.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import uuid

import orjson

from industryos.entities.ids import now_ms
from industryos.msg import Msg
from industryos.queue.bus import Bus, BusError, Subscription, subject_token
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

__all__ = ["REPLY_SUBJECT", "REST_API_REQUEST", "RestApiCalls", "SendRestApiCallReplyNode"]

log = logging.getLogger(__name__)

PREFIX = "org.thingsboard.rule.engine."
REST_API_REQUEST = "REST_API_REQUEST"
REPLY_SUBJECT = "industryos.rule-engine.rest-reply."
"""Bus subject prefix; the service id (as one token) completes it."""


def reply_subject(service_id: str) -> str:
    """The bus subject the node with ``service_id`` hears its replies on."""
    return REPLY_SUBJECT + subject_token(service_id)


class RestApiCalls:
    """Requests waiting for their rule-engine reply, by request id; replies across nodes."""

    def __init__(self, bus: Bus | None = None, service_id: str | None = None) -> None:
        self.service_id = service_id or f"{socket.gethostname()}-{uuid.uuid4().hex[:8]}"
        self._bus = bus
        self._subscription: Subscription | None = None
        self._waiting: dict[str, asyncio.Future[str]] = {}

    async def start(self) -> None:
        """Hear replies that chains on other nodes send to this node."""
        if self._bus is not None and self._subscription is None:
            self._subscription = await self._bus.subscribe(
                reply_subject(self.service_id), self._on_remote_reply
            )

    async def stop(self) -> None:
        """Stop hearing remote replies."""
        subscription, self._subscription = self._subscription, None
        if subscription is not None:
            await subscription.close()

    async def _on_remote_reply(self, payload: bytes) -> None:
        try:
            envelope = orjson.loads(payload)
            request_id, body = str(envelope["requestId"]), str(envelope["body"])
        except (orjson.JSONDecodeError, KeyError, TypeError):
            log.warning("malformed REST reply on the cluster bus dropped")
            return
        if not self.reply(request_id, body):
            log.debug("REST reply for %s came after its call ended", request_id)

    async def send(self, service_id: str, request_id: str, body: str) -> bool:
        """Route a reply to the node waiting for it; False when it cannot arrive."""
        if service_id == self.service_id:
            return self.reply(request_id, body)
        if self._bus is None:
            return False
        envelope = orjson.dumps({"requestId": request_id, "body": body})
        try:
            await self._bus.publish(reply_subject(service_id), envelope)
        except BusError as exc:
            log.warning("REST reply for %s not sent: %s", request_id, exc)
            return False
        return True

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
        if not await self._calls.send(service_id, request_id, msg.data):
            raise NodeFailure(f"No REST API call is waiting for request {request_id}")
        return [Emit(Label.SUCCESS, msg)]


NODES: tuple[type[RuleNode], ...] = (SendRestApiCallReplyNode,)
