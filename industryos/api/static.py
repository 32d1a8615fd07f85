"""Serves the built web UI (``ui/dist``) at ``/`` with a client-side routing fallback.

The UI is a single-page app: ``/devices/…`` is a route of the browser's router, not a file,
so every GET that names no file answers ``index.html``. The fallback is a route that refuses
to *match* the API's paths (``/api``, ``/v3/api-docs``, ``/swagger-ui``) rather than one that
matches them and answers 404: a matching route would turn an unknown ``POST /api/x`` into a
405 and hide the API's own error contract. It is mounted last, so every router registered
before it wins; a router added later outside those prefixes would be shadowed.

Hashed files under ``assets/`` never change, so they are cached for a year; ``index.html``
is revalidated on every load so a new build is picked up at once. Without a build the
fallback answers a short page that says how to make one, and the API is unaffected.
"""

from __future__ import annotations

import logging
from pathlib import Path

from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, Response
from starlette.routing import Match, Route
from starlette.types import Scope

log = logging.getLogger(__name__)

DEFAULT_UI_DIR = Path(__file__).resolve().parents[2] / "ui" / "dist"
"""Where ``make setup`` (``npm run build`` in ``ui/``) writes the UI of a source checkout."""

RESERVED_PREFIXES = ("/api", "/v3/api-docs", "/swagger-ui")
"""Paths that belong to the API; the UI never answers them."""

IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"

NOT_BUILT = (
    "<!doctype html><title>IndustryOS</title>"
    "<p>The web UI is not built. Run <code>make setup</code> (or <code>npm ci &amp;&amp; "
    "npm run build</code> in <code>ui/</code>). The REST API is at <a href='/swagger-ui'>"
    "/swagger-ui</a>.</p>"
)


def is_reserved(path: str) -> bool:
    """True for a path of the API (the prefix itself or anything below it)."""
    return any(path == prefix or path.startswith(prefix + "/") for prefix in RESERVED_PREFIXES)


class UiRoute(Route):
    """A GET/HEAD catch-all that does not match reserved API paths."""

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if scope["type"] == "http" and is_reserved(scope["path"]):
            return Match.NONE, {}
        return super().matches(scope)


class UiFiles:
    """Answers one request from the build directory."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()

    def file_for(self, path: str) -> Path | None:
        """The file under the root that ``path`` names, never one outside it."""
        relative = path.lstrip("/")
        if not relative:
            return None
        candidate = (self.root / relative).resolve()
        if not candidate.is_relative_to(self.root) or not candidate.is_file():
            return None
        return candidate

    async def respond(self, request: Request) -> Response:
        """The file the path names, else ``index.html`` for the browser's router."""
        index = self.root / "index.html"
        if not index.is_file():
            return HTMLResponse(NOT_BUILT, status_code=404)
        found = self.file_for(request.url.path)
        if found is not None:
            immutable = found.parent == self.root / "assets"
            return FileResponse(
                found, headers={"Cache-Control": IMMUTABLE if immutable else REVALIDATE}
            )
        if request.url.path.startswith("/assets/"):
            # A missing hashed file is a stale page asking for an old build: a real 404,
            # not index.html served as JavaScript.
            return Response(status_code=404)
        return FileResponse(index, headers={"Cache-Control": REVALIDATE})


def mount_ui(app: FastAPI, directory: Path = DEFAULT_UI_DIR) -> None:
    """Add the UI fallback route; call it after every other router."""
    log.debug("serving the web UI from %s", directory)
    app.router.routes.append(
        UiRoute(
            "/{path:path}",
            UiFiles(directory).respond,
            methods=["GET", "HEAD"],
            include_in_schema=False,
        )
    )
