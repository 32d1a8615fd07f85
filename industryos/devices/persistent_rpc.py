"""Persistent server-side RPC: stored, delivered when the device next connects, retried,
expired (spec platform-api §3.7, device-api §2.9).

Life of a call: REST stores it QUEUED (the row id is its ``requestUUID``) and puts
RPC_CALL_FROM_SERVER_TO_DEVICE into the rule engine; the "rpc call request" node hands it
here (:meth:`PersistentRpc.dispatch`). Whenever the device has a session that takes RPCs,
its QUEUED calls go out oldest first: SENT, then DELIVERED on the device's acknowledgement
(two-way) and SUCCESSFUL on its reply, or SUCCESSFUL on delivery (one-way, as ThingsBoard
records it). A delivery that fails is retried ``retries`` times, then FAILED; a delivered
call unanswered by its expiration is TIMEOUT; a call whose ``expirationTime`` passes
before it is done is EXPIRED (a periodic sweep, plus a check before each send). Every
transition is announced to the rule engine as ``RPC_<STATUS>`` with the Rpc JSON as data.

Which devices have QUEUED calls is kept in memory (loaded at start), so a session
registration costs a set lookup, not a query. In a cluster (``shared=True``) other nodes
store calls too, so the expiry sweep also reloads that set and sends the new ones to
devices connected here (a call made on another node for a device already connected here
comes at once through ``rpc_cluster.py``; the reload catches a device connecting here
later, and a notice the bus lost).

Design limits: a call is sent by the node holding the device's session. A session
registers before the device subscribes to RPCs (MQTT sends SUBSCRIBE after CONNACK), and
the registry has no subscription event, so the delivery waits, polling briefly, for a
session that wants RPCs (``subscribe_grace_s``).
After a restart, calls left SENT or DELIVERED are not sent again; they expire.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Coroutine
from typing import Any

import orjson

from industryos.devices.rpc import RpcOutcome, RpcResult, ServerRpc
from industryos.devices.rpc_request import ToDeviceRpc
from industryos.devices.rpc_status import ACTIVE_STATUSES, RpcStatus
from industryos.devices.rpc_store import PersistedRpc, RpcStore
from industryos.devices.sessions import SessionRegistry
from industryos.entities.events import MsgPublisher
from industryos.entities.ids import EntityType, now_ms
from industryos.entities.paging import PageData, PageLink
from industryos.msg import EntityRef, Msg
from industryos.outages import log_failure
from industryos.storage.database import Database

__all__ = ["PersistentRpc"]

log = logging.getLogger(__name__)

_POLL_S = 0.05
_OTHER_NODE_GRACE_MS = 5_000
"""How long past its expiration a call SENT or DELIVERED by another node is left to that
node (which records TIMEOUT or the reply) before the sweep calls it EXPIRED."""


class PersistentRpc:
    """Stores persistent RPCs and moves them through their statuses."""

    def __init__(
        self,
        db: Database,
        sessions: SessionRegistry,
        server_rpc: ServerRpc,
        publisher: MsgPublisher,
        *,
        sweep_interval_s: float = 1.0,
        subscribe_grace_s: float = 10.0,
        shared: bool = False,
    ) -> None:
        self._db = db
        self._store = RpcStore()
        self._sessions = sessions
        self._rpc = server_rpc
        self._publisher = publisher
        self._sweep_interval_s = sweep_interval_s
        self._subscribe_grace_s = subscribe_grace_s
        self._shared = shared
        self._waiting: set[uuid.UUID] = set()
        """Devices with QUEUED calls."""
        self._locks: dict[uuid.UUID, asyncio.Lock] = {}
        self._in_flight: set[uuid.UUID] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._sweeper: asyncio.Task[None] | None = None
        sessions.on_session_added(self._session_added)

    async def get(self, rpc_id: uuid.UUID) -> PersistedRpc | None:
        """One stored call (no access check: the caller's business)."""
        async with self._db.read() as conn:
            return await self._store.get(conn, rpc_id)

    async def page(
        self,
        tenant_id: uuid.UUID,
        device_id: uuid.UUID,
        status: RpcStatus | None,
        link: PageLink,
    ) -> PageData[PersistedRpc]:
        """One page of a device's stored calls."""
        async with self._db.read() as conn:
            return await self._store.page(conn, tenant_id, device_id, status, link)

    async def start(self) -> None:
        """Learn which devices wait for calls, deliver to those online, start the sweep."""
        async with self._db.read() as conn:
            self._waiting = await self._store.devices_with_queued(conn)
        for device_id in list(self._waiting):
            self._session_added(device_id)
        self._sweeper = asyncio.create_task(self._sweep_forever())

    async def stop(self) -> None:
        """Stop the sweep and every delivery in progress (their rows stay as they are)."""
        tasks = [*self._tasks, *([self._sweeper] if self._sweeper else [])]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._sweeper = None

    # --- lifecycle entry points ------------------------------------------------------------

    async def create(self, request: ToDeviceRpc) -> PersistedRpc:
        """Store a new call as QUEUED and announce RPC_QUEUED."""
        record = PersistedRpc(
            id=request.request_uuid,
            tenant_id=request.tenant_id,
            device_id=request.device_id,
            expiration_time=request.expiration_time,
            request={
                "id": str(request.request_uuid),
                "oneway": request.oneway,
                "expirationTime": request.expiration_time,
                "body": {"method": request.method, "params": request.params},
                "persisted": True,
                "retries": request.retries,
                "timeout": request.timeout_ms,
                "attempts": 0,
            },
            additional_info=(
                None if request.additional_info is None else orjson.loads(request.additional_info)
            ),
        )
        async with self._db.transaction() as conn:
            await self._store.insert(conn, record)
        self._waiting.add(record.device_id)
        await self._announce(record)
        return record

    def dispatch(self, device_id: uuid.UUID) -> None:
        """The rule engine passed a call of ``device_id`` on: send it if the device is online."""
        self._waiting.add(device_id)
        self._session_added(device_id)

    async def delete(self, record: PersistedRpc) -> bool:
        """Remove a call and announce RPC_DELETED; False when it was already gone."""
        async with self._db.transaction() as conn:
            deleted = await self._store.delete(conn, record.id)
        if deleted:
            record.status = RpcStatus.DELETED
            await self._announce(record)
        return deleted

    # --- delivery --------------------------------------------------------------------------

    def _session_added(self, device_id: uuid.UUID) -> None:
        if device_id in self._waiting:
            self._spawn(self._deliver_when_subscribed(device_id))

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _wants_rpc(self, device_id: uuid.UUID) -> bool:
        return any(s.wants_rpc for s in self._sessions.sessions_of(device_id))

    async def _deliver_when_subscribed(self, device_id: uuid.UUID) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._subscribe_grace_s
        while not self._wants_rpc(device_id):
            if not self._sessions.is_connected(device_id) or loop.time() > deadline:
                return
            await asyncio.sleep(_POLL_S)
        try:
            await self._flush(device_id)
        except Exception:
            log.exception("persistent RPC delivery to %s failed", device_id)

    async def _flush(self, device_id: uuid.UUID) -> None:
        """Send the device's QUEUED calls in order while it has a session taking RPCs."""
        lock = self._locks.setdefault(device_id, asyncio.Lock())
        async with lock:
            while self._wants_rpc(device_id):
                async with self._db.read() as conn:
                    queued = await self._store.queued(conn, device_id)
                if not queued:
                    self._waiting.discard(device_id)
                    break
                for record in queued:
                    if not await self._send(record):
                        return
        if not lock.locked():
            self._locks.pop(device_id, None)

    async def _send(self, record: PersistedRpc) -> bool:
        """One attempt at one call; False when the device has no session for it."""
        if record.expiration_time <= now_ms():
            await self._move(record, RpcStatus.EXPIRED, {RpcStatus.QUEUED})
            return True
        if not await self._move(record, RpcStatus.SENT, {RpcStatus.QUEUED}):
            return True  # deleted or expired meanwhile
        self._in_flight.add(record.id)
        try:
            result = await self._rpc.call(
                record.device_id,
                record.method,
                record.params,
                oneway=record.oneway,
                timeout_s=max(0.0, (record.expiration_time - now_ms()) / 1000),
                on_delivered=lambda: self._delivered(record),
            )
        finally:
            self._in_flight.discard(record.id)
        return await self._settle(record, result)

    async def _delivered(self, record: PersistedRpc) -> None:
        await self._move(record, RpcStatus.DELIVERED, {RpcStatus.SENT})

    async def _settle(self, record: PersistedRpc, result: RpcResult) -> bool:
        sent = {RpcStatus.SENT, RpcStatus.DELIVERED}
        if result.outcome is RpcOutcome.RESPONSE:
            record.response = result.response
            await self._move(record, RpcStatus.SUCCESSFUL, sent)
        elif result.outcome is RpcOutcome.DELIVERED:
            await self._move(record, RpcStatus.SUCCESSFUL, sent)
        elif result.outcome is RpcOutcome.NO_ACTIVE_CONNECTION:
            await self._move(record, RpcStatus.QUEUED, sent)
            return False
        elif result.delivered:
            await self._move(record, RpcStatus.TIMEOUT, sent)
        elif record.expiration_time <= now_ms():
            await self._move(record, RpcStatus.EXPIRED, sent)
        else:
            record.request["attempts"] = record.attempts + 1
            failed = record.attempts > record.retries
            log.debug("persistent RPC %s: delivery attempt %d failed", record.id, record.attempts)
            await self._move(record, RpcStatus.FAILED if failed else RpcStatus.QUEUED, sent)
        return True

    async def _move(
        self, record: PersistedRpc, status: RpcStatus, expected: set[RpcStatus]
    ) -> bool:
        async with self._db.transaction() as conn:
            moved = await self._store.set_status(conn, record, status, expected)
        if moved:
            await self._announce(record)
        return moved

    # --- expiry ----------------------------------------------------------------------------

    async def _sweep_forever(self) -> None:
        while True:
            await asyncio.sleep(self._sweep_interval_s)
            try:
                await self.expire_due()
                if self._shared:
                    await self.reload_waiting()
            except Exception as exc:  # the next sweep tries again
                log_failure(log, exc, "persistent RPC expiry sweep failed")

    async def reload_waiting(self) -> None:
        """Learn the devices other nodes stored calls for; send to those connected here."""
        async with self._db.read() as conn:
            waiting = await self._store.devices_with_queued(conn)
        new = waiting - self._waiting
        self._waiting |= waiting
        for device_id in new:
            self._session_added(device_id)

    async def expire_due(self) -> int:
        """Mark calls past their expiration EXPIRED (those being sent end by themselves)."""
        now = now_ms()
        async with self._db.read() as conn:
            due = await self._store.expired(conn, now, ACTIVE_STATUSES)
        count = 0
        for record in due:
            if record.id in self._in_flight or (
                # in a cluster another node may be sending it: leave it that node's to settle
                self._shared
                and record.status is not RpcStatus.QUEUED
                and record.expiration_time > now - _OTHER_NODE_GRACE_MS
            ):
                continue
            count += await self._move(record, RpcStatus.EXPIRED, set(ACTIVE_STATUSES))
        return count

    async def _announce(self, record: PersistedRpc) -> None:
        """``RPC_<STATUS>`` to the rule engine, the Rpc JSON as data (ThingsBoard's shape)."""
        await self._publisher.publish(
            Msg(
                type=record.status.msg_type,
                originator=EntityRef(EntityType.DEVICE, record.device_id),
                tenant_id=record.tenant_id,
                data=orjson.dumps(record.to_wire()).decode(),
            )
        )
