"""Correlation of REST RPC calls with their outcome, keyed by ``requestUUID``.

A REST request puts RPC_CALL_FROM_SERVER_TO_DEVICE into the rule engine and waits here;
the "rpc call request" node completes the wait with the device's outcome. Without that
node in the chain nobody completes it and the REST caller times out, as in ThingsBoard.

Waiters are in-process: the message goes into the embedded queue of the node holding the
HTTP request, so that node's rule engine runs the chain and completes the wait. When the
device's session is on another node, the outcome comes back over the cluster bus as the
answer to the call (``rpc_cluster.py``), not through this class.
"""

from __future__ import annotations

import asyncio
import logging
import uuid

from industryos.devices.rpc import RpcResult

__all__ = ["RpcWaiters"]

log = logging.getLogger(__name__)


class RpcWaiters:
    """requestUUID → the future a REST request awaits."""

    def __init__(self) -> None:
        self._pending: dict[uuid.UUID, asyncio.Future[RpcResult]] = {}

    def expect(self, request_uuid: uuid.UUID) -> asyncio.Future[RpcResult]:
        """Register a waiting caller; a second registration of the same id replaces it."""
        old = self._pending.pop(request_uuid, None)
        if old is not None and not old.done():
            old.cancel()
        future: asyncio.Future[RpcResult] = asyncio.get_running_loop().create_future()
        self._pending[request_uuid] = future
        return future

    def complete(self, request_uuid: uuid.UUID, result: RpcResult) -> bool:
        """Hand the outcome to the waiting caller; False when nobody waits any more."""
        future = self._pending.pop(request_uuid, None)
        if future is None or future.done():
            log.debug("RPC %s completed with nobody waiting", request_uuid)
            return False
        future.set_result(result)
        return True

    def discard(self, request_uuid: uuid.UUID) -> None:
        """The caller stopped waiting (answered, timed out, or went away)."""
        future = self._pending.pop(request_uuid, None)
        if future is not None and not future.done():
            future.cancel()

    def __len__(self) -> int:
        return len(self._pending)
