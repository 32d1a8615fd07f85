"""Node descriptors for the editor palette (``/api/components``), built from the node table."""

from __future__ import annotations

from typing import Any

from industryos.rules.nodes import NODE_CLASSES
from industryos.rules.nodes.base import ComponentType, RuleNode

__all__ = ["component", "components"]


def component(node: type[RuleNode]) -> dict[str, Any]:
    """The ``ComponentDescriptor`` JSON of a node class."""
    d = node.descriptor
    return {
        "type": d.type.value,
        "scope": "TENANT",
        "clusteringMode": "ENABLED",
        "name": d.name,
        "clazz": node.clazz,
        "configurationDescriptor": {
            "nodeDefinition": {
                "details": d.description,
                "description": d.description,
                "inEnabled": d.in_enabled,
                "outEnabled": d.out_enabled,
                "relationTypes": list(d.relation_types),
                "customRelations": d.custom_relations,
                "ruleChainNode": False,
                "defaultConfiguration": dict(d.default_configuration),
            }
        },
        "configurationVersion": d.configuration_version,
        "actions": None,
        "hasQueueName": False,
    }


def components(types: set[str] | None, rule_chain_type: str = "CORE") -> list[dict[str, Any]]:
    """Descriptors of the node families in ``types`` (all when None), CORE chains only."""
    if rule_chain_type != "CORE":
        return []
    wanted = types if types is not None else {t.value for t in ComponentType}
    return [component(n) for n in NODE_CLASSES.values() if n.descriptor.type.value in wanted]
