"""Device state node (``action.TbDeviceStateNode``): a message becomes connectivity activity.

For a device originator, ``event`` ACTIVITY_EVENT, CONNECT_EVENT or DISCONNECT_EVENT is
reported to the device state tracker (``devices/state.py``) as if a transport had seen it
— the tracker then updates ``active``/``lastActivityTime``/… and emits its own state
messages. As in ThingsBoard, at most one report per device per second is made (a chain that
runs the node on every telemetry message does not flood the tracker), and other originators
pass on unchanged. INACTIVITY_EVENT is not supported: inactivity follows from silence.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable

from industryos.entities.ids import EntityType
from industryos.msg import Msg
from industryos.rules.errors import NodeConfigError
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

PREFIX = "org.thingsboard.rule.engine."
EVENTS = ("ACTIVITY_EVENT", "CONNECT_EVENT", "DISCONNECT_EVENT")
MIN_INTERVAL_S = 1.0


class DeviceStateNode(RuleNode):
    """Report the configured connectivity event for the originator device."""

    clazz = PREFIX + "action.TbDeviceStateNode"
    requires = frozenset({Service.DEVICE_STATE})
    descriptor = Descriptor(
        ComponentType.ACTION,
        "device state",
        "Triggers device connectivity events",
        default_configuration={"event": "ACTIVITY_EVENT"},
    )

    def __init__(self, config: NodeConfig, ctx: NodeContext) -> None:
        super().__init__(config, ctx)
        event = config.text("event", "ACTIVITY_EVENT") or "ACTIVITY_EVENT"
        if event not in EVENTS:
            raise NodeConfigError(
                f"{self.clazz}: event must be one of {', '.join(EVENTS)} (got {event})"
            )
        tracker = ctx.device_state()
        report: dict[str, Callable[[uuid.UUID, uuid.UUID], None]] = {
            "ACTIVITY_EVENT": tracker.activity,
            "CONNECT_EVENT": tracker.connected,
            "DISCONNECT_EVENT": tracker.disconnected,
        }
        self._report = report[event]
        self._last: dict[uuid.UUID, float] = {}

    async def on_msg(self, msg: Msg) -> list[Emit]:
        """Report (rate limited per device), then pass the message on."""
        if msg.originator.entity_type is EntityType.DEVICE:
            now = time.monotonic()
            device_id = msg.originator.id
            if now - self._last.get(device_id, -MIN_INTERVAL_S) >= MIN_INTERVAL_S:
                self._last[device_id] = now
                self._report(device_id, msg.tenant_id)
        return [Emit(Label.SUCCESS, msg)]


NODES: tuple[type[RuleNode], ...] = (DeviceStateNode,)
