"""Dashboard states, the entity alias manager, public and home dashboards, in Chromium.

A tenant admin builds a two-state dashboard through the builder (aliases by name and from
the state entity, a table whose row click opens the details state), the state lands in the
URL and survives a reload; a dashboard made public opens from its link without signing in,
read-only and without the app shell, and its public id opens nothing else; a home dashboard
replaces the home page's cards.
"""

from __future__ import annotations

import base64
import json
import uuid
from typing import Any
from urllib.parse import parse_qs, urlparse

import httpx
from playwright.sync_api import Browser, Page, expect

from tests.ui.conftest import DESKTOP, PHONE, SCREENSHOTS, UiNode, sign_in

TENANT = ("tenant@industryos.local", "tenant")


def _post(node: UiNode, headers: dict[str, str], path: str, body: Any = None) -> Any:
    response = httpx.post(f"{node.base_url}{path}", json=body, headers=headers)
    assert response.status_code == 200, response.text
    return response.json() if response.content else None


def _device(node: UiNode, headers: dict[str, str], name: str, temperature: float) -> str:
    device_id: str = _post(node, headers, "/api/device", {"name": name})["id"]["id"]
    _post(
        node,
        headers,
        f"/api/plugins/telemetry/DEVICE/{device_id}/timeseries/ANY",
        {"temperature": temperature},
    )
    return device_id


def _pick(page: Page, scope: Any, test_id: str, option: str) -> None:
    scope.get_by_test_id(test_id).click()
    page.get_by_role("option", name=option, exact=True).click()


def _state_stack(url: str) -> list[dict[str, Any]]:
    (value,) = parse_qs(urlparse(url).query)["state"]
    stack: list[dict[str, Any]] = json.loads(base64.b64decode(value))
    return stack


def test_build_states_with_aliases_and_open_a_row_in_its_state(page: Page, ui_node: UiNode) -> None:
    admin = ui_node.login(*TENANT)
    prefix = f"Zp{uuid.uuid4().hex[:4]}"
    _device(ui_node, admin, f"{prefix} A", 20.5)
    pump_b = _device(ui_node, admin, f"{prefix} B", 42.5)
    dashboard = _post(ui_node, admin, "/api/dashboard", {"title": f"Plant {prefix}"})
    overview = _post(ui_node, admin, "/api/dashboard", {"title": f"Overview {prefix}"})
    dashboard_id = dashboard["id"]["id"]

    sign_in(page, *TENANT)
    page.goto(f"/dashboards/{dashboard_id}")
    page.get_by_test_id("edit-dashboard").click()

    # Two aliases from the alias manager: pumps by name, and the state's entity.
    page.get_by_test_id("manage-aliases").click()
    aliases = page.get_by_role("dialog", name="Entity aliases")
    aliases.get_by_test_id("alias-add").click()
    aliases.get_by_test_id("alias-name").fill("Pumps")
    _pick(page, aliases, "alias-filter-type", "Entities by name")
    aliases.get_by_test_id("alias-name-prefix").fill(prefix)
    aliases.get_by_label("Resolve as multiple entities").check()
    aliases.get_by_test_id("alias-save").click()
    aliases.get_by_test_id("alias-add").click()
    aliases.get_by_test_id("alias-name").fill("Selected pump")
    _pick(page, aliases, "alias-filter-type", "Entity from dashboard state")
    aliases.get_by_test_id("alias-save").click()
    expect(aliases.get_by_test_id("alias-row")).to_have_count(2)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / "dashboard_alias_manager.png")
    aliases.get_by_role("button", name="Done").click()

    # A details state with a card of the selected pump.
    page.get_by_test_id("manage-states").click()
    states = page.get_by_role("dialog", name="Dashboard states")
    states.get_by_test_id("state-new-name").fill("Pump details")
    states.get_by_test_id("state-add").click()
    expect(page.get_by_test_id("state-select")).to_have_value("Pump details")
    page.get_by_test_id("add-widget").click()
    page.get_by_test_id("library-card").click()
    config = page.get_by_role("dialog", name="Configure widget")
    config.get_by_test_id("widget-title").fill("Pump temperature")
    config.get_by_text("Entity alias", exact=True).click()
    config.get_by_role("combobox", name="Alias", exact=True).click()
    page.get_by_role("option", name="Selected pump (stateEntity)").click()
    keys = config.get_by_test_id("ts-keys")
    keys.fill("temperature")
    keys.press("Enter")
    config.get_by_test_id("widget-apply").click()
    expect(config).to_have_count(0)

    # Back in the root state: a table of the pumps whose row click opens the details.
    _pick(page, page, "state-select", "Main")
    expect(page.locator("[data-widget-title='Pump temperature']")).to_have_count(0)
    page.get_by_test_id("add-widget").click()
    page.get_by_test_id("library-entitiesTable").click()
    config.get_by_test_id("widget-title").fill("Pumps")
    config.get_by_text("Entity alias", exact=True).click()
    config.get_by_role("combobox", name="Alias", exact=True).click()
    page.get_by_role("option", name="Pumps (entityName)").click()
    keys = config.get_by_test_id("ts-keys")
    keys.fill("temperature")
    keys.press("Enter")
    _pick(page, config, "action-target", "Pump details")
    config.get_by_label("When").click()
    page.get_by_role("option", name="Row click").click()
    config.get_by_test_id("action-name").fill("Details")
    config.get_by_test_id("action-add").click()
    expect(config.get_by_text("Row click: Details → Pump details")).to_be_visible()
    # And a header button that opens another dashboard.
    config.get_by_label("When").click()
    page.get_by_role("option", name="Header button").click()
    _pick(page, config, "action-type", "Open dashboard")
    config.get_by_test_id("action-name").fill("Overview")
    config.get_by_test_id("action-dashboard").fill(f"Overview {prefix}")
    page.get_by_role("option", name=f"Overview {prefix}").click()
    config.get_by_test_id("action-add").click()
    expect(
        config.get_by_text(f"Header button: Overview → dashboard Overview {prefix}")
    ).to_be_visible()
    config.get_by_test_id("widget-apply").click()
    # A copy of the table goes to the details state too.
    page.get_by_role("button", name="Copy Pumps to a state").click()
    page.get_by_role("menuitem", name="Pump details").click()
    # Rename the details state after the entity it shows (ThingsBoard's placeholder).
    page.get_by_test_id("manage-states").click()
    name = states.get_by_test_id("state-name-pump_details")
    name.fill("${entityName} details")
    name.press("Tab")
    page.keyboard.press("Escape")
    expect(states).to_have_count(0)
    page.get_by_test_id("save-dashboard").click()
    expect(page.get_by_text("Dashboard saved")).to_be_visible()

    stored = httpx.get(f"{ui_node.base_url}/api/dashboard/{dashboard_id}", headers=admin).json()
    configuration = stored["configuration"]
    assert set(configuration["states"]) == {"default", "pump_details"}
    assert configuration["states"]["default"]["root"] is True
    assert configuration["states"]["pump_details"]["name"] == "${entityName} details"
    filters = {a["alias"]: a["filter"] for a in configuration["entityAliases"].values()}
    assert filters["Pumps"] == {
        "type": "entityName",
        "entityType": "DEVICE",
        "entityNameFilter": prefix,
    }
    assert filters["Selected pump"]["type"] == "stateEntity"
    tables = [w for w in configuration["widgets"].values() if w["config"]["title"] == "Pumps"]
    assert len({t["id"] for t in tables}) == 2
    details_layout = configuration["states"]["pump_details"]["layouts"]["main"]["widgets"]
    assert {t["id"] for t in tables} & set(details_layout)
    (action,) = tables[0]["config"]["actions"]["rowClick"]
    assert action["type"] == "openDashboardState"
    assert action["targetDashboardStateId"] == "pump_details"

    # Viewing: the table lists both pumps live; a row opens its state with that entity.
    rows = page.get_by_test_id("entity-row")
    expect(rows).to_have_count(2)
    expect(rows.nth(1)).to_contain_text("42.5")
    rows.filter(has_text=f"{prefix} B").click()
    card = page.locator("[data-widget-title='Pump temperature']")
    expect(card).to_contain_text("42.5")
    expect(page.locator("[data-widget-title='Pumps']")).to_have_count(1)  # the copy
    stack = _state_stack(page.url)
    assert [frame["id"] for frame in stack] == ["default", "pump_details"]
    assert stack[1]["params"]["entityId"] == {"entityType": "DEVICE", "id": pump_b}
    assert stack[1]["params"]["entityName"] == f"{prefix} B"

    expect(page.get_by_test_id("state-select")).to_have_value(f"{prefix} B details")
    page.reload()
    expect(page.locator("[data-widget-title='Pump temperature']")).to_contain_text("42.5")
    expect(page.get_by_test_id("state-select")).to_have_value(f"{prefix} B details")
    page.screenshot(path=SCREENSHOTS / "dashboard_state_details.png")
    page.get_by_test_id("state-back").click()
    expect(page.get_by_test_id("entity-row")).to_have_count(2)
    assert "state=" not in page.url
    page.get_by_test_id("widget-action").filter(has_text="Overview").click()
    expect(page.get_by_test_id("dashboard-title")).to_have_text(f"Overview {prefix}")
    assert urlparse(page.url).path == f"/dashboards/{overview['id']['id']}"


def _card_dashboard(title: str, device_id: str) -> dict[str, Any]:
    widget = {
        "id": "c1",
        "typeFullFqn": "system.cards.value_card",
        "sizeX": 6,
        "sizeY": 4,
        "config": {
            "title": "Lobby temperature",
            "datasources": [
                {
                    "type": "entity",
                    "entityAliasId": "a1",
                    "dataKeys": [{"name": "temperature", "type": "timeseries"}],
                }
            ],
        },
    }
    alias = {
        "id": "a1",
        "alias": "Lobby",
        "filter": {
            "type": "singleEntity",
            "singleEntity": {"entityType": "DEVICE", "id": device_id},
        },
    }
    return {
        "title": title,
        "configuration": {
            "widgets": {"c1": widget},
            "states": {
                "default": {
                    "name": title,
                    "root": True,
                    "layouts": {
                        "main": {"widgets": {"c1": {"sizeX": 6, "sizeY": 4, "row": 0, "col": 0}}}
                    },
                }
            },
            "entityAliases": {"a1": alias},
        },
    }


def test_public_dashboard_opens_from_its_link_read_only(
    page: Page, browser: Browser, ui_node: UiNode
) -> None:
    admin = ui_node.login(*TENANT)
    tag = uuid.uuid4().hex[:4]
    device_id = _device(ui_node, admin, f"Lobby {tag}", 21.5)
    shown = _post(ui_node, admin, "/api/dashboard", _card_dashboard(f"Lobby {tag}", device_id))
    hidden = _post(ui_node, admin, "/api/dashboard", {"title": f"Private {tag}"})

    sign_in(page, *TENANT)
    page.goto(f"/dashboards/{shown['id']['id']}")
    page.get_by_test_id("share-menu").click()
    page.get_by_test_id("make-public").click()
    link = page.get_by_test_id("public-link").input_value()
    stored = httpx.get(f"{ui_node.base_url}/api/dashboard/{shown['id']['id']}", headers=admin)
    (public,) = [c for c in stored.json()["assignedCustomers"] if c["public"]]
    public_id = public["customerId"]["id"]
    assert link == f"{ui_node.base_url}/dashboard/{shown['id']['id']}?publicId={public_id}"
    page.goto("/dashboards")
    page.get_by_role("button", name=f"Share Lobby {tag}").click()
    expect(page.get_by_test_id("list-public-link")).to_have_value(link)
    # The public customer sees entities assigned to it (ThingsBoard's rule).
    _post(ui_node, admin, f"/api/customer/{public_id}/device/{device_id}")

    visitor = browser.new_context(base_url=ui_node.base_url, viewport=DESKTOP)
    visitor.set_default_timeout(15_000)
    try:
        viewer = visitor.new_page()
        viewer.goto(link)
        expect(viewer.get_by_test_id("public-dashboard")).to_be_visible()
        expect(viewer.locator("[data-widget-title='Lobby temperature']")).to_contain_text("21.5")
        expect(viewer.get_by_test_id("user-menu")).to_have_count(0)
        expect(viewer.get_by_test_id("edit-dashboard")).to_have_count(0)
        expect(viewer.get_by_test_id("share-menu")).to_have_count(0)
        viewer.screenshot(path=SCREENSHOTS / "dashboard_public.png")
        # Live: a new value reaches the public viewer over the WebSocket.
        _post(
            ui_node,
            admin,
            f"/api/plugins/telemetry/DEVICE/{device_id}/timeseries/ANY",
            {"temperature": 23.25},
        )
        expect(viewer.locator("[data-widget-title='Lobby temperature']")).to_contain_text("23.25")
        # On a phone the widgets stack in one column.
        viewer.set_viewport_size(PHONE)
        expect(viewer.get_by_test_id("dashboard-grid")).to_have_attribute("data-narrow", "true")
        expect(viewer.locator("[data-widget-title='Lobby temperature']")).to_contain_text("23.25")
        viewer.screenshot(path=SCREENSHOTS / "dashboard_public_phone.png")
        # The same public id opens no other dashboard of the tenant.
        viewer.goto(f"/dashboard/{hidden['id']['id']}?publicId={public_id}")
        expect(viewer.get_by_text("Cannot open the dashboard")).to_be_visible()
        # An id that is not a public customer's gets no session at all.
        viewer.goto(f"/dashboard/{shown['id']['id']}?publicId={uuid.uuid4()}")
        expect(viewer.get_by_text("Cannot open the public dashboard")).to_be_visible()
    finally:
        visitor.close()


def test_home_dashboard_replaces_the_home_page(page: Page, ui_node: UiNode) -> None:
    admin = ui_node.login(*TENANT)
    tag = uuid.uuid4().hex[:4]
    device_id = _device(ui_node, admin, f"Home {tag}", 18.5)
    home = _post(ui_node, admin, "/api/dashboard", _card_dashboard(f"Home {tag}", device_id))
    _post(
        ui_node,
        admin,
        "/api/tenant/dashboard/home/info",
        {"dashboardId": home["id"], "hideDashboardToolbar": True},
    )
    try:
        sign_in(page, *TENANT)
        expect(page.get_by_test_id("home-dashboard")).to_be_visible()
        expect(page.locator("[data-widget-title='Lobby temperature']")).to_contain_text("18.5")
        expect(page.get_by_test_id("dashboard-title")).to_have_count(0)  # toolbar hidden
        page.screenshot(path=SCREENSHOTS / "dashboard_home.png")
    finally:
        _post(ui_node, admin, "/api/tenant/dashboard/home/info", {"dashboardId": None})
    page.goto("/")
    expect(page.get_by_test_id("home-dashboard")).to_have_count(0)
    expect(page.get_by_text("Welcome", exact=False)).to_be_visible()
