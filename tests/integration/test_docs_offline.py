"""Swagger UI and ReDoc render from the package alone, with every outside request blocked.

A real server on loopback serves the pages; headless Chromium (Debian's package, driven by
Playwright) loads them with route interception that aborts any request not to the loopback
address, and must find the API's operations rendered.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import uvicorn
from sqlalchemy import Engine

from openbss.api.app import create_app
from openbss.db.engine import make_engine, make_session_factory
from openbss.registry import metadata
from tests.support import need

CHROMIUM = Path("/usr/bin/chromium")
LOOPBACK = {"127.0.0.1", "localhost", "[::1]", "::1"}
# Waiting for the page to render is not an assertion about speed: only a bound on a hang.
RENDER_WAIT_MS = 60_000


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    path = Path(tmp_path_factory.mktemp("docs")) / "openbss.db"
    engine: Engine = make_engine(f"sqlite:///{path}")
    metadata.create_all(engine)
    app = create_app(make_session_factory(engine), dispatch_events=False)
    port = _free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
    running = uvicorn.Server(config)
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    for _ in range(300):  # bounded: the server starts in well under a second
        if running.started:
            break
        time.sleep(0.05)
    assert running.started
    yield f"http://127.0.0.1:{port}"
    running.should_exit = True
    thread.join(timeout=10)
    engine.dispose()


def _render(url: str) -> tuple[str, list[str], list[str]]:
    """The page's text after it rendered, the outside URLs blocked, and the console errors."""
    playwright_api = pytest.importorskip("playwright.sync_api")
    need(CHROMIUM.exists(), "chromium is not installed (apt-get install chromium)")
    blocked: list[str] = []
    errors: list[str] = []

    def only_loopback(route: object, request: object) -> None:
        host = urlsplit(request.url).hostname or ""  # type: ignore[attr-defined]
        if host in LOOPBACK:
            route.continue_()  # type: ignore[attr-defined]
        else:
            blocked.append(request.url)  # type: ignore[attr-defined]
            route.abort()  # type: ignore[attr-defined]

    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=["--no-sandbox"], headless=True
        )
        try:
            page = browser.new_page()
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.route("**/*", only_loopback)
            page.goto(url)
            if url.endswith("/docs"):
                page.wait_for_selector(".opblock", timeout=RENDER_WAIT_MS)
            else:
                page.wait_for_selector("[data-section-id^='operation']", timeout=RENDER_WAIT_MS)
            text = page.inner_text("body")
        finally:
            browser.close()
    return text, blocked, errors


def test_swagger_ui_renders_every_api_offline(server: str) -> None:
    text, blocked, _errors = _render(f"{server}/docs")
    assert blocked == []  # nothing even tried to leave the machine
    assert "/tmf-api/party/v4/individual" in text
    assert "/api/v1/rating/quote" in text
    assert "Authorize" in text  # the bearer scheme


def test_redoc_renders_offline(server: str) -> None:
    text, blocked, _errors = _render(f"{server}/redoc")
    assert blocked == []
    assert "List Individual objects" in text
    assert "Retrieve a ProductOrder" in text
