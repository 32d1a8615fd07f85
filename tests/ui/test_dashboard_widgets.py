"""Every widget family on one imported dashboard, against a device connected over MQTT."""

from __future__ import annotations

import json
import queue
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from playwright.sync_api import Page, expect

from tests.ui.conftest import UiNode, sign_in

TENANT = ("tenant@industryos.local", "tenant")
UNREACHABLE_TILES = "http://127.0.0.1:9/{z}/{x}/{y}.png"


class Device:
    """A device connected over MQTT that records the RPCs it receives."""

    def __init__(self, port: int, token: str) -> None:
        self.rpcs: queue.Queue[dict[str, Any]] = queue.Queue()
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=uuid.uuid4().hex[:12])
        self.client.username_pw_set(token)
        self.client.on_message = lambda _c, _u, msg: self.rpcs.put(json.loads(msg.payload))
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()
        result, _mid = self.client.subscribe("v1/devices/me/rpc/request/+", qos=1)
        assert result == mqtt.MQTT_ERR_SUCCESS

    def publish(self, values: dict[str, Any]) -> None:
        info = self.client.publish("v1/devices/me/telemetry", json.dumps(values), qos=1)
        info.wait_for_publish(10)

    def next_rpc(self) -> dict[str, Any]:
        return self.rpcs.get(timeout=10)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def _widget(wid: str, fqn: str, title: str, keys: list[tuple[str, str]], **settings: Any) -> Any:
    return {
        "id": wid,
        "typeFullFqn": fqn,
        "sizeX": 8,
        "sizeY": 5,
        "config": {
            "title": title,
            "decimals": 1,
            "datasources": [
                {
                    "type": "entity",
                    "entityAliasId": "boiler",
                    "dataKeys": [{"name": n, "type": t, "label": n} for n, t in keys],
                }
            ],
            "settings": settings,
        },
    }


def _dashboard_file(device_id: str) -> dict[str, Any]:
    widgets = [
        _widget(
            "table",
            "system.cards.entities_table",
            "Table",
            [("temperature", "timeseries"), ("model", "attribute")],
        ),
        _widget(
            "gauge",
            "system.analogue_gauges.radial_gauge",
            "Gauge",
            [("temperature", "timeseries")],
            min=0,
            max=50,
        ),
        _widget("map", "system.maps_v2.openstreetmap", "Map", [], tileUrl=UNREACHABLE_TILES),
        _widget("alarms", "system.alarm_widgets.alarms_table", "Alarms", [], status="ANY"),
        _widget(
            "switch",
            "system.control_widgets.switch_control",
            "Power",
            [],
            setMethod="setPower",
            stateKey="power",
            oneWay=True,
        ),
        _widget(
            "button",
            "system.control_widgets.rpcbutton",
            "Reboot",
            [],
            method="reboot",
            params='{"delay": 1}',
            oneWay=True,
            buttonText="Reboot now",
        ),
        _widget(
            "form",
            "system.input_widgets.update_multiple_attributes",
            "Setpoint",
            [("targetTemp", "attribute")],
        ),
    ]
    return {
        "title": "Widget gallery",
        "configuration": {
            "widgets": {w["id"]: w for w in widgets},
            "entityAliases": {
                "boiler": {
                    "id": "boiler",
                    "alias": "Boiler",
                    "filter": {
                        "type": "singleEntity",
                        "singleEntity": {"entityType": "DEVICE", "id": device_id},
                    },
                }
            },
            "timewindow": {"selectedTab": 0, "realtime": {"timewindowMs": 300000}},
        },
    }


@pytest.fixture
def arranged(ui_node: UiNode) -> Iterator[tuple[str, str, Device]]:
    """A device with telemetry, position, attributes and an alarm; connected over MQTT."""
    admin = ui_node.login(*TENANT)
    name = f"Gallery Boiler {uuid.uuid4().hex[:4]}"
    base = ui_node.base_url
    device_id = httpx.post(f"{base}/api/device", json={"name": name}, headers=admin).json()["id"][
        "id"
    ]
    token = httpx.get(f"{base}/api/device/{device_id}/credentials", headers=admin).json()[
        "credentialsId"
    ]
    attrs = f"{base}/api/plugins/telemetry/DEVICE/{device_id}/attributes"
    assert httpx.post(f"{attrs}/SERVER_SCOPE", json={"model": "X1"}, headers=admin).is_success
    assert httpx.post(f"{attrs}/SHARED_SCOPE", json={"power": False}, headers=admin).is_success
    alarm = {
        "type": "Overheat",
        "originator": {"entityType": "DEVICE", "id": device_id},
        "severity": "CRITICAL",
    }
    assert httpx.post(f"{base}/api/alarm", json=alarm, headers=admin).is_success
    device = Device(ui_node.mqtt_port, token)
    device.publish({"temperature": 30.04, "latitude": 52.52, "longitude": 13.405})
    try:
        yield device_id, name, device
    finally:
        device.close()


def test_imported_dashboard_shows_every_widget_and_controls_the_device(
    page: Page, ui_node: UiNode, arranged: tuple[str, str, Device]
) -> None:
    device_id, name, device = arranged
    sign_in(page, *TENANT)
    page.goto("/dashboards")
    page.locator("input[type=file]").set_input_files(
        files=[
            {
                "name": "gallery.json",
                "mimeType": "application/json",
                "buffer": json.dumps(_dashboard_file(device_id)).encode(),
            }
        ]
    )
    expect(page.get_by_test_id("dashboard-title")).to_have_text("Widget gallery")

    table = page.get_by_test_id("entities-table")
    expect(table.get_by_role("row", name=name)).to_contain_text("30.0")
    expect(table.get_by_role("row", name=name)).to_contain_text("X1")
    expect(page.get_by_test_id("gauge")).to_have_attribute("data-value", "30.04")
    # No tile server answers on loopback: the marker is there all the same.
    expect(page.get_by_test_id("map")).to_have_attribute("data-markers", "1")
    expect(page.locator("[data-testid=map] path.leaflet-interactive")).to_have_count(1)
    alarms = page.get_by_test_id("alarm-table")
    expect(alarms).to_contain_text("Overheat")
    expect(alarms).to_contain_text("CRITICAL")

    # Live: a new reading reaches the table and the gauge without a reload.
    device.publish({"temperature": 41.26})
    expect(table.get_by_role("row", name=name)).to_contain_text("41.3")
    expect(page.get_by_test_id("gauge")).to_have_attribute("data-value", "41.26")

    switch = page.get_by_role("switch")
    expect(switch).not_to_be_checked()
    switch.click(force=True)
    assert device.next_rpc() == {"method": "setPower", "params": True}
    page.get_by_role("button", name="Reboot now").click()
    assert device.next_rpc() == {"method": "reboot", "params": {"delay": 1}}

    form = page.locator("[data-widget-title='Setpoint']")
    form.get_by_label("targetTemp").fill("42")
    form.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Attributes saved")).to_be_visible()
    admin = ui_node.login(*TENANT)
    shared = httpx.get(
        f"{ui_node.base_url}/api/plugins/telemetry/DEVICE/{device_id}/values/attributes/SHARED_SCOPE",
        params={"keys": "targetTemp"},
        headers=admin,
    ).json()
    assert [(a["key"], a["value"]) for a in shared] == [("targetTemp", 42)]
