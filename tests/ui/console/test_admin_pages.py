"""A tenant administrator's own tenant, SMS settings with a test SMS, and users' sign-in switch."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import httpx
from playwright.sync_api import Page, expect

from tests.ui.conftest import UiNode, sign_in

TENANT = ("tenant@industryos.local", "tenant")


def test_tenant_admin_reads_its_own_tenant(page: Page, ui_node: UiNode) -> None:
    admin = ui_node.login(*TENANT)
    me = httpx.get(f"{ui_node.base_url}/api/auth/user", headers=admin).json()
    tenant = httpx.get(
        f"{ui_node.base_url}/api/tenant/info/{me['tenantId']['id']}", headers=admin
    ).json()
    sign_in(page, *TENANT)
    page.get_by_role("navigation", name="Main").get_by_role(
        "link", name="Tenant", exact=True
    ).click()
    expect(page.get_by_role("heading", name=tenant["title"])).to_be_visible()
    expect(page.get_by_text(tenant["tenantProfileName"], exact=True)).to_be_visible()
    expect(page.get_by_test_id("tenant-read-only")).to_be_visible()
    expect(page.get_by_role("button", name="Edit")).to_have_count(0)
    expect(page.get_by_role("tab", name="Tenant admins")).to_have_count(0)
    page.get_by_role("tab", name="Attributes").click()
    expect(page).to_have_url(f"{ui_node.base_url}/tenant/attributes")
    # The tenants list stays the system administrator's.
    page.goto("/tenants")
    expect(page).to_have_url(f"{ui_node.base_url}/")


@contextmanager
def _twilio() -> Iterator[tuple[str, list[tuple[str, str, bytes]]]]:
    """A loopback stand-in for Twilio's Messages API: records (path, auth, body), answers 201."""
    seen: list[tuple[str, str, bytes]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            seen.append((self.path, self.headers.get("Authorization", ""), body))
            self.send_response(201)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b'{"sid": "SM1"}')

        def log_message(self, format: str, *args: object) -> None:
            """Quiet: the test reads the records."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", seen
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_sms_settings_keep_the_token_secret_and_send_a_test(page: Page, ui_node: UiNode) -> None:
    admin = ui_node.login(*TENANT)
    with _twilio() as (twilio_url, seen):
        # Where Twilio is reachable is not a form field: set it behind the form's back.
        httpx.post(
            f"{ui_node.base_url}/api/admin/settings",
            json={"key": "sms", "jsonValue": {"type": "TWILIO", "baseUrl": twilio_url}},
            headers=admin,
        ).raise_for_status()
        sign_in(page, *TENANT)
        nav = page.get_by_role("navigation", name="Main")
        nav.get_by_role("link", name="SMS settings").click()
        expect(page.get_by_role("heading", name="SMS settings")).to_be_visible()
        page.get_by_label("Phone number from").fill("+15559990000")
        page.get_by_label("Twilio account SID").fill("AC77")
        page.get_by_label("Twilio account token").fill("tok-77")
        page.get_by_role("button", name="Save").click()
        expect(page.get_by_text("SMS settings saved")).to_be_visible()

        page.reload()
        expect(page.get_by_label("Twilio account SID")).to_have_value("AC77")
        token = page.get_by_label("Twilio account token")
        expect(token).to_have_value("")
        expect(token).to_have_attribute("placeholder", "Unchanged")
        stored = httpx.get(f"{ui_node.base_url}/api/admin/settings/sms", headers=admin).json()
        assert stored["jsonValue"] == {
            "type": "TWILIO",
            "baseUrl": twilio_url,
            "numberFrom": "+15559990000",
            "accountSid": "AC77",
        }

        # A bad number is refused with the reason; a good one reaches Twilio, stored token used.
        page.get_by_label("Phone number to").fill("0555")
        page.get_by_role("button", name="Send test SMS").click()
        expect(page.get_by_test_id("sms-error")).to_contain_text("E.164")
        page.get_by_label("Phone number to").fill("+15551112222")
        page.get_by_role("button", name="Send test SMS").click()
        expect(page.get_by_text("Test SMS sent to +15551112222")).to_be_visible()
    [(path, auth, body)] = seen
    assert path == "/2010-04-01/Accounts/AC77/Messages.json"
    assert auth.startswith("Basic ")
    assert parse_qs(body.decode())["To"] == ["+15551112222"]

    # Another provider shows its own fields; its secret is required since none is stored.
    page.get_by_text("Amazon SNS", exact=True).click()
    expect(page.get_by_label("AWS region")).to_be_visible()
    expect(page.get_by_role("button", name="Save")).to_be_disabled()


def test_users_table_shows_and_switches_sign_in(page: Page, ui_node: UiNode) -> None:
    admin = ui_node.login(*TENANT)
    customers = httpx.get(
        f"{ui_node.base_url}/api/customers",
        params={"pageSize": 10, "page": 0, "textSearch": "Demo Customer"},
        headers=admin,
    ).json()["data"]
    created = httpx.post(
        f"{ui_node.base_url}/api/user",
        json={
            "email": "switch.me@industryos.local",
            "authority": "CUSTOMER_USER",
            "customerId": customers[0]["id"],
        },
        headers=admin,
    )
    created.raise_for_status()
    user_id = created.json()["id"]["id"]
    sign_in(page, *TENANT)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Users").click()
    row = page.get_by_role("row").filter(has_text="switch.me@industryos.local")
    expect(row.get_by_text("Pending activation")).to_be_visible()
    switch = row.get_by_label("Sign-in enabled for switch.me@industryos.local")
    expect(switch).not_to_be_checked()
    switch.click(force=True)
    expect(page.get_by_text("switch.me@industryos.local can sign in")).to_be_visible()
    expect(switch).to_be_checked()
    shown = httpx.get(f"{ui_node.base_url}/api/user/{user_id}", headers=admin).json()
    assert shown["additionalInfo"]["userCredentialsEnabled"] is True
    switch.click(force=True)
    expect(page.get_by_text("switch.me@industryos.local cannot sign in")).to_be_visible()
    expect(switch).not_to_be_checked()
    shown = httpx.get(f"{ui_node.base_url}/api/user/{user_id}", headers=admin).json()
    assert shown["additionalInfo"]["userCredentialsEnabled"] is False
    # One's own switch is off limits.
    me = page.get_by_role("row").filter(has_text="tenant@industryos.local")
    expect(me.get_by_label("Sign-in enabled for tenant@industryos.local")).to_be_disabled()
