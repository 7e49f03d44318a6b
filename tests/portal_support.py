"""Helpers for the portal's tests: users, logging in with a TestClient, reading CSRF tokens."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from openbss.auth import users
from openbss.customer.service import customers
from openbss.db.uow import unit_of_work
from openbss.kit.security import Principal, Role
from openbss.party.identity import make_resident_id
from openbss.party.service import individuals

PASSWORD = "correct horse battery"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def make_user(
    factory: sessionmaker[Session],
    username: str,
    role: str = "csr",
    province: str | None = "GD",
    language: str = "en",
) -> None:
    with unit_of_work(factory, writes=True) as session:
        users.create_user(session, username, PASSWORD, role, province, language)


def csrf_of(html: str) -> str:
    match = _CSRF.search(html)
    assert match is not None, "no CSRF token in the page"
    return match.group(1)


def login(client: TestClient, username: str, password: str = PASSWORD) -> Any:
    page = client.get("/portal/login")
    return client.post(
        "/portal/login",
        data={"username": username, "password": password, "csrf_token": csrf_of(page.text)},
        follow_redirects=False,
    )


def logged_in(client: TestClient, username: str) -> str:
    """Log in and return the session's CSRF token."""
    answer = login(client, username)
    assert answer.status_code == 303, answer.text[:500]
    return csrf_of(client.get("/portal/").text)


def add_person(
    factory: sessionmaker[Session],
    province: str,
    family: str,
    given: str,
    sequence: int,
    mobile: str = "13312345678",
) -> tuple[str, str, str]:
    """An individual and their customer in ``province``: (party id, customer id, 身份证)."""
    actor = Principal(key_id="test", role=Role.ADMIN, province=province)
    resident_id = make_resident_id("440106", date(1980, 5, 17), sequence)
    with unit_of_work(factory, writes=True) as session:
        party = individuals.create(
            session,
            actor,
            {
                "familyName": family,
                "givenName": given,
                "individualIdentification": [
                    {"identificationType": "ResidentIdentityCard", "identificationId": resident_id}
                ],
                "contactMedium": [
                    {
                        "mediumType": "phone",
                        "characteristic": {"contactType": "mobile", "phoneNumber": mobile},
                    }
                ],
            },
        )
        customer = customers.create(
            session,
            actor,
            {
                "name": family + given,
                "status": "active",
                "engagedParty": {"id": party.id, "@referredType": "Individual"},
            },
        )
        return party.id, customer.id, resident_id
