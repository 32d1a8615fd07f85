"""The system administrator's pages end to end: a tenant, its first admin, mail and SMS settings."""

from __future__ import annotations

import re

import httpx
from playwright.sync_api import Browser, Page, expect

from tests.notify.smtp import smtp_server
from tests.ui.conftest import DESKTOP, UiNode, sign_in

SYSADMIN = ("sysadmin@industryos.local", "sysadmin")
ADMIN_EMAIL = "boss@e2e-works.example"
ADMIN_PASSWORD = "Sysadmin-e2e-7"


def test_new_tenant_admin_activates_and_signs_in(
    page: Page, browser: Browser, ui_node: UiNode
) -> None:
    sign_in(page, *SYSADMIN)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Tenants").click()
    page.get_by_role("button", name="Add tenant").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Title").fill("E2E Works")
    dialog.get_by_label("City").fill("Leipzig")
    dialog.get_by_role("button", name="Add").click()

    # A new tenant opens on its page; add its first administrator there.
    expect(page.get_by_role("heading", name="E2E Works")).to_be_visible()
    page.get_by_role("tab", name="Tenant admins").click()
    expect(page.get_by_text("No tenant administrators")).to_be_visible()
    page.get_by_role("button", name="Add tenant admin").click()
    page.get_by_role("dialog").get_by_label("E-mail").fill(ADMIN_EMAIL)
    page.get_by_role("dialog").get_by_role("button", name="Add").click()

    # Adding shows the activation link: the UI's own create-password page.
    link = page.get_by_test_id("activation-link")
    expect(link).to_have_value(re.compile(r"/login/createPassword\?activateToken=.+"))
    url = link.input_value()
    assert url.startswith(ui_node.base_url)
    page.keyboard.press("Escape")
    expect(page.get_by_role("row", name=re.compile(re.escape(ADMIN_EMAIL)))).to_have_count(1)

    # The new admin, in a browser of their own, sets a password from the link...
    fresh = browser.new_context(base_url=ui_node.base_url, viewport=DESKTOP)
    fresh.set_default_timeout(15_000)
    try:
        admin_page = fresh.new_page()
        admin_page.goto(url)
        passwords = admin_page.locator("input[autocomplete=new-password]")
        passwords.nth(0).fill(ADMIN_PASSWORD)
        passwords.nth(1).fill(ADMIN_PASSWORD)
        admin_page.get_by_role("button", name="Create password").click()
        expect(admin_page.get_by_test_id("owner")).to_have_text("E2E Works")
        admin_page.evaluate("localStorage.clear()")
        # ... and signs in with it, to the tenant's empty device list.
        sign_in(admin_page, ADMIN_EMAIL, ADMIN_PASSWORD)
        nav = admin_page.get_by_role("navigation", name="Main")
        nav.get_by_role("link", name="Devices", exact=True).click()
        expect(admin_page.get_by_text("No devices")).to_be_visible()
        expect(admin_page.get_by_role("cell", name="Pump 1", exact=True)).to_have_count(0)
    finally:
        fresh.close()


def test_mail_settings_survive_a_reload_without_the_password(page: Page) -> None:
    sign_in(page, *SYSADMIN)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Mail settings").click()
    page.get_by_label("Mail from").fill("platform@e2e-works.example")
    page.get_by_label("SMTP host").fill("smtp.e2e-works.example")
    page.get_by_label("SMTP port").fill("2525")
    page.get_by_label("Enable TLS (STARTTLS)").check()
    page.get_by_label("Username").fill("mailer")
    page.locator("input[autocomplete=new-password]").fill("mail-secret")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Mail settings saved")).to_be_visible()

    page.reload()
    expect(page.get_by_label("SMTP host")).to_have_value("smtp.e2e-works.example")
    expect(page.get_by_label("Mail from")).to_have_value("platform@e2e-works.example")
    expect(page.get_by_label("SMTP port")).to_have_value("2525")
    expect(page.get_by_label("Enable TLS (STARTTLS)")).to_be_checked()
    expect(page.get_by_label("Username")).to_have_value("mailer")
    expect(page.locator("input[autocomplete=new-password]")).to_have_value("")
    assert "mail-secret" not in page.content()


def test_tenant_profile_limits_are_saved(page: Page) -> None:
    sign_in(page, *SYSADMIN)
    nav = page.get_by_role("navigation", name="Main")
    nav.get_by_role("link", name="Tenant profiles").click()
    page.get_by_role("button", name="Add tenant profile").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Name").fill("E2E Limited")
    dialog.get_by_label("Max devices").fill("5")
    rate = dialog.get_by_label("Device telemetry messages")
    rate.fill("ten per second")
    expect(dialog.get_by_text("Use capacity:seconds pairs")).to_be_visible()
    expect(dialog.get_by_role("button", name="Add")).to_be_disabled()
    rate.fill("10:1,300:60")
    dialog.get_by_role("button", name="Add").click()
    expect(page.get_by_role("cell", name="E2E Limited", exact=True)).to_be_visible()

    page.get_by_role("button", name="Edit E2E Limited").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_label("Max devices")).to_have_value("5")
    expect(dialog.get_by_label("Device telemetry messages")).to_have_value("10:1,300:60")


def test_send_test_mail_reaches_the_signed_in_sysadmin(page: Page) -> None:
    sign_in(page, *SYSADMIN)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Mail settings").click()
    with smtp_server() as (mailbox, smtp_port):
        page.get_by_label("Mail from").fill("platform@e2e-works.example")
        page.get_by_label("SMTP host").fill("127.0.0.1")
        page.get_by_label("SMTP port").fill(str(smtp_port))
        page.get_by_label("Enable TLS (STARTTLS)").uncheck()
        page.get_by_label("Username").fill("")
        page.get_by_role("button", name="Send test mail").click()
        expect(page.get_by_text("Test mail sent to your address")).to_be_visible()
        assert [recipients for recipients, _ in mailbox.messages] == [[SYSADMIN[0]]]
    page.get_by_role("button", name="Send test mail").click()  # the server is gone now
    expect(page.get_by_text("Unable to send mail", exact=False)).to_be_visible()


def test_system_sms_settings_keep_the_aws_secret_write_only(page: Page, ui_node: UiNode) -> None:
    sign_in(page, *SYSADMIN)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="SMS settings").click()
    expect(page.get_by_text("The provider the platform sends SMS through")).to_be_visible()
    page.get_by_text("Amazon SNS", exact=True).click()
    page.get_by_label("AWS access key ID").fill("AKIAE2E")
    page.get_by_label("AWS secret access key").fill("aws-e2e-secret")
    page.get_by_label("AWS region").fill("eu-central-1")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("SMS settings saved")).to_be_visible()

    page.reload()
    expect(page.get_by_label("AWS access key ID")).to_have_value("AKIAE2E")
    expect(page.get_by_label("AWS region")).to_have_value("eu-central-1")
    expect(page.get_by_label("AWS secret access key")).to_have_value("")
    assert "aws-e2e-secret" not in page.content()
    stored = httpx.get(
        f"{ui_node.base_url}/api/admin/settings/sms", headers=ui_node.login(*SYSADMIN)
    ).json()
    assert stored["jsonValue"] == {
        "type": "AWS_SNS",
        "accessKeyId": "AKIAE2E",
        "region": "eu-central-1",
    }
