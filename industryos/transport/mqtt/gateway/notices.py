"""Service RPCs to a gateway about its children: renamed and deleted (spec §5.5).

ThingsBoard tells the gateway that last connected a child when the child is renamed
(``gateway_device_renamed``, params ``{"old": "new"}``) or deleted
(``gateway_device_deleted``, params ``"name"``), as one-way RPCs on the gateway's own
``v1/devices/me/rpc/request/{id}`` topic, so the gateway can fix its local mapping.

Both are heard through :meth:`GatewayNotices.child_changed`, which
``DeviceTransports.device_changed`` calls for a device saved on this node or, through the
cluster's change relay, on another, so a gateway connected to this node hears of a child
changed through any node (a save that kept the name sends nothing).

Design limit: a notice to an offline gateway is not kept (ThingsBoard queues it as a
persistent RPC for a day).
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Coroutine
from typing import Any

import orjson

from industryos.devices.rpc import RpcOutcome, ServerRpc
from industryos.transport.mqtt.gateway.session import Gateway, GatewayRegistry
from industryos.transport.mqtt.gateway.topics import GatewayMethod

__all__ = ["GatewayNotices"]

log = logging.getLogger(__name__)


class GatewayNotices:
    """Sends ``gateway_device_renamed`` / ``gateway_device_deleted`` to the right gateway."""

    def __init__(
        self,
        gateways: GatewayRegistry,
        rpc: ServerRpc,
        *,
        timeout_s: float = 10.0,
    ) -> None:
        self._gateways = gateways
        self._rpc = rpc
        self._timeout_s = timeout_s
        self._tasks: set[asyncio.Task[None]] = set()

    def _gateway_of(self, device_id: uuid.UUID) -> tuple[Gateway, str] | None:
        for gateway in self._gateways:
            child = gateway.child_by_id(device_id)
            if child is not None:
                return gateway, child.identity.device_name
        return None

    async def device_renamed(self, device_id: uuid.UUID, new_name: str) -> bool:
        """A device was renamed; tell its gateway. False when no gateway knows it."""
        found = self._gateway_of(device_id)
        if found is None:
            return False
        gateway, old_name = found
        if old_name == new_name:
            return False
        self._gateways.rename_child(gateway, old_name, new_name)
        params = orjson.dumps({old_name: new_name}).decode()
        return await self._send(gateway, GatewayMethod.DEVICE_RENAMED, params)

    async def device_deleted(self, device_id: uuid.UUID) -> bool:
        """A device was deleted; tell its gateway. False when no gateway knows it."""
        found = self._gateway_of(device_id)
        if found is None:
            return False
        gateway, name = found
        self._gateways.remove_child(gateway, name)
        return await self._send(gateway, GatewayMethod.DEVICE_DELETED, orjson.dumps(name).decode())

    def child_changed(self, device_id: uuid.UUID, name: str | None) -> None:
        """A device is now called ``name``, or was deleted (None), here or on another node:
        tell a gateway of this node that knows it as a child under another name."""
        if self._gateway_of(device_id) is None:
            return
        if name is None:
            self._spawn(self._announce(self.device_deleted(device_id)))
        else:
            self._spawn(self._announce(self.device_renamed(device_id, name)))

    @staticmethod
    async def _announce(notice: Awaitable[bool]) -> None:
        await notice

    async def _send(self, gateway: Gateway, method: GatewayMethod, params: str) -> bool:
        result = await self._rpc.call(
            gateway.identity.device_id, method, params, oneway=True, timeout_s=self._timeout_s
        )
        if result.outcome is not RpcOutcome.DELIVERED:
            log.debug("%r: %s not delivered (%s)", gateway, method, result.outcome)
            return False
        return True

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def close(self) -> None:
        """Wait for notices still being sent."""
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
