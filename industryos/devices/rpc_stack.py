"""The RPC-to-device pieces of one node, built together over the device transports.

``node.py`` builds one :class:`DeviceRpc` once the transports exist (it needs their
session registry and :class:`ServerRpc`), gives ``calls`` to the rule engine's services and
``rest`` to the REST routes, starts it before the listeners open and stops it after they
close. Given the cluster bus (cluster mode), it also builds :class:`ClusterRpc`, so calls
reach devices connected to other nodes.
"""

from __future__ import annotations

from dataclasses import dataclass

from industryos.devices.persistent_rpc import PersistentRpc
from industryos.devices.rest_rpc import RestRpc
from industryos.devices.rpc import ServerRpc
from industryos.devices.rpc_calls import DeviceRpcCalls
from industryos.devices.rpc_cluster import ClusterRpc
from industryos.devices.rpc_waiters import RpcWaiters
from industryos.devices.sessions import SessionRegistry
from industryos.entities.audit_service import AuditService
from industryos.entities.device_service import DeviceService
from industryos.entities.events import MsgPublisher
from industryos.queue.bus import Bus
from industryos.storage.database import Database

__all__ = ["DeviceRpc"]


@dataclass(frozen=True, slots=True)
class DeviceRpc:
    """Waiters, persistent calls, the rule engine's door and the REST service."""

    waiters: RpcWaiters
    persistent: PersistentRpc
    calls: DeviceRpcCalls
    rest: RestRpc
    cluster: ClusterRpc | None = None

    @classmethod
    def build(
        cls,
        db: Database,
        devices: DeviceService,
        audit: AuditService,
        sessions: SessionRegistry,
        server_rpc: ServerRpc,
        publisher: MsgPublisher,
        *,
        min_timeout_ms: int = 5_000,
        sweep_interval_s: float = 1.0,
        cluster_bus: Bus | None = None,
    ) -> DeviceRpc:
        """Wire the pieces; rule-engine messages go to ``publisher``; ``cluster_bus`` only
        in cluster mode (the in-process bus of a single node has no other node to reach)."""
        waiters = RpcWaiters()
        persistent = PersistentRpc(
            db,
            sessions,
            server_rpc,
            publisher,
            sweep_interval_s=sweep_interval_s,
            shared=cluster_bus is not None,
        )
        cluster = None
        if cluster_bus is not None:
            cluster = ClusterRpc(cluster_bus, sessions, server_rpc, persistent)
        return cls(
            waiters=waiters,
            persistent=persistent,
            calls=DeviceRpcCalls(server_rpc, waiters, persistent, cluster),
            rest=RestRpc(
                devices, audit, publisher, waiters, persistent, min_timeout_ms=min_timeout_ms
            ),
            cluster=cluster,
        )

    async def start(self) -> None:
        """Load what waits for delivery and start expiring calls."""
        await self.persistent.start()

    async def stop(self) -> None:
        """Stop serving the cluster and deliveries in progress (stored calls stay for the
        next start)."""
        if self.cluster is not None:
            await self.cluster.stop()
        await self.persistent.stop()
