"""Notifications in the web UI: targets, templates and rules built in forms; the live bell."""

from __future__ import annotations

import httpx
from playwright.sync_api import Page, expect

from tests.ui.conftest import UiNode, sign_in

TENANT = ("tenant@industryos.local", "tenant")


def _pick(page: Page, field: str, option: str) -> None:
    """Choose an option of a Mantine select or multiselect inside the open dialog."""
    dialog = page.get_by_role("dialog")
    box = dialog.get_by_role("textbox", name=field).or_(dialog.get_by_role("combobox", name=field))
    box.first.click()
    page.get_by_role("option", name=option, exact=True).click()


def test_alarm_rule_built_in_forms_rings_the_bell(page: Page, ui_node: UiNode) -> None:
    admin = ui_node.login(*TENANT)
    sign_in(page, *TENANT)
    bell = page.get_by_test_id("bell-count")
    expect(bell).to_have_attribute("data-count", "0")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Notifications").click()
    expect(page.get_by_text("No unread notifications")).to_be_visible()

    page.get_by_role("tab", name="Targets").click()
    page.get_by_role("button", name="Add target").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Name").fill("E2E admins")
    _pick(page, "Recipients", "Tenant administrators")
    dialog.get_by_role("button", name="Save").click()
    expect(page.get_by_role("cell", name="E2E admins", exact=True)).to_be_visible()

    page.get_by_role("tab", name="Templates").click()
    page.get_by_role("button", name="Add template").click()
    dialog.get_by_label("Name").fill("E2E alarm template")
    _pick(page, "Notification type", "ALARM")
    dialog.get_by_label("WEB subject").fill("Alarm ${alarmType}")
    dialog.get_by_label("WEB message").fill("${alarmOriginatorName} is ${alarmSeverity}")
    dialog.get_by_role("button", name="Save").click()
    expect(page.get_by_role("cell", name="E2E alarm template", exact=True)).to_be_visible()

    page.get_by_role("tab", name="Rules").click()
    page.get_by_role("button", name="Add rule").click()
    dialog.get_by_label("Name").fill("E2E leaks")
    dialog.get_by_label("Alarm types").fill("E2E Leak")
    dialog.get_by_label("Alarm types").press("Enter")
    _pick(page, "Template", "E2E alarm template (ALARM)")
    _pick(page, "Recipients", "E2E admins")
    page.keyboard.press("Escape")
    dialog.get_by_role("button", name="Save").click()
    expect(page.get_by_role("cell", name="E2E leaks", exact=True)).to_be_visible()

    rules = httpx.get(
        f"{ui_node.base_url}/api/notification/rules",
        params={"pageSize": 10, "page": 0},
        headers=admin,
    ).json()["data"]
    [rule] = [r for r in rules if r["name"] == "E2E leaks"]
    assert rule["triggerConfig"]["alarmTypes"] == ["E2E Leak"]
    assert len(rule["recipientsConfig"]["escalationTable"]["0"]) == 1

    # An alarm of that type reaches the open page over the WebSocket: the bell counts it.
    device = httpx.post(
        f"{ui_node.base_url}/api/device", json={"name": "E2E Tank"}, headers=admin
    ).json()
    raised = httpx.post(
        f"{ui_node.base_url}/api/alarm",
        json={
            "type": "E2E Leak",
            "originator": device["id"],
            "severity": "MAJOR",
        },
        headers=admin,
    )
    assert raised.status_code == 200, raised.text
    expect(bell).to_have_attribute("data-count", "1", timeout=15_000)
    page.get_by_role("button", name="Notifications, 1 unread").click()
    expect(page.get_by_test_id("bell-list")).to_contain_text("Alarm E2E Leak")
    expect(page.get_by_test_id("bell-list")).to_contain_text("E2E Tank is major")
    page.get_by_role("link", name="Open inbox").click()
    row = page.get_by_role("row").filter(has_text="Alarm E2E Leak")
    row.get_by_role("button", name="Mark Alarm E2E Leak read").click()
    expect(bell).to_have_attribute("data-count", "0")
    expect(page.get_by_text("No unread notifications")).to_be_visible()
    page.get_by_role("radiogroup").get_by_text("All", exact=True).click()
    expect(page.get_by_role("row").filter(has_text="Alarm E2E Leak")).to_contain_text("Read")

    # A message sent by hand from the page reaches the same inbox.
    page.get_by_role("button", name="Send notification").click()
    _pick(page, "Targets", "E2E admins")
    page.keyboard.press("Escape")
    dialog.get_by_label("Subject").fill("E2E shift change")
    dialog.get_by_role("textbox", name="Message").fill("Night shift starts at 22:00")
    dialog.get_by_role("button", name="Save").click()
    expect(bell).to_have_attribute("data-count", "1", timeout=15_000)
    page.get_by_role("radiogroup").get_by_text("Unread", exact=True).click()
    expect(page.get_by_role("row").filter(has_text="E2E shift change")).to_contain_text(
        "Night shift starts at 22:00"
    )
