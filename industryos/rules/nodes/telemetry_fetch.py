"""Enrichment from the originator's time series: history (``TbGetTelemetryNode``) and the
delta of a counter (``CalculateDeltaNode``)."""

from __future__ import annotations

import uuid
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from industryos.entities.ids import now_ms
from industryos.msg import Msg, MsgType
from industryos.rules.errors import NodeConfigError, NodeFailure
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
from industryos.rules.nodes.enrichment import FETCH_TO, put_all
from industryos.rules.nodes.templates import body_of, fill, json_text
from industryos.telemetry.query import Aggregation, Order, TsQuery

PREFIX = "org.thingsboard.rule.engine."
_UNIT_MS = {
    "MILLISECONDS": 1,
    "SECONDS": 1000,
    "MINUTES": 60_000,
    "HOURS": 3_600_000,
    "DAYS": 86_400_000,
}
FETCH_MODES = ("FIRST", "LAST", "ALL")


class GetTelemetryNode(RuleNode):
    """Time series of the originator within an interval before now, into the metadata.

    FIRST/LAST put one value per key (as a string); ALL puts the JSON array of
    ``{"ts", "value"}``. The interval is ``startInterval``/``endInterval`` ago in their units,
    or, with ``useMetadataIntervalPatterns``, ms timestamps from templates.
    """

    clazz = PREFIX + "metadata.TbGetTelemetryNode"
    requires = frozenset({Service.TELEMETRY})
    descriptor = Descriptor(
        ComponentType.ENRICHMENT,
        "originator telemetry",
        "Adds message originator telemetry for selected time range into message metadata",
        default_configuration={
            "latestTsKeyNames": [],
            "aggregation": "NONE",
            "fetchMode": "FIRST",
            "orderBy": "ASC",
            "limit": 1000,
            "useMetadataIntervalPatterns": False,
            "startInterval": 2,
            "startIntervalTimeUnit": "MINUTES",
            "endInterval": 1,
            "endIntervalTimeUnit": "MINUTES",
            "startIntervalPattern": "",
            "endIntervalPattern": "",
            "fetchTo": "METADATA",
        },
    )

    def __init__(self, config: NodeConfig, ctx: NodeContext) -> None:
        super().__init__(config, ctx)
        self._telemetry = ctx.telemetry()
        self._keys = config.str_list("latestTsKeyNames")
        if not self._keys:
            raise NodeConfigError(f"{self.clazz}: latestTsKeyNames should be specified")
        self._mode = config.choice("fetchMode", FETCH_MODES, "FIRST")
        try:
            self._agg = Aggregation(config.text("aggregation", "NONE") or "NONE")
        except ValueError:
            raise NodeConfigError(f"{self.clazz}: unknown aggregation") from None
        self._order = Order.DESC if config.text("orderBy", "ASC") == "DESC" else Order.ASC
        self._limit = max(1, min(config.integer("limit", 1000), 1000))
        self._patterns = config.flag("useMetadataIntervalPatterns")
        self._start = (
            config.integer("startInterval", 2),
            _UNIT_MS.get(config.text("startIntervalTimeUnit", "MINUTES"), 60_000),
        )
        self._end = (
            config.integer("endInterval", 1),
            _UNIT_MS.get(config.text("endIntervalTimeUnit", "MINUTES"), 60_000),
        )
        self._start_pattern = config.text("startIntervalPattern")
        self._end_pattern = config.text("endIntervalPattern")
        self._fetch_to = config.choice("fetchTo", FETCH_TO, "METADATA")

    def _interval(self, msg: Msg) -> tuple[int, int]:
        if self._patterns:
            try:
                return int(fill(self._start_pattern, msg)), int(fill(self._end_pattern, msg))
            except ValueError:
                raise NodeFailure("Interval patterns did not resolve to ms timestamps") from None
        now = now_ms()
        return now - self._start[0] * self._start[1], now - self._end[0] * self._end[1]

    async def on_msg(self, msg: Msg) -> list[Emit]:
        """One history query per key."""
        start, end = self._interval(msg)
        if start > end:
            raise NodeFailure("Interval start should be less than Interval End")
        keys = [fill(k, msg) for k in self._keys]
        aggregated = self._agg is not Aggregation.NONE
        if aggregated:
            queries = [
                TsQuery(k, start, end, self._agg, interval=max(1, end - start)) for k in keys
            ]
        else:
            order = Order.DESC if self._mode == "LAST" else self._order
            limit = 1 if self._mode != "ALL" else self._limit
            queries = [TsQuery(k, start, end, limit=limit, order=order) for k in keys]
        history = await self._telemetry.get_history(msg.tenant_id, msg.originator.id, queries)
        found: dict[str, Any] = {}
        for key in keys:
            points = history.get(key) or []
            if not points:
                continue
            if self._mode == "ALL" and not aggregated:
                found[key] = json_text([{"ts": p.ts, "value": p.native_value()} for p in points])
            else:
                found[key] = points[0].native_value()
        return [Emit(Label.SUCCESS, put_all(msg, found, self._fetch_to))]


def _decimal(value: Any) -> Decimal | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        return Decimal(str(value))
    except ArithmeticError:
        return None


class CalculateDeltaNode(RuleNode):
    """Add ``current - previous`` of a counter to telemetry bodies (others go to ``Other``)."""

    clazz = PREFIX + "metadata.CalculateDeltaNode"
    requires = frozenset({Service.TELEMETRY})
    descriptor = Descriptor(
        ComponentType.ENRICHMENT,
        "calculate delta",
        "Calculates delta and amount of time passed between previous and current message",
        relation_types=(Label.SUCCESS, Label.FAILURE, Label.OTHER),
        default_configuration={
            "inputValueKey": "pulseCounter",
            "outputValueKey": "delta",
            "useCache": True,
            "addPeriodBetweenMsgs": False,
            "periodValueKey": "periodInMs",
            "round": None,
            "tellFailureIfDeltaIsNegative": True,
            "excludeZeroDeltas": False,
        },
    )

    def __init__(self, config: NodeConfig, ctx: NodeContext) -> None:
        super().__init__(config, ctx)
        self._telemetry = ctx.telemetry()
        self._input = config.text("inputValueKey", "pulseCounter") or "pulseCounter"
        self._output = config.text("outputValueKey", "delta") or "delta"
        self._use_cache = config.flag("useCache", True)
        self._add_period = config.flag("addPeriodBetweenMsgs")
        self._period_key = config.text("periodValueKey", "periodInMs") or "periodInMs"
        rounding = config.raw.get("round")
        self._round = int(rounding) if isinstance(rounding, int | float) else None
        self._fail_negative = config.flag("tellFailureIfDeltaIsNegative", True)
        self._exclude_zero = config.flag("excludeZeroDeltas")
        self._cache: dict[uuid.UUID, tuple[int, Decimal]] = {}

    async def _previous(self, msg: Msg) -> tuple[int, Decimal] | None:
        if self._use_cache and msg.originator.id in self._cache:
            return self._cache[msg.originator.id]
        latest = await self._telemetry.get_latest(msg.tenant_id, msg.originator.id, [self._input])
        if not latest:
            return None
        value = _decimal(latest[0].native_value())
        return None if value is None else (latest[0].ts, value)

    async def on_msg(self, msg: Msg) -> list[Emit]:
        """Delta against the cached (or stored) previous value of the same originator."""
        body = body_of(msg)
        if msg.type != MsgType.POST_TELEMETRY_REQUEST or not isinstance(body, dict):
            return [Emit(Label.OTHER, msg)]
        current = _decimal(body.get(self._input))
        if current is None:
            return [Emit(Label.OTHER, msg)]
        ts = int(msg.metadata.get("ts") or msg.ts)
        previous = await self._previous(msg)
        if self._use_cache:
            self._cache[msg.originator.id] = (ts, current)
        delta = Decimal(0) if previous is None else current - previous[1]
        period = 0 if previous is None else ts - previous[0]
        if self._fail_negative and delta < 0:
            raise NodeFailure("Delta value is negative!")
        if self._exclude_zero and delta == 0:
            return [Emit(Label.SUCCESS, msg)]
        if self._round is not None:
            delta = delta.quantize(Decimal(1).scaleb(-self._round), rounding=ROUND_HALF_UP)
        number: int | float = int(delta) if delta == delta.to_integral_value() else float(delta)
        added: dict[str, Any] = {self._output: number}
        if self._add_period:
            added[self._period_key] = period
        return [Emit(Label.SUCCESS, msg.with_changes(data=json_text({**body, **added})))]


NODES: tuple[type[RuleNode], ...] = (GetTelemetryNode, CalculateDeltaNode)
