"""Hostile input is refused with a 4xx and writes nothing: body size and shape, paging,
date-times, identifier spellings, ``@type`` and empty patches, ETag and If-Match."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from openbss.audit.models import AuditEntry
from openbss.events.models import OutboxEvent
from openbss.kit.limits import LIST_LIMITS, MAX_BODY_BYTES, MAX_STRING_CHARS
from openbss.party.identity import make_resident_id, make_uscc
from openbss.party.models import Individual, Organization
from tests.api.test_account_api import BASE as ACCOUNTS_API
from tests.api.test_account_api import create_account, organization
from tests.conftest import KeyMaker

PARTY = "/tmf-api/party/v4"
RESIDENT_ID = "11010519491231002X"
FULLWIDTH = {c: c + 0xFEE0 for c in range(0x21, 0x7F)}


def count(factory: sessionmaker[Session], model: type[Any]) -> int:
    with factory() as s:
        return s.scalar(select(func.count()).select_from(model)) or 0


def individual(identification: str = RESIDENT_ID, **extra: Any) -> dict[str, Any]:
    return {
        "familyName": "张",
        "givenName": "伟",
        "individualIdentification": [
            {"identificationType": "ResidentIdentityCard", "identificationId": identification}
        ],
        **extra,
    }


def post_raw(client: TestClient, path: str, headers: dict[str, str], raw: bytes) -> Any:
    return client.post(path, content=raw, headers={**headers, "Content-Type": "application/json"})


def test_bodies_over_the_size_limit_are_413_declared_or_chunked(
    client: TestClient, auth: KeyMaker, session_factory: sessionmaker[Session]
) -> None:
    headers = auth("csr")
    # 200,000 contact media: about 13 MB, refused on its Content-Length before it is read.
    medium = {"mediumType": "email", "characteristic": {"emailAddress": "a@example.com"}}
    huge = json.dumps(individual(contactMedium=[medium] * 200_000)).encode()
    refused = post_raw(client, f"{PARTY}/individual", headers, huge)
    assert (refused.status_code, refused.json()["code"]) == (413, "PAYLOAD_TOO_LARGE")

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it arrives
        yield b'{"familyName": "'
        for _ in range(MAX_BODY_BYTES // 65_536 + 1):
            yield b"x" * 65_536
        yield b'"}'

    chunked = client.post(
        f"{PARTY}/individual",
        content=chunks(),
        headers={**headers, "Content-Type": "application/json"},
    )
    assert chunked.status_code == 413
    assert count(session_factory, Individual) == 0


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        (b'{"familyName": NaN}', "MALFORMED_JSON"),
        (b'{"familyName": "x", "ext": Infinity}', "MALFORMED_JSON"),
        (b'{"a": ' + b"[" * 1_000 + b"]" * 1_000 + b"}", "LIMIT_EXCEEDED"),
        (
            json.dumps({"familyName": "x", "ext": "y" * (MAX_STRING_CHARS + 1)}).encode(),
            "LIMIT_EXCEEDED",
        ),
        (
            json.dumps(individual(contactMedium=[{"mediumType": "email"}] * 51)).encode(),
            "LIMIT_EXCEEDED",
        ),
    ],
)
def test_nan_deep_nesting_and_long_attributes_are_400(
    client: TestClient,
    auth: KeyMaker,
    session_factory: sessionmaker[Session],
    raw: bytes,
    code: str,
) -> None:
    assert LIST_LIMITS["contactMedium"] == 50
    response = post_raw(client, f"{PARTY}/individual", auth("csr"), raw)
    assert (response.status_code, response.json()["code"]) == (400, code), response.text
    assert count(session_factory, Individual) == 0


def test_paging_and_datetime_filters_out_of_range_are_4xx_not_500(
    client: TestClient, auth: KeyMaker
) -> None:
    headers = auth("csr")
    far = client.get(f"{PARTY}/individual", params={"offset": str(10**20)}, headers=headers)
    assert far.status_code == 400
    # A filter on a date-time that cannot be converted to UTC matches nothing.
    odd = client.get(
        "/tmf-api/productCatalogManagement/v4/productOffering",
        params={"lastUpdate": "9999-12-31T23:59:59-14:00"},
        headers=auth("admin"),
    )
    assert (odd.status_code, odd.json()) == (200, [])
    for path, body in (
        (f"{PARTY}/individual", individual()),
        (f"{PARTY}/individual", individual(validFor={"endDateTime": "9999-12-31T23:59:59-14:00"})),
        ("/tmf-api/customerManagement/v4/customer", {"name": "x"}),
    ):
        overflow = client.post(
            path,
            json={**body, "validFor": {"startDateTime": "0001-01-01T00:00:00+14:00"}},
            headers=headers,
        )
        assert overflow.status_code == 400, overflow.text
    quote = client.post(
        "/api/v1/rating/quote",
        json={"tariffId": "CT2005-FIXED", "eventTime": "9999-12-31T23:59:59-14:00"},
        headers=auth("admin"),
    )
    # A quote's invalid fields are 422 (INVALID_QUOTE), like its other checks.
    assert quote.status_code == 422 and "out of range" in quote.json()["message"], quote.text


def test_one_resident_id_in_two_spellings_is_one_party(
    client: TestClient, auth: KeyMaker, session_factory: sessionmaker[Session]
) -> None:
    headers = auth("csr")
    wide = client.post(
        f"{PARTY}/individual", json=individual(RESIDENT_ID.translate(FULLWIDTH)), headers=headers
    )
    assert wide.status_code == 201, wide.text
    assert wide.json()["individualIdentification"][0]["identificationId"] == RESIDENT_ID
    ascii_ = client.post(f"{PARTY}/individual", json=individual(RESIDENT_ID), headers=headers)
    assert (ascii_.status_code, ascii_.json()["code"]) == (409, "DUPLICATE_RESIDENT_ID")
    arabic = RESIDENT_ID[:-1].translate({ord(d): 0x0660 + int(d) for d in "0123456789"}) + "X"
    other = client.post(f"{PARTY}/individual", json=individual(arabic), headers=headers)
    assert other.status_code == 422
    assert count(session_factory, Individual) == 1
    code = make_uscc("91", "440101", "MA5CXXXX1")
    org = {
        "tradingName": "广州某公司",
        "organizationIdentification": [
            {"identificationType": "UnifiedSocialCreditCode", "identificationId": code}
        ],
    }
    first = client.post(f"{PARTY}/organization", json=org, headers=headers)
    assert first.status_code == 201
    org["organizationIdentification"][0]["identificationId"] = code.translate(FULLWIDTH)
    again = client.post(f"{PARTY}/organization", json=org, headers=headers)
    assert (again.status_code, again.json()["code"]) == (409, "DUPLICATE_CREDIT_CODE")
    org["organizationIdentification"][0]["identificationId"] = code[:2] + "٤٤٠١٠١" + code[8:]
    assert client.post(f"{PARTY}/organization", json=org, headers=headers).status_code == 422
    assert count(session_factory, Organization) == 1


def test_type_is_immutable_and_an_empty_patch_changes_nothing(
    client: TestClient, auth: KeyMaker, session_factory: sessionmaker[Session]
) -> None:
    headers = auth("csr")
    other_id = make_resident_id("440106", date(1980, 1, 2), 7)
    created = client.post(f"{PARTY}/individual", json=individual(other_id), headers=headers)
    assert created.status_code == 201, created.text
    path = f"{PARTY}/individual/{created.json()['id']}"
    audits, events = count(session_factory, AuditEntry), count(session_factory, OutboxEvent)
    retyped = client.patch(path, json={"@type": "Organization"}, headers=headers)
    assert (retyped.status_code, retyped.json()["code"]) == (400, "IMMUTABLE_TYPE")
    assert client.patch(path, json={"@type": "Individual"}, headers=headers).status_code == 200
    empty = client.patch(path, json={}, headers=headers)
    assert empty.status_code == 200
    assert empty.json() == created.json()
    same = client.patch(path, json={"givenName": "伟"}, headers=headers)
    assert same.status_code == 200
    assert count(session_factory, AuditEntry) == audits
    assert count(session_factory, OutboxEvent) == events


def test_etag_and_if_match_refuse_a_stale_write(
    client: TestClient, auth: KeyMaker, session_factory: sessionmaker[Session]
) -> None:
    headers = auth("csr")
    account = create_account(client, headers, organization(client, auth))
    path = f"{ACCOUNTS_API}/billingAccount/{account['id']}"
    read = client.get(path, headers=headers)
    tag = read.headers["ETag"]
    changed = client.patch(path, json={"name": "First"}, headers={**headers, "If-Match": tag})
    assert changed.status_code == 200, changed.text
    assert changed.headers["ETag"] != tag
    assert client.get(path, headers=headers).headers["ETag"] == changed.headers["ETag"]
    stale = client.patch(path, json={"name": "Second"}, headers={**headers, "If-Match": tag})
    assert (stale.status_code, stale.json()["code"]) == (412, "PRECONDITION_FAILED")
    assert client.get(path, headers=headers).json()["name"] == "First"
    deleted = client.delete(path, headers={**headers, "If-Match": tag})
    assert deleted.status_code == 412
