"""The OpenAPI document: what each operation answers, in the shapes the API really sends.

Routes declare their answers with :func:`responses` (success schemas and the error codes they
can return); :func:`build_document` turns FastAPI's generated document into the published one:

- every error is the TMF error JSON (``Error``), never FastAPI's validation shape — the API
  answers invalid requests with 400 (``install_error_handlers``), so FastAPI's default 422 is
  removed; a 422 stays only where the product raises ``Unprocessable``;
- bearer authentication is declared once as a security scheme (the ``principal`` dependency
  uses ``HTTPBearer``), ``X-Province`` is described where it applies;
- ``offset`` and ``limit`` are integers (the routes still read the raw text, so that an empty
  value keeps meaning "the default" and a bad one gets the product's own 400 message).
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel, Field

from openbss.auth.service import PROVINCE_PATTERN
from openbss.kit.pagination import MAX_LIMIT

# JSON-schema definitions referenced by request and response bodies; merged into the document.
SCHEMA_COMPONENTS: dict[str, Any] = {}
REF_TEMPLATE = "#/components/schemas/{model}"
# Key of a route's ``openapi_extra`` carrying its complete ``responses``; replaced on build.
RESPONSES_KEY = "x-openbss-responses"
PROVINCE_PATTERN_TEXT = PROVINCE_PATTERN.pattern

ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "The TMF630 error body every failed request answers with.",
    "required": ["code", "reason", "message", "status"],
    "properties": {
        "code": {"type": "string", "description": "stable machine code", "example": "NOT_FOUND"},
        "reason": {"type": "string", "description": "short English reason"},
        "message": {
            "type": "string",
            "description": "what went wrong; in Chinese when Accept-Language asks for zh",
        },
        "status": {"type": "string", "description": "the HTTP status, as a string"},
        "@type": {"type": "string", "enum": ["Error"]},
    },
}

ERROR_DESCRIPTIONS: dict[int, str] = {
    400: "Bad request: malformed JSON, or a body, filter or paging value the API refuses",
    401: "Missing, malformed, unknown or revoked API key",
    403: "The key's role may not do this, or the key cannot act for that province",
    404: "Not found, or not visible to the key's province",
    405: "The operation is not offered on this resource",
    409: "Conflicts with the current state: a duplicate, a lifecycle rule or a concurrent change",
    412: "The If-Match version is no longer the current one",
    413: "The request body is too large",
    422: (
        "Semantically invalid: an unknown reference or value, a malformed X-Province, or a "
        "group-level key that must name its province with X-Province"
    ),
    501: "Not implemented on purpose (openbss publishes these events; it does not receive them)",
}

ERROR_EXAMPLES: dict[int, dict[str, str]] = {
    400: {"code": "INVALID_BODY", "reason": "Bad request", "message": "familyName: Field required"},
    401: {
        "code": "UNAUTHENTICATED",
        "reason": "Missing or invalid credentials",
        "message": "an API key is required: send 'Authorization: Bearer <key>'",
    },
    403: {
        "code": "FORBIDDEN",
        "reason": "Not allowed",
        "message": "role 'partner' may not do this (allowed: admin, csr)",
    },
    404: {"code": "NOT_FOUND", "reason": "Resource not found", "message": "'42' not found"},
    405: {
        "code": "HTTP_405",
        "reason": "Method not allowed",
        "message": "Method Not Allowed",
    },
    409: {
        "code": "CONFLICT",
        "reason": "Conflict with the current state",
        "message": "the change conflicts with data written concurrently; retry",
    },
    412: {
        "code": "PRECONDITION_FAILED",
        "reason": "Precondition failed",
        "message": "the resource changed since it was read",
    },
    413: {
        "code": "PAYLOAD_TOO_LARGE",
        "reason": "Payload too large",
        "message": "the request body is larger than allowed",
    },
    422: {
        "code": "PROVINCE_REQUIRED",
        "reason": "Semantically invalid request",
        "message": "a group-level key must name its province with the X-Province header",
    },
    501: {
        "code": "NOT_IMPLEMENTED",
        "reason": "Operation not implemented",
        "message": "openbss publishes these events (subscribe with POST /hub)",
    },
}

# What any authenticated operation can answer whatever it does: no or a bad key, a role or
# province refusal, a malformed X-Province (422).
AUTHENTICATED = (401, 403, 422)


def register_model(model: type[BaseModel], name: str | None = None) -> dict[str, Any]:
    """Put a Pydantic model's JSON schema into the components; return a ``$ref`` to it."""
    generated = model.model_json_schema(
        ref_template=REF_TEMPLATE, by_alias=True, mode="serialization"
    )
    SCHEMA_COMPONENTS.update(generated.pop("$defs", {}))
    component = name or model.__name__
    SCHEMA_COMPONENTS[component] = generated
    return ref(component)


class MoneyAnswer(BaseModel):
    """TMF ``Money`` as the API sends it (beside the exact integer amount)."""

    unit: str = Field(description="currency, CNY")
    value: float = Field(description="yuan; the integer fen or li field is the exact amount")


def register_schema(name: str, schema: Mapping[str, Any]) -> dict[str, Any]:
    SCHEMA_COMPONENTS[name] = dict(schema)
    return ref(name)


def ref(component: str) -> dict[str, Any]:
    return {"$ref": REF_TEMPLATE.format(model=component)}


def array_of(item: Mapping[str, Any]) -> dict[str, Any]:
    return {"type": "array", "items": dict(item)}


def json_content(
    schema: Mapping[str, Any],
    example: Any | None = None,
    *,
    headers: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    media: dict[str, Any] = {"schema": dict(schema)}
    if example is not None:
        media["example"] = example
    answer: dict[str, Any] = {"content": {"application/json": media}}
    if headers:
        answer["headers"] = dict(headers)
    return answer


def responses(
    success: Mapping[int, tuple[str, Mapping[str, Any] | None]],
    errors: Iterable[int],
) -> dict[str, Any]:
    """An operation's ``openapi_extra`` entry: ``success`` maps a 2xx code to (description,
    answer) where the answer is from :func:`json_content` or None for no body; ``errors``
    are the error codes beside the ones every authenticated operation can answer."""
    documented: dict[str, Any] = {}
    for status, (description, answer) in sorted(success.items()):
        documented[str(status)] = {"description": description, **(answer or {})}
    for status in sorted({*AUTHENTICATED, *errors}):
        example = {**ERROR_EXAMPLES[status], "status": str(status), "@type": "Error"}
        documented[str(status)] = {
            "description": ERROR_DESCRIPTIONS[status],
            **json_content(ref("Error"), example),
        }
    return {RESPONSES_KEY: documented}


PAGING_SCHEMAS: dict[str, dict[str, Any]] = {
    "offset": {
        "type": "integer",
        "minimum": 0,
        "default": 0,
        "description": "how many matching items to skip",
    },
    "limit": {
        "type": "integer",
        "minimum": 1,
        "maximum": MAX_LIMIT,
        "default": 100,
        "description": "the most items to answer",
    },
}

X_PROVINCE_DESCRIPTION = (
    "A group-level (集团) key acts for one province by naming it here (a two-letter code such "
    "as GD); a province key may only name its own province."
)


# What an operation that declares nothing may answer besides its success: the errors every
# authenticated operation of the project's own API can give (bad input, unknown ids, a lost
# race, a malformed X-Province).
FALLBACK_ERRORS = (400, 404, 409, 422)
# The answer of an operation whose route names no model: a JSON object or array.
ANY_JSON: dict[str, Any] = {"type": ["object", "array"]}


def _fallback_responses(operation: dict[str, Any]) -> dict[str, Any]:
    """FastAPI's own responses of an undeclared operation, made honest: no 422 validation
    shape (the API never answers it), a JSON schema on every success, and the project's error
    responses when the operation needs a key."""
    answers = {
        status: answer
        for status, answer in operation.get("responses", {}).items()
        if status != "422"
    }
    for status, answer in answers.items():
        media = answer.get("content", {}).get("application/json")
        if status.startswith("2") and media is not None and not media.get("schema"):
            media["schema"] = dict(ANY_JSON)
    paged = any(
        parameter.get("in") == "query" and parameter.get("name") in PAGING_SCHEMAS
        for parameter in operation.get("parameters", [])
    )
    if paged and "200" in answers:
        # A window of a longer list answers 206, like the TMF lists.
        answers["206"] = {**copy.deepcopy(answers["200"]), "description": "A page of the list"}
    if operation.get("security"):
        answers.update(responses({}, FALLBACK_ERRORS)[RESPONSES_KEY])
    return answers


def _clean_operation(operation: dict[str, Any]) -> None:
    declared = operation.pop(RESPONSES_KEY, None)
    if declared is not None:
        operation["responses"] = declared
    else:
        operation["responses"] = _fallback_responses(operation)
    parameters = []
    for parameter in operation.get("parameters", []):
        name = parameter.get("name", "").lower()
        where = parameter.get("in")
        if where == "header" and name == "authorization":
            continue  # the security scheme says it
        if where == "header" and name == "x-province":
            parameter["description"] = X_PROVINCE_DESCRIPTION
            parameter["schema"] = {"type": "string", "pattern": PROVINCE_PATTERN_TEXT}
        if where == "query" and name in PAGING_SCHEMAS:
            parameter["schema"] = dict(PAGING_SCHEMAS[name])
        parameters.append(parameter)
    if parameters:
        operation["parameters"] = parameters
    else:
        operation.pop("parameters", None)


def build_document(app: FastAPI, description: str) -> dict[str, Any]:
    document = get_openapi(
        title=app.title, version=app.version, description=description, routes=app.routes
    )
    for methods in document.get("paths", {}).values():
        for operation in methods.values():
            if isinstance(operation, dict) and "responses" in operation:
                _clean_operation(operation)
    components = document.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    for fastapi_own in ("HTTPValidationError", "ValidationError"):
        schemas.pop(fastapi_own, None)
    schemas.update(copy.deepcopy(SCHEMA_COMPONENTS))
    schemas["Error"] = ERROR_SCHEMA
    return document
