"""The web UI end to end: Chromium against a node, data published by a real MQTT client."""

from __future__ import annotations

import json
import re

import httpx
import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from playwright.sync_api import BrowserContext, Page, expect

from tests.ui.conftest import PHONE, UiNode, sign_in

TENANT = ("tenant@industryos.local", "tenant")
CUSTOMER = ("customer@industryos.local", "customer")
SYSADMIN = ("sysadmin@industryos.local", "sysadmin")


def _publish(port: int, token: str, values: dict[str, float]) -> None:
    """Publish one telemetry message with QoS 1 and wait for the node's PUBACK."""
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"e2e-{token[:6]}")
    client.username_pw_set(token)
    client.connect("127.0.0.1", port)
    client.loop_start()
    try:
        info = client.publish("v1/devices/me/telemetry", json.dumps(values), qos=1)
        info.wait_for_publish(10)
        assert info.is_published()
    finally:
        client.disconnect()
        client.loop_stop()


def test_sign_in_shows_tenant_navigation(page: Page) -> None:
    sign_in(page, *TENANT)
    nav = page.get_by_role("navigation", name="Main")
    for item in ("Devices", "Assets", "Customers", "Users", "Device profiles"):
        expect(nav.get_by_role("link", name=item, exact=True)).to_be_visible()
    expect(nav.get_by_role("link", name="Tenants")).to_have_count(0)
    expect(page.get_by_test_id("owner")).to_have_text("Demo Tenant")
    nav.get_by_role("link", name="Devices", exact=True).click()
    expect(page.get_by_role("cell", name="Pump 1", exact=True)).to_be_visible()


def test_wrong_password_is_refused(page: Page) -> None:
    page.goto("/devices")
    expect(page).to_have_url(re.compile(r"/login\?next=%2Fdevices$"))
    page.get_by_label("E-mail").fill(TENANT[0])
    page.locator("input[autocomplete=current-password]").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("Invalid username or password")


def test_sysadmin_sees_tenants(page: Page) -> None:
    sign_in(page, *SYSADMIN)
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Devices")).to_have_count(0)
    nav.get_by_role("link", name="Tenants", exact=True).click()
    expect(page.get_by_role("cell", name="Demo Tenant", exact=True)).to_be_visible()


def test_create_device_copy_token_and_see_telemetry_live(
    page: Page, context: BrowserContext, ui_node: UiNode
) -> None:
    context.grant_permissions(["clipboard-read", "clipboard-write"])
    sign_in(page, *TENANT)
    page.get_by_role("link", name="Devices", exact=True).click()
    page.get_by_role("button", name="Add device").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Name").fill("E2E Boiler")
    dialog.get_by_label("Label").fill("Hall 3")
    dialog.get_by_role("button", name="Add").click()

    # A new device opens on its credentials: copy the token to the clipboard.
    shown = page.get_by_test_id("access-token")
    expect(shown).to_have_text(re.compile(r"^\w{20}$"))
    token = shown.inner_text()
    page.get_by_role("button", name="Copy access token").click()
    assert page.evaluate("navigator.clipboard.readText()") == token

    page.get_by_role("tab", name="Latest telemetry").click()
    expect(page.get_by_text("No telemetry yet")).to_be_visible()
    # The node offers the WebSocket API, so the tab subscribes there rather than polling.
    expect(page.get_by_test_id("live-mode")).to_have_text(re.compile(r"^live$", re.IGNORECASE))
    _publish(ui_node.mqtt_port, token, {"temperature": 21.5, "pressure": 1013})
    expect(page.get_by_test_id("value-temperature")).to_have_text("21.5")
    expect(page.get_by_test_id("value-pressure")).to_have_text("1013")
    # A second message updates the open tab without a reload.
    _publish(ui_node.mqtt_port, token, {"temperature": 23.25})
    expect(page.get_by_test_id("value-temperature")).to_have_text("23.25")
    expect(page.get_by_test_id("value-pressure")).to_have_text("1013")


def test_customer_user_sees_only_its_customers_devices(page: Page, ui_node: UiNode) -> None:
    admin = ui_node.login(*TENANT)
    other = httpx.post(
        f"{ui_node.base_url}/api/customer", json={"title": "Other Customer"}, headers=admin
    ).json()
    device = httpx.post(
        f"{ui_node.base_url}/api/device", json={"name": "Other Press"}, headers=admin
    ).json()
    assigned = httpx.post(
        f"{ui_node.base_url}/api/customer/{other['id']['id']}/device/{device['id']['id']}",
        headers=admin,
    )
    assert assigned.status_code == 200, assigned.text

    sign_in(page, *CUSTOMER)
    expect(page.get_by_test_id("owner")).to_have_text("Demo Customer")
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Customers")).to_have_count(0)
    nav.get_by_role("link", name="Devices", exact=True).click()
    expect(page.get_by_role("cell", name="Thermostat A", exact=True)).to_be_visible()
    expect(page.get_by_text("1\u20131 of 1")).to_be_visible()
    expect(page.get_by_role("cell", name="Other Press", exact=True)).to_have_count(0)
    expect(page.get_by_role("cell", name="Pump 1", exact=True)).to_have_count(0)
    expect(page.get_by_role("button", name="Add device")).to_have_count(0)
    # Not by its address either.
    page.goto(f"/devices/{device['id']['id']}")
    expect(page.get_by_text("permission")).to_be_visible()


def test_phone_layout_collapses_navigation(page: Page) -> None:
    page.set_viewport_size(PHONE)
    sign_in(page, *TENANT)
    nav_link = page.get_by_role("navigation", name="Main").get_by_role("link", name="Devices")
    expect(nav_link).not_to_be_in_viewport()
    page.get_by_role("button", name="Toggle navigation").click()
    nav_link.click()
    expect(page.get_by_role("cell", name="Thermostat A", exact=True)).to_be_visible()
    expect(nav_link).not_to_be_in_viewport()
    # The table scrolls inside its container; the page itself does not widen.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
