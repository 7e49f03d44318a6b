"""Request-scoped dependencies: the unit of work and the authenticated principal."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import Depends, Header, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session, sessionmaker

from openbss.auth.service import PROVINCE_PATTERN, authenticate
from openbss.db.uow import unit_of_work
from openbss.kit.errors import BadRequest, Forbidden, Unprocessable
from openbss.kit.security import Principal


def session_factory(request: Request) -> sessionmaker[Session]:
    factory: sessionmaker[Session] = request.app.state.session_factory
    return factory


def db_session(request: Request) -> Iterator[Session]:
    """The request's unit of work: committed when the endpoint returns without error."""
    with unit_of_work(session_factory(request)) as session:
        yield session


# scope="function": commit before the response is sent, so a failed commit can never be
# reported to the client as a success.
SessionDep = Annotated[Session, Depends(db_session, scope="function")]


# Declares the bearer scheme once in the OpenAPI document; the product answers a missing or
# non-bearer Authorization itself (401 in the TMF error shape), hence auto_error=False.
bearer = HTTPBearer(
    scheme_name="bearer",
    description="An API key: `Authorization: Bearer <key>` (keys come from "
    "`openbss auth create-key`).",
    auto_error=False,
)


def principal(
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)] = None,
    x_province: Annotated[str | None, Header()] = None,
) -> Principal:
    """Authenticate the bearer token; a group key may act for one province (X-Province)."""
    token = credentials.credentials.strip() if credentials is not None else None
    caller = authenticate(session, token)  # in the request's own unit of work
    if x_province is None or x_province == "":
        return caller
    if not PROVINCE_PATTERN.match(x_province):
        raise Unprocessable(f"X-Province must be a province code, got {x_province!r}")
    if caller.province is not None:
        if x_province != caller.province:
            raise Forbidden(f"a key of province {caller.province} cannot act for {x_province}")
        return caller
    return Principal(key_id=caller.key_id, role=caller.role, province=x_province)


PrincipalDep = Annotated[Principal, Depends(principal)]


async def json_object(request: Request) -> dict[str, Any]:
    """The request body as a JSON object; anything else is a 400 before any work is done."""
    raw = await request.body()
    if not raw.strip():
        raise BadRequest("the request body is empty; a JSON object is required")
    try:
        body = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise BadRequest(
            f"the request body is not valid JSON: {exc}", code="MALFORMED_JSON"
        ) from None
    if not isinstance(body, dict):
        raise BadRequest("the request body must be a JSON object")
    return body


BodyDep = Annotated[dict[str, Any], Depends(json_object)]
