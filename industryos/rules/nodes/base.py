"""The rule-node interface: four methods, self-describing metadata, a narrow context.

A node is a small class with ThingsBoard's class name (``clazz``), a :class:`Descriptor`
for the editor (``/api/components``), and the set of services it ``requires``. It is
built with its configuration and a :class:`NodeContext` that hands out *only* the services
the class declared; asking for another one is a programming error caught in tests, not a
way to reach into the node (ThingsBoard's TbContext has 56 getters, this has what you ask
for). The four methods mirror TbNode: ``__init__`` (init: read and check configuration),
``on_msg`` (return the emitted ``(label, msg)`` pairs, or raise :class:`NodeFailure`),
``destroy`` and the classmethod ``upgrade`` (configuration versions).

Every subclass's ``on_msg`` is wrapped once, when the class is defined
(``RuleNode.__init_subclass__``), so that it passes through the :class:`DebugHook` when the
engine has one: that is where debug IN/OUT events, lifecycle and error events and the
per-node counters of the events REST come from, without the runtime knowing about them.
With no hook the wrapper is one attribute read.
"""

from __future__ import annotations

import contextvars
import functools
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, TypeVar

from industryos.msg import Msg
from industryos.rules.errors import NodeConfigError, NotAvailable
from industryos.rules.labels import Label
from industryos.rules.stats import NodeStats

if TYPE_CHECKING:
    from industryos.alarms.rules.loader import AlarmRuleServices
    from industryos.devices.rpc import ClientRpcReplies, ServerRpc
    from industryos.devices.rpc_calls import DeviceRpcCalls
    from industryos.devices.state import DeviceStateTracker
    from industryos.notify.center import NotificationCenter
    from industryos.queue.interface import QueueProducer
    from industryos.rules.entities import EntityFields
    from industryos.rules.nodes.assign import CustomerAssignments
    from industryos.rules.nodes.details import EntityDetails
    from industryos.rules.nodes.entity_creation import EntityCreation
    from industryos.rules.nodes.relation_access import RuleRelations
    from industryos.rules.nodes.rest_reply import RestApiCalls
    from industryos.rules.scripts.engine import TenantScripts
    from industryos.telemetry.service import TelemetryService

__all__ = [
    "ARRIVED_ON",
    "ComponentType",
    "DebugHook",
    "Descriptor",
    "Emit",
    "NestedChains",
    "NodeConfig",
    "NodeContext",
    "NodeTrack",
    "RuleNode",
    "Service",
    "ServiceSet",
]

T = TypeVar("T")

ARRIVED_ON: contextvars.ContextVar[str] = contextvars.ContextVar("rule_arrived_on", default="")
"""The relation type of the connection the message a node is handling came in on.

Set by the runtime around each ``on_msg`` (ThingsBoard's ``fromRelationType``): a chain's
first node sees what its caller passed (the "rule chain" node's incoming label for a nested
chain, empty for a message from the queue). Read by the debug hook for IN events; a context
variable, so concurrent branches (each its own task) never see each other's value.
"""


class ComponentType(StrEnum):
    """Node families of the editor palette (ThingsBoard's ``ComponentType``)."""

    FILTER = "FILTER"
    ENRICHMENT = "ENRICHMENT"
    TRANSFORMATION = "TRANSFORMATION"
    ACTION = "ACTION"
    EXTERNAL = "EXTERNAL"
    FLOW = "FLOW"


class Service(StrEnum):
    """What a node may ask its context for."""

    TELEMETRY = "telemetry"
    SCRIPTS = "scripts"
    ENTITIES = "entities"
    SERVER_RPC = "server_rpc"
    DEVICE_RPC = "device_rpc"
    CLIENT_RPC = "client_rpc"
    QUEUE = "queue"
    CHAINS = "chains"
    ALARMS = "alarms"
    NOTIFY = "notify"
    RELATIONS = "relations"
    REST_CALLS = "rest_calls"
    ASSIGNMENTS = "assignments"
    DETAILS = "details"
    DEVICE_STATE = "device_state"
    ENTITY_CREATION = "entity_creation"


@dataclass(frozen=True, slots=True)
class Emit:
    """One output of a node: the message goes to every connection labelled ``label``."""

    label: str
    msg: Msg


@dataclass(frozen=True, slots=True)
class Descriptor:
    """What the editor needs to know about a node class."""

    type: ComponentType
    name: str
    description: str
    relation_types: tuple[str, ...] = (Label.SUCCESS, Label.FAILURE)
    default_configuration: Mapping[str, Any] = field(default_factory=dict)
    custom_relations: bool = False
    configuration_version: int = 0
    in_enabled: bool = True
    out_enabled: bool = True


class NestedChains:
    """Runs another chain of the same tenant for the "rule chain" node (set by the engine)."""

    async def run(
        self, tenant_id: uuid.UUID, chain_id: uuid.UUID, msg: Msg
    ) -> list[Emit]:  # pragma: no cover - replaced by the engine
        """The messages the nested chain's output nodes returned, labelled by output name."""
        raise NotAvailable("nested rule chains are not wired")


@dataclass(slots=True)
class NodeTrack:
    """What the debug hook keeps on each node instance: its debug settings, and how much
    of the node's counters (kept by the runtime, ``NodeContext.stats``) it has reported."""

    generation: int
    """The hook's settings generation this track was built for (stale → rebuilt)."""
    stats: NodeStats
    debug: Any = None
    """The node's debug settings, or None when it is not debugged (the fast path)."""
    reported_processed: int = 0
    reported_failed: int = 0


class DebugHook(Protocol):
    """Sees every node call: debug events, lifecycle and error events, counters."""

    def track(self, node: RuleNode) -> NodeTrack | None:
        """The node's current track, or None when :meth:`prepare` must build it."""
        ...

    async def prepare(self, node: RuleNode) -> NodeTrack:
        """Build the node's track (loads the chain's debug settings once per version)."""
        ...

    async def run(
        self,
        node: RuleNode,
        msg: Msg,
        call: Callable[[RuleNode, Msg], Awaitable[list[Emit]]],
        track: NodeTrack,
    ) -> list[Emit]:
        """Run ``call(node, msg)`` for a debugged node and record what it did."""
        ...

    def error(self, node: RuleNode, exc: Exception) -> None:
        """An exception left a node that is not debugged."""
        ...

    async def emitted_later(self, ctx: NodeContext, emits: Sequence[Emit]) -> None:
        """Record messages a node sent on its own (timers)."""
        ...


@dataclass(slots=True)
class ServiceSet:
    """Every service a node could declare; the node only ever sees its own subset."""

    telemetry: TelemetryService | None = None
    scripts: Callable[[uuid.UUID, uuid.UUID], TenantScripts] | None = None
    """(tenant id, node id) → that tenant's script isolate, bound to the node."""
    entities: EntityFields | None = None
    server_rpc: ServerRpc | None = None
    device_rpc: DeviceRpcCalls | None = None
    """REST-originated calls: plain ones report back to the caller, persistent ones are
    delivered when they can."""
    client_rpc: ClientRpcReplies | None = None
    queue: QueueProducer | None = None
    chains: NestedChains | None = None
    alarms: AlarmRuleServices | None = None
    notify: NotificationCenter | None = None
    relations: RuleRelations | None = None
    rest_calls: RestApiCalls | None = None
    assignments: CustomerAssignments | None = None
    details: EntityDetails | None = None
    device_state: DeviceStateTracker | None = None
    entity_creation: EntityCreation | None = None
    debug: DebugHook | None = None
    """Debug and node events (not a service nodes declare: every node passes through it)."""


class NodeContext:
    """A node's view of the platform: its identity and the services it declared."""

    def __init__(
        self,
        node_id: uuid.UUID,
        node_name: str,
        tenant_id: uuid.UUID,
        chain_id: uuid.UUID,
        declared: frozenset[Service],
        services: ServiceSet,
        emit_later: Callable[[Sequence[Emit]], Awaitable[None]],
    ) -> None:
        self.node_id = node_id
        self.node_name = node_name
        self.stats = NodeStats()
        """Messages this node instance handled and failed, counted by the runtime (the
        chain's stats endpoint and the debug hook's STATS events both read them)."""
        self.tenant_id = tenant_id
        self.chain_id = chain_id
        self._declared = declared
        self._services = services

        async def later(emits: Sequence[Emit]) -> None:
            hook = services.debug
            if hook is not None:
                await hook.emitted_later(self, emits)
            await emit_later(emits)

        self.emit_later = later
        """Send messages to this node's successors outside of any incoming message
        (generator, message count); failures are logged, nothing is acknowledged."""

    @property
    def debug_hook(self) -> DebugHook | None:
        """The engine's debug hook, if it has one."""
        return self._services.debug

    def _get(self, service: Service, value: T | None) -> T:
        if service not in self._declared:
            raise NodeConfigError(f"node {self.node_id} did not declare service {service}")
        if value is None:
            raise NotAvailable(f"service {service} is not available on this node")
        return value

    def telemetry(self) -> TelemetryService:
        """Time series and attributes."""
        return self._get(Service.TELEMETRY, self._services.telemetry)

    def scripts(self) -> TenantScripts:
        """This tenant's script isolate."""
        factory = self._get(Service.SCRIPTS, self._services.scripts)
        return factory(self.tenant_id, self.node_id)

    def entities(self) -> EntityFields:
        """Entity fields and names (read-only)."""
        return self._get(Service.ENTITIES, self._services.entities)

    def server_rpc(self) -> ServerRpc:
        """RPC to devices."""
        return self._get(Service.SERVER_RPC, self._services.server_rpc)

    def device_rpc(self) -> DeviceRpcCalls:
        """RPC to devices as RPC_CALL_FROM_SERVER_TO_DEVICE carries it."""
        return self._get(Service.DEVICE_RPC, self._services.device_rpc)

    def client_rpc(self) -> ClientRpcReplies:
        """Replies to devices' RPC requests."""
        return self._get(Service.CLIENT_RPC, self._services.client_rpc)

    def queue(self) -> QueueProducer:
        """The rule engine's queues (checkpoint)."""
        return self._get(Service.QUEUE, self._services.queue)

    def chains(self) -> NestedChains:
        """Other chains of this tenant (rule chain node)."""
        return self._get(Service.CHAINS, self._services.chains)

    def alarms(self) -> AlarmRuleServices:
        """Alarms and the device-profile alarm rules' loader."""
        return self._get(Service.ALARMS, self._services.alarms)

    def notify(self) -> NotificationCenter:
        """The notification layer: channels, settings, templates and targets."""
        return self._get(Service.NOTIFY, self._services.notify)

    def relations(self) -> RuleRelations:
        """Relations of the tenant's entities: follow, create, delete."""
        return self._get(Service.RELATIONS, self._services.relations)

    def rest_calls(self) -> RestApiCalls:
        """REST calls into the rule engine waiting for their reply."""
        return self._get(Service.REST_CALLS, self._services.rest_calls)

    def assignments(self) -> CustomerAssignments:
        """Assign entities to customers and back, as the tenant's rule engine."""
        return self._get(Service.ASSIGNMENTS, self._services.assignments)

    def details(self) -> EntityDetails:
        """Contact details of the tenant and its customers."""
        return self._get(Service.DETAILS, self._services.details)

    def device_state(self) -> DeviceStateTracker:
        """The devices' connectivity state (activity, connect, disconnect)."""
        return self._get(Service.DEVICE_STATE, self._services.device_state)

    def entity_creation(self) -> EntityCreation:
        """Create devices, assets and customers of the tenant (through the entity services)."""
        return self._get(Service.ENTITY_CREATION, self._services.entity_creation)


class NodeConfig:
    """Typed reads of a node's JSON configuration, with errors that name the field."""

    def __init__(self, clazz: str, raw: Mapping[str, Any]) -> None:
        self._clazz = clazz
        self.raw = raw

    def _fail(self, key: str, expected: str) -> NodeConfigError:
        return NodeConfigError(f"{self._clazz}: configuration field '{key}' must be {expected}")

    def text(self, key: str, default: str = "") -> str:
        """A string field."""
        value = self.raw.get(key, default)
        if value is None:
            return default
        if not isinstance(value, str):
            raise self._fail(key, "a string")
        return value

    def optional_str(self, key: str) -> str | None:
        """A string field that may be missing."""
        value = self.raw.get(key)
        if value is not None and not isinstance(value, str):
            raise self._fail(key, "a string")
        return value

    def integer(self, key: str, default: int = 0) -> int:
        """An integer field (numeric strings accepted, as ThingsBoard's Jackson does)."""
        value = self.raw.get(key, default)
        if value is None:
            return default
        if isinstance(value, bool):
            raise self._fail(key, "an integer")
        try:
            return int(value)
        except (TypeError, ValueError):
            raise self._fail(key, "an integer") from None

    def flag(self, key: str, default: bool = False) -> bool:
        """A boolean field."""
        value = self.raw.get(key, default)
        if value is None:
            return default
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        if not isinstance(value, bool):
            raise self._fail(key, "a boolean")
        return value

    def str_list(self, key: str) -> list[str]:
        """A list of strings (missing → empty)."""
        value = self.raw.get(key) or []
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self._fail(key, "a list of strings")
        return list(value)

    def str_map(self, key: str) -> dict[str, str]:
        """A string → string object (missing → empty)."""
        value = self.raw.get(key) or {}
        if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
            raise self._fail(key, "an object of strings")
        return dict(value)

    def choice(self, key: str, allowed: Sequence[str], default: str) -> str:
        """A string that must be one of ``allowed``."""
        value = self.text(key, default) or default
        if value not in allowed:
            raise self._fail(key, "one of " + ", ".join(allowed))
        return value


class RuleNode:
    """Base of every node: subclasses set the class attributes and implement ``on_msg``."""

    clazz: ClassVar[str]
    descriptor: ClassVar[Descriptor]
    requires: ClassVar[frozenset[Service]] = frozenset()
    debug_track: NodeTrack | None = None
    """Set by the debug hook on the node's first message."""
    acknowledges: ClassVar[bool] = False
    """True for nodes after which a failure no longer makes the queue retry (TbAckNode)."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        own = cls.__dict__.get("on_msg")
        if own is not None and not getattr(own, "_observed", False):
            cls.on_msg = _observed(own)  # type: ignore[method-assign,assignment]

    def __init__(self, config: NodeConfig, ctx: NodeContext) -> None:
        self.ctx = ctx

    async def on_msg(self, msg: Msg) -> list[Emit]:
        """Process one message; raise :class:`NodeFailure` to emit on ``Failure``."""
        raise NotImplementedError

    async def destroy(self) -> None:
        """Release timers and connections (the chain was changed or the node stops)."""

    @classmethod
    def upgrade(cls, from_version: int, configuration: dict[str, Any]) -> dict[str, Any]:
        """Bring an older configuration to ``descriptor.configuration_version``."""
        return configuration


def _observed(
    call: Callable[[RuleNode, Msg], Awaitable[list[Emit]]],
) -> Callable[[RuleNode, Msg], Awaitable[list[Emit]]]:
    """``on_msg`` that goes through the context's debug hook when there is one (the
    runtime counts the call: ``NodeContext.stats``)."""

    @functools.wraps(call)
    async def on_msg(self: RuleNode, msg: Msg) -> list[Emit]:
        hook = self.ctx.debug_hook
        if hook is None:
            return await call(self, msg)
        track = hook.track(self)
        if track is None:
            track = await hook.prepare(self)
        if track.debug is not None:
            return await hook.run(self, msg, call, track)
        try:
            return await call(self, msg)
        except Exception as exc:
            hook.error(self, exc)
            raise

    on_msg._observed = True  # type: ignore[attr-defined]
    return on_msg
