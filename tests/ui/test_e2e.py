"""The web UI end to end: Chromium against a node, data published by a real MQTT client."""

from __future__ import annotations

import re

import httpx
from playwright.sync_api import BrowserContext, Page, expect

from tests.support.paho import publish_telemetry
from tests.ui.conftest import PHONE, UiNode, sign_in

TENANT = ("tenant@industryos.local", "tenant")
CUSTOMER = ("customer@industryos.local", "customer")
SYSADMIN = ("sysadmin@industryos.local", "sysadmin")


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
    publish_telemetry(ui_node.mqtt_port, token, {"temperature": 21.5, "pressure": 1013})
    expect(page.get_by_test_id("value-temperature")).to_have_text("21.5")
    expect(page.get_by_test_id("value-pressure")).to_have_text("1013")
    # A second message updates the open tab without a reload.
    publish_telemetry(ui_node.mqtt_port, token, {"temperature": 23.25})
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


FILTER_CLASS = "org.thingsboard.rule.engine.filter.TbJsFilterNode"


def _root_chain(ui_node: UiNode, admin: dict[str, str]) -> tuple[str, dict[str, object]]:
    """The tenant's root chain id and its metadata as stored."""
    chains = httpx.get(
        f"{ui_node.base_url}/api/ruleChains", params={"pageSize": 50, "page": 0}, headers=admin
    ).json()["data"]
    root_id: str = next(c for c in chains if c["root"])["id"]["id"]
    meta = httpx.get(f"{ui_node.base_url}/api/ruleChain/{root_id}/metadata", headers=admin)
    return root_id, meta.json()


def _connect(page: Page, source: str, target: str, label: str) -> None:
    """Draw a relation on the canvas from one node's output handle to another's input."""
    nodes = page.get_by_test_id("canvas").get_by_test_id("rule-node")
    handle = nodes.and_(page.locator(f'[data-name="{source}"]')).locator(
        ".react-flow__handle.source"
    )
    goal = nodes.and_(page.locator(f'[data-name="{target}"]')).locator(".react-flow__handle.target")
    handle.drag_to(goal)
    dialog = page.get_by_role("dialog", name="Add relation")
    dialog.get_by_text(label, exact=True).click()
    dialog.get_by_role("button", name="Add", exact=True).click()
    expect(dialog).to_have_count(0)


def test_rule_chain_filter_added_in_editor_takes_effect(page: Page, ui_node: UiNode) -> None:
    admin = ui_node.login(*TENANT)
    root_id, original = _root_chain(ui_node, admin)
    device = httpx.post(
        f"{ui_node.base_url}/api/device", json={"name": "E2E Furnace"}, headers=admin
    ).json()
    device_id = device["id"]["id"]
    token = httpx.get(
        f"{ui_node.base_url}/api/device/{device_id}/credentials", headers=admin
    ).json()["credentialsId"]
    try:
        sign_in(page, *TENANT)
        page.get_by_role("navigation", name="Main").get_by_role("link", name="Rule chains").click()
        page.get_by_text("Root Rule Chain", exact=True).click()
        expect(page.get_by_test_id("chain-name")).to_have_text("Root Rule Chain")
        canvas = page.get_by_test_id("canvas")
        expect(canvas.get_by_test_id("rule-node")).to_have_count(7)

        # Drag the script filter from the palette to an empty spot below the chain's entry.
        box = canvas.bounding_box()
        assert box is not None
        page.locator(f'[data-clazz="{FILTER_CLASS}"]').drag_to(
            canvas, target_position={"x": box["width"] * 0.3, "y": box["height"] * 0.85}
        )
        panel = page.get_by_test_id("node-panel")
        expect(panel).to_contain_text(FILTER_CLASS)
        panel.get_by_role("textbox", name="Name").fill("Hot enough")
        panel.locator(".cm-content").click()
        page.keyboard.press("ControlOrMeta+a")
        page.keyboard.type("return msg.temperature > 20;")
        panel.get_by_role("button", name="Test script").click()
        expect(panel.get_by_test_id("script-output")).to_have_text("true")

        # Route "Post telemetry" through the filter instead of straight to Save Timeseries.
        page.get_by_role("button", name="Fit View").click()
        canvas.get_by_test_id("rule-node").and_(
            page.locator('[data-name="Message Type Switch"]')
        ).click()
        panel.get_by_role("button", name="Remove relation Post telemetry").click()
        _connect(page, "Message Type Switch", "Hot enough", "Post telemetry")
        _connect(page, "Hot enough", "Save Timeseries", "True")
        page.get_by_role("button", name="Save", exact=True).click()
        expect(page.get_by_test_id("unsaved")).to_have_count(0)

        saved = httpx.get(
            f"{ui_node.base_url}/api/ruleChain/{root_id}/metadata", headers=admin
        ).json()
        names = [n["name"] for n in saved["nodes"]]
        hot = names.index("Hot enough")
        links = {(c["fromIndex"], c["toIndex"], c["type"]) for c in saved["connections"]}
        switch, store = names.index("Message Type Switch"), names.index("Save Timeseries")
        assert (switch, hot, "Post telemetry") in links
        assert (hot, store, "True") in links
        assert (switch, store, "Post telemetry") not in links
        assert saved["firstNodeIndex"] == original["firstNodeIndex"]

        # The next messages go through the new chain: only the hot one is stored.
        for value in (15, 25):
            sent = httpx.post(
                f"{ui_node.base_url}/api/v1/{token}/telemetry", json={"temperature": value}
            )
            assert sent.status_code == 200, sent.text
        history: list[dict[str, str]] = []
        for _ in range(100):
            history = (
                httpx.get(
                    f"{ui_node.base_url}/api/plugins/telemetry/DEVICE/{device_id}/values/timeseries",
                    params={"keys": "temperature", "startTs": 0, "endTs": 2**42, "limit": 10},
                    headers=admin,
                )
                .json()
                .get("temperature", [])
            )
            if history:
                break
            page.wait_for_timeout(100)
        assert [float(p["value"]) for p in history] == [25.0]

        # The debug panel shows what the new node did (per-node counters).
        canvas.get_by_test_id("rule-node").and_(page.locator('[data-name="Hot enough"]')).click()
        page.get_by_role("button", name="Debug").click()
        expect(page.get_by_test_id("stats-Hot enough").get_by_test_id("processed")).to_have_text(
            "2"
        )
    finally:
        restored = httpx.post(
            f"{ui_node.base_url}/api/ruleChain/metadata", json=original, headers=admin
        )
        assert restored.status_code == 200, restored.text


def test_rule_chain_editor_on_a_phone(page: Page) -> None:
    page.set_viewport_size(PHONE)
    sign_in(page, *TENANT)
    page.get_by_role("button", name="Toggle navigation").click()
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Rule chains").click()
    page.get_by_text("Root Rule Chain", exact=True).click()
    expect(page.get_by_test_id("canvas").get_by_test_id("rule-node")).to_have_count(7)
    # No room for a palette beside the canvas: it opens as a drawer, a tap adds the node.
    page.get_by_role("button", name="Nodes").click()
    page.locator(f'[data-clazz="{FILTER_CLASS}"]').click()
    expect(page.get_by_test_id("node-panel")).to_contain_text(FILTER_CLASS)
    expect(page.get_by_test_id("unsaved")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.wait_for_timeout(400)  # let the drawer finish sliding in before the screenshot
