"""Every operation of the TMF629 swagger is served: implemented, or a deliberate 501.

There is no official CTK for TMF629, so this walks the swagger itself (read from
``../shared/tmf/``, never copied into the repository). A new operation in the swagger that is
in neither table below fails the test, so the tables stay the truth for the README.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.test_customer_api import new_customer, new_individual
from tests.conftest import KeyMaker
from tests.support import need

TMF_DIR = Path(__file__).resolve().parents[2].parent / "shared" / "tmf"
SWAGGER = TMF_DIR / "TMF629" / "TMF629-Customer-v4.0.0.swagger.json"

# (method, swagger path) -> the status a well-formed call answers.
IMPLEMENTED: dict[tuple[str, str], int] = {
    ("GET", "/customer"): 200,
    ("POST", "/customer"): 201,
    ("GET", "/customer/{id}"): 200,
    ("PATCH", "/customer/{id}"): 200,
    ("DELETE", "/customer/{id}"): 204,
    ("POST", "/hub"): 201,
    ("DELETE", "/hub/{id}"): 204,
}
# Client-side notification callbacks: openbss publishes these events, it does not consume them.
NOT_IMPLEMENTED: frozenset[tuple[str, str]] = frozenset(
    {
        ("POST", "/listener/customerCreateEvent"),
        ("POST", "/listener/customerAttributeValueChangeEvent"),
        ("POST", "/listener/customerStateChangeEvent"),
        ("POST", "/listener/customerDeleteEvent"),
    }
)


def _swagger() -> dict[str, Any]:
    need(SWAGGER.is_file(), f"TMF629 swagger not found at {SWAGGER}")
    loaded: dict[str, Any] = json.loads(SWAGGER.read_text(encoding="utf-8"))
    return loaded


def _operations(swagger: dict[str, Any]) -> list[tuple[str, str]]:
    return [
        (method.upper(), path)
        for path, item in swagger["paths"].items()
        for method in item
        if method in {"get", "post", "patch", "delete", "put"}
    ]


def test_tables_cover_exactly_the_swagger() -> None:
    operations = set(_operations(_swagger()))
    assert operations == set(IMPLEMENTED) | NOT_IMPLEMENTED
    assert not set(IMPLEMENTED) & NOT_IMPLEMENTED


def test_every_swagger_operation_is_served(client: TestClient, auth: KeyMaker) -> None:
    swagger = _swagger()
    base = swagger["basePath"].rstrip("/")
    assert base == "/tmf-api/customerManagement/v4"
    headers = auth("csr")
    kept = new_customer(client, headers, new_individual(client, headers, "甲", "一"))
    doomed = new_customer(client, headers, new_individual(client, headers, "乙", "二"))
    hub = client.post(
        f"{base}/hub", json={"callback": "http://127.0.0.1:9/cb"}, headers=headers
    ).json()
    create_body = {"engagedParty": {"id": new_individual(client, headers, "丙", "三")}}
    requests: dict[tuple[str, str], tuple[str, dict[str, Any] | None]] = {
        ("GET", "/customer"): ("/customer", None),
        ("POST", "/customer"): ("/customer", create_body),
        ("GET", "/customer/{id}"): (f"/customer/{kept['id']}", None),
        ("PATCH", "/customer/{id}"): (f"/customer/{kept['id']}", {"name": "甲一 (改)"}),
        ("DELETE", "/customer/{id}"): (f"/customer/{doomed['id']}", None),
        ("POST", "/hub"): ("/hub", {"callback": "http://127.0.0.1:9/other"}),
        ("DELETE", "/hub/{id}"): (f"/hub/{hub['id']}", None),
    }
    for method, path in _operations(swagger):
        url, body = requests.get((method, path), (path, {"event": {"customer": {"id": "1"}}}))
        response = client.request(method, base + url, json=body, headers=headers)
        answer = (method, path, response.status_code, response.text)
        assert response.status_code not in (404, 405), answer
        if (method, path) in NOT_IMPLEMENTED:
            assert response.status_code == 501, answer
            error = response.json()
            assert (error["code"], error["status"], error["@type"]) == (
                "NOT_IMPLEMENTED",
                "501",
                "Error",
            ), answer
            assert error["reason"] and error["message"], answer
        else:
            assert response.status_code == IMPLEMENTED[(method, path)], answer


@pytest.mark.parametrize("event", ["customerCreateEvent", "customerDeleteEvent"])
def test_listeners_still_authenticate(client: TestClient, event: str) -> None:
    response = client.post(f"/tmf-api/customerManagement/v4/listener/{event}", json={})
    assert response.status_code == 401
