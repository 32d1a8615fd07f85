"""What the "rpc call request" rule node calls: send to the device, report to the caller.

A plain call goes straight to :class:`ServerRpc` and its outcome completes the REST
request waiting under the call's ``requestUUID``; a persistent one is already stored (REST
did that) and is handed to :class:`PersistentRpc`, which delivers it whenever it can.
In a cluster (``cluster`` given), a device with no session on this node is reached through
:class:`ClusterRpc`, after the local sessions (a local device costs no bus hop).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from industryos.devices.persistent_rpc import PersistentRpc
from industryos.devices.rpc import RpcOutcome, RpcResult, ServerRpc
from industryos.devices.rpc_request import ToDeviceRpc
from industryos.devices.rpc_waiters import RpcWaiters

if TYPE_CHECKING:
    from industryos.devices.rpc_cluster import ClusterRpc

__all__ = ["DeviceRpcCalls"]


class DeviceRpcCalls:
    """The rule engine's door to device RPC."""

    def __init__(
        self,
        server_rpc: ServerRpc,
        waiters: RpcWaiters,
        persistent: PersistentRpc,
        cluster: ClusterRpc | None = None,
    ) -> None:
        self._rpc = server_rpc
        self._waiters = waiters
        self._persistent = persistent
        self._cluster = cluster

    async def execute(self, request: ToDeviceRpc) -> RpcResult | None:
        """The outcome of a plain call (also handed to its REST caller); None for a
        persistent call, whose progress is its stored status."""
        if request.persistent:
            self._persistent.dispatch(request.device_id)
            if self._cluster is not None:
                self._cluster.dispatch(request)
            return None
        try:
            result = await self._rpc.call(
                request.device_id,
                request.method,
                request.params,
                oneway=request.oneway,
                timeout_s=request.remaining_s(),
            )
            if result.outcome is RpcOutcome.NO_ACTIVE_CONNECTION and self._cluster is not None:
                result = await self._cluster.call(request)
        except BaseException:
            self._waiters.discard(request.request_uuid)
            raise
        self._waiters.complete(request.request_uuid, result)
        return result
