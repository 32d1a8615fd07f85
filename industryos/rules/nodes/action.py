"""Action nodes: store telemetry and attributes, log, talk RPC, generate and count messages."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid

from industryos.entities.ids import EntityType, now_ms
from industryos.msg import EntityRef, Msg, MsgType
from industryos.rules.errors import NodeConfigError, NodeFailure, ScriptError
from industryos.rules.labels import Label
from industryos.rules.nodes.base import (
    ComponentType,
    Descriptor,
    Emit,
    NodeConfig,
    NodeContext,
    RuleNode,
    Service,
)
from industryos.rules.nodes.filter import js_type, script_body
from industryos.rules.nodes.templates import fill, json_text
from industryos.rules.nodes.transform import apply_result
from industryos.telemetry.errors import TelemetryError
from industryos.telemetry.kv import AttributeScope
from industryos.telemetry.parse import attributes_from_json, loads, points_of

PREFIX = "org.thingsboard.rule.engine."
SCOPES = tuple(scope.value for scope in AttributeScope)

log = logging.getLogger(__name__)


def _require_type(msg: Msg, expected: MsgType) -> None:
    if msg.type != expected.value:
        raise NodeFailure(f"Unsupported msg type: {msg.type}")


class MsgTimeseriesNode(RuleNode):
    """Save the body of a POST_TELEMETRY_REQUEST as time series (ts from metadata ``ts``)."""

    clazz = PREFIX + "telemetry.TbMsgTimeseriesNode"
    requires = frozenset({Service.TELEMETRY})
    descriptor = Descriptor(
        ComponentType.ACTION,
        "save time series",
        "Saves time series data",
        default_configuration={
            "defaultTTL": 0,
            "useServerTs": False,
            "processingSettings": {"type": "ON_EVERY_MESSAGE"},
        },
        configuration_version=1,
    )

    def __init__(self, config: NodeConfig, ctx: NodeContext) -> None:
        super().__init__(config, ctx)
        self._telemetry = ctx.telemetry()
        self._ttl = config.integer("defaultTTL")
        self._server_ts = config.flag("useServerTs")

    async def on_msg(self, msg: Msg) -> list[Emit]:
        """Parse and write; returns once committed (batch writer group commit)."""
        _require_type(msg, MsgType.POST_TELEMETRY_REQUEST)
        ts = now_ms() if self._server_ts else _int(msg.metadata.get("ts"), msg.ts)
        ttl = _int(msg.metadata.get("TTL"), self._ttl)
        try:
            entries = points_of(msg.data, msg.parsed, ts)
        except (TelemetryError, ValueError) as exc:
            raise NodeFailure(f"Invalid telemetry: {exc}") from None
        await self._telemetry.save_timeseries(msg.tenant_id, msg.originator.id, entries, ttl)
        return [Emit(Label.SUCCESS, msg)]


def _int(text: str | None, default: int) -> int:
    if not text:
        return default
    try:
        return int(text)
    except ValueError:
        return default


class MsgAttributesNode(RuleNode):
    """Save the body of a POST_ATTRIBUTES_REQUEST as attributes of ``scope``."""

    clazz = PREFIX + "telemetry.TbMsgAttributesNode"
    requires = frozenset({Service.TELEMETRY})
    descriptor = Descriptor(
        ComponentType.ACTION,
        "save attributes",
        "Saves attributes data",
        default_configuration={
            "scope": "SERVER_SCOPE",
            "notifyDevice": False,
            "sendAttributesUpdatedNotification": False,
            "updateAttributesOnlyOnValueChange": True,
            "processingSettings": {"type": "ON_EVERY_MESSAGE"},
        },
        configuration_version=3,
    )

    def __init__(self, config: NodeConfig, ctx: NodeContext) -> None:
        super().__init__(config, ctx)
        self._telemetry = ctx.telemetry()
        self._scope = config.choice("scope", SCOPES, "SERVER_SCOPE")

    async def on_msg(self, msg: Msg) -> list[Emit]:
        """Metadata ``scope`` wins over the configured one."""
        _require_type(msg, MsgType.POST_ATTRIBUTES_REQUEST)
        scope = msg.metadata.get("scope") or self._scope
        if scope not in SCOPES:
            raise NodeFailure(f"Invalid scope: {scope}")
        try:
            entries = attributes_from_json(loads(msg.data))
        except (TelemetryError, ValueError) as exc:
            raise NodeFailure(f"Invalid attributes: {exc}") from None
        await self._telemetry.save_attributes(
            msg.tenant_id, msg.originator.id, AttributeScope(scope), entries
        )
        return [Emit(Label.SUCCESS, msg)]


class MsgDeleteAttributesNode(RuleNode):
    """Delete attributes ``keys`` (templated) of ``scope``."""

    clazz = PREFIX + "telemetry.TbMsgDeleteAttributesNode"
    requires = frozenset({Service.TELEMETRY})
    descriptor = Descriptor(
        ComponentType.ACTION,
        "delete attributes",
        "Deletes attributes by keys",
        default_configuration={
            "scope": "SERVER_SCOPE",
            "keys": [],
            "sendAttributesDeletedNotification": False,
            "notifyDevice": False,
        },
    )

    def __init__(self, config: NodeConfig, ctx: NodeContext) -> None:
        super().__init__(config, ctx)
        self._telemetry = ctx.telemetry()
        self._scope = config.choice("scope", SCOPES, "SERVER_SCOPE")
        self._keys = config.str_list("keys")

    async def on_msg(self, msg: Msg) -> list[Emit]:
        """Delete what exists; missing keys are not an error."""
        scope = msg.metadata.get("scope") or self._scope
        if scope not in SCOPES:
            raise NodeFailure(f"Invalid scope: {scope}")
        keys = [k for k in (fill(key, msg) for key in self._keys) if k]
        if keys:
            await self._telemetry.delete_attributes(
                msg.tenant_id, msg.originator.id, AttributeScope(scope), keys
            )
        return [Emit(Label.SUCCESS, msg)]


class LogNode(RuleNode):
    """Log the string a script builds from the message."""

    clazz = PREFIX + "action.TbLogNode"
    requires = frozenset({Service.SCRIPTS})
    descriptor = Descriptor(
        ComponentType.ACTION,
        "log",
        "Log incoming messages using a script",
        default_configuration={
            "scriptLang": "TBEL",
            "jsScript": "return 'Incoming message:\\n' + JSON.stringify(msg) + "
            "'\\nIncoming metadata:\\n' + JSON.stringify(metadata);",
            "tbelScript": "return 'Incoming message:\\n' + JSON.stringify(msg) + "
            "'\\nIncoming metadata:\\n' + JSON.stringify(metadata);",
        },
    )

    def __init__(self, config: NodeConfig, ctx: NodeContext) -> None:
        super().__init__(config, ctx)
        self._script = ctx.scripts().compile(script_body(config))

    async def on_msg(self, msg: Msg) -> list[Emit]:
        """The message passes on unchanged."""
        text = await self._script.invoke(msg.data, msg.metadata, msg.type)
        if not isinstance(text, str):
            reason = f"Wrong result type: {js_type(text)} (expected string)"
            self._script.failed(reason)
            raise ScriptError(reason)
        log.info("[%s] %s", self.ctx.tenant_id, text)
        return [Emit(Label.SUCCESS, msg)]


class _TimerNode(RuleNode):
    """A node with a background timer that emits on its own (generator, message count)."""

    def __init__(self, config: NodeConfig, ctx: NodeContext) -> None:
        super().__init__(config, ctx)
        self._timer: asyncio.Task[None] | None = None

    def start_timer(self) -> None:
        """Start :meth:`tick` every :attr:`period_s` seconds."""
        self._timer = asyncio.get_running_loop().create_task(self._loop())

    period_s: float = 1.0

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(self.period_s)
            try:
                await self.tick()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # a timer that dies silently stops a whole feature
                log.warning("timer of rule node %s failed: %s", self.ctx.node_id, exc)

    async def tick(self) -> None:
        """One period elapsed."""

    async def destroy(self) -> None:
        """Stop the timer."""
        if self._timer is not None:
            self._timer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._timer


class MsgGeneratorNode(_TimerNode):
    """Generate ``msgCount`` messages (0: forever) every ``periodInSeconds`` with a script."""

    clazz = PREFIX + "debug.TbMsgGeneratorNode"
    requires = frozenset({Service.SCRIPTS})
    descriptor = Descriptor(
        ComponentType.ACTION,
        "generator",
        "Periodically generates messages",
        relation_types=(Label.SUCCESS, Label.FAILURE),
        in_enabled=False,
        default_configuration={
            "msgCount": 0,
            "periodInSeconds": 1,
            "originatorId": None,
            "originatorType": None,
            "scriptLang": "TBEL",
            "jsScript": "var msg = { temp: 42, humidity: 77 };\nvar metadata = { data: 40 };\n"
            "var msgType = 'POST_TELEMETRY_REQUEST';\n"
            "return { msg: msg, metadata: metadata, msgType: msgType };",
            "tbelScript": "var msg = { temp: 42, humidity: 77 };\nvar metadata = { data: 40 };\n"
            "var msgType = 'POST_TELEMETRY_REQUEST';\n"
            "return { msg: msg, metadata: metadata, msgType: msgType };",
        },
        configuration_version=1,
    )

    def __init__(self, config: NodeConfig, ctx: NodeContext) -> None:
        super().__init__(config, ctx)
        self._left = config.integer("msgCount")
        self.period_s = max(0.01, float(config.integer("periodInSeconds", 1)))
        self._script = ctx.scripts().compile(
            script_body(config), ("prevMsg", "prevMetadata", "prevMsgType")
        )
        originator_id = config.optional_str("originatorId")
        originator_type = config.optional_str("originatorType")
        try:
            self._originator = (
                EntityRef(EntityType(originator_type), uuid.UUID(originator_id))
                if originator_id and originator_type
                else EntityRef(EntityType.RULE_NODE, ctx.node_id)
            )
        except ValueError:
            raise NodeConfigError(f"{self.clazz}: invalid originator") from None
        self._unlimited = self._left <= 0
        self._prev = Msg(type="", originator=self._originator, tenant_id=ctx.tenant_id)
        self.start_timer()

    async def tick(self) -> None:
        """Build the next message from the previous one and send it on."""
        if not self._unlimited and self._left <= 0:
            return
        prev = self._prev
        result = await self._script.invoke(prev.data, prev.metadata, prev.type)
        if not isinstance(result, dict):
            raise ScriptError(f"Wrong result type: {js_type(result)} (expected object)")
        msg = apply_result(
            Msg(type="", originator=self._originator, tenant_id=self.ctx.tenant_id), result
        )
        self._prev = msg
        self._left -= 1
        await self.ctx.emit_later([Emit(Label.SUCCESS, msg)])


class MsgCountNode(_TimerNode):
    """Count messages and emit the count as telemetry of the tenant every ``interval``."""

    clazz = PREFIX + "action.TbMsgCountNode"
    descriptor = Descriptor(
        ComponentType.ACTION,
        "message count",
        "Count incoming messages",
        default_configuration={"interval": 1, "telemetryPrefix": "messageCount"},
    )

    def __init__(self, config: NodeConfig, ctx: NodeContext) -> None:
        super().__init__(config, ctx)
        self.period_s = max(0.01, float(config.integer("interval", 1)))
        self._key = (config.text("telemetryPrefix") or "messageCount") + "_industryos"
        self._count = 0
        self.start_timer()

    async def on_msg(self, msg: Msg) -> list[Emit]:
        """Counted, not forwarded."""
        self._count += 1
        return []

    async def tick(self) -> None:
        """Send ``{prefix_<service>: count}`` and start counting again."""
        count, self._count = self._count, 0
        tenant = self.ctx.tenant_id
        msg = Msg(
            type=MsgType.POST_TELEMETRY_REQUEST.value,
            originator=EntityRef(EntityType.TENANT, tenant),
            tenant_id=tenant,
            data=json_text({self._key: count}),
            metadata={"delta": str(int(self.period_s * 1000))},
        )
        await self.ctx.emit_later([Emit(Label.SUCCESS, msg)])


class MsgDelayNode(RuleNode):
    """Hold a message for ``periodInSeconds`` (or a metadata pattern) before passing it on.

    Design limit: the message keeps its originator's place in the rule engine while it
    waits (order is kept, later messages of the same originator wait too).
    """

    clazz = PREFIX + "delay.TbMsgDelayNode"
    descriptor = Descriptor(
        ComponentType.ACTION,
        "delay (deprecated)",
        "Delays incoming message",
        default_configuration={
            "periodInSeconds": 60,
            "maxPendingMsgs": 1000,
            "periodInSecondsPattern": None,
            "useMetadataPeriodInSecondsPatterns": False,
        },
    )

    def __init__(self, config: NodeConfig, ctx: NodeContext) -> None:
        super().__init__(config, ctx)
        self._period = config.integer("periodInSeconds", 60)
        self._pattern = config.optional_str("periodInSecondsPattern")
        self._use_pattern = config.flag("useMetadataPeriodInSecondsPatterns")
        self._max_pending = config.integer("maxPendingMsgs", 1000)
        self._pending = 0

    async def on_msg(self, msg: Msg) -> list[Emit]:
        """Sleep, then Success; too many waiting → Failure."""
        if self._pending >= self._max_pending:
            raise NodeFailure(f"Max limit of pending messages reached: {self._max_pending}")
        period = float(self._period)
        if self._use_pattern and self._pattern:
            try:
                period = float(fill(self._pattern, msg))
            except ValueError:
                raise NodeFailure("Can't parse period from the metadata pattern") from None
        self._pending += 1
        try:
            await asyncio.sleep(max(0.0, period))
        finally:
            self._pending -= 1
        return [Emit(Label.SUCCESS, msg)]


NODES: tuple[type[RuleNode], ...] = (
    MsgTimeseriesNode,
    MsgAttributesNode,
    MsgDeleteAttributesNode,
    LogNode,
    MsgGeneratorNode,
    MsgCountNode,
    MsgDelayNode,
)
