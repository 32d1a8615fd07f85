"""Alarms in the web UI: the filtered list, acknowledge and clear, comments, the device tab."""

from __future__ import annotations

import httpx
from playwright.sync_api import Page, expect

from tests.ui.conftest import UiNode, sign_in

TENANT = ("tenant@industryos.local", "tenant")


def _device(ui_node: UiNode, admin: dict[str, str], name: str) -> str:
    response = httpx.post(f"{ui_node.base_url}/api/device", json={"name": name}, headers=admin)
    response.raise_for_status()
    device_id: str = response.json()["id"]["id"]
    return device_id


def _raise(ui_node: UiNode, admin: dict[str, str], device_id: str, kind: str, severity: str) -> str:
    body = {
        "type": kind,
        "originator": {"entityType": "DEVICE", "id": device_id},
        "severity": severity,
        "details": {"data": f"{kind} on purpose"},
    }
    response = httpx.post(f"{ui_node.base_url}/api/alarm", json=body, headers=admin)
    response.raise_for_status()
    alarm_id: str = response.json()["id"]["id"]
    return alarm_id


def test_acknowledge_and_clear_an_alarm(page: Page, ui_node: UiNode) -> None:
    admin = ui_node.login(*TENANT)
    device_id = _device(ui_node, admin, "Alarm Kiln")
    alarm_id = _raise(ui_node, admin, device_id, "Kiln Overheat", "CRITICAL")
    _raise(ui_node, admin, device_id, "Kiln Door Open", "WARNING")

    sign_in(page, *TENANT)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Alarms").click()
    row = page.get_by_role("row").filter(has_text="Kiln Overheat")
    expect(row).to_contain_text("CRITICAL")
    expect(row).to_contain_text("Alarm Kiln")
    expect(row.get_by_test_id("alarm-status")).to_have_text("Active, unacknowledged")

    # The severity filter narrows the list on the server.
    page.get_by_role("combobox", name="Severity").click()
    page.get_by_role("option", name="WARNING").click()
    page.keyboard.press("Escape")
    expect(page.get_by_role("row").filter(has_text="Kiln Door Open")).to_be_visible()
    expect(row).to_have_count(0)
    page.reload()
    # A custom time range that starts in the future leaves nothing.
    expect(row).to_be_visible()
    time = page.get_by_role("textbox", name="Time").or_(page.get_by_role("combobox", name="Time"))
    time.first.click()
    page.get_by_role("option", name="Custom range").click()
    page.get_by_label("From").fill("2999-01-01T00:00")
    expect(page.get_by_text("No alarms")).to_be_visible()
    page.reload()

    row.get_by_role("button", name="Acknowledge Kiln Overheat").click()
    expect(row.get_by_test_id("alarm-status")).to_have_text("Active, acknowledged")
    stored = httpx.get(f"{ui_node.base_url}/api/alarm/{alarm_id}", headers=admin).json()
    assert stored["acknowledged"] is True and stored["cleared"] is False

    # Details: a comment, then clear from the drawer.
    row.get_by_text("Kiln Overheat").click()
    drawer = page.get_by_role("dialog")
    expect(drawer).to_contain_text("Kiln Overheat on purpose")
    expect(drawer.get_by_test_id("alarm-comments")).to_contain_text("acknowledged")
    drawer.get_by_label("Add a comment").fill("Operator on the way")
    drawer.get_by_role("button", name="Post comment").click()
    expect(drawer.get_by_test_id("alarm-comments")).to_contain_text("Operator on the way")
    assignee = drawer.get_by_role("textbox", name="Assignee").or_(
        drawer.get_by_role("combobox", name="Assignee")
    )
    assignee.first.click()
    page.get_by_role("option", name="Demo Admin").click()
    expect(assignee.first).to_have_value("Demo Admin")
    drawer.get_by_role("button", name="Clear", exact=True).click()
    expect(drawer.get_by_test_id("drawer-status")).to_have_text("Cleared, acknowledged")
    page.keyboard.press("Escape")
    # The default filter shows active alarms only, so the cleared one leaves the list.
    expect(row).to_have_count(0)
    comments = httpx.get(
        f"{ui_node.base_url}/api/alarm/{alarm_id}/comment",
        params={"pageSize": 50, "page": 0},
        headers=admin,
    ).json()["data"]
    assert any(c["comment"]["text"] == "Operator on the way" for c in comments)
    me = httpx.get(f"{ui_node.base_url}/api/auth/user", headers=admin).json()
    stored = httpx.get(f"{ui_node.base_url}/api/alarm/{alarm_id}", headers=admin).json()
    assert stored["assigneeId"]["id"] == me["id"]["id"]

    # The device's own alarms tab lists the other one.
    page.goto(f"/devices/{device_id}/alarms")
    door = page.get_by_role("row").filter(has_text="Kiln Door Open")
    expect(door).to_be_visible()

    # Live: alarms raised and acknowledged elsewhere show up without a reload (ALARM_DATA).
    flame_id = _raise(ui_node, admin, device_id, "Kiln Flame Out", "MAJOR")
    flame = page.get_by_role("row").filter(has_text="Kiln Flame Out")
    expect(flame).to_contain_text("MAJOR", timeout=15_000)
    httpx.post(f"{ui_node.base_url}/api/alarm/{flame_id}/ack", headers=admin).raise_for_status()
    expect(flame.get_by_test_id("alarm-status")).to_have_text(
        "Active, acknowledged", timeout=15_000
    )

    # The events tab reads the events REST of the device (none are recorded for it here).
    page.get_by_role("tab", name="Events").click()
    expect(page.get_by_text("No events of this type")).to_be_visible()
    page.get_by_text("Lifecycle", exact=True).click()
    expect(page.get_by_role("columnheader", name="Event", exact=True)).to_be_visible()
