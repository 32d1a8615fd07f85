"""A node started as `industryos run` on free ports, and Debian's Chromium driven by Playwright.

The node runs as its own process with the demo data, exactly as a user starts it, and serves
the UI built by `make setup` (``ui/dist``). One node and one browser serve a whole module;
every test opens its own browser context (fresh storage, so a fresh sign-in).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    Page,
    Playwright,
    ViewportSize,
    sync_playwright,
)

from tests.support.node_process import start_node_process

ROOT = Path(__file__).resolve().parents[2]
UI_DIST = ROOT / "ui" / "dist"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
SCREENSHOTS = ROOT / "test-artifacts" / "ui"
DESKTOP: ViewportSize = {"width": 1280, "height": 800}
PHONE: ViewportSize = {"width": 390, "height": 844}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Browser tests run one after another on one xdist worker (``--dist loadgroup``).

    Each holds a node process and a Chromium: two or three of them at once on two cores
    starve each other's renderers past the tests' waits, while the other workers run the
    rest of the suite beside them.
    """
    for item in items:
        if item.path.is_relative_to(Path(__file__).parent):
            item.add_marker(pytest.mark.xdist_group("browser"))


@dataclass(frozen=True)
class UiNode:
    """A running node: where its HTTP and MQTT listeners are."""

    base_url: str
    mqtt_port: int

    def login(self, username: str, password: str) -> dict[str, str]:
        """REST headers of a signed-in user, for arranging data behind the UI's back."""
        response = httpx.post(
            f"{self.base_url}/api/auth/login", json={"username": username, "password": password}
        )
        response.raise_for_status()
        return {"X-Authorization": f"Bearer {response.json()['token']}"}


@contextmanager
def running_ui_node(data_dir: Path) -> Iterator[UiNode]:
    """``industryos run`` with the demo data on free ports in ``data_dir``, until the block ends."""
    if not (UI_DIST / "index.html").is_file():
        pytest.fail("ui/dist is missing: run `make setup` (it builds the UI)")
    node = start_node_process(data_dir, {"INDUSTRYOS_DEMO": "true"})
    try:
        ports = node.wait_ready()
        yield UiNode(f"http://127.0.0.1:{ports.http}", ports.mqtt)
    finally:
        node.stop()


@pytest.fixture(scope="module")
def ui_node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[UiNode]:
    with running_ui_node(tmp_path_factory.mktemp("ui-node")) as node:
        yield node


@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="module")
def browser(playwright: Playwright) -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make setup` (it installs Debian's chromium)")
    browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
    yield browser
    browser.close()


@pytest.fixture
def context(browser: Browser, ui_node: UiNode) -> Iterator[BrowserContext]:
    context = browser.new_context(base_url=ui_node.base_url, viewport=DESKTOP)
    context.set_default_timeout(15_000)
    yield context
    context.close()


@pytest.fixture
def page(context: BrowserContext, request: pytest.FixtureRequest) -> Iterator[Page]:
    """A page whose final state is saved as ``test-artifacts/ui/<test>.png``, pass or fail."""
    page = context.new_page()
    yield page
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"{request.node.name}.png", full_page=True)


def sign_in(page: Page, username: str, password: str) -> None:
    """Sign in through the login form and wait for the shell."""
    page.goto("/")
    page.get_by_label("E-mail").fill(username)
    page.locator("input[autocomplete=current-password]").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_test_id("user-menu").wait_for()
