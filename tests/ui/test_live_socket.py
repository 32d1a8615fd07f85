"""The UI's live data shares one WebSocket per tab: a dashboard of several devices, the
notification bell and a device page all ride on the same `/api/ws` connection, which
survives a drop by reconnecting and subscribing everything again."""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

import httpx
from playwright.sync_api import Page, WebSocket, WebSocketRoute, expect

from tests.support.paho import publish_telemetry
from tests.ui.conftest import UiNode, sign_in

TENANT = ("tenant@industryos.local", "tenant")
DEVICES = 4


def _plant(node: UiNode) -> tuple[str, list[tuple[str, str, str]]]:
    """A dashboard with one value card per new device: (dashboard id, [(id, name, token)])."""
    admin = node.login(*TENANT)
    tag = uuid.uuid4().hex[:4]
    devices = []
    for i in range(DEVICES):
        name = f"Socket Pump {tag}-{i}"
        created = httpx.post(f"{node.base_url}/api/device", json={"name": name}, headers=admin)
        assert created.status_code == 200, created.text
        device_id = created.json()["id"]["id"]
        creds = httpx.get(f"{node.base_url}/api/device/{device_id}/credentials", headers=admin)
        devices.append((device_id, name, creds.json()["credentialsId"]))
    widgets: dict[str, Any] = {}
    layout: dict[str, Any] = {}
    for i, (device_id, _, _) in enumerate(devices):
        wid = f"card{i}"
        widgets[wid] = {
            "id": wid,
            "typeFullFqn": "system.cards.value_card",
            "sizeX": 6,
            "sizeY": 4,
            "config": {
                "title": f"Pump {i}",
                "decimals": 1,
                "datasources": [
                    {
                        "type": "device",
                        "deviceId": device_id,
                        "dataKeys": [{"name": "flow", "type": "timeseries", "label": "flow"}],
                    }
                ],
            },
        }
        layout[wid] = {"sizeX": 6, "sizeY": 4, "row": (i // 4) * 4, "col": (i % 4) * 6}
    title = f"Socket plant {tag}"
    body = {
        "title": title,
        "configuration": {
            "widgets": widgets,
            "states": {
                "default": {"name": title, "root": True, "layouts": {"main": {"widgets": layout}}}
            },
            "timewindow": {"selectedTab": 0, "realtime": {"timewindowMs": 300000}},
        },
    }
    created = httpx.post(f"{node.base_url}/api/dashboard", json=body, headers=admin)
    assert created.status_code == 200, created.text
    return created.json()["id"]["id"], devices


def _commands(frames: list[str]) -> list[dict[str, Any]]:
    """Every command of the given client frames, in order."""
    return [cmd for frame in frames for cmd in json.loads(frame).get("cmds", [])]


def _card(page: Page, i: int) -> Any:
    return page.locator(f"[data-widget-title='Pump {i}']").get_by_test_id("card-value")


def test_dashboard_of_several_devices_uses_one_websocket(page: Page, ui_node: UiNode) -> None:
    dashboard_id, devices = _plant(ui_node)
    sign_in(page, *TENANT)
    sockets: list[WebSocket] = []
    sent: list[str] = []

    def opened(ws: WebSocket) -> None:
        sockets.append(ws)
        ws.on("framesent", lambda payload: sent.append(str(payload)))

    page.on("websocket", opened)
    page.goto(f"/dashboards/{dashboard_id}")  # a fresh page load: bell and dashboard together
    for i in range(DEVICES):
        expect(_card(page, i)).to_have_text("\u2013")

    for i, (_, _, token) in enumerate(devices):
        publish_telemetry(ui_node.mqtt_port, token, {"flow": 10.04 + i})
    for i in range(DEVICES):
        expect(_card(page, i)).to_have_text(f"{10 + i}.0")
    publish_telemetry(ui_node.mqtt_port, devices[2][2], {"flow": 42.26})
    expect(_card(page, 2)).to_have_text("42.3")

    assert len(sockets) == 1, [ws.url for ws in sockets]
    assert re.search(r"/api/ws$", sockets[0].url), sockets[0].url
    assert not sockets[0].is_closed()
    first = json.loads(sent[0])
    assert first["authCmd"]["cmdId"] == 0 and first["authCmd"]["token"]
    commands = _commands(sent)
    followed = [c["entityId"] for c in commands if c["type"] == "TIMESERIES"]
    assert sorted(followed) == sorted(d[0] for d in devices)  # one subscription per device
    assert any(c["type"] == "NOTIFICATIONS" for c in commands)  # the bell shares the socket
    ids = [c["cmdId"] for c in commands if not c.get("unsubscribe")]
    assert len(ids) == len(set(ids))

    # Leaving the dashboard ends its subscriptions; the bell keeps the same socket open, and a
    # device page then subscribes on it too.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Devices").click()
    page.get_by_placeholder("Search").first.fill(devices[1][1])
    page.get_by_role("cell", name=devices[1][1], exact=True).click()
    page.get_by_role("tab", name="Latest telemetry").click()
    expect(page.get_by_test_id("live-mode")).to_have_text(re.compile(r"^live$", re.IGNORECASE))
    expect(page.get_by_test_id("value-flow")).to_have_text("11.04")
    publish_telemetry(ui_node.mqtt_port, devices[1][2], {"flow": 12.5})
    expect(page.get_by_test_id("value-flow")).to_have_text("12.5")
    ended = [c for c in _commands(sent) if c["type"] == "TIMESERIES" and c.get("unsubscribe")]
    assert sorted(c["entityId"] for c in ended) == sorted(d[0] for d in devices)
    # The device's alarm list follows ALARM_DATA on the same socket too.
    page.get_by_role("tab", name="Alarms").click()
    expect(page.get_by_role("columnheader").first).to_be_visible()
    for _ in range(100):
        if any(c["type"] == "ALARM_DATA" for c in _commands(sent)):
            break
        page.wait_for_timeout(100)
    alarm_data = [c for c in _commands(sent) if c["type"] == "ALARM_DATA"]
    assert (
        alarm_data and alarm_data[0]["query"]["entityFilter"]["singleEntity"]["id"] == devices[1][0]
    )
    assert len(sockets) == 1 and not sockets[0].is_closed()


def test_dropped_socket_reconnects_and_resubscribes(page: Page, ui_node: UiNode) -> None:
    dashboard_id, devices = _plant(ui_node)
    routes: list[WebSocketRoute] = []
    sent: list[list[str]] = []

    def proxy(ws: WebSocketRoute) -> None:
        """Pass everything through to the node, remembering what the page sent."""
        server = ws.connect_to_server()
        frames: list[str] = []
        routes.append(ws)
        sent.append(frames)

        def forward(message: str | bytes) -> None:
            frames.append(str(message))
            server.send(message)

        ws.on_message(forward)

    sign_in(page, *TENANT)
    page.route_web_socket(re.compile(r"/api/ws$"), proxy)
    page.goto(f"/dashboards/{dashboard_id}")
    for i, (_, _, token) in enumerate(devices):
        publish_telemetry(ui_node.mqtt_port, token, {"flow": 1.04 + i})
    for i in range(DEVICES):
        expect(_card(page, i)).to_have_text(f"{1 + i}.0")
    assert len(routes) == 1

    routes[0].close(code=4000, reason="network blip")  # the page sees its socket drop
    for _ in range(300):  # the first retry comes after about a second
        if len(routes) > 1 and sent[1]:
            break
        page.wait_for_timeout(100)
    assert len(routes) == 2
    resent = json.loads(sent[1][0])
    assert resent["authCmd"]["token"]
    kinds = sorted(c["type"] for c in resent["cmds"])
    assert kinds == ["NOTIFICATIONS"] + ["TIMESERIES"] * DEVICES
    assert sorted(c["entityId"] for c in resent["cmds"] if c["type"] == "TIMESERIES") == sorted(
        d[0] for d in devices
    )
    publish_telemetry(ui_node.mqtt_port, devices[0][2], {"flow": 5.56})
    expect(_card(page, 0)).to_have_text("5.6")
    publish_telemetry(ui_node.mqtt_port, devices[3][2], {"flow": 77.7})
    expect(_card(page, 3)).to_have_text("77.7")
    assert len(routes) == 2
