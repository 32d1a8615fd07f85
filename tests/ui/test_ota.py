"""OTA packages and CSV device import in the web UI, against a node started as a user would."""

from __future__ import annotations

import hashlib

import httpx
from playwright.sync_api import Page, expect

from tests.ui.conftest import UiNode, sign_in

TENANT = ("tenant@industryos.local", "tenant")


def test_upload_a_package_and_see_it_listed(page: Page, ui_node: UiNode) -> None:
    content = b"\x7fELF firmware image " * 500
    sign_in(page, *TENANT)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="OTA packages").click()
    page.get_by_role("button", name="Upload package").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Title").fill("ui-firmware")
    dialog.get_by_label("Version").fill("1.2.3")
    dialog.locator("input[type=file]").set_input_files(
        {"name": "image.bin", "mimeType": "application/octet-stream", "buffer": content}
    )
    dialog.get_by_role("button", name="Upload").click()
    expect(page.get_by_text("Uploaded ui-firmware")).to_be_visible(timeout=20_000)
    expect(page.get_by_role("cell", name="ui-firmware", exact=True)).to_be_visible()
    admin = ui_node.login(*TENANT)
    listed = httpx.get(
        f"{ui_node.base_url}/api/otaPackages",
        params={"pageSize": 10, "page": 0, "textSearch": "ui-firmware"},
        headers=admin,
    ).json()["data"]
    assert listed[0]["checksum"] == hashlib.sha256(content).hexdigest()
    assert listed[0]["fileName"] == "image.bin"


def test_import_devices_from_csv_reports_bad_rows(page: Page, ui_node: UiNode) -> None:
    csv = b"name,label,token\nui-csv-1,hall,ui-csv-token-1\n,nameless,\nui-csv-2,yard,\n"
    sign_in(page, *TENANT)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Devices").click()
    page.get_by_role("button", name="Import CSV").click()
    dialog = page.get_by_role("dialog")
    dialog.locator("input[type=file]").set_input_files(
        {"name": "devices.csv", "mimeType": "text/csv", "buffer": csv}
    )
    expect(dialog.get_by_label("Type of column token")).to_have_value("ACCESS_TOKEN")
    dialog.get_by_role("button", name="Import").click()
    expect(dialog.get_by_text("Created 2, updated 0, failed 1.")).to_be_visible(timeout=20_000)
    expect(dialog.get_by_text("Line 3")).to_be_visible()
    dialog.get_by_role("button", name="Close").click()
    expect(page.get_by_role("cell", name="ui-csv-1", exact=True)).to_be_visible()
