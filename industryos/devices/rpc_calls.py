"""What the "rpc call request" rule node calls: send to the device, report to the caller.

A plain call goes straight to :class:`ServerRpc` and its outcome completes the REST
request waiting under the call's ``requestUUID``; a persistent one is already stored (REST
did that) and is handed to :class:`PersistentRpc`, which delivers it whenever it can.
"""

from __future__ import annotations

from industryos.devices.persistent_rpc import PersistentRpc
from industryos.devices.rpc import RpcResult, ServerRpc
from industryos.devices.rpc_request import ToDeviceRpc
from industryos.devices.rpc_waiters import RpcWaiters

__all__ = ["DeviceRpcCalls"]


class DeviceRpcCalls:
    """The rule engine's door to device RPC."""

    def __init__(
        self, server_rpc: ServerRpc, waiters: RpcWaiters, persistent: PersistentRpc
    ) -> None:
        self._rpc = server_rpc
        self._waiters = waiters
        self._persistent = persistent

    async def execute(self, request: ToDeviceRpc) -> RpcResult | None:
        """The outcome of a plain call (also handed to its REST caller); None for a
        persistent call, whose progress is its stored status."""
        if request.persistent:
            self._persistent.dispatch(request.device_id)
            return None
        try:
            result = await self._rpc.call(
                request.device_id,
                request.method,
                request.params,
                oneway=request.oneway,
                timeout_s=request.remaining_s(),
            )
        except BaseException:
            self._waiters.discard(request.request_uuid)
            raise
        self._waiters.complete(request.request_uuid, result)
        return result
