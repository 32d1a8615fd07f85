"""Swagger UI at ``/swagger-ui``, served from the node itself (no CDN).

FastAPI's default page loads Swagger UI from a CDN, which a plant network often cannot
reach; the assets come from the ``swagger-ui-bundle-v2`` package (Swagger UI 5, which
renders OpenAPI 3.1) and are served under ``/swagger-ui/assets``.
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from starlette.staticfiles import StaticFiles
from swagger_ui_bundle import swagger_ui_path

ASSETS = "/swagger-ui/assets"


def install_swagger_ui(app: FastAPI, openapi_url: str) -> None:
    """Serve the Swagger UI page and its assets."""
    app.mount(ASSETS, StaticFiles(directory=swagger_ui_path), name="swagger-ui-assets")

    @app.get("/swagger-ui", include_in_schema=False)
    async def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=openapi_url,
            title="IndustryOS REST API",
            swagger_js_url=f"{ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS}/favicon-32x32.png",
        )
