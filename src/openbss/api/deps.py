"""Request-scoped dependencies: the unit of work and the authenticated principal."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import Depends, Header, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session, sessionmaker

from openbss.auth.service import PROVINCE_PATTERN, authenticate_cached
from openbss.db.uow import unit_of_work
from openbss.kit.errors import BadRequest, Forbidden, Unprocessable
from openbss.kit.limits import parse_json_body
from openbss.kit.security import Principal
from openbss.kit.settings import get_settings


def session_factory(request: Request) -> sessionmaker[Session]:
    factory: sessionmaker[Session] = request.app.state.session_factory
    return factory


READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def db_session(request: Request) -> Iterator[Session]:
    """The request's unit of work: committed when the endpoint returns without error. A
    request that may write declares it, so concurrent writers are serialised on SQLite."""
    writes = request.method not in READ_METHODS
    with unit_of_work(session_factory(request), writes=writes) as session:
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
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)] = None,
    x_province: Annotated[str | None, Header()] = None,
) -> Principal:
    """Authenticate the bearer token; a group key may act for one province (X-Province).

    The key is read in a short read-only transaction of its own, not in the request's unit of
    work: a route that runs a batch (a bill run commits chunk by chunk in transactions of its
    own) then holds no transaction — on SQLite no write lock — while its batch writes."""
    token = credentials.credentials.strip() if credentials is not None else None
    # A key verified in the last few seconds is not read again (revocation still takes
    # effect within api_key_cache_seconds everywhere, at once in the revoking process).
    ttl = get_settings().api_key_cache_seconds
    caller = authenticate_cached(session_factory(request), token, ttl)
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
    body = parse_json_body(raw)  # the limits middleware has checked these bytes already
    if not isinstance(body, dict):
        raise BadRequest("the request body must be a JSON object")
    return body


BodyDep = Annotated[dict[str, Any], Depends(json_object)]
