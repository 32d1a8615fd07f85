"""The composition root: the one place that knows every service and wires one node.

Start order: storage (migrations run by themselves) → queue → core services → first-start
data → HTTP API (answers 503 on /api/health) → device transports → ready (200). Stop runs
the reverse, so listeners close before the buffers behind them are flushed.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import logging
import signal
import uuid
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import FastAPI

from industryos.alarms.comments import AlarmComments
from industryos.alarms.data_query import AlarmDataQueries
from industryos.alarms.queries import AlarmQueries
from industryos.alarms.rules.loader import AlarmRuleServices
from industryos.alarms.services import Alarms
from industryos.api import ws
from industryos.api.app import create_app
from industryos.api.context import ApiContext
from industryos.api.health import DOWN, STARTING, UP, Health, node_health
from industryos.api.routes import alarms_query, entity_query
from industryos.api.routes import bulk_import as bulk_routes
from industryos.api.routes import events as event_routes
from industryos.api.routes import metrics as metric_routes
from industryos.api.routes import ota as ota_routes
from industryos.api.routes import rpc as rpc_routes
from industryos.api.routes import rule_chains as rule_chain_routes
from industryos.api.routes import rule_engine as rule_engine_routes
from industryos.api.server import HttpServer
from industryos.api.sessions import SessionRevocations
from industryos.api.static import UiRoute
from industryos.api.tokens import TokenIssuer
from industryos.config import Settings, resolve_jwt_secret
from industryos.demo import Bootstrap
from industryos.devices.ota.stack import Ota
from industryos.devices.rpc_stack import DeviceRpc
from industryos.entities.asset_profile_service import AssetProfileService
from industryos.entities.asset_service import AssetService
from industryos.entities.audit_service import AuditService
from industryos.entities.bulk_import import BulkImport
from industryos.entities.customer_service import CustomerService
from industryos.entities.dashboard_service import DashboardService
from industryos.entities.device_profile_service import DeviceProfileService
from industryos.entities.device_service import DeviceService
from industryos.entities.entity_lookup import EntityLookup
from industryos.entities.events import MsgPublisher, QueuePublisher
from industryos.entities.models.device_profile import DeviceProfile
from industryos.entities.query import EntityQueryService
from industryos.entities.relation_service import RelationService
from industryos.entities.telemetry_access import TelemetryAccess
from industryos.entities.tenant_limits import TenantLimitsService
from industryos.entities.tenant_profile_service import TenantProfileService
from industryos.entities.tenant_service import TenantService
from industryos.entities.user_admin_service import UserAdminService
from industryos.entities.user_service import LoginPolicy, UserService
from industryos.gc_tuning import tune_for_serving
from industryos.notify import Notifications, NotifyingAlarmService, TriggerPublisher
from industryos.outages import is_outage
from industryos.queue.backpressure import LagGate
from industryos.queue.bus import Bus, open_bus
from industryos.queue.bus.changes import ClusterChanges
from industryos.queue.embedded import EmbeddedQueue, EmbeddedQueueConfig, QueueStats
from industryos.queue.jetstream import JetStreamConfig, JetStreamQueue
from industryos.rules.engine import RuleEngine, RuleEngineConfig
from industryos.rules.entities import EntityFields
from industryos.rules.events import EventQueries, EventWriter, RuleEvents
from industryos.rules.nodes.assign import CustomerAssignments
from industryos.rules.nodes.base import ServiceSet
from industryos.rules.nodes.details import EntityDetails
from industryos.rules.nodes.entity_creation import EntityCreation
from industryos.rules.nodes.relation_access import RuleRelations
from industryos.rules.nodes.rest_reply import RestApiCalls
from industryos.rules.service import RuleChainService
from industryos.storage.attributes import AttributeRepository
from industryos.storage.database import Database
from industryos.storage.engine import check_reachable, create_engine
from industryos.storage.first_start import first_start_turn
from industryos.storage.migrate import upgrade
from industryos.storage.relations import RelationRepository
from industryos.storage.repositories import Repositories
from industryos.storage.timeseries import TimeseriesStorage
from industryos.telemetry.retention_job import RetentionJob
from industryos.telemetry.service import TelemetryService
from industryos.transport import http as device_http
from industryos.transport.ota_chunks import HTTP_STATE_ATTRIBUTE as OTA_HTTP_STATE
from industryos.transport.ota_chunks import CoapOta, MqttOta
from industryos.transport.stack import DeviceTransports
from industryos.workers.leftovers import adopt_leftover_queues
from industryos.workers.listeners import Listeners
from industryos.workers.node_metrics import WorkerMetrics, node_tag

log = logging.getLogger(__name__)

RULE_ENGINE_TOPIC = "Main"
"""The queue topic device and entity messages enter the rule engine through."""


@dataclass(slots=True)
class Core:
    """The core services of one node, built on one database."""

    db: Database
    repos: Repositories
    audit: AuditService
    users: UserService
    device_profiles: DeviceProfileService
    devices: DeviceService
    tenants: TenantService
    customers: CustomerService
    sessions: SessionRevocations
    asset_profiles: AssetProfileService
    assets: AssetService
    tenant_profiles: TenantProfileService
    user_admin: UserAdminService
    lookup: EntityLookup
    relations: RelationService
    timeseries: TimeseriesStorage
    telemetry: TelemetryService
    telemetry_access: TelemetryAccess
    alarms: Alarms
    notifications: Notifications
    dashboards: DashboardService
    ota: Ota
    limits: TenantLimitsService

    async def start(self) -> None:
        """Start the services' own background work: the time-series writer's flushes."""
        await self.timeseries.writer.start()

    async def stop(self) -> None:
        """Stop the services' background work before the database is closed.

        Deliveries (bounded: a stuck channel is left behind), pending OTA attribute
        refreshes (cancelled), then the time-series writer (flushed). A task left running
        would check its connection back in to a pool the database had already disposed,
        and that connection would never be closed.
        """
        await _stop_within("notifications", self.notifications.stop(), STOP_LIMIT_S)
        await self.ota.assignments.close()
        await self.timeseries.writer.stop()

    def bootstrap(self) -> Bootstrap:
        """The first-start data (system administrator, demo tenant) over these services."""
        return Bootstrap(
            self.db,
            self.repos,
            self.users,
            self.tenants,
            self.devices,
            assets=self.assets,
            relations=self.relations,
        )

    def api_context(self, tokens: TokenIssuer, max_page_size: int) -> ApiContext:
        """What the REST layer gets to see."""
        return ApiContext(
            tokens=tokens,
            sessions=self.sessions,
            users=self.users,
            audit=self.audit,
            tenants=self.tenants,
            customers=self.customers,
            device_profiles=self.device_profiles,
            devices=self.devices,
            asset_profiles=self.asset_profiles,
            assets=self.assets,
            tenant_profiles=self.tenant_profiles,
            user_admin=self.user_admin,
            relations=self.relations,
            telemetry_access=self.telemetry_access,
            max_page_size=max_page_size,
            alarms=self.alarms,
            notifications=self.notifications,
            dashboards=self.dashboards,
        )


def build_core(db: Database, settings: Settings, publisher: MsgPublisher) -> Core:
    """Construct every core service over ``db``; rule-engine messages go to ``publisher``."""
    tap = TriggerPublisher(publisher)  # notification rules see what services announce
    publisher = tap
    repos = Repositories.create()
    limits = TenantLimitsService(db)  # one cache of profile limits for every service
    audit = AuditService(db, repos)
    device_profiles = DeviceProfileService(db, repos, audit)
    policy = LoginPolicy(settings.login_max_failures, settings.login_lockout_s)
    asset_profiles = AssetProfileService(db, repos, audit)
    users = UserService(db, repos, policy, limits=limits)
    tenants = TenantService(db, repos, device_profiles, limits=limits)
    lookup = EntityLookup(db)
    timeseries = TimeseriesStorage.create(
        db.engine,
        partition_days=settings.ts_partition_days,
        flush_interval_ms=settings.ts_flush_interval_ms,
        batch_max_points=settings.ts_batch_max_points,
        default_ttl_days=settings.ts_default_ttl_days,
    )
    telemetry = TelemetryService(
        writer=timeseries.writer,
        timeseries=timeseries.store,
        attributes=AttributeRepository(db.engine, timeseries.keys),
    )
    notifications = Notifications.build(db, lookup, usage=limits)
    alarm_service = NotifyingAlarmService(db, lookup, audit, publisher, limits=limits)
    alarm_service.triggers = tap.triggers = notifications.triggers
    devices = DeviceService(db, repos, device_profiles, audit, publisher, limits=limits)
    return Core(
        db=db,
        repos=repos,
        audit=audit,
        users=users,
        device_profiles=device_profiles,
        devices=devices,
        tenants=tenants,
        customers=CustomerService(db, repos, audit, limits=limits),
        sessions=SessionRevocations(db),
        asset_profiles=asset_profiles,
        assets=AssetService(db, repos, asset_profiles, audit, publisher, limits=limits),
        tenant_profiles=TenantProfileService(db, repos, tenants, audit, limits=limits),
        user_admin=UserAdminService(db, repos, users, audit),
        lookup=lookup,
        relations=RelationService(db, RelationRepository(), lookup, audit, publisher),
        timeseries=timeseries,
        telemetry=telemetry,
        telemetry_access=TelemetryAccess(lookup, telemetry, audit, publisher),
        alarms=Alarms(alarm_service, AlarmQueries(db, lookup), AlarmComments(alarm_service)),
        notifications=notifications,
        dashboards=DashboardService(db, repos, audit, publisher, limits=limits),
        ota=Ota.build(
            db, telemetry, audit, devices, device_profiles, settings.data_dir, limits=limits
        ),
        limits=limits,
    )


def queue_dir(data_dir: Path, worker: int) -> Path:
    """Where worker ``worker`` of a node keeps its durable queue (worker 0, or a node of one
    process, in ``queue``: the layout a single process always had)."""
    return data_dir / ("queue" if worker == 0 else f"queue-{worker}")


STOP_LIMIT_S = 5.0
"""How long one peer-facing part may take to stop before shutdown moves on without it."""
HEALTH_DB_TIMEOUT_S = 1.5
"""How long ``/api/health`` waits for the database's answer. Then it cancels the query,
which takes about 2 s more on a database that hangs rather than refusing (measured with a
stopped PostgreSQL server); another worker asking for this one's health waits 2 s, so such
a worker shows there as not answering: DOWN either way."""


async def _stop_within(name: str, stop: Coroutine[Any, Any, None], limit_s: float) -> None:
    """Run ``stop`` for at most ``limit_s``; a part still stopping then is left behind.

    The stop runs as its own task and is not awaited past the limit (not even for its
    cancellation), so one stuck part cannot hold the node's shutdown.
    """
    task = asyncio.create_task(stop, name=f"stop {name}")
    done, _ = await asyncio.wait({task}, timeout=limit_s)
    if task in done:
        task.result()
        return
    task.cancel()
    log.error("%s did not stop within %g s; shutdown continues without it", name, limit_s)


class Node:
    """One IndustryOS node: start, serve, stop."""

    def __init__(
        self,
        settings: Settings,
        *,
        worker: int = 0,
        listeners: Listeners | None = None,
        after_seed: Callable[[], Awaitable[None]] | None = None,
        before_ready: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        """The keyword arguments make this node one of several worker processes
        (:mod:`industryos.workers`): the worker's index (its queue's data dir; worker 0
        alone serves CoAP), the sockets it serves HTTP and MQTT on, what worker 0 does once
        the database is migrated and seeded (release the other workers) and what it awaits
        before it reports the node ready (their start)."""
        self.settings = settings
        self.worker = worker
        self._listeners = listeners
        self._after_seed = after_seed
        self._before_ready = before_ready
        self._ready = False
        self._queue: EmbeddedQueue | JetStreamQueue | None = None
        self._uplinks: LagGate | None = None
        self._bus: Bus | None = None
        self._feeds: ws.ClusterFeeds | None = None
        self._worker_metrics: WorkerMetrics | None = None
        self._changes: ClusterChanges | None = None
        self._rest_calls: RestApiCalls | None = None
        self.rules: RuleEngine | None = None
        self._rule_events: RuleEvents | None = None
        self._db: Database | None = None
        self._http: HttpServer | None = None
        self.devices: DeviceTransports | None = None
        self.rpc: DeviceRpc | None = None
        self.core: Core | None = None
        self._retention: RetentionJob | None = None
        self.app: FastAPI | None = None

    @property
    def ready(self) -> bool:
        """True once every listener accepts connections."""
        return self._ready

    async def _own_health(self) -> Health:
        """This process's answer: STARTING until ready, DOWN while the durable queue
        refuses device data (a full disk) or the database does not answer within
        ``HEALTH_DB_TIMEOUT_S`` (devices cannot connect, the rule engine cannot store),
        else UP."""
        if not self._ready:
            return Health(STARTING)
        refusal = None if self._queue is None else self._queue.refusal
        if refusal is not None:
            return Health(DOWN, refusal)
        if self._db is not None:
            try:
                await asyncio.wait_for(self._db.ping(), HEALTH_DB_TIMEOUT_S)
            except TimeoutError:
                return Health(DOWN, f"the database does not answer in {HEALTH_DB_TIMEOUT_S} s")
            except Exception as exc:
                if not is_outage(exc):
                    raise
                return Health(DOWN, f"the database does not answer: {exc!r}")
        return Health(UP)

    async def health(self) -> Health:
        """The node's health for ``/api/health``: with several workers, every worker's
        (``api/health.py``), so the answer does not depend on which worker was asked."""
        own = await self._own_health()
        if self._worker_metrics is None:
            return own
        if own.status == STARTING:  # (a worker being restarted) the others can wait
            return Health(STARTING, f"worker {self.worker} is starting")
        return node_health([(self.worker, own), *await self._worker_metrics.other_health()])

    def queue_stats(self) -> QueueStats | None:
        """Counters of the durable queue (appends, group commits, fsyncs, lag)."""
        return None if self._queue is None else self._queue.stats()

    async def _open_queue(self) -> EmbeddedQueue | JetStreamQueue:
        """JetStream when ``queue_url`` names it (a cluster's nodes share it, so a node's
        disk holds nothing another node cannot process), else this worker's embedded log."""
        settings = self.settings
        group = RuleEngineConfig().group
        if settings.queue_url:
            shared = await JetStreamQueue.connect(
                JetStreamConfig(
                    url=settings.queue_url,
                    prefix=settings.queue_prefix,
                    topics={q.name: settings.queue_partitions for q in RuleEngineConfig().queues},
                    replicas=settings.queue_replicas,
                    lease_ttl_s=settings.queue_lease_ttl_s,
                )
            )
            if self.worker == 0:  # what the node held when it ran embedded goes along
                await adopt_leftover_queues(settings.data_dir, 0, shared, group)
            return shared
        queue = await EmbeddedQueue.open(
            EmbeddedQueueConfig(data_dir=queue_dir(settings.data_dir, self.worker))
        )
        if self.worker == 0:  # what workers no longer run left unprocessed comes here
            await adopt_leftover_queues(settings.data_dir, settings.workers, queue, group)
        return queue

    @property
    def http_port(self) -> int:
        """The bound HTTP port."""
        assert self._http is not None
        return self._http.port

    async def start(self) -> None:
        """Bring the node up in dependency order."""
        settings = self.settings
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        engine = create_engine(settings.database_url)
        self._db = Database(engine)  # (closed by stop, also when the migration fails)
        await check_reachable(engine)
        async with first_start_turn(engine):  # nodes of a cluster starting together
            await upgrade(engine)
        self._queue = await self._open_queue()
        self._bus = await open_bus(settings.bus_url, name="industryos")
        # WebSocket live queries hear about entity changes where every service announces them
        entity_changes = ws.EntityChangeTap(QueuePublisher(self._queue, RULE_ENGINE_TOPIC))
        core = build_core(self._db, settings, entity_changes)
        self.core = core
        await core.sessions.load()
        await core.start()
        self._retention = RetentionJob(core.timeseries.retention, core.tenants.storage_ttl_days)
        self._retention.start()
        chains = RuleChainService(core.db, limits=core.limits)
        core.tenants.on_tenant_created(chains.on_tenant_created)
        core.tenants.on_tenant_deleted(chains.on_tenant_deleted)
        self._rule_events = RuleEvents(core.db, EventWriter(core.db, settings.rule_events_ttl_s))
        chains.on_changed(self._rule_events.chain_changed)  # debug settings follow saves
        await self._rule_events.start()
        self._rest_calls = RestApiCalls(self._bus)  # replies from chains on any node
        await self._rest_calls.start()
        alarm_rules = AlarmRuleServices(core.db, core.alarms.service, core.telemetry)
        services = ServiceSet(
            telemetry=core.telemetry,
            alarms=alarm_rules,
            notify=core.notifications.center,
            debug=self._rule_events,
            relations=RuleRelations(core.db),
            rest_calls=self._rest_calls,
            details=EntityDetails(core.db),
            assignments=CustomerAssignments(
                core.devices, core.assets, core.customers, EntityFields(core.db)
            ),
            entity_creation=EntityCreation(
                core.devices, core.assets, core.customers, EntityFields(core.db)
            ),
        )
        self.rules = RuleEngine(self._queue, chains, services, EntityFields(core.db))
        if isinstance(self._queue, JetStreamQueue):  # partitions move between nodes
            self._queue.on_partition_moved(lambda _, p, n: alarm_rules.partition_moved(p, n))
        async with first_start_turn(engine):
            await core.bootstrap().run(demo=settings.demo)
            await chains.ensure_root_chains()  # tenants created before the rule engine existed
        if self._after_seed is not None:
            await self._after_seed()
        tokens = TokenIssuer(
            resolve_jwt_secret(settings),
            settings.jwt_issuer,
            settings.jwt_access_ttl_s,
            settings.jwt_refresh_ttl_s,
        )
        if settings.ingest_max_lag:  # devices wait while the engine's backlog is too long
            self._uplinks = LagGate(
                self._queue,
                functools.partial(self.rules.lag, RULE_ENGINE_TOPIC),
                settings.ingest_max_lag,
            )
            self.rules.report(RULE_ENGINE_TOPIC, self._uplinks.to_wire)
        self.devices = DeviceTransports.build(
            settings, core, self._queue, RULE_ENGINE_TOPIC, self._uplinks
        )
        self.rpc = DeviceRpc.build(
            core.db,
            core.devices,
            core.audit,
            self.devices.sessions,
            self.devices.server_rpc,
            QueuePublisher(self._queue, RULE_ENGINE_TOPIC),
            min_timeout_ms=settings.rpc_min_timeout_ms,
            cluster_bus=self._bus if settings.bus_url else None,  # RPC to other nodes' devices
        )
        self.app = self.build_app(core, tokens, chains, services, entity_changes)
        if self._worker_metrics is not None:
            await self._worker_metrics.start()
        core.device_profiles.on_profile_changed(_saved_profiles(self._device_profile_changed))
        if settings.bus_url:  # a cluster: changes committed here reach every node's sessions
            self._feeds = ws.ClusterFeeds(self._bus, getattr(self.app.state, ws.STATE_ATTRIBUTE))
            await self._feeds.start()
            self._changes = self._cluster_changes(core, chains, self.devices)
            await self._changes.start()
        listeners = self._listeners
        self._http = HttpServer(
            self.app,
            settings.http_host,
            settings.http_port,
            sock=None if listeners is None else listeners.http,
            backlog=settings.listen_backlog,
        )
        await self._http.start()
        self.devices.mqtt_app.ota = MqttOta(core.ota.downloads, settings.max_payload_bytes)
        self.devices.coap.resource.ota = CoapOta(core.ota.downloads)
        services.server_rpc = self.devices.server_rpc
        services.client_rpc = self.devices.client_rpc
        services.device_state = self.devices.state
        services.device_rpc = self.rpc.calls
        await self.rules.start()
        await self.rpc.start()
        if listeners is None:
            await self.devices.start()
        else:
            await self.devices.start(listeners.mqtt, listeners.mqtt_tls, coap=self.worker == 0)
        if self._before_ready is not None:
            await self._before_ready()
        self._ready = True
        # one line naming every listener: a supervisor (or a test) that let the node bind
        # port 0 learns the ports here (worker 0 speaks for the node)
        log.info(
            "%s ready (HTTP port %d, MQTT port %s, MQTT TLS port %s, CoAP port %s)",
            "node" if self.worker == 0 else f"worker {self.worker}",
            self.http_port,
            self.devices.mqtt.port,
            self.devices.mqtt.tls_port,
            self.devices.coap.port,
        )

    def _cluster_changes(
        self,
        core: Core,
        chains: RuleChainService,
        transports: DeviceTransports,
    ) -> ClusterChanges:
        """What local hooks do on a change, done on every node of the cluster: device
        credentials and identities (authentication, device state, gateways' children),
        rule chains (the rule engine), tenant limits, and device profiles (profile chains,
        alarm rules, MQTT settings)."""
        assert self._bus is not None
        changes = ClusterChanges(self._bus)
        credentials = changes.kind(
            "credentials", lambda n: transports.auth.forget_credentials(n["id"])
        )
        core.devices.on_credentials_changed(lambda c: credentials({"id": c.credentials_id}))
        device = changes.kind(
            "device",
            lambda n: self._device_changed_elsewhere(uuid.UUID(n["id"]), n.get("name")),
        )
        core.devices.on_device_changed(
            lambda before, after: device(
                {"id": str(before.id), "name": None if after is None else after.name}
            )
        )
        chain = changes.kind(
            "chain",
            lambda n: chains.changed_elsewhere(
                uuid.UUID(n["tenant"]), uuid.UUID(n["chain"]) if n["chain"] else None
            ),
        )
        chains.on_changed(
            lambda tenant_id, chain_id: chain(
                {"tenant": str(tenant_id), "chain": str(chain_id) if chain_id else None}
            )
        )
        limits = changes.kind(
            "limits",
            lambda n: core.limits.changed_elsewhere(
                uuid.UUID(n["tenant"]) if n["tenant"] else None
            ),
        )
        core.limits.on_changed(
            lambda tenant_id: limits({"tenant": str(tenant_id) if tenant_id else None})
        )
        profile = changes.kind(
            "device_profile",
            lambda n: self._device_profile_changed(uuid.UUID(n["tenant"]), uuid.UUID(n["id"])),
        )
        core.device_profiles.on_profile_changed(
            _saved_profiles(
                lambda tenant_id, profile_id: profile(
                    {"tenant": str(tenant_id), "id": str(profile_id)}
                )
            )
        )
        return changes

    def _device_changed_elsewhere(self, device_id: uuid.UUID, name: str | None) -> None:
        """Another node changed a device (``name`` its name now) or deleted it (None)."""
        assert self.rules is not None and self.devices is not None
        self.devices.device_changed(device_id, name)
        self.rules.device_changed_elsewhere(device_id)

    def _device_profile_changed(self, tenant_id: uuid.UUID, profile_id: uuid.UUID) -> None:
        """A device profile was saved, here or on another node: the rule engine (profile
        chains, alarm rules) and the device transports (MQTT settings) read it again."""
        assert self.rules is not None and self.devices is not None
        self.rules.device_profile_changed(tenant_id, profile_id)
        self.devices.device_profile_changed(profile_id)

    def build_app(
        self,
        core: Core,
        tokens: TokenIssuer,
        chains: RuleChainService,
        services: ServiceSet,
        entity_changes: ws.EntityChangeTap,
    ) -> FastAPI:
        """The REST and WebSocket app with every route the node serves, in one place.

        ``create_app`` holds the routers that need only the :class:`ApiContext`; the rest
        need node parts (rule engine, queue, device transports, RPC) and are installed here,
        so the isolation tests run on exactly this app and no second list can drift.
        """
        assert self.rules is not None and self._queue is not None
        assert self.devices is not None and self.rpc is not None
        assert services.rest_calls is not None
        settings = self.settings
        app = create_app(
            core.api_context(tokens, settings.max_page_size),
            health=self.health,
        )
        app.include_router(device_http.router)
        setattr(app.state, device_http.STATE_ATTRIBUTE, self.devices.http)
        setattr(app.state, OTA_HTTP_STATE, core.ota.downloads)
        mqtt = self.devices.mqtt
        metrics = metric_routes.MetricSources(
            self.rules,
            self._queue.stats,
            core.timeseries.writer.stats,
            lambda: mqtt.connection_count,
            self.worker,
        )
        if settings.workers > 1 and self._bus is not None:  # any worker answers for all
            tag = node_tag(settings.data_dir)
            self._worker_metrics = WorkerMetrics(
                self._bus,
                tag,
                self.worker,
                settings.workers,
                metrics.samples,
                self.rules.queue_stats,
                self._own_health,
            )
            metrics = dataclasses.replace(metrics, others=self._worker_metrics.others)
        metric_routes.install(app, metrics)
        rule_chain_routes.install(
            app,
            rule_chain_routes.RuleChainApi(
                chains,
                self.rules,
                None if self._worker_metrics is None else self._worker_metrics.other_queue_stats,
            ),
        )
        event_routes.install(app, EventQueries(core.db, core.lookup))
        rule_engine_routes.install(
            app, rule_engine_routes.RuleEngineCalls(services.rest_calls, self._queue, core.lookup)
        )
        queries = EntityQueryService(core.db, core.timeseries.keys)
        entity_query.install(app, queries)
        alarms_query.install(app, AlarmDataQueries(core.db, queries, core.alarms.queries))
        ws.install(
            app,
            ws.WsServices(
                core.lookup,
                core.telemetry,
                queries,
                notifications=core.notifications.center.inbox,
                alarm_queries=AlarmDataQueries(core.db, queries, core.alarms.queries),
                alarm_changes=ws.alarm_feed(core.alarms.service),
                entity_changes=entity_changes.feed,
            ),
        )
        ota_routes.install(app, core.ota)
        bulk = BulkImport(
            core.db,
            core.repos,
            core.devices,
            core.device_profiles,
            core.assets,
            core.telemetry,
            core.timeseries.keys,
            QueuePublisher(self._queue, RULE_ENGINE_TOPIC),
            limits=core.limits,
        )
        bulk.on_devices_created(core.ota.assignments.devices_created)
        bulk_routes.install(app, bulk)
        rpc_routes.install(app, self.rpc.rest)
        # create_app mounted the UI's catch-all GET last; keep it behind the routes installed
        # here, or it answers GET /metrics with the UI (sorted is stable: only it moves).
        app.router.routes[:] = sorted(app.router.routes, key=lambda r: isinstance(r, UiRoute))
        return app

    async def stop(self) -> None:
        """Close listeners first, then flush and release storage."""
        self._ready = False
        # Parts that wait on peers (sessions, deliveries, chains) get a bounded stop: a
        # stuck one is logged and left behind (what it had not finished is replayed from the
        # queue); the writer, queue and database below are always flushed and closed.
        if self._uplinks is not None:
            await self._uplinks.close()  # uplinks waiting for the engine go through now
            self._uplinks = None
        if self.devices is not None:
            await _stop_within("device sessions", self.devices.close_sessions(), STOP_LIMIT_S)
            await self.devices.stop()  # the fleet's disconnects are saved, however long it took
            self.devices = None
        if self.rpc is not None:
            await _stop_within("persistent RPC", self.rpc.stop(), STOP_LIMIT_S)
            self.rpc = None
        if self._http is not None:
            await _stop_within("HTTP API", self._http.stop(), STOP_LIMIT_S)
            self._http = None
        if self.rules is not None:
            await _stop_within("rule engine", self.rules.stop(), STOP_LIMIT_S)
            self.rules = None
        if self._rest_calls is not None:
            await self._rest_calls.stop()
            self._rest_calls = None
        if self._rule_events is not None:
            await self._rule_events.stop()  # the last buffered events are written
            self._rule_events = None
        if self._retention is not None:
            await self._retention.stop()
            self._retention = None
        if self.core is not None:
            await self.core.stop()
        if self._queue is not None:
            await self._queue.close()
            self._queue = None
        if self._feeds is not None:
            await self._feeds.stop()
            self._feeds = None
        if self._worker_metrics is not None:
            await self._worker_metrics.close()
            self._worker_metrics = None
        if self._changes is not None:
            await self._changes.stop()
            self._changes = None
        if self._bus is not None:
            await _stop_within("cluster bus", self._bus.close(), STOP_LIMIT_S)
            self._bus = None
        if self._db is not None:
            await self._db.close()
            self._db = None
        log.info("node stopped")

    async def run_until_signalled(
        self,
        *,
        tune_gc: bool = True,
        before_stop: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        """Start, serve until SIGTERM or SIGINT, then stop cleanly (``before_stop`` first:
        worker 0 stops the node's other workers before itself, :mod:`industryos.workers`).

        This is the serving process's entry point, so it also tunes the garbage
        collector once the node is ready (:mod:`industryos.gc_tuning`).
        """
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        try:
            await self.start()
            if tune_gc:
                tune_for_serving()
            await stop.wait()
        finally:
            try:
                if before_stop is not None:
                    await before_stop()
            finally:
                await self.stop()


def _saved_profiles(
    listener: Callable[[uuid.UUID, uuid.UUID], None],
) -> Callable[[DeviceProfile | None, DeviceProfile], None]:
    """A profile-save listener that tells ``listener`` the saved profile's tenant and id."""

    def saved(_: DeviceProfile | None, profile: DeviceProfile) -> None:
        if profile.id is not None and profile.tenant_id is not None:
            listener(profile.tenant_id, profile.id)

    return saved
