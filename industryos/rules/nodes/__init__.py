"""Rule nodes by category, and the one table that maps ThingsBoard class names to them."""

from __future__ import annotations

from industryos.rules.errors import ChainDefinitionError
from industryos.rules.nodes import (
    action,
    alarm,
    assign,
    dedup,
    details,
    device_state,
    enrichment,
    external,
    filter,
    flow,
    geo,
    jsonpath,
    mail,
    mapped,
    math,
    mqtt,
    profile,
    relation,
    rest_reply,
    rpc,
    telemetry_fetch,
    transform,
    type_switch,
)
from industryos.rules.nodes.base import RuleNode

__all__ = ["NODE_CLASSES", "node_class"]

NODE_CLASSES: dict[str, type[RuleNode]] = {
    node.clazz: node
    for module in (
        filter,
        type_switch,
        geo,
        enrichment,
        mapped,
        details,
        telemetry_fetch,
        transform,
        jsonpath,
        mail,
        dedup,
        action,
        math,
        relation,
        assign,
        device_state,
        alarm,
        rpc,
        profile,
        flow,
        external,
        mqtt,
        rest_reply,
    )
    for node in module.NODES
}
"""Every node the engine can run, by ThingsBoard class name (the chain JSON ``type``)."""


def node_class(clazz: str) -> type[RuleNode]:
    """The node for a class name; an unknown one fails the import with its name."""
    node = NODE_CLASSES.get(clazz)
    if node is None:
        raise ChainDefinitionError(f"Unknown rule node type: {clazz}")
    return node
