"""The built UI at ``/``: files, the client-side routing fallback, and the API left alone."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from industryos.api.app import create_app
from industryos.api.static import IMMUTABLE, REVALIDATE, mount_ui

INDEX = "<!doctype html><div id=root></div>"


def _app(ui_dir: Path) -> FastAPI:
    """The REST app with the UI served from ``ui_dir`` instead of the checkout's build."""
    app = create_app(None)  # type: ignore[arg-type]
    app.router.routes.pop()  # the default UI route, pointing at ui/dist
    mount_ui(app, ui_dir)
    return app


@pytest.fixture
def ui_dir(tmp_path: Path) -> Path:
    dist = tmp_path / "dist"
    (dist / "assets").mkdir(parents=True)
    (dist / "index.html").write_text(INDEX)
    (dist / "assets" / "index-abc123.js").write_text("console.log('ui')")
    (dist / "favicon.svg").write_text("<svg/>")
    (tmp_path / "secret.txt").write_text("outside the build")
    return dist


@pytest.fixture
async def client(ui_dir: Path) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=_app(ui_dir))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client


async def test_root_and_client_routes_answer_index(client: httpx.AsyncClient) -> None:
    for path in ("/", "/login", "/devices/1c0e/telemetry", "/tenants?page=2"):
        response = await client.get(path)
        assert response.status_code == 200, path
        assert response.text == INDEX
        assert response.headers["cache-control"] == REVALIDATE
        assert response.headers["content-type"].startswith("text/html")


async def test_files_are_served_and_hashed_assets_cached(client: httpx.AsyncClient) -> None:
    script = await client.get("/assets/index-abc123.js")
    assert script.status_code == 200
    assert script.text == "console.log('ui')"
    assert script.headers["cache-control"] == IMMUTABLE
    assert "javascript" in script.headers["content-type"]
    icon = await client.get("/favicon.svg")
    assert icon.headers["cache-control"] == REVALIDATE
    assert (await client.head("/assets/index-abc123.js")).status_code == 200


async def test_missing_asset_is_404_not_index(client: httpx.AsyncClient) -> None:
    response = await client.get("/assets/index-old999.js")
    assert response.status_code == 404
    assert INDEX not in response.text


async def test_no_path_escapes_the_build(client: httpx.AsyncClient) -> None:
    for path in ("/../secret.txt", "/%2e%2e/secret.txt", "/assets/..%2f..%2fsecret.txt"):
        response = await client.get(path)
        assert "outside the build" not in response.text, path


async def test_api_paths_are_never_shadowed(client: httpx.AsyncClient) -> None:
    unknown = await client.get("/api/no-such-endpoint")
    assert unknown.status_code == 404
    assert unknown.json()["errorCode"] == 32
    posted = await client.post("/api/no-such-endpoint", json={})
    assert posted.status_code == 404
    assert posted.json()["errorCode"] == 32
    assert (await client.get("/api")).status_code == 404
    assert (await client.get("/api/health")).json() == {"status": "UP"}
    assert "paths" in (await client.get("/v3/api-docs")).json()
    swagger = await client.get("/swagger-ui")
    assert swagger.status_code == 200
    assert INDEX not in swagger.text
    assert (await client.get("/swagger-ui/extra")).status_code == 404
    # A non-GET on a UI path is not the UI's business either.
    assert (await client.post("/devices", json={})).status_code == 405


async def test_api_prefix_is_matched_by_segment(client: httpx.AsyncClient) -> None:
    # /apiary is a client route, not the API.
    assert (await client.get("/apiary")).text == INDEX


async def test_without_a_build_the_root_says_how_to_make_one(tmp_path: Path) -> None:
    transport = httpx.ASGITransport(app=_app(tmp_path / "missing"))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        response = await client.get("/")
        assert response.status_code == 404
        assert "make setup" in response.text
        assert (await client.get("/api/health")).status_code == 200


def test_the_default_app_serves_the_ui_last() -> None:
    app = create_app(None)  # type: ignore[arg-type]
    last = app.router.routes[-1]
    assert getattr(last, "path", None) == "/{path:path}"
