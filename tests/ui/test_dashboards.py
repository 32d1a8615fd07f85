"""Dashboards end to end: build, live MQTT values, save, reload, layout, sharing, every widget."""

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
from playwright.sync_api import Browser, FilePayload, Page, expect

from tests.support.paho import close_paho, publish_telemetry
from tests.ui.conftest import DESKTOP, PHONE, SCREENSHOTS, UiNode, sign_in

TENANT = ("tenant@industryos.local", "tenant")
CUSTOMER = ("customer@industryos.local", "customer")


def _device_with_token(node: UiNode, name: str) -> str:
    admin = node.login(*TENANT)
    device = httpx.post(f"{node.base_url}/api/device", json={"name": name}, headers=admin)
    assert device.status_code == 200, device.text
    device_id = device.json()["id"]["id"]
    creds = httpx.get(f"{node.base_url}/api/device/{device_id}/credentials", headers=admin)
    token: str = creds.json()["credentialsId"]
    return token


def _add_widget(page: Page, kind: str, title: str, device: str, key: str, units: str = "") -> None:
    page.get_by_test_id("add-widget").click()
    page.get_by_test_id(f"library-{kind}").click()
    dialog = page.get_by_role("dialog", name="Configure widget")
    dialog.get_by_test_id("widget-title").fill(title)
    if units:
        dialog.get_by_label("Units").fill(units)
        dialog.get_by_label("Decimals").fill("1")
    dialog.get_by_test_id("device-select").fill(device)
    page.get_by_role("option", name=device, exact=True).click()
    keys = dialog.get_by_test_id("ts-keys")
    keys.fill(key)
    keys.press("Enter")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"dashboard_widget_config_{kind}.png")
    dialog.get_by_test_id("widget-apply").click()
    expect(dialog).to_have_count(0)


def test_login_page_loads_no_dashboard_code(page: Page) -> None:
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto("/login")
    page.get_by_role("button", name="Sign in").wait_for()
    scripts = [url for url in requested if url.endswith(".js")]
    assert scripts, "the login page loaded no script at all"
    heavy = [u for u in scripts if any(n in u for n in ("Dashboard", "echarts", "MapWidget"))]
    assert heavy == []


def test_build_dashboard_see_live_values_save_and_reload(page: Page, ui_node: UiNode) -> None:
    device = f"Dash Boiler {uuid.uuid4().hex[:4]}"
    token = _device_with_token(ui_node, device)
    sign_in(page, *TENANT)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Dashboards").click()
    page.get_by_test_id("add-dashboard").click()
    page.get_by_test_id("dashboard-title-input").fill("E2E Plant")
    page.get_by_role("dialog").get_by_role("button", name="Add").click()
    expect(page.get_by_test_id("dashboard-title")).to_have_text("E2E Plant")

    page.get_by_test_id("edit-dashboard").click()
    _add_widget(page, "lineChart", "Temperature trend", device, "temperature")
    _add_widget(page, "card", "Temperature now", device, "temperature", units="°C")
    expect(page.get_by_test_id("widget")).to_have_count(2)
    # Five minutes load raw points (longer windows are aggregated; see timewindow.test.ts).
    page.get_by_test_id("timewindow-button").click()
    page.get_by_role("combobox", name="Show").click()
    page.get_by_role("option", name="Last 5 minutes").click()
    page.get_by_role("button", name="Close").click()
    expect(page.get_by_test_id("timewindow-button")).to_have_text("Last 5 minutes")
    page.screenshot(path=SCREENSHOTS / "dashboard_builder.png")
    page.get_by_test_id("save-dashboard").click()
    expect(page.get_by_text("Dashboard saved")).to_be_visible()
    expect(page.get_by_test_id("edit-dashboard")).to_be_visible()

    card = page.locator("[data-widget-title='Temperature now']").get_by_test_id("card-value")
    chart = page.get_by_test_id("chart")
    expect(card).to_have_text("\u2013")  # no value yet
    publish_telemetry(ui_node.mqtt_port, token, {"temperature": 21.46})
    expect(card).to_have_text("21.5 °C")
    expect(chart).to_have_attribute("data-points", "1")
    publish_telemetry(ui_node.mqtt_port, token, {"temperature": 23.04})
    expect(card).to_have_text("23.0 °C")
    expect(chart).to_have_attribute("data-points", "2")

    page.reload()
    expect(page.get_by_test_id("dashboard-title")).to_have_text("E2E Plant")
    expect(card).to_have_text("23.0 °C")
    expect(chart).to_have_attribute("data-points", "2")  # history from REST this time
    expect(page.locator("[data-widget-title='Temperature trend']")).to_be_visible()

    # The stored configuration is ThingsBoard's shape.
    admin = ui_node.login(*TENANT)
    listed = httpx.get(
        f"{ui_node.base_url}/api/tenant/dashboards",
        params={"pageSize": 10, "page": 0, "textSearch": "E2E Plant"},
        headers=admin,
    ).json()
    stored = httpx.get(
        f"{ui_node.base_url}/api/dashboard/{listed['data'][0]['id']['id']}", headers=admin
    ).json()
    configuration = stored["configuration"]
    layout = configuration["states"]["default"]["layouts"]["main"]["widgets"]
    assert set(layout) == set(configuration["widgets"]) and len(layout) == 2
    assert configuration["timewindow"]["realtime"]["timewindowMs"] == 5 * 60_000
    kinds = sorted(w["typeFullFqn"] for w in configuration["widgets"].values())
    assert kinds == ["system.cards.value_card", "system.charts.basic_timeseries"]

    # Desktop layout: the two widgets side by side on one row.
    page.set_viewport_size(DESKTOP)
    expect(card).to_have_text("23.0 °C")
    expect(chart).to_have_attribute("data-points", "2")
    boxes = [
        page.locator(f"[data-widget-title='{t}']").bounding_box()
        for t in ("Temperature trend", "Temperature now")
    ]
    assert boxes[0] and boxes[1] and abs(boxes[0]["y"] - boxes[1]["y"]) < 2
    assert boxes[0]["x"] + boxes[0]["width"] <= boxes[1]["x"] + 1

    # Phone: one column, nothing wider than the screen.
    page.set_viewport_size(PHONE)
    expect(page.get_by_test_id("dashboard-grid")).to_have_attribute("data-narrow", "true")
    expect(card).to_have_text("23.0 °C")
    for title in ("Temperature trend", "Temperature now"):
        box = page.locator(f"[data-widget-title='{title}']").bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / "dashboard_phone.png", full_page=True)
    page.goto("/dashboards")
    expect(page.get_by_role("cell", name="E2E Plant", exact=True)).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.screenshot(path=SCREENSHOTS / "dashboards_list_phone.png", full_page=True)
    page.goto(f"/dashboards/{stored['id']['id']}")
    page.set_viewport_size(DESKTOP)
    expect(card).to_have_text("23.0 °C")
    expect(chart).to_have_attribute("data-points", "2")


def _card(wid: str, title: str, col: int) -> dict[str, object]:
    return {
        "id": wid,
        "typeFullFqn": "system.cards.value_card",
        "sizeX": 6,
        "sizeY": 4,
        "config": {"title": title, "datasources": []},
    }


def test_drag_resize_save_and_share_with_a_customer(
    page: Page, browser: Browser, ui_node: UiNode
) -> None:
    admin = ui_node.login(*TENANT)
    title = f"Layout {uuid.uuid4().hex[:4]}"
    layout = {"a": {"sizeX": 6, "sizeY": 4, "row": 0, "col": 0}}
    layout["b"] = {"sizeX": 6, "sizeY": 4, "row": 0, "col": 6}
    body = {
        "title": title,
        "configuration": {
            "widgets": {"a": _card("a", "Card A", 0), "b": _card("b", "Card B", 6)},
            "states": {
                "default": {"name": title, "root": True, "layouts": {"main": {"widgets": layout}}}
            },
        },
    }
    created = httpx.post(f"{ui_node.base_url}/api/dashboard", json=body, headers=admin).json()
    dashboard_id = created["id"]["id"]

    sign_in(page, *TENANT)
    page.goto(f"/dashboards/{dashboard_id}")
    page.get_by_test_id("edit-dashboard").click()
    title = f"{title} v2"
    page.get_by_test_id("dashboard-title-edit").fill(title)
    card_a = page.locator(".react-grid-item", has=page.locator("[data-widget-title='Card A']"))
    card_b = page.locator(".react-grid-item", has=page.locator("[data-widget-title='Card B']"))
    before_a = card_a.bounding_box()
    assert before_a is not None
    # Resize A by its corner handle: about four columns wider and two rows taller.
    handle = card_a.locator(".react-resizable-handle").bounding_box()
    assert handle is not None
    page.mouse.move(handle["x"] + handle["width"] / 2, handle["y"] + handle["height"] / 2)
    page.mouse.down()
    page.mouse.move(handle["x"] + 100, handle["y"] + 60, steps=10)
    page.mouse.move(handle["x"] + 180, handle["y"] + 100, steps=10)
    page.mouse.up()
    # Drag B by its title bar below A.
    grip = card_b.locator(".widget-drag").bounding_box()
    assert grip is not None
    page.mouse.move(grip["x"] + 20, grip["y"] + 8)
    page.mouse.down()
    page.mouse.move(grip["x"] + 10, grip["y"] + 200, steps=10)
    page.mouse.move(before_a["x"] + 20, before_a["y"] + before_a["height"] + 200, steps=10)
    page.mouse.up()
    page.get_by_test_id("save-dashboard").click()
    expect(page.get_by_text("Dashboard saved")).to_be_visible()

    stored = httpx.get(f"{ui_node.base_url}/api/dashboard/{dashboard_id}", headers=admin).json()
    assert stored["title"] == title
    saved = stored["configuration"]["states"]["default"]["layouts"]["main"]["widgets"]
    assert saved["a"]["sizeX"] > 6 and saved["a"]["sizeY"] > 4
    assert saved["b"]["row"] >= saved["a"]["row"] + saved["a"]["sizeY"]
    assert stored["configuration"]["widgets"]["a"]["sizeX"] == saved["a"]["sizeX"]

    # Share with the demo customer from the list; its user then sees it, read only.
    page.goto("/dashboards")
    page.get_by_role("button", name=f"Share {title}").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_role("combobox", name="Customer").click()
    page.get_by_role("option", name="Demo Customer").click()
    dialog.get_by_role("button", name="Share", exact=True).click()
    expect(dialog.get_by_text("Demo Customer")).to_be_visible()

    customer = browser.new_context(base_url=ui_node.base_url, viewport=DESKTOP)
    try:
        other = customer.new_page()
        sign_in(other, *CUSTOMER)
        other.get_by_role("navigation", name="Main").get_by_role("link", name="Dashboards").click()
        other.get_by_role("cell", name=title, exact=True).click()
        expect(other.get_by_test_id("dashboard-title")).to_have_text(title)
        expect(other.locator("[data-widget-title='Card B']")).to_be_visible()
        expect(other.get_by_test_id("edit-dashboard")).to_have_count(0)
        other.screenshot(path=SCREENSHOTS / "dashboard_customer_view.png")
    finally:
        customer.close()


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
        close_paho(self.client)


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
    gallery: FilePayload = {
        "name": "gallery.json",
        "mimeType": "application/json",
        "buffer": json.dumps(_dashboard_file(device_id)).encode(),
    }
    page.locator("input[type=file]").set_input_files(files=[gallery])
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
