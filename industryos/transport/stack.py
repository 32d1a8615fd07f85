"""The device-facing half of a node: shared device services and the transport listeners.

``node.py`` builds one :class:`DeviceTransports` over the core services and the queue,
starts it after the HTTP API and stops it first. The pieces every transport shares
(authentication, the device API, the session registry, RPC, device state) are built
once here, so the HTTP and CoAP listeners and the gateway API plug into the same ones.
"""

from __future__ import annotations

import logging
import socket
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from industryos.devices.claims import DeviceClaims
from industryos.devices.provisioning import Provisioner
from industryos.devices.rpc import ClientRpcReplies, ServerRpc
from industryos.devices.sessions import SessionRegistry
from industryos.devices.state import DeviceStateTracker, StateEventSink
from industryos.devices.state_events import StateDirectory
from industryos.devices.x509_chain import X509ChainProvisioner
from industryos.entities.events import QueuePublisher
from industryos.entities.models.device import Device
from industryos.entities.models.device_profile import DeviceProfile
from industryos.entities.models.rate_limit import TenantLimits
from industryos.queue.interface import QueueProducer
from industryos.transport.auth import DeviceAuthenticator
from industryos.transport.coap import CoapDeviceResource, CoapServer
from industryos.transport.device_api import DeviceApi
from industryos.transport.http import HttpDeviceApi, HttpDeviceConfig
from industryos.transport.mqtt.config import MqttConfig
from industryos.transport.mqtt.device.adapter import MqttDeviceApplication, SessionLimits
from industryos.transport.mqtt.device.profiles import ProfileCache
from industryos.transport.mqtt.device.provision import AnyContext, ProvisioningMqttApplication
from industryos.transport.mqtt.gateway import (
    ChildDirectory,
    GatewayHandler,
    GatewayNotices,
    GatewayRegistry,
)
from industryos.transport.mqtt.server import MqttServer
from industryos.transport.rate_limits import RateLimiter

if TYPE_CHECKING:
    from industryos.config import Settings
    from industryos.node import Core

__all__ = ["DeviceTransports"]

log = logging.getLogger(__name__)


def tenant_limits_source(core: Core) -> Callable[[uuid.UUID], Awaitable[TenantLimits]]:
    """Reads a tenant's rate limits from its tenant profile (the limiter caches them)."""

    async def limits(tenant_id: uuid.UUID) -> TenantLimits:
        async with core.db.read() as conn:
            tenant = await core.repos.tenants.get(conn, tenant_id)
            if tenant is None or tenant.tenant_profile_id is None:
                return TenantLimits()
            profile = await core.repos.tenant_profiles.get(conn, tenant.tenant_profile_id)
        if profile is None:
            return TenantLimits()
        return TenantLimits.from_configuration(profile.profile_data.get("configuration"))

    return limits


class Closable(Protocol):
    """Something whose background reads ``close`` waits for."""

    async def close(self) -> None: ...


@dataclass(slots=True)
class DeviceTransports:
    """Shared device services plus the MQTT and CoAP listeners and the HTTP device API."""

    auth: DeviceAuthenticator
    reads: tuple[Closable, ...]
    """Caches whose reads may still run when the transports stop (``stop`` waits for them)."""
    sessions: SessionRegistry
    state: DeviceStateTracker
    server_rpc: ServerRpc
    client_rpc: ClientRpcReplies
    claims: DeviceClaims
    api: DeviceApi
    mqtt_app: MqttDeviceApplication
    mqtt_profiles: ProfileCache
    """Device profiles' MQTT settings (topics, payload types), kept 30 s unless saved."""
    gateway: GatewayHandler
    """The gateway API (spec §5) behind the MQTT adapter's ``v1/gateway/*`` dispatch."""
    gateway_notices: GatewayNotices
    provisioner: Provisioner
    mqtt_provisioning: ProvisioningMqttApplication
    """Provision-only MQTT sessions in front of ``mqtt_app`` (spec §2.12)."""
    mqtt: MqttServer[AnyContext]
    http: HttpDeviceApi
    """Served by the node's HTTP listener (``transport/http/routes.py``)."""
    coap: CoapServer

    @classmethod
    def build(
        cls,
        settings: Settings,
        core: Core,
        queue: QueueProducer,
        topic: str,
        uplinks: QueueProducer | None = None,
    ) -> DeviceTransports:
        """Wire the device services over ``core`` and the rule engine's queue ``topic``.

        Device uplinks (telemetry, attributes, RPC) append through ``uplinks`` when given
        (the node's backpressure gate), everything else straight to ``queue``.
        """
        auth = DeviceAuthenticator(
            core.devices,
            chain_provisioner=X509ChainProvisioner(
                core.db, core.repos, core.devices, core.audit
            ).provision,
        )
        core.devices.on_credentials_changed(auth.invalidate)
        sessions = SessionRegistry(core.telemetry)
        state = DeviceStateTracker(
            core.telemetry,
            inactivity_timeout=settings.state_default_inactivity_timeout_s,
            check_interval=settings.state_check_interval_s,
            events=StateEventSink(queue, topic, StateDirectory(core.db, core.telemetry)),
        )
        core.telemetry.subscribe(state.attributes_changed, points=False)
        server_rpc = ServerRpc(sessions)
        client_rpc = ClientRpcReplies(settings.client_rpc_timeout_s)
        claims = DeviceClaims(core.telemetry)
        limiter = RateLimiter(tenant_limits_source(core))
        core.limits.on_changed(limiter.forget_limits)  # profile edits apply at once
        api = DeviceApi(
            uplinks or queue,
            topic,
            core.telemetry,
            state=state,
            server_rpc=server_rpc,
            client_rpc=client_rpc,
            claims=claims,
            limiter=limiter,
        )

        async def load_profile(profile_id: uuid.UUID) -> DeviceProfile | None:
            async with core.db.read() as conn:
                return await core.repos.device_profiles.get(conn, profile_id)

        config = MqttConfig(
            host=settings.http_host,
            port=settings.mqtt_port,
            tls_port=settings.mqtt_tls_port,
            tls_cert_file=settings.mqtt_tls_cert,
            tls_key_file=settings.mqtt_tls_key,
            data_dir=settings.data_dir,
            max_payload_size=settings.max_payload_bytes,
            backlog=settings.listen_backlog,
        )
        gateways = GatewayRegistry(sessions, state)
        gateway = GatewayHandler(api, ChildDirectory(core.devices, core.relations), gateways)
        notices = GatewayNotices(gateways, server_rpc)
        profiles = ProfileCache(load_profile)
        app = MqttDeviceApplication(
            auth,
            api,
            sessions,
            profiles,
            SessionLimits(config.max_payload_size, config.receive_maximum),
            gateway=gateway,
        )
        provisioner = Provisioner(
            core.db,
            core.repos,
            core.devices,
            core.telemetry,
            core.audit,
            QueuePublisher(queue, topic),
        )
        mqtt_provisioning = ProvisioningMqttApplication(app, provisioner)
        transports = cls(
            auth=auth,
            reads=(auth, limiter, profiles),
            sessions=sessions,
            state=state,
            server_rpc=server_rpc,
            client_rpc=client_rpc,
            claims=claims,
            api=api,
            mqtt_app=app,
            mqtt_profiles=profiles,
            gateway=gateway,
            gateway_notices=notices,
            provisioner=provisioner,
            mqtt_provisioning=mqtt_provisioning,
            mqtt=MqttServer(config, mqtt_provisioning),
            http=HttpDeviceApi(
                auth,
                api,
                sessions,
                HttpDeviceConfig(max_payload_bytes=settings.max_payload_bytes),
                provisioner=provisioner,
            ),
            coap=CoapServer(
                CoapDeviceResource(
                    auth,
                    api,
                    sessions,
                    max_payload_bytes=settings.max_payload_bytes,
                    provisioner=provisioner,
                ),
                settings.http_host,
                settings.coap_port,
            ),
        )
        core.devices.on_device_changed(transports._device_saved)
        return transports

    def device_profile_changed(self, profile_id: uuid.UUID) -> None:
        """A device profile was saved (here or on another node): MQTT sessions that connect
        from now on get its new settings."""
        self.mqtt_profiles.invalidate(profile_id)

    def _device_saved(self, before: Device, after: Device | None) -> None:
        if before.id is not None:
            self.device_changed(before.id, None if after is None else after.name)

    def device_changed(self, device_id: uuid.UUID, name: str | None) -> None:
        """A device was saved (``name`` its name now) or deleted (None), here or on another
        cluster node: authentication forgets it, the state tracker reads it again, and a
        gateway holding it as a child hears of a rename or deletion."""
        self.auth.forget_device(device_id)
        self.state.forget_device(device_id, deleted=name is None)
        self.gateway_notices.child_changed(device_id, name)

    async def start(
        self,
        mqtt: socket.socket | None = None,
        mqtt_tls: socket.socket | None = None,
        *,
        coap: bool = True,
    ) -> None:
        """Start the state flush, then open the listeners: MQTT on the given listening
        sockets where there are some, CoAP unless ``coap`` is false (a node's worker
        processes share MQTT; CoAP stays with one of them, :mod:`industryos.workers`)."""
        await self.state.start()
        await self.mqtt.start(mqtt, mqtt_tls)
        if coap:
            await self.coap.start()

    async def close_sessions(self) -> None:
        """Close the listeners and end every session (their disconnects are recorded).

        This waits on peers, so the node bounds it; :meth:`stop` follows it either way.
        """
        self.http.close()
        await self.coap.close()
        await self.mqtt.close()
        await self.gateway_notices.close()
        await self.sessions.close()

    async def stop(self) -> None:
        """After :meth:`close_sessions`: save the last device state and events, and wait for
        the caches' reads. Local work, so it always runs to the end."""
        await self.state.stop()
        for reads in self.reads:
            await reads.close()
