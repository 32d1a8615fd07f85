"""Device state node (``action.TbDeviceStateNode``): a message becomes a connectivity event.

For a device originator, ``event`` CONNECT_EVENT, ACTIVITY_EVENT, DISCONNECT_EVENT or
INACTIVITY_EVENT is reported to the device state tracker (``devices/state.py``) as if a
transport (or the inactivity check) had seen it; the tracker then updates ``active``,
``lastActivityTime``, ``inactivityAlarmTime``… and queues its own state message, as for any
other transition. The event time is the message's ``ts`` metadata (else the message time;
ACTIVITY_EVENT takes the tracker's clock). As in ThingsBoard, CONNECT_EVENT and
DISCONNECT_EVENT only record ``lastConnectTime``/``lastDisconnectTime`` (a stale time is
ignored) and leave activity and the transports' session count alone, so a chain's
disconnect never makes a device with a live MQTT session look session-less;
INACTIVITY_EVENT marks the device inactive.

As in ThingsBoard: a non-device originator is a ``Failure``, and reports are rate limited
per device (default ``1:1,30:60,60:3600``: one a second, 30 a minute, 60 an hour), a
message over the limit leaving on ``Rate limited`` without a report (a chain that runs the
node on every telemetry message does not flood the tracker).
"""

from __future__ import annotations

import bisect
import time
import uuid
from collections.abc import Callable
from typing import ClassVar

from industryos.devices.state import DeviceStateTracker
from industryos.entities.ids import EntityType
from industryos.msg import Msg
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

__all__ = ["RATE_LIMITED", "DeviceStateNode", "RateLimit"]

PREFIX = "org.thingsboard.rule.engine."
RATE_LIMITED = "Rate limited"
DEFAULT_LIMITS = ((1, 1.0), (30, 60.0), (60, 3600.0))
"""(events, seconds) windows: ThingsBoard's ``DEVICE_STATE_NODE_RATE_LIMIT_CONFIGURATION``."""

Report = Callable[[DeviceStateTracker, uuid.UUID, uuid.UUID, int], None]


def _connect(tracker: DeviceStateTracker, device: uuid.UUID, tenant: uuid.UUID, ts: int) -> None:
    tracker.connect_reported(device, tenant, ts)


def _activity(tracker: DeviceStateTracker, device: uuid.UUID, tenant: uuid.UUID, ts: int) -> None:
    tracker.activity(device, tenant)


def _disconnect(tracker: DeviceStateTracker, device: uuid.UUID, tenant: uuid.UUID, ts: int) -> None:
    tracker.disconnect_reported(device, tenant, ts)


def _inactivity(tracker: DeviceStateTracker, device: uuid.UUID, tenant: uuid.UUID, ts: int) -> None:
    tracker.inactivity(device, tenant, ts)


REPORTS: dict[str, Report] = {
    "CONNECT_EVENT": _connect,
    "ACTIVITY_EVENT": _activity,
    "DISCONNECT_EVENT": _disconnect,
    "INACTIVITY_EVENT": _inactivity,
}
"""Configured ``event`` → how it is reported to the tracker."""


class RateLimit:
    """Per-key sliding windows: at most ``n`` events in any ``period`` seconds, for each."""

    def __init__(
        self,
        windows: tuple[tuple[int, float], ...] = DEFAULT_LIMITS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._windows = windows
        self._longest = max(period for _, period in windows)
        self._keep = max(n for n, _ in windows)
        self._clock = clock
        self._seen: dict[uuid.UUID, list[float]] = {}

    def admit(self, key: uuid.UUID) -> bool:
        """True (and counted) when one more event for ``key`` stays within every window."""
        now = self._clock()
        times = self._seen.setdefault(key, [])
        del times[: bisect.bisect_right(times, now - self._longest)]
        for n, period in self._windows:
            if len(times) - bisect.bisect_right(times, now - period) >= n:
                return False
        times.append(now)
        del times[: -self._keep]
        return True


class DeviceStateNode(RuleNode):
    """Report the configured connectivity event for the originator device."""

    clazz = PREFIX + "action.TbDeviceStateNode"
    requires = frozenset({Service.DEVICE_STATE})
    descriptor = Descriptor(
        ComponentType.ACTION,
        "device state",
        "Triggers device connectivity events",
        relation_types=(Label.SUCCESS, Label.FAILURE, RATE_LIMITED),
        default_configuration={"event": "ACTIVITY_EVENT"},
    )
    clock: ClassVar[Callable[[], float]] = time.monotonic
    """The rate limiter's clock (tests replace it)."""

    def __init__(self, config: NodeConfig, ctx: NodeContext) -> None:
        super().__init__(config, ctx)
        event = config.text("event", "ACTIVITY_EVENT") or "ACTIVITY_EVENT"
        report = REPORTS.get(event)
        if report is None:
            raise NodeConfigError(
                f"{self.clazz}: event must be one of {', '.join(REPORTS)} (got {event})"
            )
        self._report = report
        self._tracker = ctx.device_state()
        self._limit = RateLimit(clock=type(self).clock)

    async def on_msg(self, msg: Msg) -> list[Emit]:
        """Report (rate limited per device), then pass the message on."""
        if msg.originator.entity_type is not EntityType.DEVICE:
            raise NodeFailure(
                f"Unsupported originator entity type: [{msg.originator.entity_type.value}]."
                " Only DEVICE entity type is supported."
            )
        device_id = msg.originator.id
        if not self._limit.admit(device_id):
            return [Emit(RATE_LIMITED, msg)]
        self._report(self._tracker, device_id, msg.tenant_id, _event_ts(msg))
        return [Emit(Label.SUCCESS, msg)]


def _event_ts(msg: Msg) -> int:
    """The ``ts`` metadata when it is a number, else the message's own time."""
    raw = msg.metadata.get("ts", "")
    return int(raw) if raw.isdigit() else msg.ts


NODES: tuple[type[RuleNode], ...] = (DeviceStateNode,)
