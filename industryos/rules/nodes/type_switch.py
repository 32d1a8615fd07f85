"""Profile switches: route by the originator's device profile (``TbDeviceTypeSwitchNode``) or
asset profile (``TbAssetTypeSwitchNode``) name.

The label is the profile name, which is the ``type`` field of the device or asset (read
through the tenant-scoped entity facade; ``deviceType`` metadata is not trusted, since only
some messages carry it). An originator of another entity type is a ``Failure``.
"""

from __future__ import annotations

from typing import ClassVar

from industryos.entities.ids import EntityType
from industryos.msg import Msg
from industryos.rules.errors import NodeFailure
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


class _ProfileSwitchNode(RuleNode):
    """Emit the originator's profile name."""

    entity_type: ClassVar[EntityType]
    requires = frozenset({Service.ENTITIES})

    def __init__(self, config: NodeConfig, ctx: NodeContext) -> None:
        super().__init__(config, ctx)
        self._entities = ctx.entities()

    async def on_msg(self, msg: Msg) -> list[Emit]:
        """The profile name as the label."""
        if msg.originator.entity_type is not self.entity_type:
            raise NodeFailure(
                f"Unsupported originator type: {msg.originator.entity_type.value}! "
                f"Only '{self.entity_type.value}' type is allowed."
            )
        fields = await self._entities.fields(msg.tenant_id, msg.originator)
        if fields is None or not fields.get("type"):
            raise NodeFailure(f"{self.entity_type.value.title()} profile for entity not found")
        return [Emit(str(fields["type"]), msg)]


class DeviceTypeSwitchNode(_ProfileSwitchNode):
    """Route by device profile name."""

    clazz = PREFIX + "filter.TbDeviceTypeSwitchNode"
    entity_type = EntityType.DEVICE
    descriptor = Descriptor(
        ComponentType.FILTER,
        "device profile switch",
        "Route incoming messages based on the name of the device profile",
        relation_types=("default", Label.FAILURE),
        custom_relations=True,
    )


class AssetTypeSwitchNode(_ProfileSwitchNode):
    """Route by asset profile name."""

    clazz = PREFIX + "filter.TbAssetTypeSwitchNode"
    entity_type = EntityType.ASSET
    descriptor = Descriptor(
        ComponentType.FILTER,
        "asset profile switch",
        "Route incoming messages based on the name of the asset profile",
        relation_types=("default", Label.FAILURE),
        custom_relations=True,
    )


NODES: tuple[type[RuleNode], ...] = (DeviceTypeSwitchNode, AssetTypeSwitchNode)
