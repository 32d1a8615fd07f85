"""The device profile node (action category): the alarms task's extension point.

ThingsBoard ≤ 4.2 evaluates device-profile alarm rules here (spec §6.2), and the default
root chain starts with it (§5.4). Until the alarm service exists this node passes every
message on ``Success`` unchanged, so the ≤ 4.2 root chain and chains exported from it run
today; the alarms task replaces :meth:`DeviceProfileNode.on_msg` with rule evaluation
(outputs ``Alarm Created``/``Alarm Updated``/``Alarm Severity Updated``/``Alarm Cleared``).
"""

from __future__ import annotations

from industryos.msg import Msg
from industryos.rules.labels import Label
from industryos.rules.nodes.base import ComponentType, Descriptor, Emit, RuleNode

PREFIX = "org.thingsboard.rule.engine."

ALARM_LABELS = ("Alarm Created", "Alarm Updated", "Alarm Severity Updated", "Alarm Cleared")


class DeviceProfileNode(RuleNode):
    """Alarm rules of the device profile (pass-through until alarms exist)."""

    clazz = PREFIX + "profile.TbDeviceProfileNode"
    descriptor = Descriptor(
        ComponentType.ACTION,
        "device profile",
        "Process device messages based on device profile settings",
        relation_types=(*ALARM_LABELS, Label.SUCCESS, Label.FAILURE),
        default_configuration={
            "persistAlarmRulesState": False,
            "fetchAlarmRulesStateOnStart": False,
        },
        configuration_version=1,
    )

    async def on_msg(self, msg: Msg) -> list[Emit]:
        """No alarm rules are evaluated yet: the message goes on."""
        return [Emit(Label.SUCCESS, msg)]


NODES: tuple[type[RuleNode], ...] = (DeviceProfileNode,)
