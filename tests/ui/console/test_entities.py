"""Customers, users and assets in the web UI; what a customer user sees; the phone layout."""

from __future__ import annotations

import re

import httpx
from playwright.sync_api import Page, expect

from tests.ui.conftest import PHONE, UiNode, sign_in

TENANT = ("tenant@industryos.local", "tenant")
NEW_USER = ("e2e.operator@industryos.local", "Operator-secret-1")


def test_customer_user_made_in_the_ui_sees_only_its_customer(page: Page, ui_node: UiNode) -> None:
    admin = ui_node.login(*TENANT)
    sign_in(page, *TENANT)
    nav = page.get_by_role("navigation", name="Main")

    # A customer, then one of its users with an activation link.
    nav.get_by_role("link", name="Customers").click()
    page.get_by_role("button", name="Add customer").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Title").fill("E2E Bakery")
    dialog.get_by_label("City").fill("Lyon")
    dialog.get_by_role("button", name="Add").click()
    expect(page.get_by_role("heading", name="E2E Bakery")).to_be_visible()
    customer_id = re.search(r"/customers/([0-9a-f-]+)", page.url).group(1)  # type: ignore[union-attr]
    page.get_by_role("tab", name="Users").click()
    page.get_by_role("button", name="Add user").click()
    dialog.get_by_label("E-mail").fill(NEW_USER[0])
    dialog.get_by_label("First name").fill("Erin")
    dialog.get_by_role("button", name="Add").click()
    shown = page.get_by_test_id("activation-link")
    expect(shown).to_have_value(re.compile(r"/login/createPassword\?activateToken=[\w-]+$"))
    activation = shown.input_value()
    page.keyboard.press("Escape")
    expect(page.get_by_role("cell", name=NEW_USER[0], exact=True)).to_be_visible()
    nav.get_by_role("link", name="Users").click()
    expect(page.get_by_role("row").filter(has_text=NEW_USER[0])).to_contain_text("E2E Bakery")

    # An asset made and assigned in the UI; a device assigned behind its back.
    nav.get_by_role("link", name="Assets").click()
    page.get_by_role("button", name="Add asset").click()
    dialog.get_by_label("Name").fill("E2E Oven Hall")
    dialog.get_by_label("Asset profile").fill("bakery")
    dialog.get_by_role("button", name="Add").click()
    expect(page.get_by_role("cell", name="E2E Oven Hall", exact=True)).to_be_visible()
    # The asset's new profile is listed among the asset profiles, and editable there.
    nav.get_by_role("link", name="Asset profiles").click()
    page.get_by_role("button", name="Edit bakery").click()
    dialog.get_by_label("Description").fill("Ovens and mixers")
    dialog.get_by_role("button", name="Save").click()
    expect(page.get_by_role("row").filter(has_text="bakery")).to_contain_text("Ovens and mixers")
    nav.get_by_role("link", name="Assets").click()
    page.get_by_role("button", name="Assign E2E Oven Hall").click()
    dialog.get_by_role("textbox", name="Customer").or_(
        dialog.get_by_role("combobox", name="Customer")
    ).first.click()
    page.get_by_role("option", name="E2E Bakery").click()
    dialog.get_by_role("button", name="Assign", exact=True).click()
    expect(page.get_by_role("row").filter(has_text="E2E Oven Hall")).to_contain_text("E2E Bakery")
    device = httpx.post(
        f"{ui_node.base_url}/api/device", json={"name": "E2E Mixer"}, headers=admin
    ).json()
    httpx.post(
        f"{ui_node.base_url}/api/customer/{customer_id}/device/{device['id']['id']}",
        headers=admin,
    ).raise_for_status()
    jam = {"type": "E2E Mixer Jam", "severity": "MINOR", "originator": device["id"]}
    httpx.post(f"{ui_node.base_url}/api/alarm", json=jam, headers=admin).raise_for_status()
    page.goto(f"/customers/{customer_id}/devices")
    expect(page.get_by_role("cell", name="E2E Mixer", exact=True)).to_be_visible()
    thermostat = httpx.get(
        f"{ui_node.base_url}/api/tenant/devices",
        params={"pageSize": 10, "page": 0, "textSearch": "Thermostat A"},
        headers=admin,
    ).json()["data"][0]["id"]["id"]
    fault = {
        "type": "E2E Thermostat Fault",
        "severity": "MINOR",
        "originator": {"entityType": "DEVICE", "id": thermostat},
    }
    httpx.post(f"{ui_node.base_url}/api/alarm", json=fault, headers=admin).raise_for_status()

    # The new user sees its customer's device, asset and alarm, nothing else.
    page.get_by_test_id("user-menu").click()
    page.get_by_role("menuitem", name="Sign out").click()
    # The activation link sets the first password and signs the new user in.
    page.goto(activation)
    passwords = page.locator("input[autocomplete=new-password]")
    passwords.nth(0).fill(NEW_USER[1])
    passwords.nth(1).fill(NEW_USER[1])
    page.get_by_role("button", name="Create password").click()
    page.get_by_test_id("user-menu").wait_for()
    expect(page.get_by_test_id("owner")).to_have_text("E2E Bakery")
    expect(nav.get_by_role("link", name="Customers")).to_have_count(0)
    expect(nav.get_by_role("link", name="Users")).to_have_count(0)
    nav.get_by_role("link", name="Devices", exact=True).click()
    expect(page.get_by_role("cell", name="E2E Mixer", exact=True)).to_be_visible()
    expect(page.get_by_text("1\u20131 of 1")).to_be_visible()
    expect(page.get_by_role("cell", name="Thermostat A", exact=True)).to_have_count(0)
    nav.get_by_role("link", name="Assets").click()
    expect(page.get_by_role("cell", name="E2E Oven Hall", exact=True)).to_be_visible()
    expect(page.get_by_role("cell", name="Building 1", exact=True)).to_have_count(0)
    expect(page.get_by_role("button", name="Add asset")).to_have_count(0)
    nav.get_by_role("link", name="Alarms").click()
    expect(page.get_by_role("row").filter(has_text="E2E Mixer Jam")).to_be_visible()
    expect(page.get_by_role("row").filter(has_text="E2E Thermostat Fault")).to_have_count(0)
    page.goto(f"/devices/{thermostat}")
    expect(page.get_by_text("permission")).to_be_visible()
    page.goto("/customers")
    expect(page).to_have_url(re.compile(r"/$"))


def test_phone_layout_alarms_and_notifications(page: Page) -> None:
    page.set_viewport_size(PHONE)
    sign_in(page, *TENANT)
    expect(page.get_by_test_id("bell-count")).to_be_visible()
    nav_link = page.get_by_role("navigation", name="Main").get_by_role("link", name="Alarms")
    expect(nav_link).not_to_be_in_viewport()
    page.get_by_role("button", name="Toggle navigation").click()
    nav_link.click()
    expect(page.get_by_role("heading", name="Alarms")).to_be_visible()
    expect(nav_link).not_to_be_in_viewport()
    expect(page.get_by_role("combobox", name="Severity")).to_be_visible()
    # Filters wrap and the table scrolls inside its container; the page does not widen.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.goto("/customers")
    expect(page.get_by_role("cell", name="Demo Customer", exact=True)).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.goto("/notifications/rules")
    expect(page.get_by_role("button", name="Add rule")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
