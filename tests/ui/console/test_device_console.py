"""The device table's bulk actions and the firmware panels of a device and its profile."""

from __future__ import annotations

import re
import uuid

import httpx
from playwright.sync_api import Locator, Page, expect

from tests.ui.conftest import UiNode, sign_in

TENANT = ("tenant@industryos.local", "tenant")
PAGE = {"pageSize": 10, "page": 0}


def _device(node: UiNode, admin: dict[str, str], name: str, **fields: object) -> dict[str, object]:
    response = httpx.post(
        f"{node.base_url}/api/device", json={"name": name, **fields}, headers=admin
    )
    response.raise_for_status()
    return dict(response.json())


def _customer_of(node: UiNode, admin: dict[str, str], device_id: str) -> str:
    device = httpx.get(f"{node.base_url}/api/device/info/{device_id}", headers=admin).json()
    return str(device.get("customerTitle") or "")


def _pick(scope: Locator, page: Page, label: str, option: str) -> None:
    """Choose ``option`` in the select labelled ``label`` inside ``scope``."""
    scope.get_by_role("textbox", name=label).or_(
        scope.get_by_role("combobox", name=label)
    ).first.click()
    page.get_by_role("option", name=option).click()


def test_bulk_assign_unassign_and_delete_with_a_result_per_row(page: Page, ui_node: UiNode) -> None:
    admin = ui_node.login(*TENANT)
    ids = [str(_device(ui_node, admin, f"Bulk Pump {n}")["id"]["id"]) for n in (1, 2, 3)]  # type: ignore[index]
    sign_in(page, *TENANT)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Devices").click()
    page.get_by_label("Search", exact=True).fill("Bulk Pump")
    expect(page.get_by_text("1\u20133 of 3")).to_be_visible()  # the search applied
    expect(page.get_by_test_id("bulk-bar")).to_have_count(0)

    # Everything on the page, assigned to the demo customer after a confirmation.
    page.get_by_label("Select all on this page", exact=True).check()
    expect(page.get_by_test_id("bulk-bar")).to_contain_text("3 selected")
    page.get_by_role("button", name="Assign selected", exact=True).click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_role("button", name="Assign", exact=True)).to_be_disabled()
    _pick(dialog, page, "Customer", "Demo Customer")
    expect(dialog).to_contain_text("Assign 3 devices to Demo Customer?")
    dialog.get_by_role("button", name="Assign", exact=True).click()
    expect(dialog.get_by_test_id("bulk-summary")).to_have_text("3 done, 0 failed.")
    dialog.get_by_role("button", name="Close").click()
    assert [_customer_of(ui_node, admin, i) for i in ids] == ["Demo Customer"] * 3
    expect(page.get_by_test_id("bulk-bar")).to_have_count(0)

    # Two taken back; then all three: the one already back is reported, the others go.
    page.get_by_label("Select Bulk Pump 1", exact=True).check()
    page.get_by_label("Select Bulk Pump 2", exact=True).check()
    page.get_by_role("button", name="Unassign selected").click()
    dialog.get_by_role("button", name="Unassign").click()
    expect(dialog.get_by_test_id("bulk-summary")).to_have_text("2 done, 0 failed.")
    dialog.get_by_role("button", name="Close").click()
    assert [_customer_of(ui_node, admin, i) for i in ids] == ["", "", "Demo Customer"]
    page.get_by_label("Select all on this page", exact=True).check()
    page.get_by_role("button", name="Unassign selected").click()
    dialog.get_by_role("button", name="Unassign").click()
    expect(dialog.get_by_test_id("bulk-summary")).to_have_text("1 done, 2 failed.")
    results = dialog.get_by_test_id("bulk-results")
    expect(results.get_by_role("row").filter(has_text="Bulk Pump 1")).to_contain_text(
        "isn't assigned to any customer"
    )
    expect(results.get_by_role("row").filter(has_text="Bulk Pump 3")).to_contain_text("Unassigned")
    dialog.get_by_role("button", name="Close").click()

    # Cancelling a delete deletes nothing; confirming deletes the selected rows only.
    page.get_by_label("Select Bulk Pump 1", exact=True).check()
    page.get_by_label("Select Bulk Pump 3", exact=True).check()
    page.get_by_role("button", name="Delete selected").click()
    expect(dialog).to_contain_text("Delete 2 devices?")
    dialog.get_by_role("button", name="Cancel").click()
    expect(page.get_by_role("row").filter(has_text="Bulk Pump")).to_have_count(3)
    page.get_by_role("button", name="Delete selected").click()
    dialog.get_by_role("button", name="Delete", exact=True).click()
    expect(dialog.get_by_test_id("bulk-summary")).to_have_text("2 done, 0 failed.")
    dialog.get_by_role("button", name="Close").click()
    expect(page.get_by_role("row").filter(has_text="Bulk Pump")).to_have_count(1)
    gone = httpx.get(f"{ui_node.base_url}/api/device/{ids[0]}", headers=admin)
    assert gone.status_code == 404
    expect(page.get_by_role("cell", name="Bulk Pump 2", exact=True)).to_be_visible()


def _upload_package(node: UiNode, admin: dict[str, str], profile_id: str, version: str) -> str:
    info = httpx.post(
        f"{node.base_url}/api/otaPackage",
        json={
            "title": "ui-fw",
            "version": version,
            "type": "FIRMWARE",
            "deviceProfileId": {"entityType": "DEVICE_PROFILE", "id": profile_id},
        },
        headers=admin,
    )
    info.raise_for_status()
    package_id = str(info.json()["id"]["id"])
    httpx.post(
        f"{node.base_url}/api/otaPackage/{package_id}",
        params={"checksumAlgorithm": "SHA256"},
        files={"file": ("fw.bin", b"\x00firmware" * 100, "application/octet-stream")},
        headers=admin,
    ).raise_for_status()
    return package_id


def test_device_firmware_panel_assigns_and_follows_the_device_live(
    page: Page, ui_node: UiNode
) -> None:
    admin = ui_node.login(*TENANT)
    profile_name = f"ota-ui-{uuid.uuid4().hex[:6]}"
    device = _device(ui_node, admin, "OTA Valve", type=profile_name)
    device_id = str(device["id"]["id"])  # type: ignore[index]
    profile_id = str(device["deviceProfileId"]["id"])  # type: ignore[index]
    profile_package = _upload_package(ui_node, admin, profile_id, "2.0.0")
    own_package = _upload_package(ui_node, admin, profile_id, "2.1.0")
    token = httpx.get(
        f"{ui_node.base_url}/api/device/{device_id}/credentials", headers=admin
    ).json()["credentialsId"]

    sign_in(page, *TENANT)
    page.goto(f"/devices/{device_id}/firmware")
    card = page.get_by_test_id("ota-FIRMWARE")
    expect(card.get_by_test_id("ota-FIRMWARE-state")).to_have_text("No update")

    # The profile's package, chosen on the profile page, is the device's until it has its own.
    page.goto(f"/device-profiles/{profile_id}/firmware")
    _pick(
        page.get_by_test_id("profile-ota-FIRMWARE"),
        page,
        "Firmware package of the profile",
        "ui-fw 2.0.0",
    )
    page.get_by_role("button", name="Save profile").click()
    expect(page.get_by_text(f"Saved {profile_name}")).to_be_visible()
    profile = httpx.get(f"{ui_node.base_url}/api/deviceProfile/{profile_id}", headers=admin).json()
    assert profile["firmwareId"]["id"] == profile_package
    page.goto(f"/devices/{device_id}/firmware")
    expect(card).to_contain_text("ui-fw 2.0.0 (from profile)")

    _pick(card, page, "Firmware package", "ui-fw 2.1.0")
    card.get_by_role("button", name="Assign").click()
    expect(page.get_by_text("Firmware assignment saved")).to_be_visible()
    expect(card).to_contain_text("ui-fw 2.1.0")
    expect(card).not_to_contain_text("(from profile)")
    expect(card.get_by_test_id("ota-FIRMWARE-state")).to_have_text(re.compile("Queued|Initiated"))
    stored = httpx.get(f"{ui_node.base_url}/api/device/{device_id}", headers=admin).json()
    assert stored["firmwareId"]["id"] == own_package

    # The device reports its progress; the panel follows without a reload.
    telemetry = {
        "fw_state": "DOWNLOADING",
        "current_fw_title": "ui-fw",
        "current_fw_version": "1.0.3",
    }
    httpx.post(f"{ui_node.base_url}/api/v1/{token}/telemetry", json=telemetry).raise_for_status()
    expect(card.get_by_test_id("ota-FIRMWARE-state")).to_have_text("Downloading")
    expect(card).to_contain_text("ui-fw 1.0.3")
    httpx.post(
        f"{ui_node.base_url}/api/v1/{token}/telemetry",
        json={"fw_state": "FAILED", "fw_error": "checksum mismatch"},
    ).raise_for_status()
    expect(card.get_by_test_id("ota-FIRMWARE-state")).to_have_text("Failed")
    expect(card).to_contain_text("checksum mismatch")

    # The profile counts its devices by state, and inherits nothing it was not given.
    page.goto(f"/device-profiles/{profile_id}/firmware")
    counts = page.get_by_test_id("profile-ota-FIRMWARE-counts")
    expect(counts.locator("tr[data-state=FAILED]")).to_contain_text("1")
    expect(
        page.get_by_test_id("profile-ota-SOFTWARE-counts").locator("tr[data-state=NONE]")
    ).to_contain_text("1")
