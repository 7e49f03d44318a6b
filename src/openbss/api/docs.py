"""Swagger UI and ReDoc served from the package, so the docs work without the internet.

The pages' scripts and styles come from the ``fastapi-offline`` distribution, which ships the
swagger-ui-dist and ReDoc bundles as package data; nothing is loaded from a CDN (ReDoc's web
fonts are left out too, and its sidebar logo points at the local favicon), so an operator's
intranet sees the same pages as the internet and no page asks an outside host for anything.
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files
from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles

ASSETS_PATH = "/docs-assets"
REDOC_SCRIPT = "/docs-redoc.js"
REDOC_REMOTE_LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg"


def assets_directory() -> Path:
    return Path(str(files("fastapi_offline") / "static"))


@cache
def offline_redoc_script() -> bytes:
    """ReDoc's bundle with its one hard-coded outside URL (the logo) made local."""
    script = (assets_directory() / "redoc.standalone.js").read_text(encoding="utf-8")
    return script.replace(REDOC_REMOTE_LOGO, f"{ASSETS_PATH}/favicon.png").encode()


def install_docs(app: FastAPI) -> None:
    """``/docs`` (Swagger UI) and ``/redoc``, with their assets under ``/docs-assets``."""
    app.mount(ASSETS_PATH, StaticFiles(directory=assets_directory()), name="docs-assets")
    title = f"{app.title} {app.version}"
    openapi_url = app.openapi_url or "/openapi.json"

    @app.get("/docs", include_in_schema=False)
    def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=openapi_url,
            title=f"{title} — Swagger UI",
            swagger_js_url=f"{ASSETS_PATH}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS_PATH}/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS_PATH}/favicon.png",
            swagger_ui_parameters={"persistAuthorization": True},
        )

    @app.get(REDOC_SCRIPT, include_in_schema=False)
    def redoc_script() -> Response:
        return Response(
            offline_redoc_script(),
            media_type="text/javascript",
            headers={"Cache-Control": "public, max-age=86400"},
        )

    @app.get("/redoc", include_in_schema=False)
    def redoc() -> HTMLResponse:
        return get_redoc_html(
            openapi_url=openapi_url,
            title=f"{title} — ReDoc",
            redoc_js_url=REDOC_SCRIPT,
            redoc_favicon_url=f"{ASSETS_PATH}/favicon.png",
            with_google_fonts=False,
        )
