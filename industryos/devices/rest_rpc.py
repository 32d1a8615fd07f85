"""RPC to devices on behalf of a REST caller (spec platform-api §3.7).

The caller's access to the device is checked (customer users only reach their
customer's devices), the call goes into the rule engine as RPC_CALL_FROM_SERVER_TO_DEVICE
and, unless persistent, the request waits under its ``requestUUID`` for the outcome the
"rpc call request" node reports, at most ``timeout`` ms (default 10 000, never less than
the configured minimum, 5 000 in ThingsBoard). A persistent call is stored first and
answered at once with its id. Every call is audited as RPC_CALL.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from dataclasses import dataclass

from industryos.devices.persistent_rpc import PersistentRpc
from industryos.devices.rpc import RpcOutcome, RpcResult
from industryos.devices.rpc_request import ToDeviceRpc
from industryos.devices.rpc_status import RpcStatus
from industryos.devices.rpc_store import PersistedRpc
from industryos.devices.rpc_waiters import RpcWaiters
from industryos.entities.access import Caller
from industryos.entities.audit_service import AuditService
from industryos.entities.device_service import DeviceService
from industryos.entities.errors import InvalidArgument, NotFound
from industryos.entities.events import MsgPublisher
from industryos.entities.ids import EntityType, now_ms
from industryos.entities.models import ActionType, Authority
from industryos.entities.models.device import Device
from industryos.entities.paging import PageData, PageLink

__all__ = ["DEFAULT_TIMEOUT_MS", "RestRpc", "RpcCall"]

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT_MS = 10_000
_RPC_USERS = (Authority.TENANT_ADMIN, Authority.CUSTOMER_USER)


@dataclass(frozen=True, slots=True)
class RpcCall:
    """The REST request body, validated."""

    method: str
    params: str = "{}"
    """JSON text."""
    timeout_ms: int | None = None
    expiration_time: int | None = None
    persistent: bool = False
    retries: int = 0
    additional_info: str | None = None
    """JSON text, or None."""
    request_uuid: uuid.UUID | None = None


class RestRpc:
    """Sends RPCs for REST callers and reads, pages and deletes persistent ones."""

    def __init__(
        self,
        devices: DeviceService,
        audit: AuditService,
        publisher: MsgPublisher,
        waiters: RpcWaiters,
        persistent: PersistentRpc,
        *,
        min_timeout_ms: int = 5_000,
    ) -> None:
        self._devices = devices
        self._audit = audit
        self._publisher = publisher
        self._waiters = waiters
        self._persistent = persistent
        self._min_timeout_ms = min_timeout_ms

    async def _device(self, caller: Caller, device_id: uuid.UUID) -> Device:
        caller.require(*_RPC_USERS)
        return await self._devices.get(caller, device_id)

    async def call(
        self, caller: Caller, device_id: uuid.UUID, body: RpcCall, *, oneway: bool
    ) -> RpcResult | PersistedRpc:
        """The outcome of a plain call, or the stored record of a persistent one."""
        device = await self._device(caller, device_id)
        timeout_ms = max(self._min_timeout_ms, body.timeout_ms or DEFAULT_TIMEOUT_MS)
        expiration = body.expiration_time or 0
        if expiration <= 0:
            expiration = now_ms() + timeout_ms
        assert device.id is not None and device.tenant_id is not None
        request = ToDeviceRpc(
            request_uuid=body.request_uuid or uuid.uuid4(),
            tenant_id=device.tenant_id,
            customer_id=device.customer_id,
            device_id=device.id,
            method=body.method,
            params=body.params,
            expiration_time=expiration,
            oneway=oneway,
            persistent=body.persistent,
            retries=max(0, body.retries),
            timeout_ms=timeout_ms,
            additional_info=body.additional_info,
            device_name=device.name,
            device_type=device.type or "",
        )
        if body.persistent:
            return await self._call_persistent(caller, device, request)
        result = await self._call_and_wait(request, timeout_ms / 1000)
        failure = None if result.outcome in _SUCCESS else result.outcome.value
        await self._record(caller, device, request, failure)
        return result

    async def _call_persistent(
        self, caller: Caller, device: Device, request: ToDeviceRpc
    ) -> PersistedRpc:
        if await self._persistent.get(request.request_uuid) is not None:
            raise InvalidArgument(f"RPC with id {request.request_uuid} already exists")
        record = await self._persistent.create(request)
        await self._publisher.publish(request.to_msg())
        await self._record(caller, device, request, None)
        return record

    async def _call_and_wait(self, request: ToDeviceRpc, timeout_s: float) -> RpcResult:
        future = self._waiters.expect(request.request_uuid)
        try:
            await self._publisher.publish(request.to_msg())
            async with asyncio.timeout(timeout_s):
                return await future
        except TimeoutError:
            log.debug("REST RPC %s timed out", request.request_uuid)
            return RpcResult(RpcOutcome.TIMEOUT)
        finally:
            self._waiters.discard(request.request_uuid)

    async def _record(
        self, caller: Caller, device: Device, request: ToDeviceRpc, failure: str | None
    ) -> None:
        await self._audit.record(
            caller,
            ActionType.RPC_CALL,
            entity_type=EntityType.DEVICE,
            entity_id=device.id,
            entity_name=device.name,
            customer_id=device.customer_id,
            data={"oneWay": request.oneway, "method": request.method, "params": request.params},
            failure=failure,
        )

    # --- persistent calls ------------------------------------------------------------------

    async def get(self, caller: Caller, rpc_id: uuid.UUID) -> PersistedRpc:
        """A stored call of a device the caller may reach."""
        caller.require(*_RPC_USERS)
        record = await self._persistent.get(rpc_id)
        if record is None:
            raise NotFound()
        await self._device(caller, record.device_id)
        return record

    async def page(
        self,
        caller: Caller,
        device_id: uuid.UUID,
        status: RpcStatus | None,
        link: PageLink,
    ) -> PageData[PersistedRpc]:
        """The stored calls of one device, optionally of one status."""
        device = await self._device(caller, device_id)
        assert device.tenant_id is not None
        return await self._persistent.page(device.tenant_id, device_id, status, link)

    async def delete(self, caller: Caller, rpc_id: uuid.UUID) -> None:
        """Remove a stored call (RPC_DELETED)."""
        record = await self.get(caller, rpc_id)
        if not await self._persistent.delete(record):
            raise NotFound()


_SUCCESS = frozenset({RpcOutcome.DELIVERED, RpcOutcome.RESPONSE})
