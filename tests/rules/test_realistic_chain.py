"""A realistic rule chain, imported over REST, driven by MQTT telemetry on a live node.

The export (spec §5.3 ``RuleChainData``) holds a root chain and a nested one:

* root: JS filter (only messages with ``temperatureF``) → "rule chain" node → nested chain;
* nested "Temperature processing": JS transform (°F → °C), originator attributes (server
  ``threshold`` into metadata ``ss_threshold``), save time series, JS filter (above the
  threshold?) → create alarm "Overheat" → REST API call (POST the alarm to a local HTTP
  server started by the test), or → clear alarm "Overheat".

A device publishes over MQTT (paho, QoS 1); the test checks the stored °C series, the alarm
over REST, the HTTP server's request, the clear, and that filtered-out messages stored
nothing.
"""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path
from typing import Any

import orjson
import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion

from tests.notify.recorder import recording_server
from tests.support.node import demo_admin_client, running_node
from tests.support.paho import close_paho

P = "org.thingsboard.rule.engine."
ROOT_ID = str(uuid.uuid4())
NESTED_ID = str(uuid.uuid4())


def _node(clazz: str, name: str, x: int, **configuration: Any) -> dict[str, Any]:
    return {
        "type": P + clazz,
        "name": name,
        "debugMode": False,
        "singletonMode": False,
        "configurationVersion": 1,
        "configuration": configuration,
        "additionalInfo": {"layoutX": x, "layoutY": 150, "description": ""},
    }


def _export(server_url: str) -> dict[str, Any]:
    root_nodes = [
        _node(
            "filter.TbJsFilterNode",
            "Has Fahrenheit",
            300,
            scriptLang="JS",
            jsScript="return typeof msg.temperatureF === 'number';",
        ),
        _node(
            "flow.TbRuleChainInputNode",
            "Temperature processing",
            500,
            ruleChainId=NESTED_ID,
            forwardMsgToDefaultRuleChain=False,
        ),
    ]
    nested_nodes = [
        _node(
            "transform.TbTransformMsgNode",
            "F to C",
            300,
            scriptLang="JS",
            jsScript="var c = Math.round((msg.temperatureF - 32) / 1.8 * 10) / 10;"
            " return {msg: {temperatureC: c}, metadata: metadata, msgType: msgType};",
        ),
        _node(
            "metadata.TbGetAttributesNode",
            "Threshold",
            500,
            clientAttributeNames=[],
            sharedAttributeNames=[],
            serverAttributeNames=["threshold"],
            latestTsKeyNames=[],
            tellFailureIfAbsent=True,
            getLatestValueWithTs=False,
            fetchTo="METADATA",
        ),
        _node(
            "telemetry.TbMsgTimeseriesNode",
            "Save Timeseries",
            700,
            defaultTTL=0,
            useServerTs=False,
            processingSettings={"type": "ON_EVERY_MESSAGE"},
        ),
        _node(
            "filter.TbJsFilterNode",
            "Too hot?",
            900,
            scriptLang="JS",
            jsScript="return msg.temperatureC > Number(metadata.ss_threshold);",
        ),
        _node(
            "action.TbCreateAlarmNode",
            "Overheat",
            1100,
            alarmType="Overheat",
            severity="MAJOR",
            scriptLang="JS",
            alarmDetailsBuildJs="return {temperatureC: msg.temperatureC};",
        ),
        _node(
            "action.TbClearAlarmNode",
            "Clear overheat",
            1100,
            alarmType="Overheat",
            scriptLang="JS",
            alarmDetailsBuildJs="return {cleared: msg.temperatureC};",
        ),
        _node(
            "rest.TbRestApiCallNode",
            "Notify maintenance",
            1300,
            restEndpointUrlPattern=server_url + "/alarms/${deviceName}",
            requestMethod="POST",
            headers={"Content-Type": "application/json"},
            readTimeoutMs=5000,
            maxParallelRequestsCount=0,
            parseToPlainText=False,
            credentials={"type": "anonymous"},
        ),
    ]
    chain = {"type": "CORE", "root": False, "debugMode": False, "configuration": None}
    return {
        "ruleChains": [
            {**chain, "id": {"entityType": "RULE_CHAIN", "id": ROOT_ID}, "name": "Plant root"},
            {
                **chain,
                "id": {"entityType": "RULE_CHAIN", "id": NESTED_ID},
                "name": "Temperature processing",
            },
        ],
        "metadata": [
            {
                "ruleChainId": {"entityType": "RULE_CHAIN", "id": ROOT_ID},
                "firstNodeIndex": 0,
                "nodes": root_nodes,
                "connections": [{"fromIndex": 0, "toIndex": 1, "type": "True"}],
                "ruleChainConnections": None,
            },
            {
                "ruleChainId": {"entityType": "RULE_CHAIN", "id": NESTED_ID},
                "firstNodeIndex": 0,
                "nodes": nested_nodes,
                "connections": [
                    {"fromIndex": 0, "toIndex": 1, "type": "Success"},
                    {"fromIndex": 1, "toIndex": 2, "type": "Success"},
                    {"fromIndex": 2, "toIndex": 3, "type": "Success"},
                    {"fromIndex": 3, "toIndex": 4, "type": "True"},
                    {"fromIndex": 3, "toIndex": 5, "type": "False"},
                    {"fromIndex": 4, "toIndex": 6, "type": "Created"},
                ],
                "ruleChainConnections": None,
            },
        ],
    }


def _publish(port: int, token: str, payloads: list[dict[str, Any]]) -> None:
    client = paho.Client(CallbackAPIVersion.VERSION2, client_id=f"dev-{uuid.uuid4().hex[:8]}")
    client.username_pw_set(token)
    client.connect("127.0.0.1", port)
    client.loop_start()
    try:
        for payload in payloads:
            info = client.publish("v1/devices/me/telemetry", orjson.dumps(payload), qos=1)
            info.wait_for_publish(timeout=10)
            assert info.is_published()
    finally:
        close_paho(client)


async def _eventually(check: Any, limit_s: float = 60.0) -> Any:
    deadline = asyncio.get_running_loop().time() + limit_s
    while True:
        result = await check()
        if result:
            return result
        assert asyncio.get_running_loop().time() < deadline, "condition not reached in time"
        await asyncio.sleep(0.05)


async def test_imported_chain_processes_mqtt_telemetry(tmp_path: Path, db_url: str) -> None:
    async with (
        running_node(tmp_path, db_url) as node,
        recording_server() as server,
        demo_admin_client(node, request_timeout=60.0) as client,
    ):
        imported = await client.post("/api/ruleChains/import", json=_export(server.url))
        assert imported.status_code == 200, imported.text
        ids = {r["ruleChainName"]: r["ruleChainId"]["id"] for r in imported.json()}
        rooted = await client.post(f"/api/ruleChain/{ids['Plant root']}/root")
        assert rooted.status_code == 200, rooted.text

        device = (await client.post("/api/device", json={"name": "boiler-1"})).json()
        device_id = device["id"]["id"]
        saved = await client.post(
            f"/api/plugins/telemetry/DEVICE/{device_id}/SERVER_SCOPE", json={"threshold": 90}
        )
        assert saved.status_code == 200, saved.text
        token = (await client.get(f"/api/device/{device_id}/credentials")).json()["credentialsId"]
        assert node.devices is not None and node.devices.mqtt.port is not None
        mqtt_port = node.devices.mqtt.port

        await asyncio.to_thread(
            _publish, mqtt_port, token, [{"humidity": 40}, {"temperatureF": 212}]
        )

        async def alarm() -> dict[str, Any] | None:
            page = await client.get(
                f"/api/alarm/DEVICE/{device_id}", params={"pageSize": 10, "page": 0}
            )
            found = [a for a in page.json()["data"] if a["type"] == "Overheat"]
            return found[0] if found else None

        raised = await _eventually(alarm)
        assert raised["status"] == "ACTIVE_UNACK" and raised["severity"] == "MAJOR"
        assert raised["details"] == {"temperatureC": 100}
        latest = await client.get(
            f"/api/plugins/telemetry/DEVICE/{device_id}/values/timeseries",
            params={"keys": "temperatureC,humidity,temperatureF"},
        )
        assert set(latest.json()) == {"temperatureC"}  # nothing else was stored
        assert float(latest.json()["temperatureC"][0]["value"]) == 100.0

        async def notified() -> bool:
            return len(server.requests) == 1

        await _eventually(notified)
        (request,) = server.requests
        assert request.method == "POST" and request.path == "/alarms/boiler-1"
        assert orjson.loads(request.body)["type"] == "Overheat"

        await asyncio.to_thread(_publish, mqtt_port, token, [{"temperatureF": 50}])

        async def cleared() -> bool:
            found = await alarm()
            return found is not None and found["status"] == "CLEARED_UNACK"

        await _eventually(cleared)
        history = await client.get(
            f"/api/plugins/telemetry/DEVICE/{device_id}/values/timeseries",
            params={"keys": "temperatureC", "startTs": 0, "endTs": 2**62, "limit": 10},
        )
        values = sorted(float(p["value"]) for p in history.json()["temperatureC"])
        assert values == [10.0, 100.0]
        assert len(server.requests) == 1  # the clear did not call the server
