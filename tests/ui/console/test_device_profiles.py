"""Device profiles in the web UI: an alarm rule built in the editor raises an alarm from MQTT."""

from __future__ import annotations

import re

import httpx
from playwright.sync_api import Page, expect

from tests.support.paho import publish_telemetry
from tests.ui.conftest import UiNode, sign_in

TENANT = ("tenant@industryos.local", "tenant")


def test_alarm_rule_from_the_editor_raises_an_alarm(page: Page, ui_node: UiNode) -> None:
    admin = ui_node.login(*TENANT)
    sign_in(page, *TENANT)
    nav = page.get_by_role("navigation", name="Main")
    nav.get_by_role("link", name="Device profiles").click()
    page.get_by_role("button", name="Add profile").click()
    page.get_by_role("dialog").get_by_label("Name").fill("E2E Oven")
    page.get_by_role("dialog").get_by_role("button", name="Add").click()
    expect(page).to_have_url(re.compile(r"/device-profiles/[0-9a-f-]+/alarms$"))

    page.get_by_role("button", name="Add alarm rule").click()
    page.get_by_label("Alarm type").fill("Oven Hot")
    critical = page.get_by_test_id("create-CRITICAL")
    critical.get_by_label("Key", exact=True).fill("temperature")
    critical.get_by_label("Value", exact=True).fill("30")
    page.get_by_role("button", name="Add clear condition").click()
    clear = page.get_by_test_id("clear-rule")
    clear.get_by_label("Key", exact=True).fill("temperature")
    clear.get_by_role("textbox", name="Operation").or_(
        clear.get_by_role("combobox", name="Operation")
    ).first.click()
    page.get_by_role("option", name="LESS_OR_EQUAL").click()
    clear.get_by_label("Value", exact=True).fill("20")
    page.get_by_role("button", name="Save profile").click()
    expect(page.get_by_text("Saved E2E Oven")).to_be_visible()

    # The profile holds exactly the JSON of spec §6.1.
    url = page.url
    profile_id = re.search(r"/device-profiles/([0-9a-f-]+)/", url).group(1)  # type: ignore[union-attr]
    profile = httpx.get(f"{ui_node.base_url}/api/deviceProfile/{profile_id}", headers=admin).json()
    [rule] = profile["profileData"]["alarms"]
    assert rule["alarmType"] == "Oven Hot"
    critical_rule = rule["createRules"]["CRITICAL"]
    assert critical_rule["condition"] == {
        "condition": [
            {
                "key": {"type": "TIME_SERIES", "key": "temperature"},
                "valueType": "NUMERIC",
                "value": None,
                "predicate": {
                    "type": "NUMERIC",
                    "operation": "GREATER",
                    "value": {"defaultValue": 30, "userValue": None, "dynamicValue": None},
                },
            }
        ],
        "spec": {"type": "SIMPLE"},
    }
    assert critical_rule["schedule"] == {"type": "ANY_TIME"}
    clear_filter = rule["clearRule"]["condition"]["condition"][0]
    assert clear_filter["predicate"]["operation"] == "LESS_OR_EQUAL"
    assert clear_filter["predicate"]["value"]["defaultValue"] == 20

    # A device of that profile that reports 45 degrees raises the alarm.
    device = httpx.post(
        f"{ui_node.base_url}/api/device",
        json={
            "name": "E2E Oven 1",
            "deviceProfileId": {"entityType": "DEVICE_PROFILE", "id": profile_id},
        },
        headers=admin,
    ).json()
    token = httpx.get(
        f"{ui_node.base_url}/api/device/{device['id']['id']}/credentials", headers=admin
    ).json()["credentialsId"]
    publish_telemetry(ui_node.mqtt_port, token, {"temperature": 45})
    nav.get_by_role("link", name="Alarms").click()
    row = page.get_by_role("row").filter(has_text="Oven Hot")
    expect(row).to_contain_text("E2E Oven 1", timeout=20_000)
    expect(row).to_contain_text("CRITICAL")

    # Reload the profile: the editor shows what was saved.
    page.goto(f"/device-profiles/{profile_id}/alarms")
    expect(page.get_by_label("Alarm type")).to_have_value("Oven Hot")
    expect(page.get_by_test_id("create-CRITICAL").get_by_label("Value", exact=True)).to_have_value(
        "30"
    )

    # The JSON view shows the stored rules; an edit there comes back into the form and is saved.
    page.get_by_role("tab", name="Alarm rules JSON").click()
    editor = page.get_by_role("textbox", name="Alarm rules JSON")
    expect(editor).to_have_value(re.compile(r'"alarmType": "Oven Hot"'))
    editor.fill(editor.input_value().replace('"defaultValue": 30', '"defaultValue": 35'))
    page.get_by_role("tab", name="Alarm rules", exact=True).click()
    critical_value = page.get_by_test_id("create-CRITICAL").get_by_label("Value", exact=True)
    expect(critical_value).to_have_value("35")
    page.get_by_role("button", name="Save profile").click()
    expect(page.get_by_text("Saved E2E Oven").last).to_be_visible()
    saved = httpx.get(f"{ui_node.base_url}/api/deviceProfile/{profile_id}", headers=admin).json()
    predicate = saved["profileData"]["alarms"][0]["createRules"]["CRITICAL"]["condition"]
    assert predicate["condition"][0]["predicate"]["value"]["defaultValue"] == 35
