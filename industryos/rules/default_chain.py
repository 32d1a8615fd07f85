"""The Root Rule Chain every tenant starts with (spec §5.4, ThingsBoard ≤ 4.2 layout)."""

from __future__ import annotations

from typing import Any

__all__ = ["ROOT_CHAIN_NAME", "root_chain_export"]

ROOT_CHAIN_NAME = "Root Rule Chain"
_P = "org.thingsboard.rule.engine."
_LOG_SCRIPT = (
    "return '\\nIncoming message:\\n' + JSON.stringify(msg) + "
    "'\\nIncoming metadata:\\n' + JSON.stringify(metadata);"
)


def _node(clazz: str, name: str, config: dict[str, Any], x: int, y: int, version: int = 0) -> Any:
    return {
        "type": _P + clazz,
        "name": name,
        "debugSettings": None,
        "singletonMode": False,
        "queueName": None,
        "configurationVersion": version,
        "configuration": config,
        "additionalInfo": {"description": "", "layoutX": x, "layoutY": y},
    }


def _log(name: str, x: int, y: int) -> Any:
    config = {"scriptLang": "TBEL", "jsScript": _LOG_SCRIPT, "tbelScript": _LOG_SCRIPT}
    return _node("action.TbLogNode", name, config, x, y)


def root_chain_export() -> dict[str, Any]:
    """The single-chain export JSON of the default root chain (a fresh copy each call)."""
    processing = {"type": "ON_EVERY_MESSAGE"}
    nodes = [
        _node(
            "telemetry.TbMsgTimeseriesNode",
            "Save Timeseries",
            {"defaultTTL": 0, "useServerTs": False, "processingSettings": dict(processing)},
            824,
            156,
            1,
        ),
        _node(
            "telemetry.TbMsgAttributesNode",
            "Save Client Attributes",
            {
                "scope": "CLIENT_SCOPE",
                "notifyDevice": False,
                "sendAttributesUpdatedNotification": False,
                "updateAttributesOnlyOnValueChange": True,
                "processingSettings": dict(processing),
            },
            824,
            52,
            3,
        ),
        _node("filter.TbMsgTypeSwitchNode", "Message Type Switch", {"version": 0}, 347, 149),
        _log("Log RPC from Device", 825, 266),
        _log("Log Other", 824, 378),
        _node("rpc.TbSendRPCRequestNode", "RPC Call Request", {"timeoutInSeconds": 60}, 824, 466),
        _node(
            "profile.TbDeviceProfileNode",
            "Device Profile Node",
            {"persistAlarmRulesState": False, "fetchAlarmRulesStateOnStart": False},
            204,
            240,
            1,
        ),
    ]
    connections = [
        (6, 2, "Success"),
        (2, 0, "Post telemetry"),
        (2, 1, "Post attributes"),
        (2, 3, "RPC Request from Device"),
        (2, 5, "RPC Request to Device"),
        (2, 4, "Other"),
    ]
    return {
        "ruleChain": {
            "name": ROOT_CHAIN_NAME,
            "type": "CORE",
            "firstRuleNodeId": None,
            "root": True,
            "debugMode": False,
            "configuration": None,
            "additionalInfo": None,
        },
        "metadata": {
            "firstNodeIndex": 6,
            "nodes": nodes,
            "connections": [
                {"fromIndex": a, "toIndex": b, "type": label} for a, b, label in connections
            ],
            "ruleChainConnections": None,
        },
    }
