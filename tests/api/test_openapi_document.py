"""The OpenAPI document is a contract an integrator can build from.

It validates as OpenAPI; every operation documents its 2xx answer with a schema and the TMF
error shape for its errors; FastAPI's validation 422 is gone; authentication is one bearer
scheme; paging parameters are integers; every example matches the schema it illustrates.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate
from sqlalchemy.orm import sessionmaker

from openbss.api.app import create_app
from tests.conftest import KeyMaker

METHODS = {"get", "post", "put", "patch", "delete"}


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return create_app(sessionmaker(), dispatch_events=False).openapi()


def operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method, path, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    ]


def validator(document: dict[str, Any], schema: dict[str, Any]) -> Draft202012Validator:
    """A validator of ``schema`` whose ``#/components/...`` references resolve in the document."""
    return Draft202012Validator({**schema, "components": document["components"]})


def test_the_document_is_valid_openapi(document: dict[str, Any]) -> None:
    validate(document)
    assert document["openapi"].startswith("3.")


def test_every_operation_documents_its_answer_and_its_errors(document: dict[str, Any]) -> None:
    ops = operations(document)
    assert len(ops) > 150
    for method, path, operation in ops:
        where = f"{method.upper()} {path}"
        codes = set(operation["responses"])
        success = {code for code in codes if code.startswith("2")}
        if codes - {"401", "403", "422"} == {"501"}:
            continue  # a listener callback openbss refuses on purpose: it never succeeds
        assert success, f"{where} documents no 2xx answer"
        for code in success - {"204"}:
            # JSON as a rule; a file download (a statement's CSV or PDF) names its own type.
            content = operation["responses"][code]["content"]
            assert content, f"{where} {code} documents no body"
            for media_type, body in content.items():
                assert body["schema"], f"{where} {code} {media_type} has an empty schema"
        if path == "/health":
            continue
        if operation.get("security") == []:
            # Signed instead of keyed (a payment gateway's callback): a bad signature is 401.
            assert path.endswith("/callback") and "401" in codes, where
            continue
        assert {"401", "403"} <= codes, f"{where} does not document 401/403"
        for code in codes - success:
            schema = operation["responses"][code]["content"]["application/json"]["schema"]
            assert schema == {"$ref": "#/components/schemas/Error"}, where
        assert operation["security"] == [{"bearer": []}], where


def test_list_operations_answer_arrays_of_the_resource(document: dict[str, Any]) -> None:
    listing = document["paths"]["/tmf-api/party/v4/individual"]["get"]
    for code in ("200", "206"):
        schema = listing["responses"][code]["content"]["application/json"]["schema"]
        assert schema == {"type": "array", "items": {"$ref": "#/components/schemas/Individual"}}
    individual = document["components"]["schemas"]["Individual"]
    assert {"id", "href", "familyName", "givenName"} <= set(individual["properties"])


def test_no_fastapi_validation_shape_nor_authorization_parameter(
    document: dict[str, Any],
) -> None:
    assert "HTTPValidationError" not in document["components"]["schemas"]
    assert document["components"]["securitySchemes"] == {
        "bearer": {
            "type": "http",
            "scheme": "bearer",
            "description": document["components"]["securitySchemes"]["bearer"]["description"],
        }
    }
    for method, path, operation in operations(document):
        names = {p["name"].lower() for p in operation.get("parameters", [])}
        assert "authorization" not in names, f"{method} {path}"
        for parameter in operation.get("parameters", []):
            if parameter["in"] == "query" and parameter["name"] in ("offset", "limit"):
                assert parameter["schema"]["type"] == "integer"
                assert parameter["schema"]["minimum"] >= 0
            if parameter["name"].lower() == "x-province":
                assert parameter["description"]


def test_every_example_matches_its_schema(document: dict[str, Any]) -> None:
    checked = 0
    for method, path, operation in operations(document):
        bodies = [
            (code, answer.get("content", {}).get("application/json", {}))
            for code, answer in operation["responses"].items()
        ]
        request = operation.get("requestBody", {}).get("content", {}).get("application/json")
        if request:
            bodies.append(("request", request))
        for code, media in bodies:
            if "example" not in media:
                continue
            errors = list(validator(document, media["schema"]).iter_errors(media["example"]))
            assert not errors, f"{method.upper()} {path} {code}: {errors[0].message}"
            checked += 1
    assert checked > 300  # error examples on every operation, resource examples on the main ones
    for resource in ("Individual", "Customer", "BillingAccount", "ProductOrder", "Product"):
        item_reads = [
            op["responses"]["200"]["content"]["application/json"]
            for method, path, op in operations(document)
            if method == "get" and path.endswith("}") and op["tags"] == [resource]
        ]
        assert item_reads and all("example" in media for media in item_reads), resource


def test_the_served_document_is_the_built_one(client: TestClient) -> None:
    served = client.get("/openapi.json")
    assert served.status_code == 200
    assert "bearer" in served.json()["components"]["securitySchemes"]


def test_answers_match_the_documented_schemas(
    client: TestClient, auth: KeyMaker, document: dict[str, Any]
) -> None:
    """A created Individual, its list and a 404 each validate against the document."""
    headers = auth("admin", "GD")
    path = "/tmf-api/party/v4/individual"
    created = client.post(path, json={"givenName": "小明", "familyName": "王"}, headers=headers)
    listed = client.get(path, params={"limit": 1, "offset": 0}, headers=headers)
    missing = client.get(f"{path}/nope", headers=headers)
    item = document["paths"][path + "/{resource_id}"]["get"]["responses"]
    for response, answers in (
        (created, document["paths"][path]["post"]["responses"]),
        (listed, document["paths"][path]["get"]["responses"]),
        (missing, item),
    ):
        schema = answers[str(response.status_code)]["content"]["application/json"]["schema"]
        errors = list(validator(document, schema).iter_errors(response.json()))
        assert not errors, errors[0].message


def test_error_messages_follow_accept_language(client: TestClient, auth: KeyMaker) -> None:
    path = "/tmf-api/party/v4/individual/nope"
    english = client.get(path, headers=auth("admin", "GD"))
    chinese = client.get(path, headers={**auth("admin", "GD"), "Accept-Language": "zh-CN"})
    unauthenticated = client.get(path, headers={"Accept-Language": "zh-CN,en;q=0.8"})
    assert english.status_code == chinese.status_code == 404
    assert english.json()["message"] == "Individual 'nope' not found"
    assert chinese.json()["message"] == "未找到该资源（Individual 'nope' not found）"
    assert chinese.json()["code"] == english.json()["code"] == "NOT_FOUND"
    assert unauthenticated.status_code == 401
    assert unauthenticated.json()["message"].startswith("缺少或无效的 API 密钥")
    english_first = client.get(path, headers={"Accept-Language": "en-GB,zh-CN;q=0.9"})
    assert english_first.json()["message"].startswith("an API key is required")


def test_bad_paging_values_are_still_a_400(client: TestClient, auth: KeyMaker) -> None:
    path = "/tmf-api/party/v4/individual"
    headers = auth("admin", "GD")
    assert client.get(path, params={"offset": ""}, headers=headers).status_code == 200
    for bad in ({"offset": "-1"}, {"limit": "x"}, {"limit": "0"}):
        answer = client.get(path, params=bad, headers=headers)
        assert answer.status_code == 400, bad
        assert answer.json()["@type"] == "Error"
