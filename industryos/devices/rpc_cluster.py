"""Server-side RPC across the nodes of a cluster, over the cluster bus (``queue/bus``).

Each node runs the RPCs its own rule engine takes from its queue, and the REST request
waiting for one (``rpc_waiters.py``) is on that node; the device's session may be on any
node. So while a device has a session on a node, that node serves the device's bus subject
(``rpc_cluster_wire.device_subject``), and a node with no session of the device sends the
call there as a bus request (:meth:`ClusterRpc.call`): the serving node delivers it with
its own :class:`ServerRpc` and answers with the outcome (delivered, reply, timeout), which
the calling node hands to its waiter. A subject nobody serves fails at once, which is
NO_ACTIVE_CONNECTION, as on one node. A node only asks the bus after its own sessions, so a
local device costs no hop, and single-node mode builds no :class:`ClusterRpc` at all.

Persistent calls live in the shared database: :meth:`ClusterRpc.dispatch` asks the node
holding the device to send its QUEUED calls now; a device that connects later finds them
through its node's periodic refresh (``PersistentRpc(shared=True)``).

Tenant isolation: a serving node delivers only when the request's tenant is the tenant its
device sessions authenticated in, and only to the device its subject names.

Design limits: bus messages are at most once and nothing is stored, so a serving node that
dies mid-call leaves the caller to time out (as for a device that does not answer), and a
calling node that dies loses the outcome (the device may have acted on the call). A device
with sessions on two nodes is served by one of them per call. Each node holds one bus
subscription per connected device.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import uuid
from collections.abc import Coroutine
from typing import Any

from industryos.devices.persistent_rpc import PersistentRpc
from industryos.devices.rpc import RpcOutcome, RpcResult, ServerRpc
from industryos.devices.rpc_cluster_wire import (
    BadClusterRpc,
    RemoteCall,
    RemoteKind,
    decode_result,
    device_subject,
    encode_result,
)
from industryos.devices.rpc_request import ToDeviceRpc
from industryos.devices.sessions import SessionRegistry
from industryos.queue.bus import Bus, BusError, NoResponders, Subscription

__all__ = ["ClusterRpc"]

log = logging.getLogger(__name__)

ANSWER_MARGIN_S = 1.0
"""How much longer than the call's own timeout the caller waits for the serving node's
answer (that node reports the device's TIMEOUT itself; past this the node is gone)."""
FLUSH_TIMEOUT_S = 5.0
_NOT_HERE = RpcResult(RpcOutcome.NO_ACTIVE_CONNECTION)
_FLUSHING = b"{}"
"""The answer to a FLUSH (nobody reads it: progress is the calls' stored status)."""


class ClusterRpc:
    """Serves this node's devices to the cluster and sends calls to other nodes' devices."""

    def __init__(
        self,
        bus: Bus,
        sessions: SessionRegistry,
        server_rpc: ServerRpc,
        persistent: PersistentRpc,
    ) -> None:
        self._bus = bus
        self._sessions = sessions
        self._rpc = server_rpc
        self._persistent = persistent
        self._serving: dict[uuid.UUID, asyncio.Task[Subscription | None]] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        sessions.on_session_added(self._device_added)
        sessions.on_device_gone(self._device_gone)

    def serving(self, device_id: uuid.UUID) -> bool:
        """True once this node answers the cluster for ``device_id``."""
        task = self._serving.get(device_id)
        if task is None or not task.done() or task.cancelled():
            return False
        return task.result() is not None

    async def stop(self) -> None:
        """Stop serving every device (calls being answered finish or are cut by the bus)."""
        serving, self._serving = list(self._serving.values()), {}
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for found in await asyncio.gather(*serving, return_exceptions=True):
            if isinstance(found, BaseException) or found is None:
                continue
            await found.close()

    # --- calling a device on another node ---------------------------------------------------

    async def call(self, request: ToDeviceRpc) -> RpcResult:
        """The outcome of a plain call sent to the node holding the device."""
        timeout_s = request.remaining_s()
        remote = RemoteCall(
            RemoteKind.CALL,
            request.tenant_id,
            request.device_id,
            request.request_uuid,
            request.method,
            request.params,
            request.oneway,
            timeout_s,
        )
        subject = device_subject(request.device_id)
        try:
            answer = await self._bus.request(subject, remote.encode(), timeout_s + ANSWER_MARGIN_S)
        except NoResponders:
            return _NOT_HERE
        except BusError as exc:  # the serving node died or failed, or the bus is down
            log.warning("RPC %s to %s: no answer: %s", request.request_uuid, subject, exc)
            return RpcResult(RpcOutcome.TIMEOUT)
        try:
            return decode_result(answer)
        except BadClusterRpc as exc:
            log.warning("RPC %s to %s: %s", request.request_uuid, subject, exc)
            return RpcResult(RpcOutcome.TIMEOUT)

    def dispatch(self, request: ToDeviceRpc) -> None:
        """Ask the node holding the device to send its QUEUED persistent calls now (a
        device with a session here is this node's :class:`PersistentRpc`'s business)."""
        if self._sessions.is_connected(request.device_id):
            return
        remote = RemoteCall(
            RemoteKind.FLUSH, request.tenant_id, request.device_id, request.request_uuid
        )
        self._spawn(self._flush(remote))

    async def _flush(self, remote: RemoteCall) -> None:
        try:
            await self._bus.request(
                device_subject(remote.device_id), remote.encode(), FLUSH_TIMEOUT_S
            )
        except NoResponders:
            log.debug("persistent RPC %s waits: device offline", remote.request_uuid)
        except BusError as exc:  # the periodic refresh of the serving node finds it
            log.debug("persistent RPC %s: %s", remote.request_uuid, exc)

    # --- serving this node's devices --------------------------------------------------------

    def _device_added(self, device_id: uuid.UUID) -> None:
        if device_id not in self._serving:
            self._serving[device_id] = asyncio.create_task(self._serve(device_id))

    def _device_gone(self, device_id: uuid.UUID) -> None:
        task = self._serving.pop(device_id, None)
        if task is not None:
            self._spawn(_close_when_open(task))

    async def _serve(self, device_id: uuid.UUID) -> Subscription | None:
        subject = device_subject(device_id)
        try:
            return await self._bus.serve(subject, functools.partial(self._answer, device_id))
        except BusError as exc:
            log.error("cannot serve RPCs of %s on the cluster bus: %s", device_id, exc)
            return None

    async def _answer(self, device_id: uuid.UUID, payload: bytes) -> bytes:
        try:
            remote = RemoteCall.decode(payload)
        except BadClusterRpc as exc:
            log.warning("cluster RPC for %s dropped: %s", device_id, exc)
            return encode_result(_NOT_HERE)
        tenant_id = self._sessions.tenant_of(device_id)
        if remote.device_id != device_id or tenant_id != remote.tenant_id:
            log.warning(
                "cluster RPC %s refused: device %s of tenant %s is not served here",
                remote.request_uuid,
                remote.device_id,
                remote.tenant_id,
            )
            return encode_result(_NOT_HERE)
        if remote.kind is RemoteKind.FLUSH:
            self._persistent.dispatch(device_id)
            return _FLUSHING
        result = await self._rpc.call(
            device_id,
            remote.method,
            remote.params,
            oneway=remote.oneway,
            timeout_s=remote.timeout_s,
        )
        return encode_result(result)

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)


async def _close_when_open(task: asyncio.Task[Subscription | None]) -> None:
    subscription = await task
    if subscription is not None:
        await subscription.close()
