"""Helpers for the portal's selling, product, bill, payment and dashboard screens: users,
logging in through the login form, and the CSRF token of a page."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from openbss.auth.users import create_user
from openbss.db.uow import unit_of_work

PASSWORD = "correct horse battery staple"
_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    found = _TOKEN.search(html)
    assert found is not None, "the page has no CSRF token"
    return found.group(1)


def add_user(
    factory: sessionmaker[Session], username: str, role: str, province: str | None = "GD"
) -> None:
    with unit_of_work(factory, writes=True) as session:
        create_user(session, username, PASSWORD, role, province, language="en")


def log_in(client: TestClient, username: str) -> None:
    """Log in through the form, as a browser does (the login form carries a token too)."""
    client.cookies.clear()
    page = client.get("/portal/login")
    assert page.status_code == 200
    answer = client.post(
        "/portal/login",
        data={"username": username, "password": PASSWORD, "csrf_token": csrf_of(page.text)},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text


def post_form(client: TestClient, page_url: str, action: str, data: dict[str, str]) -> object:
    """Submit ``data`` to ``action`` with the CSRF token of the page at ``page_url``."""
    page = client.get(page_url)
    assert page.status_code == 200, page.text
    return client.post(
        action, data={**data, "csrf_token": csrf_of(page.text)}, follow_redirects=False
    )
