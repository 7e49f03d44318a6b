"""The browser test harness: a real ``openbss serve`` on a free port over a small seeded demo
province, users made with the real CLI, and headless Debian Chromium driven by Playwright.

``logged_in_page("csr.gd")`` gives a fresh browser context logged in as that user.
``screenshot(page, "name")`` saves ``docs/screenshots/name.png`` when OPENBSS_SCREENSHOTS=1.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from openbss.db.engine import make_engine, make_session_factory
from tests.portal_support import PASSWORD, add_person
from tests.support import need, run_cli

CHROMIUM = Path("/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "docs" / "screenshots"
# Bounds on hangs, not assertions about speed.
START_WAIT_S = 60
PAGE_WAIT_MS = 30_000

# (username, role, province, language)
USERS = (
    ("admin.gd", "admin", "GD", "en"),
    ("csr.gd", "csr", "GD", "en"),
    ("csr.sh", "csr", "SH", "zh-CN"),
)


@dataclass(frozen=True)
class Demo:
    url: str
    phone_number: str  # a GD demo customer's phone line
    phone_owner: str  # that customer's name
    sh_party_id: str  # an SH customer's party


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _cli(env: dict[str, str], cwd: Path, *args: str, stdin: str | None = None) -> None:
    if stdin is None:
        done = run_cli(env, cwd, *args)
    else:
        done = subprocess.run(
            [sys.executable, "-m", "openbss.cli.main", *args],
            env=env, cwd=cwd, input=stdin, capture_output=True, text=True, timeout=300,
        )  # fmt: skip
    assert done.returncode == 0, f"openbss {' '.join(args)}: {done.stderr[-2000:]}"


def _a_phone_line(database_url: str) -> tuple[str, str]:
    from openbss.customer.models import Customer
    from openbss.inventory.models import Product

    engine = make_engine(database_url)
    try:
        with make_session_factory(engine)() as session:
            row = session.execute(
                select(Product.service_id, Customer.name)
                .join(Customer, Customer.id == Product.customer_id)
                .where(Product.service_type == "fixedVoice", Product.service_id.is_not(None))
                .order_by(Product.service_id)
                .limit(1)
            ).one()
            return str(row[0]), str(row[1])
    finally:
        engine.dispose()


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    """A migrated database with a small GD demo and one SH customer, the users, and a real
    ``openbss serve`` process answering on a free port."""
    need(CHROMIUM.exists(), "chromium is not installed (apt-get install chromium)")
    pytest.importorskip("playwright.sync_api")
    work = Path(tmp_path_factory.mktemp("portal"))
    database_url = f"sqlite:///{work / 'openbss.db'}"
    env = {
        **os.environ,
        "OPENBSS_DATABASE_URL": database_url,
        "OPENBSS_DATA_DIR": str(work),
        "OPENBSS_DEFAULT_PROVINCE": "GD",
    }
    _cli(env, work, "db", "upgrade")
    _cli(env, work, "seed", "demo", "--province", "GD", "--customers", "4",
         "--enterprises", "1", "--subscriptions", "3")  # fmt: skip
    for username, role, province, language in USERS:
        _cli(env, work, "auth", "create-user", username, "--role", role,
             "--province", province, "--language", language, "--password-stdin",
             stdin=PASSWORD + "\n")  # fmt: skip
    engine = make_engine(database_url)
    sh_party, _, _ = add_person(make_session_factory(engine), "SH", "沪", "上客", 9)
    engine.dispose()
    phone, owner = _a_phone_line(database_url)
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "openbss.cli.main", "serve", "--port", str(port)],
        env=env, cwd=work, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_WAIT_S
        while True:
            assert server.poll() is None, f"openbss serve exited: {server.stderr.read()[-2000:]}"  # type: ignore[union-attr]
            try:
                if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "openbss serve did not start"
            time.sleep(0.1)
        yield Demo(url, phone, owner, sh_party)
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()


# One browser per module, not per session: a running sync Playwright keeps an asyncio loop on
# the thread, and any other test starting its own Playwright afterwards would be refused.
@pytest.fixture(scope="module")
def browser(demo: Demo) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=["--no-sandbox"], headless=True
        )
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def logged_in_page(demo: Demo, browser: Any) -> Iterator[Callable[[str], Any]]:
    """``logged_in_page(username)``: a page in a fresh context, logged in through the form."""
    contexts: list[Any] = []

    def open_as(username: str) -> Any:
        context = browser.new_context(
            base_url=demo.url, viewport={"width": 1280, "height": 900}, locale="zh-CN"
        )
        context.set_default_timeout(PAGE_WAIT_MS)
        contexts.append(context)
        page = context.new_page()
        page.goto("/portal/")
        page.fill("#f-username", username)
        page.fill("#f-password", PASSWORD)
        page.click("button[type=submit].primary")
        page.wait_for_selector(f"text={username}")
        return page

    yield open_as
    for context in contexts:
        context.close()


def screenshot(page: Any, name: str) -> None:
    """Save the page for the documentation when OPENBSS_SCREENSHOTS=1."""
    if os.environ.get("OPENBSS_SCREENSHOTS") == "1":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
